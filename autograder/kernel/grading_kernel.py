"""The grading kernel: ipykernel that restores a clean state for tests.

Started inside the sandbox as ``python -m autograder.kernel -f CONN``
(autograder/kernel/__main__.py).
A cell whose code starts with ``GUARD`` is a graded test cell (it runs
here as under nbgrader, and the grader re-checks its verdict in its own
process: autograder.trusted.verdicts): before it runs, the kernel undoes what student code may have done to bend test
verdicts (IPython input and AST transformers, custom exception
handlers, event callbacks, display and exception hooks, monkeypatched
attributes of numpy, math, builtins, the course package and its check
helpers) and reports each repair as a ``TAMPER_MIME`` display so that
the grader can flag the submission.  Student code could still patch
this class itself; the grader's static scan (autograder.trusted.scan) covers
that path.

For the grader's re-run of a test cell, the kernel answers its
``autograder_request`` messages (call this function, describe these
names) through autograder.kernel.studentside, and the first request of each
test cell does the same clean-up.
"""
import importlib
import json
import sys

from ipykernel.ipkernel import IPythonKernel  # noqa: E402
from ipykernel.kernelapp import IPKernelApp  # noqa: E402

from autograder.protocol import GUARD, REPLY, REQUEST, TAMPER_MIME  # noqa: E402
# The checks' modules are watched one by one: a helper that a test cell
# imported from course_utils.checks reads its globals in the module that
# defines it (checks.core._fail, checks.delegation's walk).
WATCHED_MODULES = ("builtins", "math", "numpy", "numpy.testing",
                   "numpy.linalg", "course_utils", "course_utils.checks",
                   "course_utils.checks.core",
                   "course_utils.checks.delegation",
                   "course_utils.checks.chapter02",
                   "course_utils.checks.chapter04")
SHELL_LISTS = ("ast_transformers", "input_transformers_post")
MANAGER_LISTS = ("cleanup_transforms", "line_transforms",
                 "token_transformers")


def _snapshot_modules():
    """Map module name -> {attribute: object} for the watched modules."""
    snap = {}
    for name in WATCHED_MODULES:
        try:
            module = importlib.import_module(name)
        except Exception:  # a missing optional module is fine
            continue
        snap[name] = dict(vars(module))
    return snap


def _restore_modules(snap, found):
    """Put back every replaced or deleted attribute of watched modules."""
    for name, attrs in snap.items():
        module = sys.modules.get(name)
        if module is None:
            continue
        current = vars(module)
        for attr, obj in attrs.items():
            if current.get(attr, _MISSING) is not obj:
                found.append(f"{name}.{attr} was replaced")
                setattr(module, attr, obj)


_MISSING = object()


def _from_student(func):
    """Was ``func`` defined in notebook code (not in a library)?"""
    func = getattr(func, "__func__", func)
    module = getattr(func, "__module__", None)
    return module in (None, "__main__", "builtins")


class GuardedKernel(IPythonKernel):
    """IPython kernel that cleans up before each graded test cell."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        from autograder.kernel import studentside  # stubs, safe path, watch
        self._watch = studentside.start(self)
        self._baseline = self._snapshot()
        self.shell_handlers[REQUEST] = self.autograder_request

    def _snapshot(self):
        """Record the pristine state that test cells must see."""
        shell = self.shell
        manager = shell.input_transformer_manager
        return {
            "modules": _snapshot_modules(),
            "shell": {k: list(getattr(shell, k)) for k in SHELL_LISTS},
            "manager": {k: list(getattr(manager, k))
                        for k in MANAGER_LISTS},
            "events": {k: list(v)
                       for k, v in shell.events.callbacks.items()},
            "excepthook": sys.excepthook,
            "displayhook": sys.displayhook,
            "custom_exceptions": shell.custom_exceptions,
            "shell_dict": set(vars(shell)),
        }

    def _restore(self):
        """Undo tampering; return a list of what had been changed."""
        base, shell, found = self._baseline, self.shell, []
        manager = shell.input_transformer_manager
        for key, value in base["shell"].items():
            if getattr(shell, key) != value:
                found.append(f"IPython {key} changed")
                setattr(shell, key, list(value))
        for key, value in base["manager"].items():
            if getattr(manager, key) != value:
                found.append(f"IPython input {key} changed")
                setattr(manager, key, list(value))
        for key, value in base["events"].items():
            current = shell.events.callbacks.get(key, [])
            added = [cb for cb in current if cb not in value]
            if any(_from_student(cb) for cb in added):
                found.append(f"IPython event {key} callback added")
            # Library callbacks (matplotlib's figure flush) may stay.
            shell.events.callbacks[key] = [
                cb for cb in current if not _from_student(cb)]
        if shell.custom_exceptions != base["custom_exceptions"]:
            found.append("custom exception handler installed")
            shell.set_custom_exc((), None)
        for name in ("excepthook", "displayhook"):
            if getattr(sys, name) is not base[name]:
                found.append(f"sys.{name} replaced")
                setattr(sys, name, base[name])
        for attr in set(vars(shell)) - base["shell_dict"]:
            if attr in ("showtraceback", "run_cell", "run_ast_nodes",
                        "run_code", "showsyntaxerror", "transform_cell"):
                found.append(f"IPython shell.{attr} replaced")
                delattr(shell, attr)
        _restore_modules(base["modules"], found)
        found += self._watch.check()
        return found

    async def do_execute(self, code, *args, **kwargs):
        """Run ``code``; clean up first when it is a graded test cell."""
        self._watch.first_cell()  # the baseline, just before any cell
        if not code.startswith(GUARD):
            return await super().do_execute(code, *args, **kwargs)
        code = code[len(GUARD):]
        found = self._restore()
        if found:
            self.session.send(
                self.iopub_socket, "display_data",
                {"data": {TAMPER_MIME: json.dumps(found),
                          "text/plain": "autograder: state restored"},
                 "metadata": {}},
                parent=self.get_parent("shell"),
                ident=self._topic("display_data"))
        from autograder.kernel import studentside
        # The instructor's test may use the reference kernels that the
        # student's code may not (the grader's re-run of the cell, with
        # the stubs in place, decides whether the answer used them).
        with studentside.references_available():
            reply = await super().do_execute(code, *args, **kwargs)
        # What a test cell changes in a library (``np.linalg.solve =
        # None`` to forbid it) is the instructor's: it stays, as under
        # nbgrader, and is not reported as the student's tampering.
        self._baseline["modules"] = _snapshot_modules()
        return reply

    async def autograder_request(self, stream, ident, parent):
        """Answer one request of the trusted grader (a call of the
        student's function, a description of names, a delegation check)
        with plain data, the prints it made and, for the first request
        of a test cell (``guard``), what had to be restored.  A request
        naming a ``serve`` address opens the rest of the cell's requests
        on a socket of their own (``_serve``); its reply comes when the
        grader ends them."""
        content = parent.get("content") or {}
        if isinstance(content, dict) and content.get("serve"):
            reply = self._serve(str(content["serve"]))
        else:
            reply = self._answer(content)
        self.session.send(stream, REPLY, reply, parent, ident=ident)

    def _answer(self, content):
        try:
            from autograder.kernel import studentside
            self._watch.first_cell()
            found = self._restore() if content.get("guard") else []
            reply = studentside.answer_captured(
                str(content.get("request", "")),
                int(content.get("output_limit", 1_000_000)))
            reply["tamper"] = found
        except BaseException as exc:  # always answer: the grader waits
            reply = {"reply": json.dumps(
                {"error": f"{type(exc).__name__}: {exc}"[:2000]})}
        return reply

    def _serve(self, address):
        """Answer requests on the grader's PAIR socket at ``address`` until
        the grader sends ``end``: one message each way per call, where
        a shell request costs the kernel's status messages and the
        shell's thread hops (a test cell may call a function thousands
        of times).  Each request is the content of an
        ``autograder_request`` message, as JSON; so is each reply."""
        import zmq
        sock = zmq.Context.instance().socket(zmq.PAIR)
        sock.linger = 0
        # The grader kills a kernel that overruns; these only keep a
        # kernel whose grader vanished from waiting for ever.
        sock.rcvtimeo = sock.sndtimeo = SERVE_IDLE_MS
        try:
            sock.connect(address)
            sock.send(b'"ready"')  # the grader sends nothing before this
            while True:
                try:
                    raw = sock.recv()
                except zmq.Again:
                    break
                if raw == b"end":
                    break
                try:
                    content = json.loads(raw)
                except ValueError:
                    content = None
                if not isinstance(content, dict):
                    content = {}
                sock.send(json.dumps(self._answer(content)).encode())
        except BaseException as exc:  # the grader waits for the reply
            return {"served": False,
                    "error": f"{type(exc).__name__}: {exc}"[:2000]}
        finally:
            sock.close()
        return {"served": True}


# How long a serving kernel waits for its grader's next request.
SERVE_IDLE_MS = 600_000


def main():
    """Start the kernel; parent polling is off (its pid is foreign).

    First, before IPython starts any thread, the files of the reference
    modules the tests forbid become unreadable to this process (see
    studentside.hide_references)."""
    from autograder.kernel import studentside
    studentside.hide_references()
    IPKernelApp.launch_instance(kernel_class=GuardedKernel,
                                parent_handle=0)

