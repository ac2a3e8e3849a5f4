"""The red-team submissions: each with its exact expected outcome.

Most attacks follow one pattern: the exploit runs inside the ``square``
answer cell and only a *successful* exploit makes ``square`` correct.
A blocked exploit therefore scores exactly 3/5 (mean 2 + clip 1), and
an exploit that got through would show up as 5/5.
"""
import copy
from dataclasses import dataclass

from .course import dedent, gid, load, solution_sources

WRONG = {
    "square": "def square(x):\n    return np.asarray(x) * 2",
    "mean": "def mean(xs):\n    return 0.0",
    "clip": "def clip(x, lo, hi):\n    return x",
}


@dataclass(frozen=True)
class Case:
    """One adversarial submission and what grading must make of it."""

    name: str
    score: float
    flag: str = None          # a flag code that must be present
    status: str = "graded"    # graded | flagged | failed
    sandbox_only: bool = False  # outcome needs bubblewrap isolation
    student: str = None

    @property
    def student_id(self):
        return self.student or self.name


def gated(attack):
    """Answer code that is correct only if ``attack`` ran without error."""
    return dedent("""
        _ok = False
        try:
        {body}
            _ok = True
        except BaseException:
            pass
        def square(x):
            return np.asarray(x) ** 2 if _ok else np.asarray(x) * 2
        """).format(body="\n".join("    " + line
                                   for line in dedent(attack).splitlines()))


def notebook(root, **answers):
    """The release notebook with the given answers (default: correct)."""
    nb = copy.deepcopy(load(root, "notebooks"))
    sources = dict(solution_sources(root), **answers)
    for cell in nb["cells"]:
        if gid(cell) in sources:
            cell["source"] = sources[gid(cell)]
    return nb


def _cells(nb, grade_id):
    return [c for c in nb["cells"] if gid(c) == grade_id]


def build(root, port):
    """Return {Case: notebook dict or raw text} for the whole suite."""
    root = str(root)
    solutions = f"{root}/solutions/fx01_basics/fx01_basics.ipynb"
    out = {}

    def add(case, content):
        out[case] = content

    add(Case("correct", 5), notebook(root))
    add(Case("blank", 0, "blank"), load(root, "notebooks"))
    add(Case("wrong", 0), notebook(root, **WRONG))
    add(Case("exception", 3), notebook(root, square=dedent("""
        def square(x):
            raise ValueError("not today")""")))
    add(Case("infinite_loop", 3, "timeout", "flagged"),
        notebook(root, square="while True:\n    pass"))
    add(Case("sigint_ignoring_loop", 3, "timeout", "flagged"),
        notebook(root, square=dedent("""
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            pass""")))
    add(Case("os_exit", 3, "kernel-died", "flagged"),
        notebook(root, square="import os\nos._exit(3)"))
    add(Case("sys_exit", 3), notebook(root, square=dedent("""
        import sys
        sys.exit(1)
        def square(x):
            return np.asarray(x) ** 2""")))
    add(Case("ctypes_segfault", 3, "kernel-died", "flagged"),
        notebook(root, square="import ctypes\nctypes.string_at(0)"))
    add(Case("memory_bomb", 3), notebook(root, square=gated("""
        _hog = []
        while True:
            _hog.append(bytearray(64 * 1024 * 1024))""")))
    add(Case("fork_bomb", 3, "stray-processes"),
        notebook(root, square=gated("""
        import os
        _kids = 0
        while _kids < 10000:
            if os.fork() == 0:
                import time
                time.sleep(600)
                os._exit(0)
            _kids += 1""")))
    add(Case("huge_output", 5, "output-truncated"),
        notebook(root, square="print('x' * 30_000_000)\n"
                 + solution_sources(root)["square"]))
    add(Case("orphan_process", 5, "stray-processes"),
        notebook(root, square=dedent("""
        import subprocess
        subprocess.Popen(["sleep", "997"], start_new_session=True)
        """) + "\n" + solution_sources(root)["square"]))
    add(Case("large_file", 3), notebook(root, square=gated("""
        with open("big.bin", "wb") as f:
            for _ in range(200):
                f.write(b"0" * 1024 * 1024)""")))
    add(Case("read_hidden_tests", 3, sandbox_only=True),
        notebook(root, square=gated(f"""
        _text = open({solutions!r}).read()
        assert "BEGIN HIDDEN TESTS" in _text""")))
    add(Case("write_outside", 3, sandbox_only=True),
        notebook(root, square=gated(f"""
        with open({root + '/nbgrader_config.py'!r}, "a") as f:
            f.write("\\n# owned\\n")""")))
    add(Case("read_other_student", 3, sandbox_only=True),
        notebook(root, square=gated(f"""
        open("{root}/submitted/correct/fx01_basics/fx01_basics.ipynb")
        """)))
    add(Case("gradebook_tamper", 3, sandbox_only=True),
        notebook(root, square=gated(f"""
        import sqlite3
        _db = sqlite3.connect("file:{root}/gradebook.db?mode=rw", uri=True)
        _db.execute("UPDATE source_cell SET source = 'pass'")
        _db.commit()""")))
    add(Case("network", 3, sandbox_only=True),
        notebook(root, square=gated(f"""
        import socket
        socket.create_connection(("127.0.0.1", {port}), timeout=2)""")))

    nb = notebook(root, square=WRONG["square"])
    nb["cells"] = [c for c in nb["cells"] if gid(c) != "test_square"]
    add(Case("deleted_test_cell", 3, "repaired", "flagged"), nb)
    nb = notebook(root, square=WRONG["square"])
    _cells(nb, "test_square")[0].update(cell_type="markdown")
    _cells(nb, "test_square")[0].pop("outputs", None)
    _cells(nb, "test_square")[0].pop("execution_count", None)
    add(Case("retyped_test_cell", 3, "repaired", "flagged"), nb)
    nb = notebook(root, square=WRONG["square"])
    test = _cells(nb, "test_square")[0]
    test["source"] = "pass"
    nb["cells"].insert(nb["cells"].index(test), copy.deepcopy(test))
    add(Case("duplicated_test_cell", 3, "repaired", "flagged"), nb)
    nb = notebook(root, square=WRONG["square"])
    _cells(nb, "test_square")[0]["source"] = "pass"
    add(Case("edited_test_cell", 3, "repaired", "flagged"), nb)
    nb = notebook(root)
    _cells(nb, "test_clip")[0]["metadata"]["nbgrader"]["points"] = 100
    add(Case("edited_points", 5, "repaired", "flagged"), nb)
    nb = notebook(root)
    sq = _cells(nb, "square")[0]
    sq["metadata"] = {}
    add(Case("missing_grade_id", 5, "missing-answer", "flagged"), nb)
    nb = notebook(root)
    dup = copy.deepcopy(_cells(nb, "square")[0])
    dup["source"] = WRONG["square"]
    nb["cells"].insert(nb["cells"].index(_cells(nb, "mean")[0]), dup)
    add(Case("duplicate_answer_id", 5, "repaired", "flagged"), nb)

    add(Case("invalid_json", 0, "invalid-json", "failed"),
        '{"cells": [{"cell_type": "code", "source": "def square(x')
    nb = notebook(root)
    nb["nbformat"] = 5
    add(Case("bad_nbformat", 5, "repaired", "flagged"), nb)
    nb = notebook(root)
    nb["metadata"]["kernelspec"] = {"name": "julia-1.9",
                                    "display_name": "Julia",
                                    "language": "julia"}
    add(Case("bad_kernelspec", 5, "repaired", "flagged"), nb)
    nb = notebook(root)
    for cell in nb["cells"]:
        cell["metadata"].get("nbgrader", {})["grade_id"] = "other_" + (
            gid(cell) or "x")
    add(Case("other_assignment", 0, "wrong-assignment", "failed"), nb)

    # nbgrader fails a test cell that writes to stderr, and so does the
    # grader (the same score as nbgrader, cell by cell): the two cells
    # that call square lose their 2 points.
    add(Case("correct_but_warns", 3), notebook(root, square=dedent("""
        import sys
        import warnings
        def square(x):
            warnings.warn("square: float64 only", RuntimeWarning)
            print("debug: squaring", file=sys.stderr)
            return np.asarray(x) ** 2""")))
    add(Case("non_ascii_id", 5, student="zoë-学生"), notebook(root))

    add(Case("ast_transformer", 0, "tamper", "flagged"),
        notebook(root, **dict(WRONG, square=dedent("""
        import ast
        class _NoAssert(ast.NodeTransformer):
            def visit_Assert(self, node):
                return ast.Pass()
        get_ipython().ast_transformers.append(_NoAssert())
        """) + "\n" + WRONG["square"])))
    add(Case("input_transformer", 0, "tamper", "flagged"),
        notebook(root, **dict(WRONG, square=dedent("""
        def _skip_asserts(lines):
            return [l for l in lines if "assert" not in l]
        get_ipython().input_transformers_post.append(_skip_asserts)
        """) + "\n" + WRONG["square"])))
    add(Case("custom_exception_handler", 0, "tamper", "flagged"),
        notebook(root, **dict(WRONG, square=dedent("""
        get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)
        """) + "\n" + WRONG["square"])))
    add(Case("allclose_monkeypatch", 0, "tamper", "flagged"),
        notebook(root, **dict(WRONG, square=dedent("""
        np.allclose = lambda *args, **kwargs: True
        """) + "\n" + WRONG["square"])))
    always = dedent("""
        class _Yes(float):
            def __eq__(self, other):
                return True
            def __array__(self, dtype=None, copy=None):
                return np.zeros(())
        """)
    add(Case("always_equal", 0, "tamper", "flagged"), notebook(
        root, square=always + "\ndef square(x):\n    return _Yes(0)",
        mean="def mean(xs):\n    return _Yes(0)",
        clip="def clip(x, lo, hi):\n    return _Yes(0)"))
    add(Case("hard_coded_visible", 0), notebook(root, square=dedent("""
        def square(x):
            return np.array([1.0, 4.0]) if np.ndim(x) else 9.0"""),
        mean="def mean(xs):\n    return 2.0",
        clip="def clip(x, lo, hi):\n    return 1.0"))
    return out
