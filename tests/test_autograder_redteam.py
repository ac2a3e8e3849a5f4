"""Red-team suite: adversarial submissions graded in one run.

Every submission is asserted to its exact score and flag.  The whole
batch is graded by a single `grade` call with 5 s cell timeouts.
"""
import socket
import threading
from pathlib import Path

import psutil
import pytest

from autograder.sandbox import isolation as sandbox
from autograder.cli import main
from autograder.course import Course
from autograder.grading import grade
from autograder.gradebook.integrity import gradebook_mismatches
from nbgrader_course import graded_once
from redteam.course import ASSIGNMENT, make_course, submit
from redteam.submissions import build

ISOLATION = sandbox.choose_isolation("auto")  # AUTOGRADER_ISOLATION too
needs_bwrap = pytest.mark.skipif(
    ISOLATION != "bwrap",
    reason="needs bubblewrap with namespaces: apt-get install bubblewrap")


@pytest.fixture(scope="module")
def listener():
    """A TCP server on the host's loopback, the network attack's target."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve():
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.close()
            except OSError:
                continue
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


def _grade_batch(root, port):
    """Release, submit and grade every case; return rows by student."""
    root = make_course(root)
    assert main(["--course-root", str(root), "release"]) == 0
    config_before = (root / "nbgrader_config.py").read_text()
    for case, content in build(root, port).items():
        submit(root, case.student_id, content)
    summary = grade(Course(root), ASSIGNMENT, jobs=2, progress=False)
    rows = {r["student"]: {k: v for k, v in r.items() if k != "updated"}
            for r in summary.rows}
    return {"root": str(root), "rows": rows,
            "config_before": config_before}


@pytest.fixture(scope="module")
def batch(request, tmp_path_factory, listener):
    """Grade every red-team submission once, shared by xdist workers."""
    data = graded_once(request, tmp_path_factory, "ag-redteam",
                       lambda folder: _grade_batch(folder / "course",
                                                   listener))
    root = Path(data["root"])
    return {"course": Course(root), "rows": data["rows"],
            "cases": build(root, listener),
            "config_before": data["config_before"]}


def _cases(batch):
    return {c.name: c for c in batch["cases"]}


def pytest_generate_tests(metafunc):
    if "case_name" in metafunc.fixturenames:
        names = ["correct", "blank", "wrong", "exception", "infinite_loop",
                 "sigint_ignoring_loop", "os_exit", "sys_exit",
                 "ctypes_segfault", "memory_bomb", "fork_bomb",
                 "huge_output", "orphan_process", "large_file",
                 "read_hidden_tests", "read_other_student",
                 "write_outside", "gradebook_tamper",
                 "network", "deleted_test_cell", "retyped_test_cell",
                 "duplicated_test_cell", "edited_test_cell",
                 "edited_points", "missing_grade_id",
                 "duplicate_answer_id", "invalid_json", "bad_nbformat",
                 "bad_kernelspec", "other_assignment", "correct_but_warns",
                 "non_ascii_id", "ast_transformer", "input_transformer",
                 "custom_exception_handler", "allclose_monkeypatch",
                 "always_equal", "hard_coded_visible"]
        metafunc.parametrize("case_name", names)


def test_red_team_submission(batch, case_name):
    """Does each adversarial submission get exactly its expected score?"""
    case = _cases(batch)[case_name]
    if case.sandbox_only and ISOLATION != "bwrap":
        pytest.skip("outcome needs bubblewrap: apt-get install bubblewrap")
    row = batch["rows"][case.student_id]
    codes = {f.split(":", 1)[0] for f in row["flags"]}
    assert row["score"] == case.score, row
    assert row["max_score"] == 5, row
    assert row["status"] == case.status, row
    if case.flag:
        assert case.flag in codes, row
    assert row["isolation"] == ISOLATION


def test_every_case_is_listed(batch):
    """Is every built submission covered by the parametrized list?"""
    assert len(batch["cases"]) >= 25
    assert set(_cases(batch)) == set(
        batch["rows"][c.student_id]["student"] and c.name
        for c in batch["cases"])


def test_no_orphans_survive(batch):
    """Are processes started by submissions gone after grading?"""
    left = [p for p in psutil.process_iter(["cmdline"])
            if p.info["cmdline"] and p.info["cmdline"][:2] == ["sleep",
                                                                "997"]]
    assert left == []
    # A kernel's private uid is UID_BASE + its grader's pid: one whose
    # grader is gone is an orphan (other tests may be grading now).
    uid_base = sandbox.UID_BASE
    strays = [p for p in psutil.process_iter(["uids", "status"])
              if p.info["uids"] and p.info["uids"].real >= uid_base
              and p.info["status"] != psutil.STATUS_ZOMBIE
              and not psutil.pid_exists(p.info["uids"].real - uid_base)]
    assert strays == []


@needs_bwrap
def test_course_files_untouched(batch):
    """Did no submission change the course's configuration or gradebook?"""
    root = batch["course"].root
    assert (root / "nbgrader_config.py").read_text() == \
        batch["config_before"]
    assert gradebook_mismatches(batch["course"], ASSIGNMENT) == []


def test_tampered_gradebook_refuses_export(batch, tmp_path):
    """Does export refuse when stored test cells differ from solutions/?"""
    import shutil
    import sqlite3
    root = tmp_path / "copy"
    shutil.copytree(batch["course"].root, root,
                    ignore=shutil.ignore_patterns("submitted",
                                                  "autograded"))
    db = sqlite3.connect(root / "gradebook.db")
    db.execute("UPDATE source_cell SET source = 'pass' "
               "WHERE name = 'test_mean'")
    db.commit()
    db.close()
    code = main(["--course-root", str(root), "export", "--output",
                 str(tmp_path / "g.csv")])
    assert code == 3
    assert not (tmp_path / "g.csv").exists()


def test_export_marks_failed_apart_from_blank(batch, tmp_path):
    """Does the CSV tell a failed submission from a blank one?"""
    import csv
    out = tmp_path / "grades.csv"
    assert main(["--course-root", str(batch["course"].root), "export",
                 "--output", str(out)]) == 0
    rows = {r["student_id"]: r for r in csv.DictReader(out.open())}
    assert rows["blank"]["status"] == "graded"
    assert float(rows["blank"]["score"]) == 0
    assert rows["invalid_json"]["status"] == "failed"
    assert "invalid-json" in rows["invalid_json"]["flags"]
    assert rows["allclose_monkeypatch"]["held_for_review"] == "yes"


def test_regrade_one_student_alone(batch):
    """Can a student whose kernel died be regraded alone?"""
    summary = grade(batch["course"], ASSIGNMENT, students=["os_exit"],
                    jobs=1, progress=False)
    assert [r["student"] for r in summary.rows] == ["os_exit"]
    assert summary.rows[0]["score"] == 3
