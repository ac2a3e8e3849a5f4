"""Grade many submissions in parallel, one process per submission.

Workers run notebooks; the parent alone writes the gradebook, one
result at a time, as results arrive.  A run that is killed loses only
the submissions in flight: they have no status row (or an old
checksum) and are graded again by the next run.
"""
import os
import sys
from dataclasses import dataclass, field

from tqdm import tqdm

from . import trust_hooks
from . import sandbox
from .pool import run_each
from .record import record
from .status import StatusStore
from .worker import grade_submission, submission_checksum


@dataclass
class Summary:
    """What one grading run did."""

    rows: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    unrecorded: list = field(default_factory=list)

    def count(self, status):
        return sum(1 for r in self.rows if r["status"] == status)


def plan(course, assignment, store, students=None, force=False):
    """Return (jobs to run, students skipped as already graded)."""
    known = course.students(assignment)
    if students:
        missing = sorted(set(students) - set(known))
        if missing:
            from .course import CourseError
            raise CourseError(
                f"no submission of {assignment} for: {', '.join(missing)}"
                f" (looked in {course.folder('submitted')}; run "
                "`course-autograder collect` first)")
        known = [s for s in known if s in students]
    jobs, skipped = [], []
    for student in known:
        folder = course.submission_dir(student, assignment)
        checksum = submission_checksum(folder)
        row = store.get(assignment, student)
        if not force and not students and row and \
                row["checksum"] == checksum:
            skipped.append(student)
            continue
        jobs.append({
            "course_root": str(course.root), "assignment": assignment,
            "student": student, "submission_dir": str(folder),
            "release_dir": str(course.folder("notebooks") / assignment),
            "autograded_dir": str(course.autograded_dir(student,
                                                        assignment)),
            "checksum": checksum})
    return jobs, skipped


def _failed(job):
    """A failed result for a worker process that died."""
    return {"student": job["student"], "assignment": job["assignment"],
            "isolation": "none", "notebooks": [], "checksum": "",
            "error": "the grading process died before reporting; "
                     "regrade this student\n"}


def _check_gradebook(course, assignment):
    """Refuse to grade against a missing or altered gradebook."""
    from .course import CourseError
    from .integrity import gradebook_mismatches
    problems = gradebook_mismatches(course, assignment)
    if problems:
        raise CourseError(
            "the gradebook does not match solutions/ ("
            + "; ".join(problems[:3]) + "): run `course-autograder "
            f"release {assignment}` to rebuild it, then grade again")


def grade(course, assignment, students=None, jobs=None, force=False,
          progress=True):
    """Grade ``assignment``; return a Summary."""
    course.require(assignment)
    course.masters(assignment)  # fail early if the release is missing
    trust_hooks.warm(course.masters(assignment))  # issue 14 hook
    _check_gradebook(course, assignment)
    # Probe bubblewrap once here; the forked workers inherit the answer.
    try:
        sandbox.choose_isolation(course.limits.isolation)
    except (RuntimeError, ValueError) as err:
        from .course import CourseError
        raise CourseError(str(err)) from None
    jobs = max(1, jobs or os.cpu_count() or 1)
    store = StatusStore(course.db_url)
    todo, skipped = plan(course, assignment, store, students, force)
    summary = Summary(skipped=skipped)
    if not todo:
        store.close()
        return summary
    bar = tqdm(total=len(todo), desc=f"grading {assignment}",
               unit="nb", disable=not progress)
    masters = course.masters(assignment)
    for job in todo:
        job["masters"] = masters
    with course.gradebook() as gb:
        for job, result in run_each(grade_submission, todo, jobs):
            result = result or _failed(job)
            try:
                summary.rows.append(record(course, gb, store, result))
            except Exception as err:  # keep grading the others
                gb.db.rollback()
                summary.unrecorded.append(job["student"])
                print(f"\ncould not record {job['student']}: {err!r}; "
                      "rerun the same command to grade it again",
                      file=sys.stderr)
            bar.update()
    bar.close()
    store.close()
    return summary
