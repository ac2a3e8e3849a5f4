"""Graded test cells re-checked in the grader's own process.

Every graded test cell first runs in the student's sandboxed kernel,
exactly as nbgrader runs it (autograder.grading.execute): that run gives the
verdict nbgrader would give.  When it passes, the cell runs again here,
in the grader's worker process, in a namespace built from the
instructor's setup cells (taken from solutions/, never from the
submission), with the grader's own ``course_utils``, NumPy and random
generators.  The names in a test cell that are not defined here are
looked up in the student's kernel: a function becomes a ``Proxy`` whose
calls send plain data there and get plain data back (autograder.protocol),
a value is copied back as plain data.

The outcome of that second run is one of:

* ``pass``: the kernel's verdict stands;
* ``fail``: the cell passed in the student's kernel but fails here,
  where nothing the student's code did to its own interpreter (hooks,
  patched helpers, lying objects, threads rebinding names) can reach
  the check.  This verdict replaces the kernel's, and the cell is
  flagged for the instructor;
* ``unreproducible``: the cell does something that cannot be redone
  outside the student's process without changing its meaning (it
  patches a library, runs a magic, meets a value that is not plain
  data, a module imported in the notebook that the grader has not
  loaded, a file the answer wrote).  The kernel's verdict stands, as
  with nbgrader, and the report says so.

Hook points: ``execute.Runner`` calls ``TrustedTests.run_cell`` after a
test cell ran in the kernel, and ``TrustedTests.prepare`` before each
kernel start.
"""
import ast
import builtins
import contextlib
import dataclasses
import io
import json
import os
import shutil
import sys
import time
import traceback
import uuid

import numpy as np
from IPython.core.inputtransformer2 import TransformerManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output

from autograder import protocol as proxy
from autograder.course.notebooks import (dotted_name, import_aliases,
                                         source_text)

class KernelLost(BaseException):
    """The student's kernel timed out or died during a test cell."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class StudentError(Exception):
    """An error raised by the student's code of a type not built in."""


class Unreproducible(Exception):
    """The cell cannot be redone outside the student's process."""


def _has_opaque(value, depth=0):
    """Does a decoded value hold an ``Opaque`` stand-in?"""
    if isinstance(value, proxy.Opaque):
        return True
    if depth > 20:
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_opaque(x, depth + 1) for x in value)
    if isinstance(value, dict):
        return any(_has_opaque(x, depth + 1) for x in value.values())
    return False


def _student_exception(reply):
    """The exception to raise in the test for the student's error."""
    ename = str(reply.get("ename", "Exception"))[:200]
    evalue = str(reply.get("evalue", ""))
    exc = None
    bases = reply.get("bases")
    for name in [ename] + (bases if isinstance(bases, list) else []):
        cls = getattr(builtins, str(name), None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            try:
                # The student's own subclass stays one of the built-in
                # class it extends: `except ValueError` catches it.
                made = cls if cls.__name__ == ename else type(
                    ename, (cls,), {"__module__": "__main__"})
                exc = made(evalue)
                break
            except Exception:  # a class that wants other arguments
                continue
    if exc is None:
        exc = StudentError(f"{ename}: {evalue}")
    exc._student_traceback = [str(x) for x in reply.get("traceback", [])]
    return exc


def _write_back(original, after):
    """Copy the student's in-place changes into the test's own value."""
    try:
        if isinstance(original, np.random.Generator) and isinstance(
                after, np.random.Generator):
            if type(original.bit_generator) is type(after.bit_generator):
                original.bit_generator.state = after.bit_generator.state
        elif proxy.course_class_name(type(original)) is not None and \
                type(after) is type(original):
            original.__dict__.update(after.__dict__)
        elif isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
            if original.shape == after.shape and original.flags.writeable \
                    and not np.array_equal(original, after, equal_nan=(
                        original.dtype.kind in "fc" and
                        after.dtype.kind in "fc")):
                np.copyto(original, after, casting="unsafe")
        elif isinstance(original, list) and isinstance(after, list):
            if len(original) == len(after):
                for i, (a, b) in enumerate(zip(original, after)):
                    if isinstance(a, (np.ndarray, list, dict)):
                        _write_back(a, b)
                    elif not _same(a, b):
                        original[i] = b
            else:
                original[:] = after
        elif isinstance(original, dict) and isinstance(after, dict):
            for key in list(original):
                if key not in after:
                    del original[key]
            for key, value in after.items():
                if key in original and isinstance(
                        original[key], (np.ndarray, list, dict)):
                    _write_back(original[key], value)
                elif key not in original or not _same(original[key], value):
                    original[key] = value
    except Exception:  # an odd value: leave the test's copy alone
        pass


def _same(a, b):
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


_MISSING = object()


class Proxy:
    """A student's function, called in the student's kernel."""

    def __init__(self, channel, target, name, params=None):
        self._channel = channel
        self._target = target
        self.__name__ = name
        self.__qualname__ = name
        self.__module__ = "__main__"
        sig = proxy.make_signature(params)
        if sig is not None:
            self.__signature__ = sig

    def __repr__(self):
        return f"<your function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        return self._channel.call(self, args, kwargs)

    def __getattr__(self, name):
        # Attributes of a student object (``model.W``, ``model.forward``)
        # are read in the student's kernel; dunder and private names are
        # not (NumPy probes ``__array__`` and friends).
        if name.startswith("_"):
            raise AttributeError(name)
        reply = self._channel.request("getattr", target=self._target,
                                      name=name)
        if not reply.get("ok"):
            raise _student_exception(reply)
        return self._channel.decoded(reply.get("result"))


class Channel:
    """Requests to the student's kernel through the Runner's client."""

    def __init__(self, runner, kernel, index, budget):
        self.runner = runner
        self.kernel = kernel
        self.index = index
        # Seconds the student's code may run in this cell's requests:
        # the grader's own work between them (imports, references) is
        # not charged to the student.
        self.budget = budget
        self.outputs = []
        self.tamper = []
        self.calls = 0
        # Set when a value that is not plain data reached the test.
        self.opaque = False
        # What one request may print (the cell's cap applies after).
        self.output_limit = int(runner.limits.output_bytes_per_cell)

    # Set by TrustedTests.run_cell: the test's namespace, and what it held
    # before the cell ran.
    ns = None
    base = None

    def overrides(self):
        """{name: $ref} of course_utils functions the test has put in its
        namespace under a name since the cell began (``with
        mlp.correct_helpers(globals()):`` swaps the student's helpers for
        correct ones).  The student's kernel binds the same names to its
        own course_utils functions for the call, where the student's
        namespace has them, so the answer runs with the correct helpers
        as the test intends."""
        out = {}
        if self.ns is None:
            return out
        for name, value in self.ns.items():
            if isinstance(value, Proxy) or not callable(value) or \
                    (self.base or {}).get(name, _MISSING) is value:
                continue
            dotted = proxy.dotted_name(value)
            if dotted and dotted.startswith("course_utils.") and \
                    dotted.rpartition(".")[2] == name:
                out[name] = {"$ref": dotted}
        return out

    def refs(self, obj):
        if isinstance(obj, Proxy):
            return obj._target
        return None

    def request(self, op, guard=False, **fields):
        """Send one request; return the reply dict (plain JSON).

        The request is a message of its own type to the student's kernel
        (autograder.kernel), answered there by autograder.kernel.studentside;
        what the call prints comes back as text.  ``guard``: the kernel
        first restores its clean state and reports what it found."""
        nonce = uuid.uuid4().hex
        fields.update(op=op, nonce=nonce)
        left = min(self.budget, self.runner._left())
        if left <= 0:
            raise KernelLost("timeout")
        start = time.monotonic()
        content = {"request": json.dumps(fields), "guard": bool(guard),
                   "output_limit": self.output_limit}
        try:
            # The first (guarded) request of a cell is a shell message;
            # the kernel serves the cell's other requests on a socket of
            # their own until ``end``.
            if guard:
                got = self.kernel.request(content, left)
            else:
                got = self.kernel.serve_request(content, left)
        except CellTimeoutError:
            raise KernelLost("timeout") from None
        except DeadKernelError:
            raise KernelLost("died") from None
        finally:
            self.budget -= time.monotonic() - start
        self.calls += 1
        tamper = got.get("tamper")
        if isinstance(tamper, list):
            self.tamper += [str(t)[:500] for t in tamper]
        for name in ("stdout", "stderr"):
            text = got.get(name)
            if isinstance(text, str) and text:
                _Stream(self.outputs, name).write(text[:self.output_limit])
        reply = None
        try:
            parsed = json.loads(str(got.get("reply", "")))
        except (TypeError, ValueError):
            parsed = None
        if isinstance(parsed, dict) and (parsed.get("nonce") == nonce or
                                         set(parsed) == {"error"}):
            reply = parsed  # an answer, or the kernel's own failure
        if reply is None or "error" in reply:
            why = (reply or {}).get("error", "no answer came back")
            raise StudentError(
                f"your notebook's kernel could not run the test's call "
                f"({str(why)[:300]}); did your code change the kernel?")
        return reply

    def end(self):
        """End the cell's requests (see Kernel.serve_request)."""
        try:
            self.kernel.end_requests(max(1.0, self.runner._left()))
        except CellTimeoutError:
            raise KernelLost("timeout") from None
        except DeadKernelError:
            raise KernelLost("died") from None

    def decoded(self, data):
        """A value from the kernel, noting stand-ins for non-plain data."""
        try:
            value = _decode_handles(data, self)
        except proxy.EncodeError as err:
            raise Unreproducible(f"a value from the notebook cannot be "
                                 f"read by the grader ({err})") from None
        if _has_opaque(value):
            self.opaque = True
        return value

    def call(self, func, args, kwargs):
        try:
            sent_args = proxy.encode(list(args), self.refs)
            sent_kwargs = proxy.encode(dict(kwargs), self.refs)
        except proxy.EncodeError as err:
            raise Unreproducible(f"the test passes {func.__name__} a value "
                                 f"that is not plain data ({err})") from None
        reply = self.request("call", target=func._target, args=sent_args,
                             kwargs=sent_kwargs, names=self.overrides())
        if not reply.get("ok"):
            raise _student_exception(reply)
        after = self.decoded(reply.get("args"))
        after_kw = self.decoded(reply.get("kwargs"))
        if isinstance(after, list) and len(after) == len(args):
            for original, value in zip(args, after):
                _write_back(original, value)
        if isinstance(after_kw, dict):
            for key, original in kwargs.items():
                if key in after_kw:
                    _write_back(original, after_kw[key])
        return self.decoded(reply.get("result"))


def _decode_handles(data, channel):
    info = {}

    def build(tag, payload):
        if tag == "$handle":
            name, sig = info.get(str(payload), ("function", None))
            return Proxy(channel, {"$handle": str(payload)}, name, sig)
        raise proxy.EncodeError(f"unexpected {tag}")

    return proxy.decode(_pre(data, info), build)


def _pre(data, info):
    """Turn handle descriptions into one-key tags ``decode`` accepts."""
    if isinstance(data, dict) and "$handle" in data and \
            set(data) <= {"$handle", "name", "sig"}:
        key = str(data["$handle"])
        info[key] = (str(data.get("name", "function")), data.get("sig"))
        return {"$handle": key}
    if isinstance(data, list):
        return [_pre(x, info) for x in data]
    if isinstance(data, dict) and len(data) == 1:
        (tag, payload), = data.items()
        if tag == "$t" and isinstance(payload, list):
            return {"$t": [_pre(x, info) for x in payload]}
        if tag == "$d" and isinstance(payload, list):
            return {"$d": [[_pre(k, info), _pre(v, info)]
                           for k, v in payload]}
    return data


# ---------------------------------------------------------------------------
# delegation, decided here from what the student's kernel reports
# ---------------------------------------------------------------------------
def _forbidden_names(specs):
    names = []
    for spec in specs:
        if isinstance(spec, str):
            names.append(spec)
            continue
        name = proxy.dotted_name(spec)
        if name is None:
            module = getattr(spec, "__module__", None)
            qual = getattr(spec, "__qualname__", None)
            if module and qual:
                name = f"{module}.{qual}"
        if name:
            names.append(name)
    return names


def _fail(message):
    raise AssertionError(message) from None


LOOKUPS = {"getattr", "vars", "__dict__", "globals", "eval", "exec",
           "import_module", "__import__", "__getattribute__", "locals"}


def check_delegation(original, func, *forbidden):
    """assert_not_delegating for a proxy: the check runs where the code
    lives (the student's kernel), and this process adds stricter rules
    on the description that comes back: the answer must be a function
    written in the notebook (not an alias or a bound copy of a library
    function), and it must not look up course_utils functions by a
    computed name."""
    if not isinstance(func, Proxy):
        return original(func, *forbidden)
    names = _forbidden_names(forbidden)
    reply = func._channel.request("delegation", target=func._target,
                                  forbidden=names)
    info = reply.get("info") or {}
    fname = func.__name__
    if info.get("message"):
        _fail(str(info["message"])[:2000])
    if not info.get("function"):
        _fail(f"{fname} is not a function written in your notebook. "
              f"Write it with `def {fname}(...)` and compute the result "
              f"yourself.")
    module = info.get("module")
    file = str(info.get("file", ""))
    # A notebook cell's code lives in ipykernel's cell files; code made
    # by exec() ("<string>") or another module is not the student's.
    if module not in ("__main__", None) or not (
            "ipykernel_" in file or file.startswith("<ipython-input")):
        _fail(f"{fname} is another module's function ({module}), not "
              f"one written in your notebook. The point of this exercise "
              f"is to compute the result yourself.")
    used = set(info.get("names", [])) | set(info.get("strings", []))
    modules = [m for m in info.get("modules", [])
               if m.startswith("course_utils")]
    if modules and used & LOOKUPS:
        _fail(f"{fname} looks up functions of {modules[0]} by name. The "
              f"point of this exercise is to compute the result yourself "
              f"with NumPy arithmetic.")
    for name in names:
        short = name.rpartition(".")[2]
        if short in info.get("strings", []) and modules:
            _fail(f"{fname} refers to {name} by name. The point of this "
                  f"exercise is to compute the result yourself.")


# ---------------------------------------------------------------------------
# the trusted namespace and the cells it runs
# ---------------------------------------------------------------------------
class _FakeShell:
    """Enough of get_ipython() for setup cells (magics are ignored)."""

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []


_PYTHON = {}


def to_python(source):
    """IPython syntax (magics) turned into plain Python (memoised: the
    same test cells come with every submission)."""
    if source not in _PYTHON:
        _PYTHON[source] = TransformerManager().transform_cell(source)
    return _PYTHON[source]


def _loaded_names(tree):
    """Every name the cell reads.  A name the cell also assigns is read
    from the student's kernel too, as nbgrader would see it there (the
    cell may read it before it assigns it, or only on some paths)."""
    loads = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads.add(node.id)
    return loads


# What a test cell may call that changes a library for the student's
# code too (it runs in the student's kernel under nbgrader).
PATCHING_CALLS = {"setattr", "delattr", "patch", "monkeypatch",
                  "patch.object", "mock.patch", "setitem"}


def unreproducible_reason(source, tree):
    """Why a test cell cannot be redone outside the student's kernel,
    or None.  Such a cell keeps the verdict it had in the kernel."""
    if "get_ipython()" in source:
        return "the test uses IPython magics or shell commands"
    local = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.ClassDef)):
            local.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute):
                root = target.value
                while isinstance(root, (ast.Attribute, ast.Subscript,
                                        ast.Call)):
                    root = getattr(root, "value", None) or root.func
                if isinstance(root, ast.Name) and root.id not in local:
                    return (f"the test changes {ast.unparse(target)}, "
                            f"which the student's code sees")
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name in PATCHING_CALLS or name.endswith(".patch") or \
                    name.endswith("patch.object"):
                return f"the test patches a library ({name})"
        if isinstance(node, ast.Global):
            return "the test declares global names"
    return None


_FORBIDDEN = {}


def forbidden_in(sources):
    """Dotted names of course_utils functions the tests forbid."""
    key = tuple(sources)
    if key not in _FORBIDDEN:
        _FORBIDDEN[key] = _forbidden_in(key)
    return list(_FORBIDDEN[key])


def _forbidden_in(sources):
    found = []
    for source in sources:
        try:
            tree = ast.parse(to_python(source))
        except SyntaxError:
            continue
        alias = import_aliases(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(
                    node.func, "id", getattr(node.func, "attr", None)) ==
                    "assert_not_delegating"):
                continue
            for arg in node.args[1:]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value,
                                                                str):
                    found.append(arg.value)
                    continue
                dotted = dotted_name(arg, alias)
                if dotted:
                    found.append(dotted)
    return sorted({f for f in found if f.startswith("course_utils.")})


# Standard-library modules whose import does more than define names
# (opens a browser, prints, starts a GUI or a command line).
STDLIB_WITH_EFFECTS = {"antigravity", "this", "idlelib", "turtle",
                       "turtledemo", "tkinter", "webbrowser", "pydoc",
                       "pdb", "code", "test", "lib2to3", "ensurepip",
                       "venv", "unittest", "doctest", "site", "sitecustomize",
                       "usercustomize"}


class TrustedTests:
    """The grader-side namespace where one notebook's tests run."""

    def __init__(self, setup_sources, test_sources=(), files=()):
        self.setup_sources = list(setup_sources)
        # The assignment's declared files [(source, relative name)]: the
        # tests run in a grader-owned copy of them (a data file a test
        # reads is the instructor's, never the one in the student's
        # writable working copy).
        self.files = list(files)
        self.folder = None
        self.forbidden = forbidden_in(list(test_sources) +
                                      self.setup_sources)
        # Modules the instructor's own cells import: the only ones this
        # process may import when a notebook's name refers to one.
        self.modules = _imported_modules(list(test_sources) +
                                         self.setup_sources)
        self.ns = None
        self.setup_error = None
        self.cells = 0
        # Set by the worker when the static scans found tampering.
        self.suspect = False

    # -- set-up ----------------------------------------------------------
    def prepare(self, ipcdir):
        """Before a kernel starts: tell it which kernels to stub."""
        # The folder belongs to the sandbox's uid: never follow what a
        # student may have put there; the file stays the grader's (0644).
        path = os.path.join(str(ipcdir), "forbidden.json")
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                     os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.forbidden, fh)

    def _folder(self):
        """The grader's own working folder for the tests (made once)."""
        if self.folder is None:
            import tempfile
            from pathlib import Path
            self.folder = tempfile.mkdtemp(prefix="ag-trusted-")
            for src, rel in self.files:
                target = Path(self.folder) / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
        return self.folder

    @contextlib.contextmanager
    def _in_folder(self):
        previous = os.getcwd()
        os.chdir(self._folder())
        try:
            yield
        finally:
            os.chdir(previous)

    def close(self):
        """Remove the tests' working folder."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _namespace(self, nb):
        if self.ns is not None:
            return self.ns
        with self._in_folder():
            return self._build_namespace(nb)

    def _build_namespace(self, nb):
        """Run the setup cells the submission has as the instructor wrote
        them; a setup cell the student changed (an unlocked one) is not
        run here: its names come from the student's kernel, as nbgrader
        would see them."""
        present = {source_text(c) for c in nb.cells if c.cell_type == "code"}
        os.environ.setdefault("MPLBACKEND", "Agg")
        ns = {"__name__": "__main__", "__builtins__": builtins,
              "get_ipython": _FakeShell}
        shell = _FakeShell()
        ns["get_ipython"] = lambda: shell
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            for i, source in enumerate(self.setup_sources):
                if source not in present:
                    continue
                try:
                    code = compile(to_python(source), f"<setup cell {i}>",
                                   "exec")
                    exec(code, ns)
                except Exception:  # reported on every test cell
                    self.setup_error = traceback.format_exc(limit=3)
        self.ns = ns
        return ns

    def _module(self, name):
        """The grader's own copy of a module the notebook refers to: one
        this process has loaded, one the instructor's cells import, or a
        standard-library module whose import only defines names.  Any
        other module the student named is never imported here (importing
        runs its code in the grader)."""
        import importlib
        if not isinstance(name, str) or "__main__" in name:
            return None
        if name in sys.modules:
            return sys.modules[name]
        top = name.partition(".")[0]
        if name in self.modules or (top in sys.stdlib_module_names and
                                    top not in STDLIB_WITH_EFFECTS and
                                    not top.startswith("_")):
            try:
                return importlib.import_module(name)
            except Exception:  # not importable by the grader
                return None
        return None

    # -- one test cell -------------------------------------------------------
    def run_cell(self, runner, kernel, index, recheck=True):
        """Re-run test cell ``index`` here, after it ran in the kernel.

        Returns a ``Recheck``.  With ``recheck`` False (the cell already
        failed in the kernel) only the kernel's state check runs: its
        findings are tamper flags."""
        cell = runner.nb.cells[index]
        self.cells += 1
        source = to_python(source_text(cell))
        filename = f"<test cell {index}>"
        channel = Channel(runner, kernel, index,
                          max(1.0, float(runner.limits.cell_timeout)))
        result = Recheck(outputs=channel.outputs)
        bound = {}
        ns = None
        try:
            try:
                tree = ast.parse(source)
            except SyntaxError:
                tree = None
            why = None
            if tree is None:
                why = "the test is not plain Python"
            elif recheck:
                why = unreproducible_reason(source, tree)
            if why is None and recheck:
                ns = self._namespace(runner.nb)
                if self.setup_error:
                    why = "the instructor's setup cells failed in the grader"
            wanted = []
            if why is None and recheck:
                wanted = sorted(n for n in _loaded_names(tree)
                                if n not in ns and not hasattr(builtins, n))
            # Always one request (guarded): it runs the kernel's state
            # check, whose findings are tamper flags.
            reply = channel.request("describe", guard=True, names=wanted)
            if why is not None or not recheck:
                result.verdict, result.reason = "unreproducible", why
                return result
            proxy.register_source(filename, source)
            channel.ns, channel.base = ns, dict(ns)
            for name, info in (reply.get("names") or {}).items():
                if name not in wanted or not isinstance(info, dict):
                    continue
                kind = info.get("kind")
                if kind == "callable":
                    ns[name] = Proxy(channel, {"$student": name}, name,
                                     info.get("sig"))
                elif kind == "value":
                    ns[name] = channel.decoded(info.get("value"))
                elif kind == "module":
                    module = self._module(info.get("name"))
                    if module is None:
                        raise Unreproducible(
                            f"the test uses the module {name}, imported "
                            f"in the notebook, which the grader does not "
                            f"load itself")
                    ns[name] = module
                else:
                    continue
                bound[name] = ns[name]
            code = compile(tree, filename, "exec")
            out = _Stream(channel.outputs, "stdout")
            err = _Stream(channel.outputs, "stderr")
            with contextlib.redirect_stdout(out), \
                    contextlib.redirect_stderr(err), _patched_checks(ns), \
                    self._in_folder():
                exec(code, ns)
            out.flush()
            err.flush()
            result.verdict = "pass"
        except KernelLost as lost:
            result.status = lost.status
        except Unreproducible as exc:
            result.verdict, result.reason = "unreproducible", str(exc)
        except Exception as exc:  # the test failed here
            why = _unreproducible_error(exc, channel, tree)
            if why is not None:
                result.verdict, result.reason = "unreproducible", why
            else:
                result.verdict = "fail"
                result.reason = _first_line(exc)
                channel.outputs.append(_error_output(exc, filename))
        finally:
            try:
                channel.end()
            except KernelLost as lost:
                result.status = lost.status
            for name, value in bound.items():
                if ns.get(name, _MISSING) is value:
                    ns.pop(name, None)
            runner.log.tamper += channel.tamper
            result.tampered = bool(channel.tamper)
        return result


@dataclasses.dataclass
class Recheck:
    """What re-running a test cell in the grader found."""

    outputs: list
    status: str = "ok"          # or "timeout", "died" (the kernel's)
    verdict: str = "unreproducible"   # "pass", "fail"
    reason: str = None
    tampered: bool = False      # the kernel's state check found changes


def _imported_modules(sources):
    """Dotted names (and their parents) of the modules ``sources``
    import."""
    found = set()
    for source in sources:
        try:
            tree = ast.parse(to_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and \
                    not node.level:
                names = [node.module] + [f"{node.module}.{a.name}"
                                         for a in node.names]
            for name in names:
                parts = name.split(".")
                found.update(".".join(parts[:i + 1])
                             for i in range(len(parts)))
    return found


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


# Names an IPython kernel provides that a plain namespace lacks.
IPYTHON_NAMES = {"display", "In", "Out", "exit", "quit", "get_ipython"}


def _assigned_names(tree):
    """Names a cell binds anywhere (assignments, loops, imports, defs,
    arguments, ``except ... as``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx,
                                                         ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                               ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0]
                      for a in node.names}
    return names


def _unreproducible_error(exc, channel, tree):
    """Why an error in the re-run is the grader's, not the answer's."""
    if isinstance(exc, NameError):
        # The cell passed in the kernel, so a name it never binds itself
        # was there; gone now, the notebook removed it between the runs.
        name = getattr(exc, "name", None)
        if tree is not None and name and not name.startswith("_") and \
                name not in IPYTHON_NAMES and \
                name not in _assigned_names(tree):
            return None
        return f"a name the test uses is not known to the grader ({exc})"
    if isinstance(exc, proxy.EncodeError):
        return f"a value cannot cross to the grader ({exc})"
    if isinstance(exc, OSError):
        return f"the test reads a file of the student's working folder " \
               f"({type(exc).__name__})"
    if channel.opaque and getattr(exc, "_student_traceback", None) is None:
        return "a value the test checks is not plain data (it was " \
               "checked in the student's kernel)"
    return None


class _Stream(io.TextIOBase):
    """stdout/stderr of a test cell, as nbformat stream outputs."""

    def __init__(self, outputs, name):
        self.outputs = outputs
        self.name = name

    def write(self, text):
        if not text:
            return 0
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.get("output_type") == "stream" and \
                last.get("name") == self.name:
            last["text"] += text
        else:
            self.outputs.append(new_output("stream", name=self.name,
                                           text=text))
        return len(text)


@contextlib.contextmanager
def _patched_checks(ns):
    """assert_not_delegating understands proxies while a test runs."""
    import course_utils.checks as checks
    original = checks.assert_not_delegating

    def patched(func, *forbidden):
        return check_delegation(original, func, *forbidden)
    patched.__doc__ = original.__doc__
    patched.__name__ = "assert_not_delegating"
    names = [k for k, v in ns.items() if v is original]
    # The package's own helpers call it too (a network's check calls it
    # on each layer): every module of course_utils.checks gets the patch.
    modules = [m for n, m in list(sys.modules.items())
               if (n == "course_utils.checks" or
                   n.startswith("course_utils.checks.")) and
               getattr(m, "assert_not_delegating", None) is original]
    for module in modules:
        module.assert_not_delegating = patched
    for name in names:
        ns[name] = patched
    try:
        yield
    finally:
        for module in modules:
            module.assert_not_delegating = original
        for name in names:
            if ns.get(name) is patched:
                ns[name] = original


def _error_output(exc, filename):
    """An nbformat error output for a failed test, as IPython shows it."""
    render = getattr(exc, "_render_traceback_", None)
    if callable(render):
        try:
            lines = [str(x) for x in render()]
            return new_output("error", ename=type(exc).__name__,
                              evalue=str(exc), traceback=lines)
        except Exception:
            pass
    lines = []
    tb = exc.__traceback__
    frames = [f for f in traceback.extract_tb(tb)
              if f.filename == filename]
    if frames:
        lines.append("Traceback (most recent call last):")
        lines += [x.rstrip("\n") for x in traceback.format_list(frames)]
    student = list(getattr(exc, "_student_traceback", []))
    if student:  # the student's own traceback ends with the error line
        lines += [x for x in student
                  if x != "Traceback (most recent call last):"]
    else:
        lines.append(f"{type(exc).__name__}: {exc}")
    return new_output("error", ename=type(exc).__name__, evalue=str(exc),
                      traceback=lines)
