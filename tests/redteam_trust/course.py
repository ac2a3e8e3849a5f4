"""A small course in chapter 01's style for the trust red-team suite.

Three exercises graded like the course's chapters: ``forward_difference``
(2 points, assert_close against course_utils and assert_not_delegating),
``numerical_gradient`` (2 points, call_checked: inputs must not change)
and the value ``best_h`` (1 point).  Built with nbformat at test time.
"""
import json
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "tr01_trust"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


def dedent(code):
    return textwrap.dedent(code).strip("\n")


SETUP = dedent("""
    %matplotlib inline
    import numpy as np
    from course_utils import derivatives as cud
    from course_utils.checks import (assert_close, assert_not_delegating,
                                     call_checked, passed)
    rng = np.random.default_rng(0)
    """)

SOLUTIONS = {
    "forward_difference": dedent("""
        def forward_difference(f, x, h=1e-5):
            \"\"\"(f(x + h) - f(x)) / h; x: float or (N,) array.\"\"\"
            ### BEGIN SOLUTION
            return (f(x + h) - f(x)) / h
            ### END SOLUTION
        """),
    "numerical_gradient": dedent("""
        def numerical_gradient(f, x, h=1e-5):
            \"\"\"Central-difference gradient of f at x: (...) array.\"\"\"
            ### BEGIN SOLUTION
            x = np.array(x, dtype=float)
            grad = np.zeros_like(x)
            for idx in np.ndindex(x.shape):
                old = x[idx]
                x[idx] = old + h
                f_plus = f(x)
                x[idx] = old - h
                f_minus = f(x)
                x[idx] = old
                grad[idx] = (f_plus - f_minus) / (2 * h)
            return grad
            ### END SOLUTION
        """),
    "choose_h": dedent("""
        ### BEGIN SOLUTION
        best_h = 1e-8
        ### END SOLUTION
        """),
}

TESTS = {
    "test_forward_difference": (2, dedent("""
        \"\"\"Does forward_difference compute (f(x + h) - f(x)) / h?\"\"\"
        square = lambda t: t**2
        assert_close(forward_difference(square, 3.0, h=1e-4), 6.0001,
                     "forward_difference(square, 3.0, h=1e-4)", rtol=1e-9)
        ### BEGIN HIDDEN TESTS
        from course_utils import derivatives as _ref
        _rng = np.random.default_rng(5)
        for _ in range(3):
            _c = _rng.normal(size=3)
            _g = lambda t, c=_c: c[0] + c[1] * t + c[2] * t**2
            _x = float(_rng.uniform(-2, 2))
            assert_close(forward_difference(_g, _x, h=1e-3),
                         _ref.forward_difference(_g, _x, h=1e-3),
                         "forward_difference(quadratic, x, h=1e-3)",
                         rtol=1e-7, atol=1e-9)
        assert_not_delegating(forward_difference, _ref.forward_difference,
                              _ref.central_difference, np.gradient)
        ### END HIDDEN TESTS
        passed("forward_difference: values right")
        """)),
    "test_numerical_gradient": (2, dedent("""
        \"\"\"Does numerical_gradient give the gradient, leaving x alone?\"\"\"
        _x = np.array([1.0, 2.0])
        _grad = call_checked(numerical_gradient,
                             lambda p: p[0]**2 + 3 * p[1], _x,
                             name="numerical_gradient(f, [1, 2])")
        assert_close(_grad, np.array([2.0, 3.0]),
                     "numerical_gradient(f, [1, 2])")
        ### BEGIN HIDDEN TESTS
        from course_utils import derivatives as _ref
        _rng = np.random.default_rng(9)
        _A = _rng.normal(size=(4, 4))
        _f = lambda v: 0.5 * v @ _A @ v + np.sum(np.sin(v))
        _x = _rng.normal(size=4)
        assert_close(call_checked(numerical_gradient, _f, _x, h=0.1,
                                  name="numerical_gradient(f, x, h=0.1)"),
                     _ref.numerical_gradient(_f, _x, h=0.1),
                     "numerical_gradient(f, x, h=0.1)", rtol=1e-6,
                     atol=1e-8)
        assert_not_delegating(numerical_gradient, _ref.numerical_gradient,
                              _ref.numerical_jacobian, np.gradient)
        ### END HIDDEN TESTS
        passed("numerical_gradient: values right, x unchanged")
        """)),
    "test_best_h": (1, dedent("""
        \"\"\"Is best_h near the bottom of the forward-difference error?\"\"\"
        assert isinstance(best_h, float), "best_h should be a float."
        ### BEGIN HIDDEN TESTS
        assert 1e-9 <= best_h <= 2e-7, "best_h is not near the bottom."
        ### END HIDDEN TESTS
        passed("best_h: near the bottom of the V")
        """)),
}
ORDER = [("forward_difference", "test_forward_difference"),
         ("numerical_gradient", "test_numerical_gradient"),
         ("choose_h", "test_best_h")]
TOTAL = 5


def _meta(grade_id, points=None, solution=False):
    meta = {"grade": points is not None, "grade_id": grade_id,
            "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook():
    """The instructor's source notebook of the trust course."""
    cells = [new_markdown_cell("# Trust fixture: chapter 01 in small"),
             new_code_cell(SETUP, metadata=_meta("setup"))]
    for answer, test in ORDER:
        cells.append(new_markdown_cell(f"## `{answer}`"))
        cells.append(new_code_cell(SOLUTIONS[answer],
                                   metadata=_meta(answer, solution=True)))
        points, source = TESTS[test]
        cells.append(new_code_cell(source, metadata=_meta(test, points)))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3",
                                 "display_name": "Python 3",
                                 "language": "python"}
    return nb


def make_course(root, **sandbox):
    """A course at ``root`` with the trust assignment, test-sized limits."""
    root = Path(root)
    folder = root / "solutions" / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), folder / NOTEBOOK)
    settings = {"cell_timeout": 5, "notebook_timeout": 90,
                "memory_mb": 1024, "file_size_mb": 16, **sandbox}
    lines = [f'load_subconfig("{REPO / "autograder" / "nbgrader_config.py"}")',
             "c = get_config()"]
    lines += [f"c.Sandbox.{k} = {v!r}" for k, v in settings.items()]
    (root / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    return root


def release(root):
    return json.loads((Path(root) / "notebooks" / ASSIGNMENT / NOTEBOOK)
                      .read_text())


def submit(root, student, content, extra_files=None):
    """Write a submission (and any files shipped beside it)."""
    folder = Path(root) / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NOTEBOOK).write_text(json.dumps(content), encoding="utf-8")
    (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
    for rel, text in (extra_files or {}).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
