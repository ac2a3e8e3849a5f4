"""A jupyter_client kernel manager that starts the sandboxed kernel.

The kernel talks to the grader over the IPC transport (Unix sockets in a
directory shared with the sandbox) because the sandbox has no network.
"""
import os
import time
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import channel_socket_types
from jupyter_client.manager import AsyncKernelManager
from traitlets import Any, DottedObjectName, Type, Unicode

from autograder.sandbox import isolation as sandbox


# What the grader accepts from a kernel.  The student's code owns the
# kernel process and can send anything on its sockets, so every message
# is checked before it is parsed, and the grader's memory is watched.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024   # all frames of one message
MAX_FRAMES = 64                        # frames of one message
MAX_DEPTH = 100                        # nesting of a message's JSON
# zmq queues at most this many whole messages per socket; one frame
# larger than the grader's memory allowance closes the connection.
RCVHWM = 64
# Growth of the grading worker's resident memory, while a kernel runs,
# past which that kernel is killed (zmq takes in a whole multipart
# message before any of it can be read or refused).
GRADER_MEMORY_BYTES = 512 * 1024 * 1024


# Marks a drop for size alone: a huge print in a notebook cell does that
# (the output would be cut anyway); anything else no kernel of ours sends.
SIZE = "size:"


def _too_deep(value, limit=MAX_DEPTH):
    """Is the JSON value nested more than ``limit`` deep?  (Iterative:
    the check itself must not recurse.)"""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _guarded_recv(channel, client):
    """A channel's ``_recv`` that never parses what it should not: a
    message over MAX_FRAMES frames or MAX_MESSAGE_BYTES bytes is read
    and thrown away frame by frame; one that is badly signed, is not
    valid JSON or is nested deeper than MAX_DEPTH is dropped.  Each drop
    is counted on the client (``client.dropped``) with its reason; when
    nothing else is waiting, the read ends as a wait that found
    nothing."""
    async def recv(**kwargs):
        sock = channel.socket
        while True:
            frames, size, bad = [], 0, None
            while True:
                frame = await sock.recv(copy=False)
                size += len(frame)
                if bad is None:
                    if len(frames) >= MAX_FRAMES:
                        bad = SIZE + "a message with too many parts"
                    elif size > MAX_MESSAGE_BYTES:
                        bad = (f"{SIZE}a message over "
                               f"{MAX_MESSAGE_BYTES // 2 ** 20} MiB")
                    else:
                        frames.append(frame.bytes)
                if not frame.more:
                    break
            if bad is None:
                try:
                    _, smsg = channel.session.feed_identities(frames)
                    msg = channel.session.deserialize(smsg)
                    if _too_deep(msg.get("content")) or \
                            _too_deep(msg.get("metadata")):
                        bad = "a message nested too deeply"
                    else:
                        return msg
                except RecursionError:
                    bad = "a message nested too deeply"
                except Exception as exc:  # bad signature, bad JSON
                    why = str(exc).lower()
                    bad = ("a badly signed message" if "signature" in why
                           else "an unreadable message")
            client.drop(bad)
            if not await sock.poll(0):
                raise Empty
    return recv


class MemoryWatch:
    """Kill a kernel whose messages grow the grader past its allowance.

    zmq receives a multipart message whole before the grader can look
    at it, so a kernel that sends one frame many times over (zero-copy
    on its side) could fill the grader's memory; a thread checks the
    process's resident size every 50 ms and calls ``on_exceed`` once
    when it has grown by more than ``allowance`` bytes."""

    def __init__(self, on_exceed, allowance=GRADER_MEMORY_BYTES):
        import threading
        self.on_exceed = on_exceed
        self.base = _rss()
        self.allowance = allowance
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name="autograder-memory-watch")
        self.thread.start()

    def _run(self):
        while not self.stop.wait(0.05):
            if _rss() - self.base > self.allowance:
                self.on_exceed()
                return

    def close(self):
        self.stop.set()


def _rss():
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class GuardedClient(AsyncKernelClient):
    """The kernel client the grader uses: its sockets queue little and
    refuse huge frames, and every channel reads through _guarded_recv."""

    def drop(self, reason):
        """Count a message thrown away unread, with its reason."""
        dropped = self.__dict__.setdefault("_dropped", [])
        if len(dropped) < 10_000:
            dropped.append(reason)

    def take_dropped(self):
        """The reasons of the messages dropped since the last call."""
        dropped = self.__dict__.get("_dropped") or []
        self.__dict__["_dropped"] = []
        return dropped

    def _create_connected_socket(self, channel, identity=None):
        """jupyter_client's socket, with the grader's limits set before
        it connects: few whole messages queued, no frame larger than the
        grader's memory allowance."""
        import zmq
        url = self._make_url(channel)
        sock = self.context.socket(channel_socket_types[channel])
        sock.linger = 1000
        sock.setsockopt(zmq.RCVHWM, RCVHWM)
        sock.setsockopt(zmq.MAXMSGSIZE, GRADER_MEMORY_BYTES // 2)
        if identity:
            sock.identity = identity
        sock.connect(url)
        return sock

    def start_channels(self, *args, **kwargs):
        """Start the channels, each reading through _guarded_recv."""
        super().start_channels(*args, **kwargs)
        for name in ("shell_channel", "iopub_channel", "stdin_channel",
                     "control_channel"):
            channel = getattr(self, name)
            channel._recv = _guarded_recv(channel, self)


class ReadyClient(GuardedClient):
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
                    await self._iopub_connected(sent, deadline):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to "
                                   "kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in "
                                   f"{timeout:g} seconds")

    async def _iopub_connected(self, sent, deadline):
        """Does IOPub carry a message of one of the ``sent`` requests
        (within 0.2 s of quiet, and before the start-up deadline)?"""
        while time.monotonic() <= deadline:
            try:
                msg = await self.iopub_channel.get_msg(timeout=0.2)
            except Empty:
                return False
            if msg.get("parent_header", {}).get("msg_id") in sent:
                return True
        return False


class SandboxKernelManager(AsyncKernelManager):
    """Start ``autograder.kernel`` under bubblewrap or resource limits."""

    isolation = Unicode("rlimits")
    limits = Any()
    workdir = Unicode()
    ipcdir = Unicode()
    uid = Any(None)
    client_class = DottedObjectName("autograder.sandbox.kernelmanager.GuardedClient")
    # AsyncKernelManager gives client_factory a default of its own, which
    # wins over client_class (so ReadyClient's start-up wait has never
    # run): the client is named here.  GuardedClient keeps jupyter_client's
    # own start-up wait, the one every timing so far was measured with.
    client_factory = Type(default_value=GuardedClient,
                          klass=AsyncKernelClient)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        # The sockets live in the kernel's run folder (it binds them);
        # the connection file in the grader's folder, which the kernel's
        # uid cannot write.
        self.ip = str(Path(self.ipcdir) / sandbox.RUN_DIR / "kernel")
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
        """Write the connection file readable (not writable) by the
        kernel's uid: it stays the grader's file, in the grader's
        folder."""
        super().write_connection_file(**kwargs)
        if self.uid is not None:
            os.chown(self.connection_file, -1, self.uid)
            os.chmod(self.connection_file, 0o640)

    @property
    def root_pid(self):
        """PID of the launched process (prlimit/bwrap), or None."""
        prov = self.provisioner
        process = getattr(prov, "process", None) if prov else None
        return process.pid if process is not None else None
