"""Grade on a Slurm cluster through Slurm's own commands.

``submit`` runs in the instructor's command: it plans what is missing or
stale, writes the student list once into a run folder on the shared file
system (``slurm/ASSIGNMENT/RUN/``), writes the job script beside it and
submits one job array with ``sbatch``.  Each array task runs
``course-autograder grade ASSIGNMENT --student-list FILE --slice I/N``,
which grades its slice with the usual workers (``batch.grade`` with
``within``) into the shared PostgreSQL gradebook and skips what is
graded already; so a requeued task, a task resubmitted by hand or a
rerun of the command grades only what is missing.  ``wait`` follows the
array with ``squeue`` (``sacct`` once the controller has forgotten it)
while counting graded submissions in the gradebook.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from autograder.course import CourseError
from autograder.grading import batch

# Task states after which Slurm runs nothing more for a task.
ACTIVE = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED",
          "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SUSPENDED",
          "STAGE_OUT", "SIGNALING", "RESV_DEL_HOLD"}
LIST, SCRIPT, RUN_FILE = "students.txt", "grade.sh", "run.json"


@dataclass
class Run:
    """One submission of a job array: its folder, students and job."""

    folder: Path
    assignment: str
    students: list
    tasks: int
    job: str = ""

    def task_of(self, student):
        """The array index whose slice holds ``student``."""
        index = self.students.index(student)
        return next(i for i in range(self.tasks)
                    if index < (i + 1) * len(self.students) // self.tasks)


def slice_of(students, index, count):
    """Task ``index``'s part of ``students`` split into ``count`` nearly
    equal, contiguous slices (every student in exactly one)."""
    n = len(students)
    return students[index * n // count:(index + 1) * n // count]


def parse_slice(text):
    """'I/N' -> (I, N), or CourseError naming the mistake."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise CourseError(f"--slice {text!r}: expected I/N, e.g. "
                          "$SLURM_ARRAY_TASK_ID/20") from None
    if count < 1 or not 0 <= index < count:
        raise CourseError(f"--slice {text!r}: I must be in 0..N-1 "
                          "and N at least 1")
    return index, count


def read_list(path):
    """The student ids written by ``submit``, one per line."""
    try:
        return [line for line in Path(path).read_text(
            encoding="utf-8").splitlines() if line]
    except OSError as err:
        raise CourseError(f"cannot read the student list {path}: "
                          f"{err.strerror}") from None


def _write(path, text, mode=0o644):
    """Write a file whole: readers on other nodes never see half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(mode)
    os.replace(tmp, path)


def require_cluster(course):
    """Refuse what cannot work on a cluster, with the fix."""
    missing = [c for c in ("sbatch", "squeue") if not shutil.which(c)]
    if missing:
        raise CourseError(f"--slurm needs Slurm's {' and '.join(missing)} "
                          "on PATH: run this on the cluster's login node")
    if not course.db_url.startswith("postgresql"):
        raise CourseError(
            f"--slurm needs a PostgreSQL gradebook that every node reaches"
            f" (this course uses {course.db_url.split(':', 1)[0]}): set "
            "NBGRADER_DB_URL=postgresql+psycopg2://USER@HOST/DB or "
            "c.CourseDirectory.db_url (docs/instructors.md, PostgreSQL)")


def job_script(course, run, cpus, partition=None, jobs=None):
    """The job script's text (docs/instructors.md shows and explains
    it, for instructors who submit by hand)."""
    root, folder = shlex.quote(str(course.root)), run.folder
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name={shlex.quote('grade-' + run.assignment)}",
        f"#SBATCH --array=0-{run.tasks - 1}",
        f"#SBATCH --cpus-per-task={cpus}",
        "#SBATCH --requeue",
        "#SBATCH --open-mode=append",
        f"#SBATCH --output={shlex.quote(str(folder / 'task-%a.out'))}",
    ]
    if partition:
        lines.append(f"#SBATCH --partition={shlex.quote(partition)}")
    workers = str(jobs) if jobs else '"$(( 2 * ${SLURM_CPUS_PER_TASK:-1} ))"'
    lines += [
        "# Written by `course-autograder grade --slurm`.  Task I grades",
        f"# slice I of {run.tasks} of students.txt (written once, at "
        "submission);",
        "# whatever the gradebook already holds graded is skipped, so a",
        "# requeued task, `sbatch --array=I` of this script or a rerun of",
        "# the command grades only what is missing.",
        "set -euo pipefail",
        f"cd {root}",
    ]
    if os.environ.get("NBGRADER_DB_URL"):
        lines.append("export NBGRADER_DB_URL="
                     + shlex.quote(os.environ["NBGRADER_DB_URL"]))
    lines += [
        f"exec {shlex.quote(sys.executable)} -m autograder "
        f"--course-root {root} \\",
        f"    grade {shlex.quote(run.assignment)} --quiet \\",
        f"    --student-list {shlex.quote(str(folder / LIST))} \\",
        f'    --slice "$SLURM_ARRAY_TASK_ID/{run.tasks}" \\',
        f"    --jobs {workers}",
        "",
    ]
    return "\n".join(lines)


def submit(course, assignment, students=None, force=False, tasks=None,
           cpus=2, partition=None, sbatch_args=(), jobs=None):
    """Plan, write the list and the script, ``sbatch`` the array.

    Returns (Run or None when nothing is left to grade, skipped,
    retested).  ``tasks`` defaults to one array task per 10
    submissions."""
    course.require(assignment)
    require_cluster(course)
    course.masters(assignment)  # fail early if the release is missing
    batch.check_gradebook(course, assignment)
    todo, skipped, retested = batch.to_grade(course, assignment, students,
                                             force)
    if not todo:
        return None, skipped, retested
    bad = [s for s in todo if "\n" in s or "\r" in s]
    if bad:
        raise CourseError(f"student ids with a line break cannot go in the "
                          f"list: {bad[0]!r}")
    count = max(1, min(len(todo), tasks or -(-len(todo) // 10)))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    folder = course.root / "slurm" / assignment / stamp
    folder.mkdir(parents=True)
    run = Run(folder, assignment, todo, count)
    _write(folder / LIST, "".join(s + "\n" for s in todo))
    _write(folder / SCRIPT, job_script(course, run, cpus, partition, jobs),
           0o755)
    args = ["sbatch", "--parsable"]
    if partition:
        args.append(f"--partition={partition}")
    args += list(sbatch_args) + [str(folder / SCRIPT)]
    done = subprocess.run(args, capture_output=True, text=True,
                          cwd=course.root)
    if done.returncode != 0:
        raise CourseError(f"sbatch refused the job: "
                          f"{(done.stderr or done.stdout).strip()} "
                          f"(script: {folder / SCRIPT})")
    run.job = done.stdout.strip().split(";")[0]
    _write(folder / RUN_FILE, json.dumps(
        {"assignment": assignment, "job": run.job, "tasks": count}))
    return run, skipped, retested


def runs(course, assignment):
    """The submitted runs of ``assignment``, newest first."""
    top = course.root / "slurm" / assignment
    found = []
    for folder in sorted(top.glob("*/"), reverse=True):
        try:
            meta = json.loads((folder / RUN_FILE).read_text())
        except (OSError, ValueError):
            continue  # sbatch refused it, or it is being written
        found.append(Run(folder, assignment, read_list(folder / LIST),
                         meta["tasks"], meta["job"]))
    return found


def _indices(text):
    """Array indices in squeue's or sacct's notation: '3', '[2-5%4]',
    '1,4-6'."""
    out = []
    for part in text.strip("[]").split("%")[0].split(","):
        if "-" in part:
            low, high = part.split("-", 1)
            out += range(int(low), int(high) + 1)
        elif part.isdigit():
            out.append(int(part))
    return out


def _command(args):
    try:
        done = subprocess.run(args, capture_output=True, text=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def task_states(job):
    """{array index: state} of job ``job``: from the controller
    (``squeue``, which keeps finished tasks for MinJobAge), else from
    the accounting database (``sacct``); {} when neither knows it."""
    states = {}
    for line in _command(["squeue", "--noheader", "--array",
                          "--states=all", f"--jobs={job}",
                          "--format=%K %T"]).splitlines():
        index, _, state = line.strip().partition(" ")
        for i in _indices(index):
            states[i] = state.strip()
    if states or not shutil.which("sacct"):
        return states
    for line in _command(["sacct", "--noheader", "--parsable2",
                          "--allocations", f"--jobs={job}",
                          "--format=JobID,State"]).splitlines():
        jobid, _, state = line.partition("|")
        if "_" in jobid:
            for i in _indices(jobid.split("_", 1)[1]):
                states[i] = state.split()[0] if state else "UNKNOWN"
    return states


def wait(course, run, progress=True, poll=3.0):
    """Follow ``run`` until none of its tasks is pending or running,
    nor any other run still grading one of its submissions (another
    instructor's `grade` took it first); return the tasks' final
    states.  The bar counts graded submissions of the whole class,
    whichever task (or other run) graded them."""
    bar = tqdm(total=len(run.students), unit="nb", disable=not progress,
               desc=f"grading {run.assignment} on Slurm (job {run.job})")
    unknown = 0
    while True:
        states = task_states(run.job)
        left = batch.ungraded(course, run.assignment, run.students)
        bar.n = len(run.students) - len(left)
        bar.refresh()
        unknown = 0 if states else unknown + 1
        elsewhere = any(why.endswith(batch.ELSEWHERE)
                        for why in left.values())
        if (states and not ACTIVE & set(states.values()) and
                not elsewhere) or unknown > 3:
            break
        time.sleep(poll)
    bar.close()
    return states


def whereabouts(course, assignment, students):
    """{student: 'Slurm job J task I: STATE'} for ``students`` listed
    by a submitted run (the newest that lists each)."""
    out, states = {}, {}
    wanted = set(students)
    for run in runs(course, assignment):
        for student in wanted & set(run.students) - set(out):
            if run.job not in states:
                states[run.job] = task_states(run.job)
            index = run.task_of(student)
            state = states[run.job].get(index, "no longer known to Slurm")
            out[student] = f"Slurm job {run.job} task {index}: {state}"
    return out
