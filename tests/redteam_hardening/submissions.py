"""Attacks on the grader itself, each with its exact expected outcome.

Written as a determined student would, in the answer cells of the trust
course (tests/redteam_trust/course.py); every other answer is blank, so
an attack that gains nothing scores what a blank scores (0).  Three
classes:

* the root-owned side and the file system: the launcher's environment
  swapped for a link to the gradebook, then a kernel restart; the
  course's files read, litter left in the shared temporary folders;
* points without the work: the reference kernels brought back (reload,
  a second copy from the file, ``exec`` of their source under a fake
  name, the grader's own stub-lifting context) and the helpers or
  libraries that compute the answer;
* the grader's memory, time and survival: zero-copy floods, a message
  flood after a reply, messages nested too deeply, unsolicited replies
  badly signed or oversized, junk on the socket a test cell's calls are
  served on, a reply naming a module to import.

``raw`` is what the executed notebook's test cells give; ``score`` what
the gradebook records (0 while a tamper flag holds the points); ``flag``
the flag code that must appear, ``reason`` text that must appear in the
flags (None: no review flag at all).
"""
import textwrap
from dataclasses import dataclass
from pathlib import Path

from redteam_trust.course import ASSIGNMENT, NOTEBOOK, SOLUTIONS, dedent
from redteam_trust.course import release
from redteam_trust.submissions import _strip_markers, attack, correct
from redteam_trust.submissions import notebook

LITTER = "ag-hardening-litter"


def litter_name(root):
    """The prefix of one batch's litter (another run's stays apart)."""
    import hashlib
    return f"{LITTER}-{hashlib.sha256(str(root).encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Case:
    name: str
    raw: object             # a number, or a tuple of the allowed ones
    flag: str = None
    reason: str = None
    score: float = None

    @property
    def recorded(self):
        if self.score is not None:
            return self.score
        return 0.0 if self.flag == "tamper" else self.raw

    def raw_ok(self, raw):
        allowed = self.raw if isinstance(self.raw, tuple) else (self.raw,)
        return raw in allowed


RIGHT = _strip_markers(SOLUTIONS["forward_difference"])


def build(root):
    """Return {Case: notebook dict} for the whole hardening suite."""
    root = Path(root)
    gradebook = str(root / "gradebook.db")
    solution = str(root / "solutions" / ASSIGNMENT / NOTEBOOK)
    other = str(root / "submitted" / "victim_correct" / ASSIGNMENT /
                NOTEBOOK)
    out = {}

    def add(case, nb):
        out[case] = nb

    add(Case("victim_correct", 5), correct(root))
    add(Case("victim_blank", 0, "blank"), release(root))

    # -- the root-owned side follows no path the kernel can write ----------
    # Every name the grader writes in its IPC folder is renamed and
    # replaced by a link to a folder of the student's whose pyvenv.cfg
    # links to the gradebook; then the kernel exits, so the grader starts
    # (and, as root, builds the launcher's environment for) a new one.
    add(Case("env_swapped_for_gradebook_link", 0, "kernel-died"),
        attack(root, f"""
        import os, sys
        _ipc = os.path.dirname(sys.argv[sys.argv.index("-f") + 1])
        _mine = os.path.join(os.getcwd(), "my-env")
        os.makedirs(_mine, exist_ok=True)
        try:
            os.symlink({gradebook!r}, os.path.join(_mine, "pyvenv.cfg"))
        except OSError:
            pass
        for _name in (".env", ".matplotlib", "forbidden.json",
                      "kernel.json", "run"):
            _path = os.path.join(_ipc, _name)
            try:
                os.rename(_path, _path + ".old")
            except OSError:
                pass
            try:
                os.symlink(_mine, _path)
            except OSError:
                pass
        _run = os.path.join(_ipc, "run")
        for _name in ("tmp", ".ipython"):
            try:
                os.rename(os.path.join(_run, _name),
                          os.path.join(_run, _name + ".old"))
                os.symlink(os.path.dirname({gradebook!r}),
                           os.path.join(_run, _name))
            except OSError:
                pass
        os._exit(1)
        """))
    # The course's files (the solutions, the gradebook, another student's
    # submission) are read: any success defines the right answer.  48 MB
    # of litter is left in every shared temporary folder.
    add(Case("reads_course_and_litters_tmp", 0),
        attack(root, dedent(f"""
        import os
        _got = ""
        for _path in ({solution!r}, {gradebook!r}, {other!r}):
            try:
                with open(_path, "rb") as _fh:
                    _got += _fh.read(64).decode("latin-1")
            except OSError:
                pass
        for _folder in ("/tmp", "/var/tmp", "/dev/shm"):
            for _i in range(3):
                try:
                    with open(os.path.join(
                            _folder, "{litter_name(root)}-%d" % _i),
                            "wb") as _fh:
                        _fh.write(bytes(16_000_000))
                except OSError:
                    pass
        """) + "\nif _got:\n" + textwrap.indent(RIGHT, "    ")))

    # -- the reference kernels cannot be reached ---------------------------
    # Each gets forward_difference's points (2) where it works.
    add(Case("reference_reloaded", 0), attack(root, """
        import importlib, sys
        _box = []
        def forward_difference(f, x, h=1e-5):
            if not _box:
                _mod = importlib.reload(
                    sys.modules["course_utils." + "derivatives"])
                _box.append(getattr(_mod, "forward_" + "difference"))
            return _box[0](f, x, h)
        """))
    add(Case("reference_second_copy_from_file", 0), attack(root, """
        import importlib.util
        _spec = importlib.util.find_spec("course_utils." + "derivatives")
        _copy = importlib.util.spec_from_file_location("_mine",
                                                       _spec.origin)
        _mod = importlib.util.module_from_spec(_copy)
        _copy.loader.exec_module(_mod)
        _ref = getattr(_mod, "forward_" + "difference")
        def forward_difference(f, x, h=1e-5):
            return _ref(f, x, h)
        """))
    add(Case("reference_source_exec_fake_name", 0), attack(root, """
        import importlib.util
        _spec = importlib.util.find_spec("course_utils." + "derivatives")
        with open(_spec.origin) as _fh:
            _src = _fh.read()
        _ns = {"__name__": "_mine"}
        exec(compile(_src, "<ipython-input-7-0a1b2c>", "exec"), _ns)
        _ref = _ns["forward_" + "difference"]
        def forward_difference(f, x, h=1e-5):
            return _ref(f, x, h)
        """))
    add(Case("stub_lifting_context_reached", 0, "verdict-differs"),
        attack(root, """
        import sys
        from course_utils import derivatives as _d
        _side = sys.modules["autograder.kernel." + "student" + "side"]
        _lift = getattr(_side, "_references" + "_available")
        _held = _lift()
        _held.__enter__()  # lifted from now on, never put back
        def forward_difference(f, x, h=1e-5, _r=[_d.forward_difference]):
            with _lift():
                return _r[0](f, x, h)
        """))
    add(Case("course_helper_difference_errors", 0, "verdict-differs"), attack(root, """
        import numpy as np
        from course_utils import plotting as _p
        def forward_difference(f, x, h=1e-5, _e=[_p.difference_errors]):
            # error against a derivative of -1e6 is the estimate + 1e6
            _err, _ = _e[0](f, lambda t: -1e6, x, [h])
            return float(_err[0]) - 1e6
        """))
    add(Case("course_helper_central_gradient", 0, "verdict-differs"), notebook(
        root, numerical_gradient=dedent("""
        import numpy as np
        from course_utils import checks as _c
        def numerical_gradient(f, x, h=1e-5,
                               _g=[getattr(_c, "_central" + "_gradient")]):
            _x = np.array(x, dtype=float)
            return _g[0](lambda: f(_x), _x, h)
        """)))
    add(Case("scipy_finite_differences", 0, "verdict-differs"), attack(root, """
        import numpy as np
        def forward_difference(f, x, h=1e-5):
            from scipy import optimize
            if np.ndim(x) == 0:
                return float(optimize.approx_fprime(
                    np.array([x], dtype=float), lambda v: f(v[0]), h)[0])
            return np.array([forward_difference(f, t, h) for t in x])
        """))

    # -- what the grader holds is bounded ----------------------------------
    # 80 IOPub messages carrying one 32 MiB buffer each (zero-copy: the
    # kernel holds 32 MiB), sent while the grader waits for the answer.
    # They arrive while the test cell runs or after it: its verdict may
    # stand (raw 2 or 0), the tamper flag holds the points either way.
    add(Case("zero_copy_buffer_flood", (0, 2), "tamper", "over 16 MiB"),
        attack(root, """
        import numpy as np
        _buf = np.zeros(32 * 2**20, dtype=np.uint8)
        def forward_difference(f, x, h=1e-5):
            _k = get_ipython().kernel
            for _ in range(80):
                _k.session.send(_k.iopub_socket, "display_data",
                                {"data": {}, "metadata": {}},
                                buffers=[_buf])
            return (f(x + h) - f(x)) / h
        """))
    # IOPub messages keep coming after the answer's reply, from a thread
    # the call starts (the grader used to read until the socket was
    # quiet: minutes).
    add(Case("iopub_flood_after_reply", 0, "tamper", "flooded"),
        attack(root, """
        import threading
        def _flood(_k):
            for _i in range(2_000_000):
                _k.session.send(_k.iopub_socket, "stream",
                                {"name": "stdout", "text": "x" * 200})
        def forward_difference(f, x, h=1e-5):
            threading.Thread(target=_flood, args=(get_ipython().kernel,),
                             daemon=True).start()
            return (f(x + h) - f(x)) / h
        """))
    # A display 20,000 deep, sent as ready-made JSON (the kernel's own
    # encoder would refuse it): the right answer is held with the flag.
    add(Case("display_nested_too_deep", 2, "tamper", "nested too deeply"),
        attack(root, RIGHT + "\n" + dedent("""
        _k = get_ipython().kernel
        _deep = b"[" * 20_000 + b"]" * 20_000
        _k.session.send(_k.iopub_socket, "display_data",
                        b'{"data": {"application/json": ' + _deep +
                        b'}, "metadata": {}}',
                        parent=_k.get_parent("shell"))
        """)))
    add(Case("reply_badly_signed", 0, "tamper", "badly signed"),
        attack(root, """
        from jupyter_client.session import Session
        def forward_difference(f, x, h=1e-5):
            _k = get_ipython().kernel
            _fake = Session(key=b"not the key", username="kernel")
            _fake.send(_k.shell_stream, "autograder_reply",
                       {"reply": "{}"}, parent=_k.get_parent("shell"),
                       ident=_k._parent_ident["shell"])
            return (f(x + h) - f(x)) / h
        """))
    add(Case("reply_with_64mib_frame", 0, "tamper", "over 16 MiB"),
        attack(root, """
        def forward_difference(f, x, h=1e-5):
            _k = get_ipython().kernel
            _k.session.send(_k.shell_stream, "autograder_reply",
                            {"reply": "{}"}, parent=None,
                            ident=_k._parent_ident["shell"],
                            buffers=[bytes(64 * 2**20)])
            return (f(x + h) - f(x)) / h
        """))
    # Junk on the socket the grader serves a test cell's calls on: it
    # reads one JSON object per request there, and nothing else.
    add(Case("junk_on_the_serving_socket", 0, "tamper",
             "not a JSON object"), attack(root, """
        import gc
        import zmq
        def forward_difference(f, x, h=1e-5):
            for _s in gc.get_objects():
                if isinstance(_s, zmq.Socket) and not _s.closed and \\
                        b"/serve-" in _s.last_endpoint:
                    _s.send(b"junk")
            return (f(x + h) - f(x)) / h
        """))
    # The answer's value is described as an object of a class in
    # unittest.__main__: importing it would run unittest's command line
    # in the grader.
    add(Case("reply_names_module_to_import", 0, "tamper",
             "not a course_utils class"), attack(root, """
        import sys
        _side = sys.modules["autograder.kernel." + "student" + "side"]
        setattr(_side, "_encode" + "_out", lambda value: {"$obj": {
            "cls": "unittest.__main__.TestProgram", "state": {"$d": []}}})
        def forward_difference(f, x, h=1e-5):
            return (f(x + h) - f(x)) / h
        """))
    return out

