"""PostgreSQL gradebook: a real server, two graders writing at once.

Covers what docs/instructors.md (section PostgreSQL) says: the URL from
NBGRADER_DB_URL or from the course's nbgrader_config.py, release creating
nbgrader's tables and grade the course's status table in the same
database, two concurrent `grade` runs on separate students, then
`report` and `export` reading it.
"""
import os
import subprocess
import sys

import pytest

from autograder.cli import main
from autograder.course import Course
from redteam.course import ASSIGNMENT, make_course, submit
from redteam.submissions import WRONG, notebook
from services import PG_BIN, Unavailable, postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(PG_BIN is None, reason="needs a PostgreSQL server: "
                       "apt-get install postgresql"),
]


@pytest.fixture(scope="module")
def pg_url():
    """Start a private PostgreSQL server; yield a database URL."""
    try:
        with postgres(("course", "configured")) as url:
            yield url
    except Unavailable as err:
        pytest.skip(str(err))


def test_concurrent_graders_share_one_postgres_gradebook(
        pg_url, tmp_path, monkeypatch):
    """Can two grading processes write one PostgreSQL gradebook at once?"""
    monkeypatch.setenv("NBGRADER_DB_URL", pg_url)
    root = make_course(tmp_path / "course")
    assert main(["--course-root", str(root), "release"]) == 0
    good, bad = ["a1", "a2", "a3"], ["b1", "b2", "b3"]
    for student in good:
        submit(root, student, notebook(str(root)))
    for student in bad:
        submit(root, student, notebook(str(root), **WRONG))
    env = dict(os.environ, NBGRADER_DB_URL=pg_url)
    procs = [subprocess.Popen(
        [sys.executable, "-m", "autograder", "--course-root", str(root),
         "grade", ASSIGNMENT, "--jobs", "1", "--quiet", "--students",
         *group], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True) for group in ([good[0], bad[0], good[1]],
                                 [bad[1], good[2], bad[2]])]
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, out + err
    course = Course(root)
    assert course.db_url == pg_url
    with course.gradebook() as gb:
        scores = {s.student_id: s.score
                  for s in gb.assignment_submissions(ASSIGNMENT)}
    assert scores == {**{s: 5 for s in good}, **{s: 0 for s in bad}}
    from sqlalchemy import create_engine, inspect
    engine = create_engine(pg_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"assignment", "submitted_assignment", "grade",
            "autograder_status"} <= tables
    report = subprocess.run(
        [sys.executable, "-m", "autograder", "--course-root", str(root),
         "report", ASSIGNMENT], env=env, capture_output=True, text=True,
        timeout=120)
    assert "Graded: 6" in report.stdout, report.stdout + report.stderr
    csv = tmp_path / "grades.csv"
    assert main(["--course-root", str(root), "export", "--output",
                 str(csv)]) == 0
    lines = csv.read_text().splitlines()
    assert len(lines) == 7
    assert lines[0].startswith("assignment,duedate,timestamp,student_id")


def test_url_in_the_course_configuration(pg_url, tmp_path, monkeypatch):
    """Does c.CourseDirectory.db_url in the course's nbgrader_config.py
    (no environment variable) put the gradebook on the server, with
    nbgrader's tables created by the first release?"""
    from sqlalchemy import create_engine, inspect
    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)
    url = pg_url.rsplit("/", 1)[0] + "/configured"
    root = make_course(tmp_path / "course")
    config = root / "nbgrader_config.py"
    config.write_text(config.read_text() +
                      f"c.CourseDirectory.db_url = {url!r}\n")
    assert Course(root).db_url == url
    assert main(["--course-root", str(root), "release"]) == 0
    assert not (root / "gradebook.db").exists()
    engine = create_engine(url)
    try:
        assert "assignment" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    with Course(root).gradebook() as gb:
        assert [a.name for a in gb.assignments] == [ASSIGNMENT]


def test_a_claimed_submission_is_left_to_its_run(pg_url):
    """Does a second run find a submission claimed by the first, and get
    it once the first releases it or ends?"""
    from autograder.gradebook.status import StatusStore
    first, second = StatusStore(pg_url), StatusStore(pg_url)
    try:
        mine, theirs = first.claims(), second.claims()
        assert mine.take("a1", "ann")
        assert not theirs.take("a1", "ann")
        assert theirs.take("a1", "bob")  # another student: free
        assert theirs.take("a2", "ann")  # another assignment: free
        mine.release("a1", "ann")
        assert theirs.take("a1", "ann")
        assert not mine.take("a1", "ann")
        theirs.close()  # a run that ends gives back its claims
        assert mine.take("a1", "ann")
        mine.close()
    finally:
        first.close()
        second.close()


def test_a_claim_is_seen_without_being_taken(pg_url, tmp_path,
                                            monkeypatch):
    """Does a report see which submissions another run is grading now,
    without taking their claims (which would make that run skip them),
    and say so in the reason it gives?"""
    from autograder.gradebook.status import StatusStore
    from autograder.grading.batch import ELSEWHERE, ungraded

    monkeypatch.setenv("NBGRADER_DB_URL", pg_url)
    root = make_course(tmp_path / "course")
    assert main(["--course-root", str(root), "release"]) == 0
    for student in ("claimed", "free"):
        submit(root, student, notebook(str(root)))
    grader, report = StatusStore(pg_url), StatusStore(pg_url)
    running, looking = grader.claims(), report.claims()
    try:
        assert running.take(ASSIGNMENT, "claimed")
        assert looking.held(ASSIGNMENT, ["claimed", "free"]) == {"claimed"}
        assert looking.held(ASSIGNMENT, ["claimed", "free"]) == {"claimed"}
        why = ungraded(Course(str(root)), ASSIGNMENT)
        assert why == {"claimed": "never graded" + ELSEWHERE,
                       "free": "never graded"}
        running.release(ASSIGNMENT, "claimed")
        assert looking.held(ASSIGNMENT, ["claimed", "free"]) == set()
        assert looking.take(ASSIGNMENT, "claimed")  # nobody kept it
    finally:
        running.close()
        looking.close()
        grader.close()
        report.close()
