"""course-autograder and stock nbgrader agree on a course that is not ours.

A small nbgrader course, written here the way other universities write
theirs (nbgrader's default folders, a configuration that imports a
module beside it, a configured cell timeout, unlocked setup code, a
markdown cell with a pasted image), with test cells that use what the
production grader has to reproduce from outside the student's process:
sets and pandas DataFrames coming back from answers, names the test
cell both reads and assigns, a module imported only in an answer cell,
a test that patches NumPy to forbid a solver, output on stderr, a
deleted test cell and a cell that runs past the timeout.  Both graders
grade the same submissions; every cell must get the same score, and
the report must say where a verdict came from the student's kernel.
"""
import base64
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.grading import flags
from autograder.grading.flags import Flag
from nbgrader_course import fill, graded_once, grade_both, submit

pytest.importorskip("pandas")

ASSIGNMENT = "ps1"
NOTEBOOK = "features.ipynb"
# A 1x1 PNG, pasted into a markdown cell as an attachment.
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101003518d8d50000"
    "000049454e44ae426082")).decode()


def _meta(gid, grade=False, solution=False, locked=False, points=0):
    meta = {"grade": grade, "solution": solution, "locked": locked,
            "grade_id": gid, "schema_version": 3}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _answer(gid, source):
    return new_code_cell(f"### BEGIN SOLUTION\n{source}\n### END SOLUTION",
                         metadata=_meta(gid, solution=True))


def _test(gid, source, points=1):
    return new_code_cell(source, metadata=_meta(gid, grade=True,
                                                locked=True, points=points))


def source_notebook():
    intro = new_markdown_cell("# Problem set 1\n\n![dot](attachment:dot.png)",
                              metadata=_meta("intro", locked=True))
    intro["attachments"] = {"dot.png": {"image/png": PNG}}
    cells = [
        intro,
        # Unlocked setup code, as many courses leave it.
        new_code_cell("import numpy as np\nSCALE = 2"),
        _answer("words", "def unique_words(text):\n"
                         "    return set(text.split())"),
        _test("test_words", 'assert unique_words("a b a") == {"a", "b"}\n'
                            'print("ok")'),
        _answer("frame", "import pandas as pd\n"
                         "def make_frame(n):\n"
                         "    return pd.DataFrame({'x': np.arange(n), "
                         "'name': [f'r{i}' for i in range(n)]})"),
        _test("test_frame", "df = make_frame(3)\n"
                            "assert list(df.columns) == ['x', 'name']\n"
                            "assert df['x'].sum() == 3\n"
                            "assert df['name'].iloc[2] == 'r2'"),
        _answer("total", "total = 10 * SCALE"),
        # ``total`` is read and assigned by the test cell.
        _test("test_total", "total = total + 0\nassert total == 20"),
        _answer("middle", "import statistics\n"
                          "def middle(xs):\n"
                          "    return statistics.median(xs)"),
        # ``statistics`` is imported by the answer cell only.
        _test("test_middle", "assert middle([1, 3, 2]) == "
                             "statistics.median([3, 2, 1])"),
        _answer("solve", "def solve(A, b):\n"
                         "    return np.linalg.lstsq(A, b, rcond=None)[0]"),
        # The test forbids np.linalg.solve by patching NumPy.
        _test("test_solve", "A = np.array([[2.0, 1.0], [1.0, 3.0]])\n"
                            "b = np.array([1.0, 2.0])\n"
                            "saved = np.linalg.solve\n"
                            "np.linalg.solve = None\n"
                            "try:\n"
                            "    x = solve(A, b)\n"
                            "finally:\n"
                            "    np.linalg.solve = saved\n"
                            "assert np.allclose(A @ x, b)", points=2),
        _answer("loud", "def loud(x):\n    return 2 * x"),
        _test("test_loud", "assert loud(3) == 6"),
        _answer("positive", "class Negative(ValueError):\n    pass\n\n"
                            "def positive(x):\n    if x < 0:\n"
                            "        raise Negative(f'{x} < 0')\n"
                            "    return x"),
        # The student's own exception class, caught as its built-in base.
        _test("test_positive", "try:\n    positive(-1)\n"
                               "except ValueError:\n    raised = True\n"
                               "else:\n    raised = False\n"
                               "assert raised and positive(2) == 2"),
        _answer("slow", "def slow():\n    return 42"),
        _test("test_slow", "assert slow() == 42"),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name":
                                 "Python 3 (ipykernel)",
                                 "language": "python"}
    return nb


STUDENTS = {
    "right": {},
    # Another correct style: loops, other containers and names.
    "right_loops": {
        "words": "def unique_words(text):\n    seen = frozenset()\n"
                 "    for w in text.split():\n        seen = seen | {w}\n"
                 "    return set(seen)",
        "frame": "import pandas\ndef make_frame(n):\n    rows = []\n"
                 "    for i in range(n):\n"
                 "        rows.append({'x': i, 'name': 'r' + str(i)})\n"
                 "    return pandas.DataFrame(rows)",
        "middle": "import statistics as st\nimport statistics\n"
                  "def middle(xs):\n    return st.median(sorted(xs))",
        "solve": "def solve(A, b):\n    A = np.array(A, float)\n"
                 "    return np.linalg.inv(A) @ b",
    },
    "wrong": {
        "words": "def unique_words(text):\n    return text.split()",
        "frame": "import pandas as pd\ndef make_frame(n):\n"
                 "    return pd.DataFrame({'x': np.arange(1, n + 1)})",
        "total": "total = 10",
        "middle": "import statistics\ndef middle(xs):\n"
                  "    return statistics.mean(xs) + 1",
        "solve": "def solve(A, b):\n    return b",
    },
    # Uses the solver the test forbids: nbgrader gives 0.
    "cheat": {"solve": "def solve(A, b):\n    return np.linalg.solve(A, b)"},
    # Correct, but talks on stderr: nbgrader fails that cell.
    "stderr": {"loud": "import sys\ndef loud(x):\n"
                       "    print('computing', file=sys.stderr)\n"
                       "    return 2 * x"},
    # Correct, but slower than the course's 3 s cell timeout.
    "slow": {"slow": "import time\ndef slow():\n    time.sleep(6)\n"
                     "    return 42"},
    # Changed the unlocked setup cell (nbgrader runs the student's).
    "setup": {"total": "total = 20"},
}


def build_course(root):
    root = Path(root)
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    (root / "course_settings.py").write_text("CELL_TIMEOUT = 3\n")
    (root / "nbgrader_config.py").write_text(
        "from course_settings import CELL_TIMEOUT\n"
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'features'\n"
        "c.ExecutePreprocessor.timeout = CELL_TIMEOUT\n")
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT /
                   NOTEBOOK)
    return root


def _submissions(release):
    """{student: notebook} built from the release like real students."""
    solution = {c.metadata.nbgrader.grade_id:
                c.source.replace("### BEGIN SOLUTION\n", "")
                .replace("\n### END SOLUTION", "")
                for c in source_notebook().cells
                if c.metadata.get("nbgrader", {}).get("solution")}
    out = {"blank": release}
    for name, answers in STUDENTS.items():
        out[name] = fill(release, dict(solution, **answers))
    setup = out["setup"]
    for cell in setup.cells:
        if cell.cell_type == "code" and cell.source.startswith("import numpy"):
            cell.source = "import numpy as np\nSCALE = 1"
    deleted = fill(release, solution)
    deleted.cells = [c for c in deleted.cells if c.metadata.get(
        "nbgrader", {}).get("grade_id") != "test_middle"]
    out["deleted"] = deleted
    return out


def _grade(folder):
    folder = Path(folder)
    ours = build_course(folder / "autograder")
    theirs = build_course(folder / "nbgrader")
    # Submissions are built from the release, as students get it.
    subprocess.run([sys.executable, "-m", "autograder", "--course-root",
                    str(ours), "release"], check=True, capture_output=True)
    release = nbformat.read(ours / "release" / ASSIGNMENT / NOTEBOOK, 4)
    for course in (ours, theirs):
        for name, nb in _submissions(release).items():
            submit(course, ASSIGNMENT, name, {NOTEBOOK: nb})
    result, reference = grade_both(ours, [theirs], ASSIGNMENT, jobs=2)
    result["reference"] = reference["scores"]
    result["reference_errors"] = reference["errors"]
    result["pages"] = {Path(p).parts[-3]: Path(p).read_text()
                       for p in result["feedback"]}
    result["autograded_json"] = {
        Path(p).parts[-3]: json.loads(Path(p).read_text())
        for p in result["autograded"]}
    return result


@pytest.fixture(scope="module")
def graded(tmp_path_factory, request):
    return graded_once(request, tmp_path_factory, "parity_features", _grade)


def _cells(result, student, which="scores"):
    return {cell: score for cell, (score, _) in
            result[which][student]["features"].items()}


def test_every_cell_scores_as_nbgrader(graded):
    assert not graded["errors"], graded["errors"]
    assert not graded["reference_errors"], graded["reference_errors"]
    assert set(graded["scores"]) == set(graded["reference"])
    for student in graded["scores"]:
        assert _cells(graded, student) == _cells(graded, student,
                                                 "reference"), student


def test_the_features_cost_and_keep_what_they_should(graded):
    """The reference verdicts themselves, so that agreeing with nbgrader
    cannot mean both graders missed a feature."""
    right = _cells(graded, "right")
    assert sum(right.values()) == 9
    assert _cells(graded, "right_loops") == right
    assert sum(_cells(graded, "blank").values()) == 0
    wrong = _cells(graded, "wrong")
    assert {k for k, v in wrong.items() if v == 0} == {
        "test_words", "test_frame", "test_total", "test_middle",
        "test_solve"}
    assert _cells(graded, "cheat")["test_solve"] == 0
    assert _cells(graded, "stderr")["test_loud"] == 0
    assert _cells(graded, "slow")["test_slow"] == 0
    assert _cells(graded, "setup")["test_total"] == 1
    assert _cells(graded, "deleted")["test_middle"] == 0
    assert sum(_cells(graded, "deleted").values()) == 8


def test_the_report_says_which_verdicts_came_from_the_kernel(graded):
    """The test that patches NumPy cannot be redone in the grader's
    process: the kernel's verdict stands, with a note, never a hold."""
    for student in ("right", "right_loops"):
        row = graded["rows"][student]
        notes = [f for f in flags.of(row["flags"], Flag.CHECKED_IN_KERNEL)
                 if f.startswith("checked-in-kernel: test_solve")]
        assert notes, row["flags"]
        assert not flags.codes(row["flags"]) & {
            Flag.TAMPER, Flag.VERDICT_DIFFERS}, row["flags"]
    # The cheat failed in its kernel: nbgrader's 0, nothing to re-check.
    cheat = graded["rows"]["cheat"]
    assert not [f for f in cheat["flags"] if "test_solve" in f]
    # Sets, DataFrames, names read and assigned by a test, a module
    # imported in an answer: all re-checked by the grader itself.
    for flag in graded["rows"]["right"]["flags"]:
        assert "test_words" not in flag and "test_frame" not in flag
        assert "test_total" not in flag and "test_middle" not in flag
        assert "test_positive" not in flag


def test_feedback_keeps_the_pasted_image(graded):
    nb = graded["autograded_json"]["right"]
    intro = nb["cells"][0]
    assert intro["attachments"]["dot.png"]["image/png"] == PNG
    page = graded["pages"]["right"]
    assert PNG[:40] in page
    assert "see above traceback" not in page.lower()


def test_check_fails_a_solution_that_grading_would_not_give_full_marks(
        tmp_path):
    """``check`` runs the solutions through the production path: a
    solution whose test writes to stderr (nbgrader fails the cell) is
    named with the cell and the reason."""
    course = build_course(tmp_path / "course")
    path = course / "source" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "loud":
            cell.source = cell.source.replace(
                "def loud(x):", "import sys\ndef loud(x):\n"
                "    print('computing', file=sys.stderr)")
    nbformat.write(nb, path)
    root = [sys.executable, "-m", "autograder", "--course-root",
            str(course)]
    subprocess.run(root + ["release"], check=True, capture_output=True)
    done = subprocess.run(root + ["check", ASSIGNMENT], capture_output=True,
                          text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "test test_loud fails: it writes to stderr" in done.stdout
    assert "test_words" not in done.stdout
