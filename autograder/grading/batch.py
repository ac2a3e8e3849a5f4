"""Grade many submissions in parallel, one process per submission.

Workers run notebooks; the parent alone writes the gradebook, one
result at a time, as results arrive.  A run that is killed loses only
the submissions in flight: they have no status row (or an old
checksum) and are graded again by the next run.  On PostgreSQL, runs
that grade at once (two instructors, Slurm array tasks) claim each
submission before grading it (``Claims``), so none is graded by two.
"""
import os
import sys
from dataclasses import dataclass, field

from tqdm import tqdm

import psutil

from autograder.trusted import findings as trust_hooks
from autograder.sandbox import isolation as sandbox
from autograder.grading.pool import run_each
from autograder.gradebook.record import record
from autograder.gradebook.status import StatusStore
from autograder.grading.worker import extra_files, grade_submission, submission_checksum


def tests_digest(course, assignment):
    """Digest of what a score depends on besides the submission: every
    test cell (hidden tests, points) of the source notebooks, the
    released answer stubs, and the files nbgrader copies beside them."""
    import hashlib
    digest = hashlib.sha256()
    for master in course.masters(assignment):
        digest.update(master.name.encode() + b"\0")
        for gid in master.order:
            for cells in (master.tests, master.solutions):
                cell = cells.get(gid)
                if cell is not None:
                    points = cell.metadata.nbgrader.get("points", 0)
                    digest.update(f"{gid}\0{points}\0{cell.cell_type}"
                                  f"\0{cell.source}\0".encode())
    source = course.source_dir(assignment)
    for path in sorted(course.extra_files(source)):
        digest.update(str(path.relative_to(source)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def stale_rows(course, assignment, store):
    """Status rows of ``assignment`` scored with other tests than now."""
    current = tests_digest(course, assignment)
    return [r for r in store.rows(assignment) if r.get("tests") != current]


# How ``ungraded`` ends the reason of a submission another run holds.
ELSEWHERE = "; another grading run is grading it now"


def ungraded(course, assignment, students=None):
    """{student: why} for the submissions of ``assignment`` (or of
    ``students`` among them) that have no grade computed from today's
    submission and tests.  A run whose process died is not listed: its
    status row (failed) already says why."""
    wanted = None if students is None else set(students)
    submitted = [s for s in course.students(assignment)
                 if wanted is None or s in wanted]
    if not submitted:
        return {}
    current = tests_digest(course, assignment)
    store = StatusStore(course.db_url)
    try:
        rows = {r["student"]: r for r in store.rows(assignment)}
        out = {}
        for student in submitted:
            row = rows.get(student)
            if row is None:
                out[student] = "never graded"
            elif row["status"] == "failed" and not row["checksum"]:
                continue  # its grading process died; the report says so
            elif row["checksum"] == "":
                out[student] = "marked for regrading (--force or --students)"
            elif row["checksum"] != submission_checksum(
                    course.submission_dir(student, assignment)):
                out[student] = "submitted again since it was graded"
            elif row.get("tests") != current:
                out[student] = "the tests changed since it was graded"
        if out:
            claims = store.claims()
            try:
                for student in claims.held(assignment, list(out)):
                    out[student] += ELSEWHERE
            finally:
                claims.close()
    finally:
        store.close()
    return out


@dataclass
class Summary:
    """What one grading run did."""

    rows: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    retested: list = field(default_factory=list)  # tests changed since
    unrecorded: list = field(default_factory=list)
    # Left to another run that was grading them, or had just graded them.
    elsewhere: list = field(default_factory=list)

    def count(self, status):
        return sum(1 for r in self.rows if r["status"] == status)


def plan(course, assignment, store, students=None, force=False,
         within=None):
    """Return (jobs to run, students skipped as already graded,
    students regraded because the tests changed).

    ``students`` are always regraded; ``within`` only limits the run to
    those students (a Slurm task's slice), what is graded is skipped."""
    known = course.students(assignment)
    if within is not None:
        within = set(within)
        known = [s for s in known if s in within]
    digest = tests_digest(course, assignment)
    if students:
        missing = sorted(set(students) - set(known))
        if missing:
            from autograder.course import CourseError
            raise CourseError(
                f"no submission of {assignment} for: {', '.join(missing)}"
                f" (looked in {course.rel(course.step_dir('submitted'))};"
                " run "
                "`course-autograder collect` first)")
        known = [s for s in known if s in students]
    jobs, skipped, retested = [], [], []
    declared = trust_hooks.declared_files(course, assignment)
    for student in known:
        folder = course.submission_dir(student, assignment)
        checksum = submission_checksum(folder)
        row = store.get(assignment, student)
        if not force and not students and row and \
                row["checksum"] == checksum:
            if row.get("tests") == digest:
                skipped.append(student)
                continue
            retested.append(student)
        jobs.append({
            "course_root": str(course.root), "assignment": assignment,
            "student": student, "submission_dir": str(folder),
            "files": extra_files(course, student, assignment),
            "kernel_files": declared,
            "release_dir": str(course.release_dir(assignment)),
            "source_dir": str(course.source_dir(assignment)),
            "autograded_dir": str(course.autograded_dir(student,
                                                        assignment)),
            "checksum": checksum, "tests": digest,
            # Planned because it was missing or stale: skip it if another
            # run grades it before this one claims it.
            "recheck": not force and not students})
    return jobs, skipped, retested


def to_grade(course, assignment, students=None, force=False):
    """(students a ``grade`` run would grade now, skipped, retested).

    Students named or forced are marked for regrading first: runs that
    skip what is graded (Slurm array tasks, a requeue, a rerun) then
    grade each of them once."""
    store = StatusStore(course.db_url)
    try:
        todo, skipped, retested = plan(course, assignment, store, students,
                                       force)
        chosen = [job["student"] for job in todo]
        if students or force:
            store.mark_for_regrade(assignment, chosen)
    finally:
        store.close()
    return chosen, skipped, retested


def _failed(job):
    """A failed result for a worker process that died."""
    return {"student": job["student"], "assignment": job["assignment"],
            "isolation": "none", "notebooks": [], "checksum": "",
            "error": "the grading process died before reporting; "
                     "regrade this student\n"}


def check_gradebook(course, assignment):
    """Refuse to grade against a missing or altered gradebook."""
    from autograder.course import CourseError
    from autograder.gradebook.integrity import gradebook_mismatches
    problems = gradebook_mismatches(course, assignment)
    if problems:
        raise CourseError(
            "the gradebook does not match solutions/ ("
            + "; ".join(problems[:3]) + "): run `course-autograder "
            f"release {assignment}` to rebuild it, then grade again")


def require_sandbox(course):
    """Choose the isolation level once, and make sure a kernel can start
    with it before anything is graded; raise CourseError with the fix."""
    from autograder.course import CourseError
    sandbox.kill_orphans()  # left by a grader killed mid-run
    try:
        isolation = sandbox.choose_isolation(course.limits.isolation)
    except (RuntimeError, ValueError) as err:
        raise CourseError(str(err)) from None
    if isolation == "rlimits":
        try:
            sandbox.prepare_private_env(course.root)
        except (OSError, RuntimeError) as err:
            raise CourseError(f"cannot prepare the kernel's environment: "
                              f"{err}") from None
        problem = sandbox.probe_private_uid()
        if problem:
            raise CourseError(problem)
    return isolation


# Memory set aside per parallel job (a worker and its kernel, with room;
# a course kernel uses 150-300 MB).
JOB_MEMORY_MB = 512


def default_jobs():
    """Two parallel jobs per core, as many as the available memory holds.

    A job spends part of its time waiting on its kernel (start-up,
    message round trips), so two per core keep the cores busy: on 2 cores
    four jobs graded chapter 01 about 8% faster than two."""
    cores = os.cpu_count() or 1
    try:
        room = psutil.virtual_memory().available // (JOB_MEMORY_MB << 20)
    except Exception:  # no memory figure: one job per core
        room = cores
    return max(1, min(2 * cores, room))


def _claimed(todo, store, claims, summary, bar):
    """Yield the jobs of ``todo`` this run claims, as workers free up:
    a submission another run is grading, or graded since it was
    planned, is left to it."""
    for job in todo:
        assignment, student = job["assignment"], job["student"]
        if claims.take(assignment, student):
            row = store.get(assignment, student) if job["recheck"] else None
            if not (row and row["checksum"] == job["checksum"] and
                    row.get("tests") == job["tests"]):
                yield job
                continue
            claims.release(assignment, student)
        summary.elsewhere.append(student)
        bar.update()


def grade(course, assignment, students=None, jobs=None, force=False,
          progress=True, within=None):
    """Grade ``assignment``; return a Summary.  ``within`` limits the
    run to those students, skipping what is graded (see ``plan``)."""
    course.require(assignment)
    course.masters(assignment)  # fail early if the release is missing
    trust_hooks.warm(course.masters(assignment))
    check_gradebook(course, assignment)
    # Probe bubblewrap once here; the forked workers inherit the answer.
    require_sandbox(course)
    jobs = max(1, jobs or default_jobs())
    store = StatusStore(course.db_url)
    todo, skipped, retested = plan(course, assignment, store, students,
                                   force, within)
    summary = Summary(skipped=skipped, retested=retested)
    if not todo:
        store.close()
        return summary
    bar = tqdm(total=len(todo), desc=f"grading {assignment}",
               unit="nb", disable=not progress)
    masters = course.masters(assignment)
    for job in todo:
        job["masters"] = masters
    claims = store.claims()
    with course.gradebook() as gb:
        for job, result in run_each(
                grade_submission,
                _claimed(todo, store, claims, summary, bar), jobs):
            result = result or _failed(job)
            try:
                summary.rows.append(record(course, gb, store, result))
            except Exception as err:  # keep grading the others
                gb.db.rollback()
                summary.unrecorded.append(job["student"])
                print(f"\ncould not record {job['student']}: {err!r}; "
                      "rerun the same command to grade it again",
                      file=sys.stderr)
            claims.release(assignment, job["student"])
            bar.update()
    bar.close()
    claims.close()
    store.close()
    return summary
