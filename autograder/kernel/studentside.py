"""What the grading kernel does for the trusted grader (student side).

Imported by the sandboxed kernel (autograder.kernel).  Nothing here
decides a verdict: the grader asks the student's kernel to call the
student's functions with plain data (``serve``), and only ever reads
plain data back.  Student code may replace anything in this module; it
can then only spoil its own answers.

Also here:

* ``install_stubs``: the reference kernels that the notebook's tests
  forbid (``assert_not_delegating``) stop working in the student's
  kernel for the whole grading run: their code is swapped for a stub
  that raises "not available while grading", so an alias, a bound copy
  or a lookup by a computed name reaches the stub too;
* ``safe_path``: drop the working directory from ``sys.path``;
* ``Watch``: notice changes to messaging, display hooks, trace and
  profile functions, threads, signal handlers and ``__builtins__``.
"""
import builtins
import contextlib
import inspect
import io
import json
import os
import signal
import sys
import threading
import traceback
import types

from autograder import protocol as proxy

NOT_AVAILABLE = ("{name} is not available while grading: this exercise "
                 "asks you to compute it yourself")
_HANDLES = {}


# ---------------------------------------------------------------------------
# start-up
# ---------------------------------------------------------------------------
def ipc_dir():
    """The kernel's IPC directory (where its connection file lives)."""
    argv = sys.argv
    if "-f" in argv and argv.index("-f") + 1 < len(argv):
        return os.path.dirname(argv[argv.index("-f") + 1])
    return None


def safe_path():
    """Remove the working directory and '' from ``sys.path``."""
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path
                   if p not in ("", ".") and
                   os.path.abspath(p) != os.path.abspath(cwd)]


def _stub_code(name):
    text = (f"def _stub(*args, **kwargs):\n"
            f"    raise RuntimeError({NOT_AVAILABLE.format(name=name)!r})\n")
    glb = {}
    exec(compile(text, f"<not available: {name}>", "exec"), glb)
    return glb["_stub"].__code__


# Course functions that compute what a reference computes (a helper it
# is built on, a plotting helper doing the same arithmetic): stubbed with
# it, so that an exercise's answer cannot be had from them either.
SAME_RESULT = {
    "course_utils.derivatives.forward_difference": (
        "course_utils.derivatives.difference_errors",),
    "course_utils.derivatives.central_difference": (
        "course_utils.derivatives.difference_errors",),
    "course_utils.derivatives.numerical_gradient": (
        "course_utils.derivatives._perturbed_values",
        "course_utils.derivatives.numerical_jacobian",
        "course_utils.derivatives.gradient_check"),
    "course_utils.derivatives.numerical_jacobian": (
        "course_utils.derivatives._perturbed_values",
        "course_utils.derivatives.numerical_gradient"),
}


# Library functions that compute derivatives for the student.  When a
# notebook forbids a finite-difference reference, these are off limits
# too (the exercise text says so): while the grader's requests run they
# are stubbed where loaded, and their modules cannot be imported.
DERIVATIVE_REFERENCES = {
    "course_utils.derivatives." + n for n in (
        "forward_difference", "central_difference", "complex_step",
        "numerical_gradient", "numerical_jacobian",
        "directional_derivative")}
LIBRARY_DERIVATIVES = {
    "scipy.optimize": ("approx_fprime", "check_grad"),
    "scipy.optimize._numdiff": ("approx_derivative",),
    "scipy.optimize._optimize": ("approx_fprime", "_approx_fprime_helper",
                                 "check_grad"),
    "scipy.differentiate": ("derivative", "jacobian", "hessian"),
    "scipy.differentiate._differentiate": ("derivative", "jacobian",
                                           "hessian"),
    "scipy.misc": ("derivative",),
    "numdifftools": (),
}
_LIBRARY_BLOCKED = [False]
_LIBRARY_STUBBED = set()


def _stub_libraries():
    """Stub the library derivative helpers of the modules loaded now."""
    for module_name, names in LIBRARY_DERIVATIVES.items():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for name in names:
            func = getattr(getattr(module, name, None), "__func__", None) \
                or getattr(module, name, None)
            if isinstance(func, types.FunctionType) and \
                    id(func) not in _LIBRARY_STUBBED and \
                    not func.__code__.co_freevars:
                func.__code__ = _stub_code(f"{module_name}.{name}")
                _LIBRARY_STUBBED.add(id(func))


def _audit(event, args):
    """While a request is answered, a library that computes derivatives
    cannot be imported (an audit hook cannot be removed)."""
    if event != "import" or not _SERVING[0] or not _LIBRARY_BLOCKED[0]:
        return
    name = args[0] if args and isinstance(args[0], str) else ""
    for blocked in LIBRARY_DERIVATIVES:
        if name == blocked or name.startswith(blocked + "."):
            raise ImportError(f"{name} is not available while grading: "
                              "this exercise asks you to compute it "
                              "yourself")


def with_helpers(names):
    """``names`` and the course helpers that compute the same."""
    out = []
    for name in names:
        for dotted in (name,) + SAME_RESULT.get(name, ()):
            if dotted not in out:
                out.append(dotted)
    return out


def read_forbidden():
    """The dotted reference names the grader forbids (forbidden.json in
    the grader's IPC folder), helpers included."""
    folder = ipc_dir()
    names = []
    if folder:
        path = os.path.join(folder, "forbidden.json")
        try:
            with open(path, encoding="utf-8") as fh:
                names = json.load(fh)
        except (OSError, ValueError):
            names = []
    if not isinstance(names, list):
        return []
    return with_helpers([n for n in names if isinstance(n, str) and
                         n.startswith("course_utils.")])


# Whether the reference modules' files are out of this kernel's reach
# (set once at start-up by hide_references).
HIDDEN = [None]


def reference_files(names):
    """The source and compiled files of the modules that hold the dotted
    reference names (imported here, so that their code is loaded)."""
    import importlib
    from autograder.kernel import landlock
    files = []
    for dotted in names:
        module_name = dotted.rpartition(".")[0]
        try:
            importlib.import_module(module_name)
        except Exception:  # a name the course does not have
            continue
        # A package's functions live in its submodules (course_utils.nn
        # re-exports nn/layers.py's): their files are hidden with it.
        for name, module in list(sys.modules.items()):
            if name == module_name or name.startswith(module_name + "."):
                files += landlock.module_files(module)
    return list(dict.fromkeys(files))


def hide_references():
    """At kernel start, before any thread or cell: import the modules of
    the forbidden references, then make their files unreadable to this
    process (autograder.kernel.landlock), so that a reload, a second import
    from the file or an ``exec`` of their source cannot bring back
    functions without stubs.  Returns True when they are hidden."""
    from autograder.kernel import landlock
    files = reference_files(read_forbidden())
    also = [p for p in sys.path if p] + [os.getcwd()]
    for key in ("HOME", "TMPDIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        if os.environ.get(key):
            also.append(os.environ[key])
    folder = ipc_dir()
    if folder:
        also.append(folder)
    HIDDEN[0] = landlock.hide_files(files, also) if files else True
    return HIDDEN[0]


def install_stubs(names):
    """Make each dotted reference function raise when called."""
    import importlib
    done = []
    for dotted in names:
        module_name, _, attr = dotted.rpartition(".")
        if not module_name.startswith("course_utils"):
            continue
        try:
            func = getattr(importlib.import_module(module_name), attr)
        except Exception:  # a name the course does not have
            continue
        func = getattr(func, "__func__", func)
        if isinstance(func, types.FunctionType) and not func.__code__.\
                co_freevars:
            original = func.__code__
            func.__code__ = _stub_code(dotted)
            _STUBBED.append((func, original, func.__code__))
            done.append(dotted)
    return done


# (function, its code, its stub's code) of every stubbed reference.
_STUBBED = []
_LIFTED = [0]
# Requests of the trusted grader being answered (answer_captured).
_SERVING = [0]


def _restub():
    """Put every stub back, whatever lifted it."""
    _LIFTED[0] = 0
    for func, _, stub in _STUBBED:
        func.__code__ = stub
    if _LIBRARY_BLOCKED[0]:
        _stub_libraries()


def _make_lift():
    """The stub-lifting context, and the key that opens it while a
    request of the grader is answered: only the grader's own wrappers
    (a course object the test sent, the helpers a test swaps in) hold
    it; the student's code calling the context gets an error instead."""
    key = object()

    @contextlib.contextmanager
    def references_available(_key=None):
        if _SERVING[0] and _key is not key:
            raise RuntimeError("the reference kernels are not available "
                               "while grading")
        yield from _lifted_stubs()

    return references_available, key


def _lifted_stubs():
    """While a course_utils object the test sent runs (an fma that
    records tiles with the reference model), its calls reach the real
    reference kernels; the stubs are back as soon as it returns."""
    if _LIFTED[0] == 0:
        for func, original, _ in _STUBBED:
            func.__code__ = original
    _LIFTED[0] += 1
    try:
        yield
    finally:
        _LIFTED[0] -= 1
        if _LIFTED[0] == 0:
            for func, _, stub in _STUBBED:
                func.__code__ = stub


def _keyed(lift, key):
    return lambda: lift(key)


_references_available, _LIFT_KEY = _make_lift()
# The kernel's own run of a graded test cell (autograder.kernel.
# grading_kernel), when no request of the grader is under way, lifts the
# stubs for the instructor's test code.
references_available = _references_available
_granted = _keyed(_references_available, _LIFT_KEY)
del _LIFT_KEY


def _wrap_course_object(obj):
    from autograder import protocol as _proxy
    return _proxy.CourseObject(obj, _granted)


def start(kernel):
    """Kernel start-up: safe path, stubs; return the Watch."""
    safe_path()
    names = read_forbidden()
    install_stubs(names)
    if DERIVATIVE_REFERENCES & set(names):
        _LIBRARY_BLOCKED[0] = True
        sys.addaudithook(_audit)
    from autograder import protocol as _proxy
    _proxy.OBJECT_WRAPPER = _wrap_course_object
    _proxy.IMPORT_COURSE_MODULES = True
    return Watch(kernel)


# ---------------------------------------------------------------------------
# tamper watch
# ---------------------------------------------------------------------------
def _signals():
    out = {}
    for sig in signal.valid_signals():
        try:
            out[int(sig)] = signal.getsignal(sig)
        except (ValueError, OSError):
            continue
    return out


class Watch:
    """Baseline of kernel state the student's code should leave alone."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.based = False
        self._base()

    def first_cell(self):
        """Take the baseline again just before the first cell runs (the
        kernel installs its own handlers and threads while starting)."""
        if not self.based:
            self.based = True
            self._base()

    def _base(self):
        kernel = self.kernel
        session = kernel.session
        shell = kernel.shell
        self.session_send = type(session).send
        self.session_dict = set(vars(session))
        self.shell_cls = {a: getattr(type(shell), a, None) for a in (
            "showtraceback", "run_cell", "run_ast_nodes", "run_code",
            "_showtraceback", "showsyntaxerror")}
        self.pub = shell.display_pub
        self.pub_publish = type(shell.display_pub).publish
        self.displayhook = shell.displayhook
        self.threads = {t.ident for t in threading.enumerate()}
        self.signals = _signals()
        self.kernel_cls = {a: getattr(type(kernel), a, None) for a in (
            "do_execute", "_restore", "send_response")}

    def check(self):
        """Return what changed since start-up (and undo what is safe)."""
        found = []
        kernel, shell = self.kernel, self.kernel.shell
        session = kernel.session
        if type(session).send is not self.session_send or \
                "send" in set(vars(session)) - self.session_dict:
            found.append("kernel message sending replaced")
        for attr, value in self.shell_cls.items():
            if getattr(type(shell), attr, None) is not value:
                found.append(f"IPython shell class {attr} replaced")
        for attr, value in self.kernel_cls.items():
            if getattr(type(kernel), attr, None) is not value:
                found.append(f"kernel {attr} replaced")
        if shell.display_pub is not self.pub or \
                type(shell.display_pub).publish is not self.pub_publish or \
                "publish" in vars(shell.display_pub):
            found.append("IPython display publisher replaced")
        if shell.displayhook is not self.displayhook:
            found.append("IPython display hook replaced")
        if sys.gettrace() is not None or threading._trace_hook is not None:
            found.append("trace function installed")
        if sys.getprofile() is not None or \
                threading._profile_hook is not None:
            found.append("profile function installed")
        extra = [t for t in threading.enumerate()
                 if t.ident not in self.threads and t.is_alive() and
                 (_from_notebook(type(t)) or
                  _from_notebook(getattr(t, "_target", None)))]
        if extra:
            found.append(f"{len(extra)} extra thread(s) running")
        now = _signals()
        # SIG_IGN/SIG_DFL only lose a signal (timeouts cover that); a
        # handler that runs code could rebind names between statements.
        changed = sorted(s for s, h in now.items()
                         if h is not self.signals.get(s) and
                         callable(h) and _from_notebook(h))
        if changed:
            names = []
            for s in changed:
                try:
                    names.append(signal.Signals(s).name)
                except ValueError:
                    names.append(str(s))
            found.append(f"signal handlers changed: {', '.join(names)}")
        user_b = shell.user_ns.get("__builtins__", builtins)
        if user_b is not builtins and user_b is not vars(builtins):
            found.append("__builtins__ of the notebook replaced")
        if getattr(builtins, "__import__") is not self._import:
            found.append("builtins.__import__ replaced")
        return found

    @property
    def _import(self):
        return _ORIGINAL_IMPORT


_ORIGINAL_IMPORT = builtins.__import__


def _from_notebook(obj):
    """Was ``obj`` (a function, method or class) written in a cell?"""
    if obj is None:
        return False
    obj = getattr(obj, "__func__", obj)
    module = getattr(obj, "__module__", None)
    if module in (None, "__main__"):
        return True
    code = getattr(obj, "__code__", None)
    file = getattr(code, "co_filename", "") or ""
    return file.startswith("<ipython-input") or "/ipykernel_" in file


# ---------------------------------------------------------------------------
# serving the grader's requests
# ---------------------------------------------------------------------------
def _refs(obj):
    """Name objects that stay in this kernel: functions and others."""
    if isinstance(obj, types.ModuleType) or type(obj) is proxy.CourseObject:
        return None  # a course_utils object the test sent goes back as data
    if callable(obj) and not isinstance(obj, (list, tuple, dict)):
        try:
            import numpy as np
            if isinstance(obj, np.ndarray):
                return None
        except ImportError:
            pass
        key = str(len(_HANDLES) + 1)
        _HANDLES[key] = obj
        return {"$handle": key, "name": _name(obj),
                "sig": _signature(obj)}
    return None


def _name(obj):
    name = getattr(obj, "__name__", None)
    return name if isinstance(name, str) else type(obj).__name__


def _encode_out(obj):
    """Encode for the grader; what is not plain data becomes opaque."""
    def refs(value):
        found = _refs(value)
        if found is not None:
            return found
        return None
    try:
        return proxy.encode(obj, refs)
    except proxy.EncodeError:
        pass
    except Exception:  # a student object that fails to be read
        pass
    text = ""
    try:
        text = repr(obj)[:200]
    except Exception:
        pass
    return {"$opaque": {"type": type(obj).__name__, "text": text}}


def _build(ns):
    import importlib

    def build(tag, payload):
        if tag == "$m":
            return importlib.import_module(payload)
        if tag == "$ref":
            module, _, qual = payload.partition(".")
            parts = payload.split(".")
            for cut in range(len(parts) - 1, 0, -1):
                try:
                    target = importlib.import_module(".".join(parts[:cut]))
                except ImportError:
                    continue
                for part in parts[cut:]:
                    target = getattr(target, part)
                return target
            raise LookupError(payload)
        if tag == "$student":
            return ns[payload]
        if tag == "$handle":
            return _HANDLES[payload]
        if tag == "$fn":
            return proxy.build_function(
                payload, lambda v: proxy.decode(v, build))
        raise LookupError(tag)
    return build


def _signature(obj):
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [[p.name, int(p.kind), p.default is not p.empty]
            for p in sig.parameters.values()]


def _describe(ns, names):
    out = {}
    for name in names:
        if name not in ns:
            out[name] = {"kind": "missing"}
            continue
        obj = ns[name]
        if isinstance(obj, types.ModuleType):
            out[name] = {"kind": "module", "name": str(obj.__name__)[:200]}
        elif callable(obj):
            out[name] = {"kind": "callable", "sig": _signature(obj),
                         "name": _name(obj)}
        else:
            out[name] = {"kind": "value", "value": _encode_out(obj)}
    return out


def _student_error(exc):
    """The reply fields for an error the student's code raised."""
    return {"ok": False, "ename": type(exc).__name__,
            "bases": _builtin_bases(exc), "evalue": str(exc)[:2000],
            "traceback": _student_frames(exc)}


def _builtin_bases(exc):
    """Names of the built-in exception classes ``exc`` is an instance of,
    nearest first (a student's ``class Diverged(ValueError)``)."""
    return [c.__name__ for c in type(exc).__mro__
            if c.__module__ == "builtins"][:10]


def _student_frames(exc):
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    # Drop this module's own frame(s): the student sees their code only.
    kept, skip = [], False
    for line in lines:
        if line.startswith("  File ") and __file__ in line:
            skip = True
            continue
        if skip and line.startswith("    ") and not line.startswith(
                "  File "):
            skip = False
            continue
        skip = False
        kept.append(line)
    return "".join(kept).splitlines()[-30:]


def _own_code(func):
    """Description of a student function for the delegation checks."""
    func = getattr(func, "__func__", func)
    if not isinstance(func, types.FunctionType):
        return {"function": False, "module": getattr(func, "__module__",
                                                     None)}
    module = func.__module__
    file = func.__code__.co_filename
    names, strings = set(), set()

    def walk(code):
        names.update(code.co_names)
        for const in code.co_consts:
            if isinstance(const, str):
                strings.add(const)
            elif isinstance(const, types.CodeType):
                walk(const)
    walk(func.__code__)
    modules = set()
    for name in names:
        value = func.__globals__.get(name)
        if isinstance(value, types.ModuleType):
            modules.add(value.__name__)
    return {"function": True, "module": module, "file": file,
            "names": sorted(names), "strings": sorted(strings)[:200],
            "modules": sorted(modules)}


def _delegation(ns, target, forbidden):
    from course_utils.checks import assert_not_delegating
    func = target
    info = _own_code(func)
    try:
        specs = []
        for name in forbidden:
            try:
                _build(ns)("$ref", name)
                specs.append(name)
            except Exception:  # not importable here: skip
                continue
        assert_not_delegating(func, *specs)
        info["message"] = None
    except AssertionError as err:
        info["message"] = str(err)
    return info


def _swap_in(ns, names, build):
    """Bind the student's ``names`` to the course_utils functions the
    test put in its own namespace (``mlp.correct_helpers``), for one
    call; those run with the reference kernels available.  Returns what
    to put back."""
    saved = {}
    for name, spec in names.items():
        if not isinstance(name, str) or not name.isidentifier() or not (
                isinstance(spec, dict) and set(spec) == {"$ref"} and
                str(spec["$ref"]).startswith("course_utils.")):
            continue
        try:
            func = proxy.decode(spec, build)
        except Exception:  # not importable here: leave the name alone
            continue
        # A name the student's notebook lacks (its cell failed) is bound
        # too, as the test's own namespace does under nbgrader.
        saved[name] = ns.get(name, _UNBOUND)
        ns[name] = _lifted(func)
    return saved


_UNBOUND = object()


def _lifted(func):
    def helper(*args, **kwargs):
        with _granted():
            return func(*args, **kwargs)
    helper.__name__ = getattr(func, "__name__", "helper")
    helper.__doc__ = getattr(func, "__doc__", None)
    return helper


class _Capped(io.TextIOBase):
    """A stream that keeps the first ``limit`` characters written."""

    def __init__(self, limit):
        self.limit = limit
        self.parts = []
        self.size = 0
        self.cut = False

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self.limit - self.size
        if len(text) > room:
            self.cut = True
            text = text[:max(room, 0)]
        if text:
            self.parts.append(text)
            self.size += len(text)
        return len(text)

    def getvalue(self):
        return "".join(self.parts)


def answer_captured(text, limit=1_000_000):
    """``answer`` with what the call prints captured (the first ``limit``
    characters of each stream): the kernel's reply to the grader."""
    out, err = _Capped(limit), _Capped(limit)
    # The student's code runs with every stub in place, even one a
    # notebook cell lifted; the stub-lifting context refuses it.
    _restub()
    _SERVING[0] += 1
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            reply = json.dumps(answer(text))
        except BaseException as exc:  # an unencodable reply
            reply = json.dumps({"error": f"{type(exc).__name__}: "
                                         f"{exc}"[:2000]})
        finally:
            _SERVING[0] -= 1
            _restub()
    return {"reply": reply, "stdout": _utf8(out.getvalue()),
            "stderr": _utf8(err.getvalue()), "cut": out.cut or err.cut}


def _utf8(text):
    """``text`` as UTF-8 can carry it (a lone surrogate becomes '?')."""
    return text.encode("utf-8", "replace").decode("utf-8")


def answer(text):
    """Answer one grader request (JSON text); return the reply dict."""
    from IPython import get_ipython
    request = json.loads(text)
    ns = get_ipython().user_ns
    build = _build(ns)
    reply = {"nonce": request.get("nonce")}
    op = request.get("op")
    try:
        if op == "describe":
            reply["names"] = _describe(ns, request["names"])
        elif op == "call":
            func = proxy.decode(request["target"], build)
            args = proxy.decode(request["args"], build)
            kwargs = proxy.decode(request["kwargs"], build)
            swapped = _swap_in(ns, request.get("names") or {}, build)
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:  # the student's error, reported
                reply.update(_student_error(exc))
            else:
                reply.update(ok=True, result=_encode_out(result),
                             args=_encode_out(list(args)),
                             kwargs=_encode_out(dict(kwargs)))
            finally:
                for name, value in swapped.items():
                    if value is _UNBOUND:
                        ns.pop(name, None)
                    else:
                        ns[name] = value
        elif op == "getattr":
            obj = proxy.decode(request["target"], build)
            try:
                value = getattr(obj, str(request["name"]))
            except BaseException as exc:  # the student's error, reported
                reply.update(_student_error(exc))
            else:
                reply.update(ok=True, result=_encode_out(value))
        elif op == "delegation":
            func = proxy.decode(request["target"], build)
            reply["info"] = _delegation(ns, func, request["forbidden"])
        else:
            reply["error"] = f"unknown request {op!r}"
    except BaseException as exc:  # a request that could not be served
        reply["error"] = f"{type(exc).__name__}: {exc}"[:2000]
    return reply
