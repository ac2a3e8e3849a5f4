"""Grade one student's submission of one assignment, in its own process.

The worker never touches the gradebook: it checks and repairs each
notebook, runs it in a sandboxed kernel, writes the executed notebook to
autograded/ and returns a plain dict.  The parent process records it.
"""
import copy
import resource
import shutil
import tempfile
import time
import traceback
from pathlib import Path

import nbformat
from nbgrader import utils as nbg_utils

from autograder.grading.flags import Flag
from autograder.sandbox import isolation as sandbox
from autograder.trusted import scan as tamper
from autograder.trusted import findings as trust
from autograder.grading.execute import Runner
from autograder.course.notebooks import file_digest, is_test_cell
from autograder.grading.preflight import PreflightError, is_blank, preflight

def score_cells(nb):
    """Return {grade_id: [score, max]} for the notebook's test cells."""
    scores = {}
    for cell in nb.cells:
        if is_test_cell(cell):
            got, top = nbg_utils.determine_grade(cell)
            scores[cell.metadata.nbgrader.grade_id] = [got or 0.0, top]
    return scores


def extra_files(course, student, assignment):
    """[(source path, relative name)] of the files nbgrader puts beside
    the notebooks in autograded/: the student's own files, then the
    source folder's files over them (nbgrader's Autograde order), with
    the course's ``CourseDirectory.ignore`` patterns applied."""
    return course.files_over([course.submission_dir(student, assignment),
                              course.source_dir(assignment)])


def copy_files(files, dest):
    """Copy [(source, relative name)] under ``dest``."""
    dest = Path(dest)
    for src, rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)


def _prepare_workdir(files):
    """A fresh working copy holding the submission's files."""
    workdir = Path(tempfile.mkdtemp(prefix="ag-work-"))
    copy_files(files, workdir)
    return workdir


def run_notebook(raw, master, limits, isolation, files):
    """Repair and run one notebook, as `grade` and `check` both do.

    ``files`` are the [(source, relative name)] the kernel's working copy
    gets: the assignment's declared files only, never what a
    submission carries beside its notebooks.  Graded test cells run in
    the grader's process (autograder.trusted.verdicts).

    Each graded test cell runs in the student's kernel, as nbgrader runs
    it, and is re-checked in the grader's process (autograder.trusted.verdicts).

    Returns (executed notebook, repairs, RunLog); raises PreflightError.
    """
    nb, issues = preflight(raw, master)
    workdir = _prepare_workdir(files)
    runner = None
    try:
        runner = Runner(nb, isolation, limits, workdir)
        runner.trusted = trust.tests_for(master, files)
        # What the static scans find is known before anything runs (the
        # run changes outputs, never sources: they are not scanned twice).
        static = tamper.scan_notebook(nb) + trust.review_findings(nb, master)
        runner.trusted.suspect = bool(static)
        runner.log.static = static
        log = runner.run()
    finally:
        if runner is not None and runner.trusted is not None:
            runner.trusted.close()
        shutil.rmtree(workdir, ignore_errors=True)
        uid = sandbox.sandbox_uid()
        sandbox.kill_strays(uid)
        # What the kernel left in /tmp, /var/tmp and /dev/shm (where its
        # uid could write them: rlimits without Landlock).
        sandbox.remove_files_of(uid)
    return nb, issues, log


def _flags_from_run(log, nb, issues, found, master, similar=()):
    """Turn repairs, run events and tamper findings into report flags."""
    flags = []
    if issues:
        flags += [Flag.REPAIRED.text(i) for i in issues
                  if "answer cell" not in i or "retyped" in i]
        flags += [Flag.MISSING_ANSWER.text(i) for i in issues
                  if "answer cell" in i and "missing" in i]
    if is_blank(nb, master):
        flags.append(Flag.BLANK.text("no answer was changed"))
    for flag, cells in ((Flag.TIMEOUT, log.timeouts),
                        (Flag.KERNEL_DIED, log.deaths),
                        (Flag.PROCESS_LIMIT, log.forked),
                        (Flag.NOT_RUN, log.not_run),
                        (Flag.OUTPUT_TRUNCATED, log.truncated)):
        if cells:
            flags.append(flag.text(f"cells {sorted(set(cells))}"))
    if log.strays:
        flags.append(Flag.STRAY_PROCESSES.text(f"killed {log.strays}"))
    for grade_id, why in log.mismatches:
        flags.append(Flag.VERDICT_DIFFERS.text(
            f"{grade_id} passed in the student's kernel but failed when "
            f"the grader re-ran it ({why})"))
    for grade_id, why in log.in_kernel:
        flags.append(Flag.CHECKED_IN_KERNEL.text(f"{grade_id}: {why}"))
    flags += [Flag.OUTPUT_DROPPED.text(why) for why in log.dropped]
    flags += [Flag.TAMPER.text(item) for item in found]
    flags += [Flag.SIMILAR_TO_REFERENCE.text(item) for item in similar]
    return flags


def tamper_findings(nb, master, log):
    """What the static scans and the kernel's state checks found: each
    one holds the notebook's points for review."""
    static = log.static
    if static is None:
        static = tamper.scan_notebook(nb) + trust.review_findings(nb, master)
    return static + [
        f"kernel state restored: {t}" for t in dict.fromkeys(log.tamper)
    ] + list(log.refused)


def grade_notebook(job, master, limits, isolation):
    """Grade one notebook of the submission; return its result dict."""
    name = master.name
    path = Path(job["submission_dir"]) / f"{name}.ipynb"
    result = {"notebook": name, "status": "failed", "flags": [],
              "scores": {gid: [0.0, float(c.metadata.nbgrader.points)]
                         for gid, c in master.tests.items()},
              "message": "", "seconds": 0.0}
    if not path.is_file():
        result["flags"] = [Flag.MISSING_NOTEBOOK.text(
            f"{name}.ipynb not submitted")]
        result["message"] = f"{name}.ipynb was not submitted"
        return result
    try:
        nb, issues, log = run_notebook(path.read_bytes(), master, limits,
                                       isolation, trust.kernel_files(job))
    except PreflightError as err:
        result["flags"] = [err.code.text(str(err))]
        result["message"] = str(err)
        return result
    found = tamper_findings(nb, master, log)
    similar = trust.similar_to_reference(nb, master)
    out = Path(job["autograded_dir"]) / f"{name}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(nbformat.v4.writes(nb), encoding="utf-8")
    result.update(status="graded", seconds=log.seconds,
                  flags=_flags_from_run(log, nb, issues, found, master,
                                        similar),
                  scores=score_cells(nb),
                  autograded=str(out), executed=nb)
    return result


def grade_submission(job):
    """Grade every notebook of one submission; never raises."""
    from autograder.course import Course  # imported here to avoid a cycle
    start = time.monotonic()
    sandbox.become_subreaper()
    course = Course(job["course_root"])
    limits = course.limits
    masters = job.get("masters") or course.masters(job["assignment"])
    isolation = sandbox.choose_isolation(limits.isolation)
    out = {"student": job["student"], "assignment": job["assignment"],
           "isolation": isolation, "notebooks": [], "error": None,
           "checksum": job["checksum"], "tests": job.get("tests")}
    try:
        for master in masters:
            out["notebooks"].append(
                grade_notebook(job, master, limits, isolation))
        copy_files(job.get("files", []), job["autograded_dir"])
        ts = Path(job["submission_dir"]) / "timestamp.txt"
        if ts.is_file():
            Path(job["autograded_dir"]).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ts, Path(job["autograded_dir"]) / ts.name)
    except Exception:  # report, never abort the batch
        out["error"] = traceback.format_exc(limit=5)
    out["seconds"] = time.monotonic() - start
    # This process graded this submission alone: its peak is what the
    # submission cost the grader.
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def submission_checksum(folder):
    """Digest of a submission folder's notebooks and timestamp."""
    folder = Path(folder)
    files = [p for p in folder.glob("*.ipynb")]
    files += [p for p in [folder / "timestamp.txt"] if p.is_file()]
    return file_digest(files)
