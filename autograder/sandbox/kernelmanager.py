"""A jupyter_client kernel manager that starts the sandboxed kernel.

The kernel talks to the grader over the IPC transport (Unix sockets in a
directory shared with the sandbox) because the sandbox has no network.
"""
import os
import time
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import Any, DottedObjectName, Unicode

from autograder.sandbox import isolation as sandbox


class ReadyClient(AsyncKernelClient):
    """The kernel client, with a start-up wait that never sits idle.

    jupyter_client's ``wait_for_ready`` ends by draining IOPub until it
    has been quiet for 0.2 s: a fifth of a second of every kernel start
    (every notebook graded) with nothing to do.  Here the wait ends as
    soon as the kernel has answered ``kernel_info`` and IOPub has carried
    a status message of one of those requests (proof that IOPub is
    connected, which is what the drain was for); the messages left on
    IOPub belong to no cell and are skipped as nbclient reads on."""

    async def wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (float("inf") if timeout is None
                                       else timeout)
        sent = set()
        while True:
            sent.add(self.kernel_info())
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and \
                    reply.get("msg_type") == "kernel_info_reply" and \
                    await self._iopub_connected(sent):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to "
                                   "kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in "
                                   f"{timeout:g} seconds")

    async def _iopub_connected(self, sent):
        """Does IOPub carry a message of one of the ``sent`` requests
        (within 0.2 s of quiet)?"""
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=0.2)
            except Empty:
                return False
            if msg.get("parent_header", {}).get("msg_id") in sent:
                return True


class SandboxKernelManager(AsyncKernelManager):
    """Start ``autograder.kernel`` under bubblewrap or resource limits."""

    isolation = Unicode("rlimits")
    limits = Any()
    workdir = Unicode()
    ipcdir = Unicode()
    uid = Any(None)
    client_class = DottedObjectName("autograder.sandbox.kernelmanager.ReadyClient")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.ip = str(Path(self.ipcdir) / "kernel")
        self.connection_file = str(Path(self.ipcdir) / "kernel.json")
        self._command = sandbox.kernel_command(
            self.isolation, self.workdir, self.ipcdir,
            self.connection_file, self.limits, self.uid)

    def format_kernel_cmd(self, extra_arguments=None):
        """Return the sandbox command instead of the kernelspec's."""
        return list(self._command[0])

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        """Launch with the sandbox's environment, nothing inherited."""
        kw["env"] = dict(self._command[1])
        kw["cwd"] = self._command[2]
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    def write_connection_file(self, **kwargs):
        """Write the connection file readable by the kernel's uid."""
        super().write_connection_file(**kwargs)
        if self.uid is not None:
            os.chown(self.connection_file, self.uid, self.uid)

    @property
    def root_pid(self):
        """PID of the launched process (prlimit/bwrap), or None."""
        prov = self.provisioner
        process = getattr(prov, "process", None) if prov else None
        return process.pid if process is not None else None
