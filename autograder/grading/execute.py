"""Run a notebook's code cells in sandboxed kernels, surviving crashes.

A cell that times out or kills its kernel fails on its own: the kernel
is restarted, the cells that ran before it are replayed silently to
rebuild the state, and grading goes on.  Outputs are capped in bytes
and stray processes are killed after every cell.
"""
import copy
import json
import os
import queue
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import zmq
from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output

from autograder import zmqwait  # noqa: F401 (waits in slices)
from autograder.sandbox import isolation as sandbox
from autograder.protocol import GUARD, REQUEST, REPLY, TAMPER_MIME
from autograder import protocol as proxy
from autograder.sandbox import kernelmanager
from autograder.sandbox.kernelmanager import SandboxKernelManager
from autograder.course.notebooks import is_test_cell

# More stray processes than this after one cell restart the kernel.
STRAYS_BEFORE_RESTART = 4


@dataclass
class RunLog:
    """What happened while a notebook ran, for flags and the report."""

    isolation: str = ""
    timeouts: list = field(default_factory=list)
    deaths: list = field(default_factory=list)
    forked: list = field(default_factory=list)
    not_run: list = field(default_factory=list)
    truncated: list = field(default_factory=list)
    tamper: list = field(default_factory=list)
    # (grade id, why) of test cells whose verdict is the kernel's alone,
    # and of those that passed there but failed in the grader's re-run.
    in_kernel: list = field(default_factory=list)
    mismatches: list = field(default_factory=list)
    # What the kernel sent that the grader refused (tamper flags too).
    refused: list = field(default_factory=list)
    # Oversized output messages of notebook cells, dropped unread.
    dropped: list = field(default_factory=list)
    strays: int = 0
    seconds: float = 0.0
    # What the static scans found in the notebook's sources (None: not
    # scanned yet).
    static: list = None


def error_output(ename, evalue):
    """Return an nbformat error output explaining a grader decision."""
    return new_output("error", ename=ename, evalue=evalue,
                      traceback=[f"{ename}: {evalue}"])


def _output_size(output):
    """Return the size in bytes of an output's text and data."""
    return len(json.dumps(output, ensure_ascii=False).encode())


def cap_outputs(cell, per_cell, budget):
    """Trim a cell's outputs to ``per_cell`` bytes and the ``budget``.

    Returns (bytes kept, whether anything was cut).  Error outputs are
    kept (shortened) because they carry the verdict.
    """
    limit = min(per_cell, max(budget, 0))
    kept, used, cut = [], 0, False
    for out in cell.get("outputs", []):
        size = _output_size(out)
        if used + size <= limit:
            kept.append(out)
            used += size
            continue
        cut = True
        if out.get("output_type") == "error":
            out = copy.deepcopy(out)
            out["traceback"] = [line[:2000] for line in out["traceback"]
                                ][-20:]
            out["evalue"] = out.get("evalue", "")[:2000]
            kept.append(out)
            used += _output_size(out)
    if cut:
        kept.append(new_output(
            "stream", name="stdout",
            text=f"\n[autograder: output cut at {limit} bytes]\n"))
    cell["outputs"] = kept
    return used, cut


class KernelMisbehaved(DeadKernelError):
    """The kernel sent what the grader refuses (oversized, unsigned or
    too deeply nested messages, a flood, more data than the grader's
    memory allowance): the cell fails as if the kernel had died, and
    the reasons become tamper flags."""


# Most messages the grader reads for one request (its reply, the
# kernel's status messages and anything the kernel sends meanwhile).
MAX_MESSAGES_PER_REQUEST = 1000
# Longest the grader keeps reading IOPub after a request's reply.
DRAIN_SECONDS = 0.5
# Messages after a request's reply, within DRAIN_SECONDS, that make a flood.
FLOOD_MESSAGES = 100


class Kernel:
    """One sandboxed kernel plus the nbclient that drives it."""

    def __init__(self, nb, isolation, limits, workdir, ipcdir, uid):
        self.uid = uid
        self.ipcdir = ipcdir
        self.km = SandboxKernelManager(
            isolation=isolation, limits=limits, workdir=str(workdir),
            ipcdir=str(ipcdir), uid=uid, kernel_name="python3")
        self.client = NotebookClient(
            nb, km=self.km, timeout=limits.cell_timeout,
            startup_timeout=limits.startup_timeout, allow_errors=True,
            interrupt_on_timeout=False, record_timing=False,
            iopub_timeout=4, shutdown_kernel="immediate")
        self.client.start_new_kernel()
        self.client.start_new_kernel_client()
        self.flagged = []
        self.watch = kernelmanager.MemoryWatch(self._over_memory)
        # (PAIR socket, msg_id) while the kernel serves a test cell's
        # requests (serve_request), and whether one of them failed.
        self._serving = None
        self._serving_failed = False

    def _over_memory(self):
        """(Memory watch thread) The kernel's messages grew the grader
        past its allowance: stop the kernel at once."""
        self.flagged.append("the kernel sent more data than the grader "
                            "accepts; it was stopped")
        for proc in self.processes():
            try:
                proc.kill()
            except psutil.Error:
                continue

    def misbehaviour(self):
        """What the kernel sent that was refused since the last call, as
        (reasons, size-only reasons), once each: a message too large is
        what a huge print makes too."""
        found, sized = list(self.flagged), []
        self.flagged.clear()
        kc = getattr(self.client, "kc", None)
        if kc is not None and hasattr(kc, "take_dropped"):
            for reason in dict.fromkeys(kc.take_dropped()):
                if reason.startswith(kernelmanager.SIZE):
                    sized.append(f"the kernel sent "
                                 f"{reason[len(kernelmanager.SIZE):]}; "
                                 "it was dropped")
                else:
                    found.append(f"the kernel sent {reason}; it was "
                                 "dropped")
        return found, sized

    def run(self, cell, index, timeout, history=True):
        """Execute one cell; raise CellTimeoutError or DeadKernelError."""
        self.client.timeout = max(1, int(timeout))
        return self.client.execute_cell(cell, index,
                                        store_history=history)

    def request(self, content, timeout):
        """Send one trusted-grader request (a message of its own type, no
        cell is run); return the reply's content.  Raises
        CellTimeoutError or DeadKernelError as ``run`` does."""
        return run_sync(self._request)(content, timeout)

    async def _request(self, content, timeout):
        kc = self.client.kc
        msg = kc.session.msg(REQUEST, content)
        kc.shell_channel.send(msg)
        reply = await self._reply_to(msg["header"]["msg_id"],
                                     time.monotonic() + timeout)
        content = reply.get("content")
        return content if isinstance(content, dict) else {}

    async def _reply_to(self, msg_id, deadline):
        """Read the shell channel until the reply to ``msg_id``; then
        what the kernel sent on IOPub meanwhile."""
        kc = self.client.kc
        read = 0
        while True:
            self._check(read)
            left = deadline - time.monotonic()
            if left <= 0:
                raise CellTimeoutError("the grader's request timed out")
            try:
                reply = await kc.shell_channel.get_msg(timeout=min(left, 1))
            except queue.Empty:
                if not await ensure_async(self.km.is_alive()):
                    raise DeadKernelError("the kernel died") from None
                continue
            read += 1
            if reply.get("parent_header", {}).get("msg_id") == msg_id and \
                    reply.get("msg_type") == REPLY:
                break
        await self._drain(deadline, read)
        return reply

    async def _drain(self, deadline, read=0):
        # The kernel's busy/idle status messages of requests are of no
        # use; drop them so they never pile up on the IOPub socket.  A
        # kernel that keeps sending cannot hold the grader here: the
        # drain stops at its deadline, within the request's time.
        iopub = self.client.kc.iopub_channel
        stop = min(deadline, time.monotonic() + DRAIN_SECONDS)
        drained = 0
        try:
            while await iopub.msg_ready():
                if time.monotonic() >= stop:
                    # Still sending after its reply: a request's own
                    # messages are a handful.  Time alone proves nothing
                    # (a loaded machine can pause the grader for longer),
                    # so only many messages in that time are a flood;
                    # what is left is read with the next cell.
                    if drained >= FLOOD_MESSAGES:
                        self.flagged.append("the kernel flooded the "
                                            "grader with messages")
                    break
                await iopub.get_msg(timeout=0)
                read += 1
                drained += 1
                self._check(read)
        except queue.Empty:
            pass
        self._check(read)

    # -- the requests of one test cell, on a socket of their own --------
    def serve_request(self, content, timeout):
        """``request``, for every request of a test cell after its first:
        the first of them asks the kernel to serve the cell's requests on
        a PAIR socket of their own (see GuardedKernel._serve), which costs
        one message each way per request instead of a shell message, its
        reply and two status messages through ipykernel's threads.  What
        comes back is checked as a shell reply is; ``end_requests`` ends
        the cell's requests.  After a failure here the kernel is done
        for (the caller restarts it)."""
        deadline = time.monotonic() + timeout
        try:
            if self._serving is None:
                self._start_serving(deadline)
            sock = self._serving[0]
            try:
                sock.send(json.dumps(content).encode(), zmq.NOBLOCK)
            except zmq.Again:
                raise DeadKernelError("the kernel stopped reading") from None
            reply = self._served_reply(deadline)
            if not isinstance(reply, dict) or \
                    kernelmanager._too_deep(reply):
                self.client.kc.drop("a reply that is not a JSON object, "
                                    "or one nested too deeply")
            self._between_replies(deadline)
        except BaseException:
            self._serving_failed = True
            raise
        return reply

    def _served_reply(self, deadline):
        """The next message on the serving socket, parsed (None if it is
        not JSON); raises as a shell request's wait does."""
        sock = self._serving[0]
        while not sock.poll(int(1000 * min(max(deadline - time.monotonic(),
                                               0), 1))):
            self._between_replies(deadline)
            if time.monotonic() >= deadline:
                raise CellTimeoutError("the grader's request timed out")
            if not run_sync(self.km.is_alive)():
                raise DeadKernelError("the kernel died") from None
            shell = self.client.kc.shell_channel.socket
            if shell.getsockopt(zmq.EVENTS) & zmq.POLLIN:
                # The serving request's reply, or anything else, before
                # "end": the kernel stopped serving.
                raise DeadKernelError("the kernel stopped serving the "
                                      "grader's requests")
        frames = sock.recv_multipart(copy=False)
        size = sum(len(f) for f in frames)
        if len(frames) != 1 or size > kernelmanager.MAX_MESSAGE_BYTES:
            self.client.kc.drop(
                f"{kernelmanager.SIZE}a message over "
                f"{kernelmanager.MAX_MESSAGE_BYTES // 2 ** 20} MiB"
                if size > kernelmanager.MAX_MESSAGE_BYTES else
                "a message with too many parts")
            self._check(0)
        try:
            return json.loads(frames[0].bytes)
        except (ValueError, RecursionError):
            return None

    def _between_replies(self, deadline):
        """What the kernel sent on its other sockets while it served:
        read (as after a shell request) only when something is there."""
        kc = self.client.kc
        if kc.iopub_channel.socket.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            run_sync(self._drain)(deadline)
        self._check(0)

    def _start_serving(self, deadline):
        # The grader binds, in its own folder (the kernel's uid may only
        # pass through it, and cannot list it), under a name nobody can
        # guess, and only the kernel's uid may connect: the kernel can
        # neither swap the socket for a link nor reach another.
        kc = self.client.kc
        path = os.path.join(str(self.ipcdir), f"serve-{uuid.uuid4().hex}")
        sock = zmq.Context.instance().socket(zmq.PAIR)
        sock.linger = 0
        # Only requests and replies cross, one at a time.
        sock.rcvhwm = sock.sndhwm = 4
        sock.bind(f"ipc://{path}")
        os.chmod(path, 0o600)
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)
        msg = kc.session.msg(REQUEST, {"serve": f"ipc://{path}"})
        kc.shell_channel.send(msg)
        self._serving = (sock, msg["header"]["msg_id"])
        self._serving_failed = False
        # The kernel says when it has connected: a PAIR socket without
        # its peer cannot take a message.
        if self._served_reply(deadline) != "ready":
            self.client.kc.drop("a first message that is not ready")
            self._check(0)

    def end_requests(self, timeout):
        """End the test cell's served requests: the kernel's reply to the
        request that opened them comes, then its IOPub messages are read
        and checked as after any request."""
        if self._serving is None:
            return
        sock, msg_id = self._serving
        self._serving = None
        if self._serving_failed:  # the kernel will be restarted
            sock.close(linger=0)
            return
        try:
            sock.send(b"end", zmq.NOBLOCK)
        except zmq.Again:
            pass
        finally:
            sock.close(linger=100)
        run_sync(self._reply_to)(msg_id, time.monotonic() + timeout)

    def _check(self, read):
        """Fail the request when the kernel has sent what the grader
        refuses, or more messages than one request needs."""
        if read > MAX_MESSAGES_PER_REQUEST:
            self.flagged.append("the kernel flooded the grader with "
                                "messages")
        kc = self.client.kc
        if self.flagged or kc.__dict__.get("_dropped"):
            raise KernelMisbehaved("the kernel sent what the grader "
                                   "refuses")

    def processes(self):
        """Return the live processes of this kernel's sandbox."""
        if self.uid is not None:
            found = []
            for pid in sandbox.pids_of_uid(self.uid):
                try:
                    found.append(psutil.Process(pid))
                except psutil.Error:
                    continue
            return found
        pid = self.km.root_pid
        try:
            return psutil.Process(pid).children(recursive=True)
        except (psutil.NoSuchProcess, TypeError):
            return []

    def _protected(self):
        """PIDs of the kernel and of the launchers above it."""
        if getattr(self, "_keep", None):
            return self._keep
        procs = self.processes()
        root = self.km.root_pid
        if root is not None:
            try:
                procs = [psutil.Process(root)] + procs
            except psutil.NoSuchProcess:
                pass
        kernel = None
        for proc in sorted(procs, key=_created):
            try:
                cmd = proc.cmdline()
                if cmd[1:4] == ["-P", "-m", sandbox.KERNEL_MODULE] or \
                        cmd[1:3] == ["-m", sandbox.KERNEL_MODULE]:
                    kernel = proc
                    break
            except psutil.Error:
                continue
        keep = set()
        while kernel is not None:
            keep.add(kernel.pid)
            if kernel.pid == root:
                break
            try:
                kernel = kernel.parent()
            except psutil.Error:
                break
        self._keep = keep or None  # not found yet: look again next time
        return keep

    def kill_strays(self):
        """Kill processes of the sandbox other than the kernel itself."""
        keep = self._protected()
        if not keep:
            return 0  # never kill blindly
        killed = []
        for proc in self.processes():
            if proc.pid in keep:
                continue
            if sandbox.is_zombie(proc):
                sandbox.reap([proc], timeout=0)
                continue
            try:
                proc.kill()
                killed.append(proc)
            except psutil.NoSuchProcess:
                pass
        sandbox.reap(killed)
        return len(killed)

    def close(self):
        """Stop the kernel and everything it started."""
        self.watch.close()
        if self._serving is not None:
            self._serving[0].close(linger=0)
            self._serving = None
        procs = self.processes()
        try:
            self.client._cleanup_kernel()  # nbclient's own teardown
        except Exception:  # a dead kernel may fail to shut down cleanly
            pass
        for proc in procs:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        sandbox.kill_strays(self.uid)


def _created(proc):
    """A process's start time (processes that vanished sort last)."""
    try:
        return proc.create_time()
    except psutil.Error:
        return float("inf")


def passes(cell):
    """nbgrader's verdict on an executed test cell: no error output and
    nothing on stderr (nbgrader.utils.determine_grade)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error" or (
                out.get("output_type") == "stream" and
                out.get("name") == "stderr"):
            return False
    return True


def _pop_tamper(cell):
    """Remove the guard's tamper reports from a cell; return them."""
    found, kept = [], []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if TAMPER_MIME in data:
            found += json.loads(data[TAMPER_MIME])
        else:
            kept.append(out)
    cell["outputs"] = kept
    return found


class Runner:
    """Execute a notebook's cells with restarts, replay and limits."""

    def __init__(self, nb, isolation, limits, workdir):
        self.nb = nb
        self.isolation = isolation
        self.limits = limits
        self.workdir = Path(workdir)
        self.log = RunLog(isolation=isolation)
        self.deadline = time.monotonic() + limits.notebook_timeout
        self.budget = limits.output_bytes_per_notebook
        self.uid = sandbox.sandbox_uid()
        # The grader's folder (root-owned as root): the kernel only
        # writes its run folder inside (sandbox.fresh_run_dir).
        self.ipcdir = sandbox.ipc_folder()
        # autograder.trusted.verdicts.TrustedTests, when the worker
        # re-checks verdicts in the grader's process.
        self.trusted = None
        self._give(self.workdir)

    def _give(self, path):
        """Make ``path`` (recursively) belong to the sandbox uid."""
        if self.uid is None:
            return
        os.chown(path, self.uid, self.uid)
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), self.uid, self.uid)

    def _left(self):
        return self.deadline - time.monotonic()

    def _start(self):
        sandbox.fresh_run_dir(self.ipcdir, self.uid)
        if self.trusted is not None:
            self.trusted.prepare(self.ipcdir)
        sandbox.seed_matplotlib(self.ipcdir, self.uid)
        return Kernel(self.nb, self.isolation, self.limits, self.workdir,
                      self.ipcdir, self.uid)

    def _timeout(self):
        return min(self.limits.cell_timeout, self._left())

    def _exec(self, kernel, index):
        """Run cell ``index``; return 'ok', 'timeout' or 'died'.

        A graded test cell runs in the student's kernel as nbgrader runs
        it; when the grader re-checks verdicts (``trusted``), a cell
        that passed there runs again in the grader's process, whose
        verdict replaces the kernel's where the two disagree."""
        cell = self.nb.cells[index]
        test = is_test_cell(cell)
        status = self._in_kernel(kernel, index, test)
        if test and self.trusted is not None and status == "ok":
            status = self._recheck(kernel, index)
        used, cut = cap_outputs(cell, self.limits.output_bytes_per_cell,
                                self.budget)
        self.budget -= used
        if cut:
            self.log.truncated.append(index)
        return status

    def _in_kernel(self, kernel, index, test):
        cell = self.nb.cells[index]
        sent = copy.copy(cell)
        if test:
            sent["source"] = GUARD + cell.source
        try:
            kernel.run(sent, index, self._timeout())
            status = "ok"
        except CellTimeoutError:
            status = "timeout"
        except DeadKernelError:
            status = "died"
        # nbclient stores the cell it ran back into the notebook.
        self.nb.cells[index] = cell
        cell["outputs"] = sent.get("outputs", [])
        if "execution_count" in sent:
            cell["execution_count"] = sent["execution_count"]
        if test:
            self.log.tamper += _pop_tamper(cell)
        return status

    def _recheck(self, kernel, index):
        cell = self.nb.cells[index]
        passed = passes(cell)
        found = self.trusted.run_cell(self, kernel, index, recheck=passed)
        if found.status != "ok":
            return found.status
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", index)
        if passed and found.verdict == "unreproducible" and (
                self.trusted.suspect or found.tampered):
            # A notebook that changes the kernel gets no benefit of the
            # doubt: the kernel's verdict may be the one it forged.
            found.verdict = "fail"
            found.reason = (f"the grader could not re-check this cell "
                            f"({found.reason}) and the notebook changes "
                            f"the kernel, so its verdict there does not "
                            f"count")
            found.outputs.append(error_output("NotRechecked",
                                              found.reason))
        if passed and found.verdict == "unreproducible":
            self.log.in_kernel.append((grade_id, found.reason))
        elif passed and found.verdict == "fail":
            self.log.mismatches.append((grade_id, found.reason))
            cell["outputs"] = found.outputs
        return "ok"

    def _replay(self, kernel, done):
        """Re-run cells that succeeded earlier; False if that fails."""
        for index in done:
            if is_test_cell(self.nb.cells[index]):
                continue
            cell = self.nb.cells[index]
            try:
                kernel.run(copy.deepcopy(cell), index, self._timeout())
            except (CellTimeoutError, DeadKernelError):
                return False
            finally:
                self.nb.cells[index] = cell
        return True

    def _fail(self, index, status):
        cell = self.nb.cells[index]
        if status == "timeout":
            self.log.timeouts.append(index)
            why = (f"the cell did not finish within "
                   f"{self.limits.cell_timeout:g} s (or the notebook's "
                   f"{self.limits.notebook_timeout:g} s); it was stopped")
            cell.setdefault("outputs", []).append(
                error_output("AutograderTimeout", why))
        elif status == "forked":
            self.log.forked.append(index)
            cell.setdefault("outputs", []).append(error_output(
                "TooManyProcesses", "the cell left processes running; "
                "they were killed and the kernel was restarted"))
        else:
            self.log.deaths.append(index)
            cell.setdefault("outputs", []).append(error_output(
                "KernelDied", "the kernel died while running this cell "
                "(crash, os._exit or a resource limit)"))

    def _skip(self, indices, why):
        for index in indices:
            self.log.not_run.append(index)
            self.nb.cells[index]["outputs"] = [
                error_output("NotRun", why)]

    def run(self):
        """Execute every code cell; return the RunLog."""
        start = time.monotonic()
        code = [i for i, c in enumerate(self.nb.cells)
                if c.cell_type == "code" and c.source.strip()]
        for i in code:
            self.nb.cells[i]["outputs"] = []
        done, pos, restarts = [], 0, 0
        kernel = None
        try:
            while pos < len(code):
                if kernel is None:
                    kernel = self._start()
                    if not self._replay(kernel, done):
                        self._skip(code[pos:], "the kernel could not be "
                                   "rebuilt after an earlier failure")
                        break
                if self._left() <= 0:
                    self._skip(code[pos:], "the notebook ran out of time")
                    break
                index = code[pos]
                status = self._exec(kernel, index)
                refused, sized = kernel.misbehaviour()
                refused += [f"the kernel sent {why}; it was refused"
                            for why in proxy.take_refused()]
                if is_test_cell(self.nb.cells[index]):
                    refused += sized  # nothing of a test's is that large
                    sized = []
                    if refused and status == "ok":
                        status = "died"  # its verdict cannot be trusted
                self.log.refused += [r for r in refused
                                     if r not in self.log.refused]
                self.log.dropped += [r for r in sized
                                     if r not in self.log.dropped]
                if sized:  # the cell's output was cut, as by the cap
                    self.log.truncated.append(index)
                    self.nb.cells[index].setdefault("outputs", []).append(
                        new_output("stream", name="stdout", text=(
                            "\n[autograder: an output over "
                            f"{kernelmanager.MAX_MESSAGE_BYTES // 2**20} "
                            "MiB was cut]\n")))
                killed = kernel.kill_strays()
                self.log.strays += killed
                if status == "ok" and killed > STRAYS_BEFORE_RESTART:
                    status = "forked"  # zombies would use up the limit
                pos += 1
                if status == "ok":
                    done.append(index)
                    continue
                self._fail(index, status)
                kernel.close()
                kernel = None
                restarts += 1
                if restarts > self.limits.max_restarts:
                    self._skip(code[pos:], "too many kernel restarts")
                    break
        finally:
            if kernel is not None:
                kernel.close()
            shutil.rmtree(self.ipcdir, ignore_errors=True)
        self.log.seconds = time.monotonic() - start
        return self.log
