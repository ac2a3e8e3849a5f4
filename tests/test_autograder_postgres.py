"""PostgreSQL gradebook: a real server, two graders writing at once.

Covers what docs/instructors.md (section PostgreSQL) says: the URL from
NBGRADER_DB_URL or from the course's nbgrader_config.py, release creating
nbgrader's tables and grade the course's status table in the same
database, two concurrent `grade` runs on separate students, then
`report` and `export` reading it.
"""
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.course import Course
from redteam.course import ASSIGNMENT, make_course, submit
from redteam.submissions import WRONG, notebook


def _pg_bin():
    """The folder holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


PG_BIN = _pg_bin()
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(PG_BIN is None, reason="needs a PostgreSQL server: "
                       "apt-get install postgresql"),
]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_db_user(args, **kw):
    """Run a server command as an unprivileged user (postgres refuses
    to run as root)."""
    if os.geteuid() == 0:
        user = "postgres" if shutil.which("runuser") and _user_exists(
            "postgres") else "nobody"
        args = ["runuser", "-u", user, "--"] + args
    return subprocess.run(args, check=True, capture_output=True, **kw)


def _user_exists(name):
    import pwd
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def pg_url():
    """Start a private PostgreSQL server; yield a database URL."""
    import psycopg2
    base = Path(tempfile.mkdtemp(prefix="ag-pg-"))
    base.chmod(0o755)
    if os.geteuid() == 0:
        user = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(base, user)
    data, port = base / "data", _free_port()
    _as_db_user([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust",
                 "-U", "postgres", "--no-sync"])
    _as_db_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l",
                 str(base / "log"), "-o",
                 f"-p {port} -k {base} -c listen_addresses=127.0.0.1 "
                 "-c fsync=off", "start"])
    try:
        conn = psycopg2.connect(host="127.0.0.1", port=port,
                                user="postgres", dbname="postgres")
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE course")
        conn.cursor().execute("CREATE DATABASE configured")
        conn.close()
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/course"
    finally:
        _as_db_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m",
                     "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)


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
