"""A jupyter_client kernel manager that starts the sandboxed kernel.

The kernel talks to the grader over the IPC transport (Unix sockets in a
directory shared with the sandbox) because the sandbox has no network.
"""
import os
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Any, Unicode

from . import sandbox


class SandboxKernelManager(AsyncKernelManager):
    """Start ``autograder.kernel`` under bubblewrap or resource limits."""

    isolation = Unicode("rlimits")
    limits = Any()
    workdir = Unicode()
    ipcdir = Unicode()
    uid = Any(None)

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
