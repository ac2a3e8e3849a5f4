"""`grade --slurm` against a real Slurm cluster and PostgreSQL server.

The scenario (one module fixture; the tests read its record): the test
starts PostgreSQL and a one-node Slurm cluster (munged, slurmctld,
slurmd) on the loopback, generates a class of chapter-01 submissions
(right, wrong, blank and broken), submits them with `grade --slurm
--no-wait` as a job array of 3 tasks, cancels one task with `scancel`
once it has graded part of its slice, and checks that `report` names
each student left ungraded with that task's state.  Then `grade --slurm`
is run again while a second instructor runs a plain `grade` on the same
gradebook: the class must end complete, every status row written
exactly once (a trigger counts the writes), and every student's cells
must score what a single-machine `grade` gives the same notebook.
The 200-student class runs in `bench/bench_grading.py --slurm`.
"""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.grading.slurm import (_indices, job_script, parse_slice,
                                      slice_of, Run)
from autograder.course import Course, CourseError
from ch01_class import ASSIGNMENT, KINDS, kind_of, make_class
from nbgrader_course import graded_once
from services import (Unavailable, cancel_mid_slice, count_status_writes,
                      postgres, slurm)

STUDENTS, TASKS, KILLED = 12, 3, 1
PYTHON_BIN = str(Path(sys.executable).parent)


def _run(args, env, **kw):
    return subprocess.run(
        [sys.executable, "-m", "autograder"] + args, env=env,
        capture_output=True, text=True, timeout=kw.pop("timeout", 600),
        **kw)


def _cells(db_url, students):
    """{student: {notebook: {cell: score}}} from a gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        return {s: {nb.name: {g.name: g.score for g in nb.grades}
                    for nb in gb.find_submission(ASSIGNMENT, s).notebooks}
                for s in students}


def _states(job, env):
    out = subprocess.run(
        ["squeue", "--noheader", "--array", "--states=all",
         f"--jobs={job}", "--format=%K %T"], env=env, capture_output=True,
        text=True, timeout=60).stdout
    return dict(line.split() for line in out.splitlines() if line.strip())


def _wait_for_job(job, env, timeout=420):
    deadline = time.monotonic() + timeout
    while True:
        states = _states(job, env)
        if states and not {"PENDING", "RUNNING", "COMPLETING",
                           "CONFIGURING"} & set(states.values()):
            return states
        assert time.monotonic() < deadline, f"job {job} still {states}"
        time.sleep(1)


@pytest.fixture(scope="module")
def scenario(request, tmp_path_factory):
    """Grade a class on Slurm with one task cancelled, then rerun; once
    per session, whichever xdist worker gets here first."""
    def build(folder):
        import psycopg2
        try:
            with postgres() as url, slurm() as env:
                return _scenario(Path(folder), url, env, psycopg2)
        except Unavailable as err:
            return {"unavailable": str(err)}
    record = graded_once(request, tmp_path_factory, "slurm-scenario", build)
    if "unavailable" in record:
        pytest.skip(f"cannot run a Slurm cluster here: "
                    f"{record['unavailable']}")
    return record


def _scenario(tmp, url, env, psycopg2):
    from autograder.gradebook.status import StatusStore
    env = dict(env, NBGRADER_DB_URL=url,
               PATH=f"{PYTHON_BIN}:{os.environ.get('PATH', '')}")
    record = {"url": url}
    root = make_class(tmp / "course", STUDENTS)
    ag = ["--course-root", str(root)]
    done = _run(ag + ["release", ASSIGNMENT], env)
    assert done.returncode == 0, done.stderr
    StatusStore(url).close()  # creates the status table
    conn = psycopg2.connect(url.replace("postgresql+psycopg2", "postgresql"))
    conn.autocommit = True
    count_status_writes(conn.cursor())

    # The single-machine reference: one notebook of each kind, graded by
    # a plain `grade` into a SQLite gradebook, while Slurm works.
    ref_root = make_class(tmp / "reference", len(KINDS))
    ref_env = dict(env, NBGRADER_DB_URL=f"sqlite:///{ref_root}/gradebook.db")
    reference = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from autograder.cli import main; "
         f"r = ['--course-root', {str(ref_root)!r}]; "
         f"main(r + ['release', {ASSIGNMENT!r}]); "
         f"sys.exit(main(r + ['grade', {ASSIGNMENT!r}, '--jobs', '2', "
         "'--quiet']))"], env=ref_env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)

    first = _run(ag + ["grade", ASSIGNMENT, "--slurm", "--no-wait",
                       "--array-size", str(TASKS), "--cpus-per-task", "1"],
                 env, cwd=root)
    assert first.returncode == 0, first.stdout + first.stderr
    job = re.search(r"submitted Slurm job (\d+)", first.stdout).group(1)
    record["first"] = first.stdout
    listed = (next(root.glob("slurm/*/*/students.txt"))
              .read_text().split())
    victims = slice_of(listed, KILLED, TASKS)
    cur = conn.cursor()
    cancel_mid_slice(cur, env, job, KILLED, victims)
    record["states"] = _wait_for_job(job, env)
    cur.execute("SELECT student FROM autograder_status")
    record["graded_before_rerun"] = sorted(r[0] for r in cur.fetchall())
    record["victims"], record["listed"], record["job"] = victims, listed, job
    report = _run(ag + ["report", ASSIGNMENT], env)
    record["report"] = (report.returncode, report.stdout + report.stderr)

    # The rerun, while a second instructor grades on one machine.
    other = subprocess.Popen(
        [sys.executable, "-m", "autograder"] + ag +
        ["grade", ASSIGNMENT, "--jobs", "1", "--quiet"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rerun = _run(ag + ["grade", ASSIGNMENT, "--slurm", "--quiet",
                       "--cpus-per-task", "1"], env, cwd=root)
    other_out = other.communicate(timeout=600)
    record["rerun"] = (rerun.returncode, rerun.stdout + rerun.stderr)
    record["other"] = (other.returncode, "".join(other_out))
    runs = sorted(root.glob("slurm/*/*/students.txt"))
    record["rerun_listed"] = runs[-1].read_text().split() \
        if len(runs) > 1 else []
    cur.execute("SELECT student, count(*) FROM status_writes "
                "GROUP BY student")
    record["writes"] = dict(cur.fetchall())
    conn.close()
    record["cells"] = _cells(url, listed)
    record["statuses"] = {r["student"]: r["status"]
                          for r in StatusStore(url).rows(ASSIGNMENT)}
    ref_out = reference.communicate(timeout=600)
    assert reference.returncode in (0, 1), ref_out
    record["reference"] = _cells(f"sqlite:///{ref_root}/gradebook.db",
                                 [f"s{i:03d}" for i in range(len(KINDS))])
    return record


@pytest.mark.slurm
def test_one_job_array_grades_the_class(scenario):
    """Did `grade --slurm` write the list once and submit one array
    whose tasks ended (one cancelled by us)?"""
    assert f"{TASKS} array task(s) for {STUDENTS} submission(s)" in \
        scenario["first"]
    assert sorted(scenario["listed"]) == [f"s{i:03d}"
                                          for i in range(STUDENTS)]
    states = scenario["states"]
    assert sorted(states) == [str(i) for i in range(TASKS)]
    assert states.pop(str(KILLED)) == "CANCELLED"
    assert set(states.values()) == {"COMPLETED"}


@pytest.mark.slurm
def test_report_names_every_student_the_cancelled_task_left(scenario):
    code, text = scenario["report"]
    left = sorted(set(scenario["listed"]) -
                  set(scenario["graded_before_rerun"]))
    # Cancelled mid-slice: part graded, part not.
    assert left and set(left) <= set(scenario["victims"])
    assert len(left) < len(scenario["victims"])
    assert code == 1
    assert f"Not graded yet: {len(left)}" in text
    for student in left:
        assert re.search(rf"{student}: never graded \(Slurm job "
                         rf"{scenario['job']} task {KILLED}: CANCELLED\)",
                         text), text


@pytest.mark.slurm
def test_rerun_completes_the_class_each_student_written_once(scenario):
    code, text = scenario["rerun"]
    assert "Not graded yet" not in text, text
    left = set(scenario["listed"]) - set(scenario["graded_before_rerun"])
    # Its report covers the students it listed: a broken one fails.
    assert code == int(any(kind_of(s) == "broken"
                           for s in scenario["rerun_listed"])), text
    # The rerun listed only what was missing (or nothing, when the other
    # instructor's run had claimed it all first).
    assert set(scenario["rerun_listed"]) <= left
    assert scenario["other"][0] in (0, 1), scenario["other"][1]
    assert scenario["writes"] == {s: 1 for s in scenario["listed"]}
    broken = {s for s in scenario["listed"] if kind_of(s) == "broken"}
    assert {s for s, st in scenario["statuses"].items()
            if st == "failed"} == broken


@pytest.mark.slurm
def test_gradebook_equals_a_single_machine_grade_cell_by_cell(scenario):
    reference = {kind_of(s): cells
                 for s, cells in scenario["reference"].items()}
    assert len({str(c) for c in reference.values()}) >= 4  # kinds differ
    for student, cells in scenario["cells"].items():
        assert cells == reference[kind_of(student)], student


# Pieces that need no cluster.

def test_slices_cover_every_student_once():
    students = [f"s{i}" for i in range(23)]
    for count in (1, 5, 23):
        parts = [slice_of(students, i, count) for i in range(count)]
        assert sum(parts, []) == students
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
    run = Run(Path("/x"), "a", students, 5)
    assert [run.task_of(s) for s in students] == [
        i for i in range(5) for _ in slice_of(students, i, 5)]


def test_bad_slices_are_refused_with_the_reason():
    assert parse_slice("3/20") == (3, 20)
    for text in ("3", "20/20", "-1/4", "a/b", "1/0"):
        with pytest.raises(CourseError, match="--slice"):
            parse_slice(text)


def test_slurm_array_notation():
    assert _indices("7") == [7]
    assert _indices("[2-5%4]") == [2, 3, 4, 5]
    assert _indices("1,4-6") == [1, 4, 5, 6]


def test_job_script_grades_its_slice_of_the_list(tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_DB_URL", "postgresql+psycopg2://g@db/c")
    course = Course(str(Path(__file__).resolve().parent.parent))
    run = Run(tmp_path, ASSIGNMENT, ["a", "b", "c"], 3)
    text = job_script(course, run, cpus=4, partition="short")
    assert text.startswith("#!/bin/bash\n")
    for line in ("#SBATCH --array=0-2", "#SBATCH --cpus-per-task=4",
                 "#SBATCH --partition=short", "#SBATCH --requeue",
                 f"--student-list {tmp_path}/students.txt",
                 '--slice "$SLURM_ARRAY_TASK_ID/3"',
                 "export NBGRADER_DB_URL=postgresql+psycopg2://g@db/c"):
        assert line in text, line
    done = subprocess.run(["bash", "-n"], input=text, text=True,
                          capture_output=True)
    assert done.returncode == 0, done.stderr


def test_slurm_needs_postgresql(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    for name in ("sbatch", "squeue"):  # present, never reached
        (tmp_path / name).write_text("#!/bin/sh\nexit 99\n")
        (tmp_path / name).chmod(0o755)
    root = make_class(tmp_path / "course", 1)
    monkeypatch.setenv("NBGRADER_DB_URL", f"sqlite:///{root}/gb.db")
    assert main(["--course-root", str(root), "grade", ASSIGNMENT,
                 "--slurm"]) == 2
    err = capsys.readouterr().err
    assert "--slurm needs a PostgreSQL gradebook" in err
    assert main(["--course-root", str(root), "grade", ASSIGNMENT,
                 "--array-size", "4"]) == 2
    assert "--array-size only go with --slurm" in capsys.readouterr().err
