"""Any nbgrader course: nbgrader's default layout, run from a 0700 folder.

One small course of our own in nbgrader's default layout (``source/``,
``release/``, no ``nbgrader_config.py`` at all, so no ``db_url``) with a
written answer, a manually graded code cell, a task cell, an image
beside the notebook and an unlabelled cell between an answer and its
test.  The same submissions are graded by plain ``nbgrader autograde``
and by ``course-autograder``; the scores must be the same, cell by cell.

``course-autograder`` runs here from a folder of mode 0700: its Python
environment (a virtual environment made for the test), its packages
(``autograder``, ``course_utils``) and the course all sit below it, and,
when the tests run as root, grading uses the resource-limits fallback,
whose kernel drops to a private uid that cannot traverse that folder.

Everything that needs a kernel runs once, in one module fixture shared by
xdist workers: grade, enter manual grades, tighten a test, export (must
refuse), regrade, release a hold.  The tests then read what it recorded.
"""
import base64
import copy
import csv
import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.sandbox import isolation as sandbox
from autograder.cli import main
from autograder.course import Course
from redteam.course import REPO

ASSIGNMENT = "ps1"
NAME = "problem1"
# A 1x1 PNG: the notebook shows it, a test checks it is beside it.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwAD"
    "hgGAWjR9awAAAABJRU5ErkJggg==")
POINTS = {"test_add": 2, "explain": 3, "plot": 2, "task": 1, "test_logo": 1}
# Waiting for a manual grade: the written answer (3, the student wrote
# one) and the task (1); nbgrader scores an unchanged answer cell (the
# manually graded code, 2) 0 on its own.
PENDING = 3 + 1


def _meta(gid, grade=False, solution=False, locked=False, points=None,
          task=False):
    meta = {"grade": grade, "grade_id": gid, "locked": locked,
            "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    if task:
        meta["task"] = True
    return {"nbgrader": meta}


ADD = "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n" \
      "    ### END SOLUTION"
LOGO = ("import os\n\ndef logo_size():\n    ### BEGIN SOLUTION\n"
        "    return os.path.getsize('jupyter.png')\n    ### END SOLUTION")
TEST_ADD = ("for a, b, total in cases:\n"
            "    assert add(a, b) == total, 'add is wrong'\n"
            "### BEGIN HIDDEN TESTS\n"
            "assert add(10, 20) == 30\n"
            "### END HIDDEN TESTS")
TIGHTER = TEST_ADD.replace("assert add(10, 20) == 30",
                           "assert add(10, 20) == 30\n"
                           "assert add(-3, 1) == -2")


def source_notebook(test_add=TEST_ADD):
    """The instructor's notebook: every kind of cell nbgrader knows."""
    return new_notebook(cells=[
        new_markdown_cell("# Problem 1\n\n![logo](jupyter.png)"),
        new_code_cell(ADD, metadata=_meta("add", solution=True)),
        # Unlabelled: the test below needs it, so it must run first.
        new_code_cell("cases = [(1, 2, 3), (2, 2, 4)]"),
        new_code_cell(test_add, metadata=_meta(
            "test_add", grade=True, locked=True, points=2)),
        new_markdown_cell("Why does `add` commute?"),
        new_markdown_cell("Because addition does.", metadata=_meta(
            "explain", grade=True, solution=True, points=3)),
        new_code_cell("### BEGIN SOLUTION\nsquares = [i * i for i in "
                      "range(4)]\n### END SOLUTION",
                      metadata=_meta("plot", grade=True, solution=True,
                                     points=2)),
        new_markdown_cell("Describe your plot (task).", metadata=_meta(
            "task", locked=True, points=1, task=True)),
        new_code_cell(LOGO, metadata=_meta("logo", solution=True)),
        new_code_cell(f"assert logo_size() == {len(PNG)}, 'wrong size'",
                      metadata=_meta("test_logo", grade=True, locked=True,
                                     points=1)),
    ], metadata={"kernelspec": {"name": "python3",
                                "display_name": "Python 3",
                                "language": "python"}})


def make_course(root, test_add=TEST_ADD):
    """nbgrader's default layout, no configuration file."""
    folder = Path(root) / "source" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(source_notebook(test_add), folder / f"{NAME}.ipynb")
    (folder / "jupyter.png").write_bytes(PNG)
    return Path(root)


def answered(release, add=None, extra=""):
    """The release with answers typed in, as a student would."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "add":
            cell.source = extra + (add or "def add(a, b):\n    return a + b")
        elif gid == "explain":
            cell.source = "It does."
        elif gid == "logo":
            cell.source = LOGO.replace("    ### BEGIN SOLUTION\n", "")
    return nb


def students(root):
    """{student: notebook}: honest ones nbgrader grades the same way."""
    root = Path(root)
    release = nbformat.read(root / "release" / ASSIGNMENT / f"{NAME}.ipynb",
                            4)
    return {
        "good": answered(release),
        "blank": release,
        # Right on the visible and hidden cases, wrong for negatives.
        "wrong": answered(release, "def add(a, b):\n"
                          "    return a + b if a >= 0 else 0"),
        # The instructor's own notebook, hidden tests and all.
        "solution": nbformat.read(
            root / "source" / ASSIGNMENT / f"{NAME}.ipynb", 4),
    }


def submit(root, student, nb):
    folder = Path(root) / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{NAME}.ipynb")
    (folder / "timestamp.txt").write_text("2026-02-01 10:00:00.000000 UTC")


NBGRADER = """
import json, sys
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.api import Gradebook
from traitlets.config import Config
root = sys.argv[1]
c = Config()
c.CourseDirectory.root = root
c.Application.log_level = "WARN"
api = NbGraderAPI(coursedir=CourseDirectory(config=c), config=c)
out = {}
for student in sys.argv[2:]:
    r = api.autograde("ps1", student, force=True, create=True)
    assert r["success"], r
with Gradebook("sqlite:///" + root + "/gradebook.db") as gb:
    for student in sys.argv[2:]:
        sub = gb.find_submission("ps1", student)
        out[student] = {g.name: g.score for nb in sub.notebooks
                        for g in nb.grades}
print(json.dumps(out))
"""


def _private_env(base):
    """A 0700 folder holding a virtual environment and the grader's
    packages; return (python, environment variables)."""
    private = base / "private"
    private.mkdir(mode=0o700)
    os.chmod(private, 0o700)
    venv = private / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip",
                    str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    # The shared packages stay where they are; the environment that
    # points at them is below the 0700 folder.
    (site / "course_env.pth").write_text(
        "\n".join(sandbox.site_dirs()) + "\n")
    pkgs = private / "pkgs"
    for name in ("autograder", "course_utils"):
        shutil.copytree(REPO / name, pkgs / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(pkgs),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}"
               f"{os.environ['PATH']}")
    env.pop("NBGRADER_DB_URL", None)
    if os.geteuid() == 0:
        env["AUTOGRADER_ISOLATION"] = "rlimits"
    return private, venv / "bin" / "python", env


def _run(python, env, root, *args):
    """The CLI in a subprocess from the private environment (commands
    that start kernels), or in this process (the others: faster)."""
    import time
    start = time.monotonic()
    try:
        return _run_cli(python, env, root, *args)
    finally:
        TIMES.append((args[0], round(time.monotonic() - start, 1)))


TIMES = []


def _run_cli(python, env, root, *args):
    if python is None:
        import contextlib
        import io
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--course-root", str(root), *args])
        return {"code": code, "out": out.getvalue(), "err": err.getvalue()}
    done = subprocess.run([str(python), "-m", "autograder", "--course-root",
                           str(root), *args], env=env, capture_output=True,
                          text=True, timeout=300)
    return {"code": done.returncode, "out": done.stdout, "err": done.stderr}


def _scores(root):
    with Course(root).gradebook() as gb:
        return {s.student_id: {g.name: g.score for nb in s.notebooks
                               for g in nb.grades}
                for s in gb.assignment_submissions(ASSIGNMENT)}


def _csv(path):
    return {r["student_id"]: r for r in csv.DictReader(open(path))}


def _set_manual(root, student, gid, score):
    with Course(root).gradebook() as gb:
        grade = gb.find_grade(gid, NAME, ASSIGNMENT, student)
        grade.manual_score = score
        gb.db.commit()


def _build(base):
    """Everything that needs a kernel, in order; return what happened."""
    data = {}
    plain = make_course(base / "plain")
    private, python, env = _private_env(base)
    ours = make_course(private / "course")
    data["private"] = str(private)
    # Release: nbgrader writes release/ps1/, and the CLI says so.
    data["release"] = _run(None, env, ours, "release")
    shutil.copytree(ours / "release", plain / "release")
    shutil.copy(ours / "gradebook.db", plain / "gradebook.db")
    subs = students(ours)
    subs["tamper"] = answered(
        nbformat.read(ours / "release" / ASSIGNMENT / f"{NAME}.ipynb", 4),
        extra="import numpy as np\nnp.allclose = lambda *a, **k: True\n")
    for student, nb in subs.items():
        submit(ours, student, nb)
        if student != "tamper":
            submit(plain, student, nb)
    honest = sorted(s for s in subs if s != "tamper")
    done = subprocess.run([sys.executable, "-c", NBGRADER, str(plain),
                           *honest], capture_output=True, text=True,
                          timeout=300, env=dict(env, PYTHONPATH=""))
    assert done.returncode == 0, done.stderr[-3000:]
    data["nbgrader"] = json.loads(done.stdout.splitlines()[-1])
    data["check"] = _run(python, env, ours, "check")
    data["grade"] = _run(python, env, ours, "grade", ASSIGNMENT, "--jobs",
                         "2", "--quiet")
    data["scores"] = _scores(ours)
    data["autograded_png"] = (ours / "autograded" / "good" / ASSIGNMENT /
                              "jupyter.png").is_file()
    data["feedback"] = _run(None, env, ours, "feedback", ASSIGNMENT)
    data["feedback_png"] = (ours / "feedback" / "good" / ASSIGNMENT /
                            "jupyter.png").is_file()
    data["feedback_nobody"] = _run(None, env, ours, "feedback",
                                   ASSIGNMENT, "--students", "nobody")
    data["report"] = _run(None, env, ours, "report", ASSIGNMENT)
    data["export"] = _run(None, env, ours, "export", "--output",
                          str(base / "first.csv"))
    data["first_csv"] = _csv(base / "first.csv")
    data["again"] = _run(None, env, ours, "grade", ASSIGNMENT, "--quiet")
    # The instructor grades by hand, then tightens a test.
    _set_manual(ours, "good", "explain", 2.0)
    _set_manual(ours, "tamper", "explain", 3.0)
    _set_manual(ours, "tamper", "plot", 1.0)
    nbformat.write(source_notebook(TIGHTER),
                   ours / "source" / ASSIGNMENT / f"{NAME}.ipynb")
    data["re_release"] = _run(None, env, ours, "release")
    data["stale_export"] = _run(None, env, ours, "export", "--output",
                                str(base / "stale.csv"))
    data["stale_csv_written"] = (base / "stale.csv").exists()
    data["regrade"] = _run(python, env, ours, "grade", ASSIGNMENT,
                           "--quiet")
    data["regraded"] = _scores(ours)
    data["tamper_held"] = _grades(ours, "tamper")
    # The tamper student's code is cleaned: the hold is released.
    submit(ours, "tamper", subs["good"])
    data["release_hold"] = _run(python, env, ours, "grade", ASSIGNMENT,
                                "--quiet", "--students", "tamper")
    data["tamper_released"] = _grades(ours, "tamper")
    data["final_export"] = _run(None, env, ours, "export", "--output",
                                str(base / "final.csv"))
    data["final_csv"] = _csv(base / "final.csv")
    data["times"] = TIMES
    return data


def _grades(root, student):
    with Course(root).gradebook() as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        return {g.name: [g.auto_score, g.manual_score, g.score]
                for nb in sub.notebooks for g in nb.grades}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Grade once for the whole module, shared by xdist workers."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    shared = base / "ag-layouts"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "run.json"
        if not done.exists():
            work = shared / "work"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            done.write_text(json.dumps(_build(work)))
        return json.loads(done.read_text())


HONEST = ("good", "blank", "wrong", "solution")


def test_release_names_nbgraders_folder(run):
    """Does release report release/ps1/, where nbgrader wrote it?"""
    assert run["release"]["code"] == 0, run["release"]
    assert "released ps1 -> release/ps1/" in run["release"]["out"]


def test_check_passes_with_an_unlabelled_cell_before_a_test(run):
    """Does check, which runs what grade runs, pass the solution?"""
    assert run["check"]["code"] == 0, run["check"]
    assert "ok   ps1" in run["check"]["out"]


@pytest.mark.parametrize("student", HONEST)
def test_same_scores_as_nbgrader(run, student):
    """Does every cell score exactly what plain nbgrader gives it?"""
    assert run["grade"]["code"] == 0, run["grade"]
    assert run["scores"][student] == run["nbgrader"][student]


def test_scores_are_the_expected_ones(run):
    """Is the unlabelled cell run before its test (2/2, not 0/2)?"""
    good = run["scores"]["good"]
    assert good["test_add"] == 2 and good["test_logo"] == 1
    assert all(run["scores"]["blank"][g] == 0 for g in POINTS)
    assert run["scores"]["solution"]["test_add"] == 2


def test_files_beside_the_notebook_reach_autograded_and_feedback(run):
    """Is the image copied as nbgrader copies it?"""
    assert run["autograded_png"]
    assert run["feedback"]["code"] == 0, run["feedback"]
    assert run["feedback_png"]


def test_solution_submitted_as_a_student_is_not_flagged(run):
    """Are hidden tests in a submitted solution not an 'edited' test?"""
    row = run["first_csv"]["solution"]
    assert row["status"] == "graded", row
    assert "edited" not in row["flags"]


def test_unknown_students_are_an_error(run):
    """Does feedback --students with an unknown id exit 2, naming it?"""
    assert run["feedback_nobody"]["code"] == 2
    assert "nobody" in run["feedback_nobody"]["err"]


def test_report_and_csv_show_points_awaiting_manual_grading(run):
    """Do report and CSV say which points wait for a manual grade?"""
    out = run["report"]["out"]
    assert f"good: 3/9 ({PENDING} point(s) await manual grading)" in out
    assert "solution: 3/9 (6 point(s) await manual grading)" in out
    assert "tamper: 0/9 (held at 0 for review; 4 point(s) await manual " \
        "grading)" in out
    assert run["export"]["code"] == 0, run["export"]
    assert run["first_csv"]["good"]["awaiting_manual_grading"] == "4"
    # After the instructor graded the written answer: the task is left.
    assert run["final_csv"]["good"]["awaiting_manual_grading"] == "1"
    assert float(run["final_csv"]["good"]["score"]) == 5


def test_unchanged_submissions_are_skipped(run):
    assert "5 unchanged submission(s)" in run["again"]["out"]


def test_tighter_tests_make_scores_stale_until_regraded(run):
    """After a test changes, does export refuse and grade regrade?"""
    assert run["re_release"]["code"] == 0, run["re_release"]
    assert run["stale_export"]["code"] == 3
    assert "STALE ps1" in run["stale_export"]["err"]
    assert not run["stale_csv_written"]
    assert "5 submission(s) regraded because the tests changed" in \
        run["regrade"]["out"]
    assert run["scores"]["wrong"]["test_add"] == 2
    assert run["regraded"]["wrong"]["test_add"] == 0
    assert run["final_export"]["code"] == 0, run["final_export"]


def test_manual_grades_survive_regrades_and_holds(run):
    """Are manual scores kept through a regrade, a hold and its end?"""
    assert run["regraded"]["good"]["explain"] == 2
    held = run["tamper_held"]
    assert held["test_add"][1:] == [0.0, 0.0]      # held at 0
    assert held["explain"][1:] == [3.0, 3.0]       # the instructor's
    assert held["plot"][1:] == [1.0, 1.0]
    released = run["tamper_released"]
    assert released["test_add"] == [2.0, None, 2.0]
    assert released["explain"][1:] == [3.0, 3.0]
    assert run["final_csv"]["tamper"]["held_for_review"] == "no"


@pytest.mark.skipif(os.geteuid() != 0, reason="the private uid is root's")
def test_private_folder_stays_closed(run):
    """As root: did grading leave the 0700 folder as it was?"""
    assert os.stat(run["private"]).st_mode & 0o777 == 0o700
    assert "[rlimits]" in run["grade"]["out"]


def test_course_without_source_folder_names_the_setting(tmp_path, capsys):
    """Does a folder without source/ point at source_directory?"""
    assert main(["--course-root", str(tmp_path), "report"]) == 2
    assert "source_directory" in capsys.readouterr().err


def test_header_and_db_url_come_from_the_configuration(tmp_path):
    """Are header, folders and db_url nbgrader's, resolved at the root?"""
    (tmp_path / "src" / "a").mkdir(parents=True)
    nbformat.write(source_notebook(), tmp_path / "src" / "a" / "n.ipynb")
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.source_directory = 'src'\n"
        "c.CourseDirectory.release_directory = 'out'\n"
        "c.IncludeHeaderFooter.header = 'src/header.ipynb'\n")
    course = Course(tmp_path)
    assert course.assignments() == ["a"]
    assert course.release_dir("a") == tmp_path / "out" / "a"
    assert course.db_url == f"sqlite:///{tmp_path}/gradebook.db"
    assert course.config.IncludeHeaderFooter.header == \
        str(tmp_path / "src" / "header.ipynb")


# -- pre-flight keeps the source notebook's order (no kernel) ---------------
@pytest.fixture(scope="module")
def master(tmp_path_factory):
    """The course's master, its release made by nbgrader's rules."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    from autograder.course.master import load_master
    folder = tmp_path_factory.mktemp("master")
    nbformat.write(source_notebook(), folder / "source.ipynb")
    nb, _ = ClearSolutions().preprocess(source_notebook(), {})
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    nbformat.write(nb, folder / f"{NAME}.ipynb")
    return load_master(folder / "source.ipynb", folder / f"{NAME}.ipynb"), \
        nb


def _layout(nb):
    """Each cell as its grade_id, or its first line when unlabelled."""
    return [c.metadata.get("nbgrader", {}).get("grade_id") or
            c.source.splitlines()[0] for c in nb.cells]


def _preflight(nb, master):
    from autograder.grading.preflight import preflight
    return preflight(nbformat.writes(nb).encode(), master)


def test_repairs_keep_every_cell_in_place(master):
    """Is an edited test restored where it is, unlabelled cells kept?"""
    master, release = master
    nb = answered(release)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_add":
            cell.source = "pass"
    fixed, issues = _preflight(nb, master)
    assert _layout(fixed) == _layout(release)
    assert "test cell test_add was edited; restored" in issues
    assert "HIDDEN TESTS" in fixed.cells[3].source


def test_a_deleted_test_returns_after_the_unlabelled_cell(master):
    """Is a deleted test put back where the source has it, after the
    unlabelled cell it needs, not right after its answer?"""
    master, release = master
    nb = answered(release)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {})
                .get("grade_id") != "test_add"]
    # A course that sets nbgrader's OverwriteCells.add_missing_cells.
    master.restore_missing = True
    try:
        fixed, issues = _preflight(copy.deepcopy(nb), master)
    finally:
        master.restore_missing = False
    assert _layout(fixed) == _layout(release)
    assert "test cell test_add was deleted; restored" in issues
    # Without it (nbgrader's default) the test stays deleted: it scores
    # 0, as under nbgrader.
    fixed, _ = _preflight(nb, master)
    assert "test_add" not in [c.metadata.get("nbgrader", {}).get(
        "grade_id") for c in fixed.cells]


def test_a_students_own_order_is_kept(master):
    """A student who moved a cell keeps that order (never reordered)."""
    master, release = master
    nb = answered(release)
    nb.cells.append(nb.cells.pop(2))  # `cases` moved to the end
    fixed, _ = _preflight(nb, master)
    assert _layout(fixed) == _layout(nb)


def test_the_solution_needs_no_repair(master):
    """Is the instructor's notebook, hidden tests in, left as it is?"""
    master, _ = master
    fixed, issues = _preflight(source_notebook(), master)
    assert issues == []
    assert _layout(fixed) == _layout(source_notebook())
