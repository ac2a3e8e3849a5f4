"""Attacks on the verdict itself, each with its exact expected outcome.

Every attack sits in the student's answer cells of the trust course
(tests/redteam_trust/course.py) and tries to score without doing the
work.  ``raw`` is what the executed notebook's test cells give (the
verdict before any hold); ``score`` is what the gradebook records (0
when a tamper flag holds the points for review).  A blocked attack has
``raw`` equal to what its honest part earns (0 for most: a blank scores
0); ``flag`` is the flag code that must appear (None: no review flag at
all: the attack gains nothing and nothing tells it apart).
"""
import copy
import inspect
from dataclasses import dataclass, field

from .course import SOLUTIONS, dedent, release

WRONG = {
    "forward_difference": dedent("""
        def forward_difference(f, x, h=1e-5):
            return (f(x) - f(x + h)) / h
        """),
    "numerical_gradient": dedent("""
        def numerical_gradient(f, x, h=1e-5):
            return np.zeros(np.shape(x))
        """),
    "choose_h": "best_h = 1e-2",
}
MUTATING = dedent("""
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros(np.shape(x))
        for idx in np.ndindex(x.shape):
            x[idx] += h
            f_plus = f(x)
            x[idx] -= 2 * h
            f_minus = f(x)
            grad[idx] = (f_plus - f_minus) / (2 * h)
        return grad
    """)
ALT = {
    "forward_difference": dedent("""
        def forward_difference(f, x, h=1e-5):
            x = np.asarray(x, dtype=float)
            out = (f(x + h) - f(x)) / h
            return float(out) if out.ndim == 0 else out
        """),
    "numerical_gradient": dedent("""
        def numerical_gradient(f, x, h=1e-5):
            x = np.array(x, dtype=float)
            grad = []
            for i in range(x.size):
                e = np.zeros(x.size)
                e[i] = h
                e = e.reshape(x.shape)
                grad.append((f(x + e) - f(x - e)) / (2 * h))
            return np.array(grad).reshape(x.shape)
        """),
    "choose_h": dedent("""
        _steps = np.logspace(-12, -1, 111)
        _err = [abs((np.exp(1 + s) - np.exp(1)) / s - np.e) for s in _steps]
        best_h = float(_steps[int(np.argmin(_err))])
        """),
}


@dataclass(frozen=True)
class Case:
    """One submission and what grading must make of it."""

    name: str
    raw: float
    flag: str = None
    score: float = None       # gradebook score; default: raw, 0 if held
    extra_files: dict = field(default_factory=dict, hash=False,
                              compare=False)
    message: str = None       # text the student must see somewhere

    @property
    def recorded(self):
        if self.score is not None:
            return self.score
        return 0.0 if self.flag == "tamper" else self.raw


def _strip_markers(source):
    return "\n".join(line for line in source.splitlines()
                     if "### BEGIN SOLUTION" not in line and
                     "### END SOLUTION" not in line)


def notebook(root, **answers):
    """The release with the given answer cells (others stay blank)."""
    nb = copy.deepcopy(release(root))
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid]
    return nb


def correct(root):
    return notebook(root, **{k: _strip_markers(v)
                             for k, v in SOLUTIONS.items()})


def attack(root, code, **answers):
    """Blank notebook whose first answer cell holds ``code``."""
    return notebook(root, forward_difference=dedent(code), **answers)


SHADOW_KERNEL = "import os\nos._exit(3)\n"


def build(root):
    """Return {Case: notebook dict} for the whole trust suite."""
    out = {}

    def add(case, nb):
        out[case] = nb

    # -- victims graded in the same batch ---------------------------------
    add(Case("victim_correct", 5), correct(root))
    add(Case("victim_blank", 0, "blank"), release(root))
    add(Case("victim_wrong", 0), notebook(root, **WRONG))
    add(Case("victim_alt_style", 5), notebook(root, **ALT))
    add(Case("victim_mutates_input", 3,
             message="changed its input `x` in place"),
        notebook(root, **dict(
            {k: _strip_markers(v) for k, v in SOLUTIONS.items()},
            numerical_gradient=MUTATING)))

    # -- the error report is suppressed in the student's kernel ------------
    add(Case("session_send_drops_errors", 0, "tamper"), attack(root, """
        _k = get_ipython().kernel
        _orig_send = _k.session.send
        def _send(stream, msg, content=None, *args, **kwargs):
            kind = msg if isinstance(msg, str) else msg.get(
                "header", {}).get("msg_type")
            if kind == "error":
                return None
            if isinstance(content, dict) and content.get("status") == \\
                    "error":
                content = dict(content, status="ok")
            return _orig_send(stream, msg, content, *args, **kwargs)
        _k.session.send = _send
        """))
    add(Case("session_class_send", 0, "tamper"), attack(root, """
        _Session = type(get_ipython().kernel.session)
        _orig = _Session.send
        def _send(self, stream, msg, content=None, *args, **kwargs):
            if msg == "error":
                return None
            return _orig(self, stream, msg, content, *args, **kwargs)
        _Session.send = _send
        """))
    add(Case("showtraceback_on_class", 0, "tamper"), attack(root, """
        _Shell = type(get_ipython())
        _Shell.showtraceback = lambda self, *args, **kwargs: None
        _Shell._showtraceback = lambda self, *args, **kwargs: None
        """))
    add(Case("display_publisher_replaced", 0, "tamper"), attack(root, """
        get_ipython().display_pub.publish = lambda *args, **kwargs: None
        """))

    # -- hooks that rebind the answers between the test's statements -------
    add(Case("trace_rebinds_answer", 0, "tamper"), attack(root, """
        import sys
        def _tracer(frame, event, arg):
            g = frame.f_globals
            if g.get("forward_difference") is not cud.forward_difference:
                g["forward_difference"] = cud.forward_difference
                g["numerical_gradient"] = cud.numerical_gradient
            return _tracer
        sys.settrace(_tracer)
        """))
    add(Case("profile_rebinds_answer", 0, "tamper"), attack(root, """
        import sys
        def _profiler(frame, event, arg):
            frame.f_globals["forward_difference"] = cud.forward_difference
        sys.setprofile(_profiler)
        """))
    add(Case("thread_rebinds_answer", 0, "tamper"), attack(root, """
        import threading
        import time
        def _loop():
            ns = get_ipython().user_ns
            while True:
                ns["forward_difference"] = cud.forward_difference
                ns["numerical_gradient"] = cud.numerical_gradient
                time.sleep(0.001)
        threading.Thread(target=_loop, daemon=True).start()
        """))
    add(Case("signal_handler_rebinds", 0, "tamper"), attack(root, """
        import signal
        def _on_usr1(signum, frame):
            frame.f_globals["forward_difference"] = cud.forward_difference
        signal.signal(signal.SIGUSR1, _on_usr1)
        import os
        os.kill(os.getpid(), signal.SIGUSR1)
        """))

    # -- the checks and their inputs, bent in the student's process --------
    add(Case("check_code_object_swapped", 0, "tamper"), attack(root, """
        import course_utils.checks as _checks
        _checks.assert_close.__code__ = (lambda *a, **k: None).__code__
        _checks.call_checked.__code__ = (
            lambda f, *a, name=None, **k: None).__code__
        def forward_difference(f, x, h=1e-5):
            return 0.0
        """))
    add(Case("helpers_rebound_in_namespace", 0, "verdict-differs"), attack(root, """
        assert_close = lambda *args, **kwargs: None
        assert_not_delegating = lambda *args, **kwargs: None
        call_checked = lambda *args, **kwargs: None
        def passed(what):
            print(what)
        def forward_difference(f, x, h=1e-5):
            return 0.0
        """))
    add(Case("module_class_swapped", 0, "tamper"), attack(root, """
        import types
        import course_utils.checks as _checks
        class _Lenient(types.ModuleType):
            def __getattribute__(self, name):
                if name in ("assert_close", "assert_not_delegating"):
                    return lambda *args, **kwargs: None
                return super().__getattribute__(name)
        _checks.__class__ = _Lenient
        """))
    add(Case("builtins_import_hook", 0, "tamper"), attack(root, """
        import builtins
        _real_import = builtins.__import__
        def _hook(name, *args, **kwargs):
            module = _real_import(name, *args, **kwargs)
            if name.startswith("course_utils"):
                module.assert_close = lambda *a, **k: None
            return module
        builtins.__import__ = _hook
        """))
    add(Case("builtins_namespace_replaced", 0, "tamper"), attack(root, """
        import builtins
        __builtins__ = dict(vars(builtins), isinstance=lambda *a: True)
        best_h = "small"
        """))
    add(Case("rng_made_trivial", 0, "tamper"), attack(root, """
        class _Zeros:
            def normal(self, loc=0.0, scale=1.0, size=None):
                return np.zeros(size) if size is not None else 0.0
            def uniform(self, low=0.0, high=1.0, size=None):
                return np.zeros(size) if size is not None else 0.0
        np.random.default_rng = lambda *args, **kwargs: _Zeros()
        def forward_difference(f, x, h=1e-5):
            return 6.0001 if x == 3.0 else 0.0
        """))
    add(Case("caller_frame_peek", 0, "tamper"), attack(root, """
        import sys
        def forward_difference(f, x, h=1e-5):
            frame = sys._getframe(1)
            while frame is not None:
                ref = frame.f_globals.get("_ref")
                if ref is not None:
                    return ref.forward_difference(f, x, h=h)
                frame = frame.f_back
            return 0.0
        """))
    add(Case("lying_objects", 0, "tamper"), attack(root, """
        class _Liar(np.ndarray):
            def __eq__(self, other):
                return True
            def __array_ufunc__(self, *args, **kwargs):
                return np.zeros(())
        class _Yes(float):
            def __eq__(self, other):
                return True
            __le__ = __ge__ = __lt__ = __gt__ = lambda self, other: True
        def forward_difference(f, x, h=1e-5):
            return np.zeros(3).view(_Liar)
        best_h = _Yes(0.5)
        """))
    add(Case("grader_reply_forged", 0, "tamper"), attack(root, """
        import json
        import autograder.kernel.studentside as _side
        from IPython.display import display
        def _forged(text):
            request = json.loads(text)
            reply = {"nonce": request.get("nonce"), "ok": True,
                     "result": {"$f": float.hex(6.0001)}, "args": [],
                     "kwargs": {}, "names": {
                         n: {"kind": "callable", "sig": None, "name": n}
                         for n in request.get("names", [])}}
            display({"application/x-autograder-result+json":
                     json.dumps(reply)}, raw=True)
        _side.serve = _forged
        """))

    # -- delegation -----------------------------------------------------
    # In the kernel's run of a test cell the reference kernels are there
    # (the instructor's tests use them); the grader's re-run, with them
    # stubbed, fails an answer that used them: verdict-differs, 0.
    add(Case("alias_of_reference", 0, "verdict-differs"), attack(root, """
        forward_difference = cud.forward_difference
        """, numerical_gradient="numerical_gradient = cud.numerical_gradient"))
    add(Case("string_lookup_of_reference", 0, "verdict-differs"), attack(root, """
        def forward_difference(f, x, h=1e-5):
            return getattr(cud, "forward_" + "difference")(f, x, h)
        """, numerical_gradient=dedent("""
        def numerical_gradient(f, x, h=1e-5):
            return vars(cud)["numerical_" + "gradient"](f, x, h)
        """)))
    add(Case("bound_copy_of_reference", 0, "tamper"), attack(root, """
        import functools
        import types
        forward_difference = functools.partial(cud.forward_difference)
        """, numerical_gradient=dedent("""
        import types
        numerical_gradient = types.FunctionType(
            cud.numerical_gradient.__code__, vars(cud),
            "numerical_gradient")
        """)))
    add(Case("reference_source_executed", 0, "tamper"), attack(root, """
        import inspect
        exec(inspect.getsource(cud), globals())
        """, numerical_gradient="pass"))
    import course_utils.derivatives as cud_module
    copied = inspect.getsource(cud_module)
    # Pasted reference source is the student's own code to Python: it
    # keeps its points, and the similarity note tells the instructor.
    add(Case("reference_source_copied", 4, "similar-to-reference"),
        attack(root, copied, numerical_gradient="pass"))

    # -- the kernel itself ------------------------------------------------
    # The restarted kernel must be the real one: the next answer (right)
    # still earns its 2 points.
    add(Case("kernel_shadowed_by_cell", 2, "kernel-died"), attack(root, f"""
        import os
        os.makedirs("autograder/kernel", exist_ok=True)
        for name in ("__init__.py", "kernel/__init__.py"):
            with open("autograder/" + name, "w") as fh:
                fh.write("")
        for name in ("kernel/__main__.py", "kernel/grading_kernel.py"):
            with open("autograder/" + name, "w") as fh:
                fh.write({SHADOW_KERNEL!r})
        os._exit(1)
        """, numerical_gradient=_strip_markers(SOLUTIONS["numerical_gradient"])))
    nb = correct(root)
    add(Case("kernel_shipped_beside_notebook", 5,
             extra_files={"autograder/__init__.py": "",
                          "autograder/kernel/__init__.py": "",
                          "autograder/kernel/__main__.py": SHADOW_KERNEL,
                          "autograder/kernel/grading_kernel.py": SHADOW_KERNEL,
                          "numpy.py": "raise SystemExit('fake numpy')\n",
                          "course_utils/__init__.py":
                              "raise SystemExit('fake course_utils')\n"}),
        nb)

    # -- misbehaving answers only spoil themselves -------------------------
    add(Case("exit_inside_call", 0, "kernel-died"), attack(root, """
        import os
        def forward_difference(f, x, h=1e-5):
            raise SystemExit(0)
        """, numerical_gradient=dedent("""
        import os
        def numerical_gradient(f, x, h=1e-5):
            os._exit(0)
        """)))
    add(Case("hang_inside_call", 0, "timeout"), attack(root, """
        def forward_difference(f, x, h=1e-5):
            while True:
                pass
        """))
    add(Case("unreadable_result", 0), attack(root, """
        def forward_difference(f, x, h=1e-5):
            out = 6.0001
            for _ in range(200):
                out = [out]
            return out
        """, numerical_gradient=dedent("""
        def numerical_gradient(f, x, h=1e-5):
            return np.array([object(), object()])
        """)))
    return out
