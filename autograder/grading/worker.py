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

from autograder.sandbox import isolation as sandbox
from autograder.trusted import scan as tamper
from autograder.trusted import findings as trust
from autograder.grading.execute import Runner
from autograder.course.notebooks import file_digest, is_test_cell
from autograder.grading.preflight import PreflightError, is_blank, preflight

# Flags that put a submission on the instructor's review list.
REVIEW_FLAGS = {"tamper", "repaired", "timeout", "kernel-died", "not-run",
                "missing-answer", "verdict-differs"}
# Flags that only inform (the score is nbgrader's): a cell whose verdict
# comes from the student's kernel alone, and an answer that reads like a
# reference kernel's code (text similarity cannot tell learning from
# copying, so it never costs points).
NOTE_FLAGS = {"checked-in-kernel", "similar-to-reference"}


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
        # What the static scans find is known before anything runs.
        runner.trusted.suspect = bool(tamper.scan_notebook(nb) +
                                      trust.review_findings(nb, master))
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
        flags += [f"repaired: {i}" for i in issues
                  if "answer cell" not in i or "retyped" in i]
        flags += [f"missing-answer: {i}" for i in issues
                  if "answer cell" in i and "missing" in i]
    if is_blank(nb, master):
        flags.append("blank: no answer was changed")
    for label, cells in (("timeout", log.timeouts),
                         ("kernel-died", log.deaths),
                         ("process-limit", log.forked),
                         ("not-run", log.not_run),
                         ("output-truncated", log.truncated)):
        if cells:
            flags.append(f"{label}: cells {sorted(set(cells))}")
    if log.strays:
        flags.append(f"stray-processes: killed {log.strays}")
    for grade_id, why in log.mismatches:
        flags.append(f"verdict-differs: {grade_id} passed in the "
                     f"student's kernel but failed when the grader re-ran "
                     f"it ({why})")
    for grade_id, why in log.in_kernel:
        flags.append(f"checked-in-kernel: {grade_id}: {why}")
    flags += [f"output-dropped: {why}" for why in log.dropped]
    flags += [f"tamper: {item}" for item in found]
    flags += [f"similar-to-reference: {item}" for item in similar]
    return flags


def tamper_findings(nb, master, log):
    """What the static scans and the kernel's state checks found: each
    one holds the notebook's points for review."""
    return tamper.scan_notebook(nb) + trust.review_findings(nb, master) + [
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
        result["flags"] = [f"missing-notebook: {name}.ipynb not submitted"]
        result["message"] = f"{name}.ipynb was not submitted"
        return result
    try:
        nb, issues, log = run_notebook(path.read_bytes(), master, limits,
                                       isolation, trust.kernel_files(job))
    except PreflightError as err:
        result["flags"] = [f"{err.code}: {err}"]
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
