"""`check`: every solution passes its tests and every release fails them.

Both notebooks go through exactly what `grade` does to a submission
(pre-flight repair, the source folder's files beside it, the sandboxed
kernel, the grader's re-run of every test cell, the same scoring and the
same tamper findings), so a solution that passes here gets full marks
when graded; a problem names the cell and the reason.
"""
from autograder.sandbox import isolation as sandbox
from autograder.trusted import findings as trust_hooks
from autograder.grading.preflight import PreflightError
from autograder.grading.execute import passes
from autograder.course.notebooks import is_test_cell
from autograder.grading.worker import run_notebook, score_cells, tamper_findings


def _run(path, master, course, files):
    """Grade one notebook file as if a student had submitted it.

    Returns ({grade_id: [got, max]}, indices of cells whose output the
    limits cut, repairs made, [why a cell or the whole notebook would
    not get its points]).
    """
    isolation = sandbox.choose_isolation(course.limits.isolation)
    sandbox.become_subreaper()
    nb, issues, log = run_notebook(path.read_bytes(), master, course.limits,
                                   isolation, files)
    why = [f"held for review: {t}" for t in tamper_findings(nb, master,
                                                            log)]
    why += [f"test {gid} passed in the kernel but failed when the grader "
            f"re-ran it: {reason}" for gid, reason in log.mismatches]
    for cell in nb.cells:
        if is_test_cell(cell) and not passes(cell):
            gid = cell.metadata.nbgrader.grade_id
            why.append(f"test {gid} fails: {_error_text(cell)}")
    return score_cells(nb), log.truncated, issues, why


def _error_text(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue', '')}"[:300]
        if out.get("output_type") == "stream" and out.get("name") == \
                "stderr":
            return "it writes to stderr: " + str(out.get("text"))[:200]
    return "no output"


def check_assignment(course, assignment):
    """Return a list of problems (empty when the assignment is sound)."""
    problems = []
    release = course.release_dir(assignment)
    files = trust_hooks.declared_files(course, assignment)
    masters = {m.name: m for m in course.masters(assignment)}
    for source in course.source_notebooks(assignment):
        name = f"{assignment}/{source.name}"
        master = masters[source.stem]
        try:
            scores, truncated, issues, why = _run(source, master, course,
                                                  files)
        except PreflightError as err:
            problems.append(f"solution {name}: cannot be graded: {err}")
            continue
        for issue in issues:
            if "kernelspec" not in issue:
                problems.append(f"solution {name}: grading would repair "
                                f"it: {issue}")
        for reason in why:
            problems.append(f"solution {name}: {reason}")
        lost = {gid for gid, (got, top) in scores.items() if got < top}
        for gid in sorted(lost):
            if not any(f"test {gid} " in reason for reason in why):
                problems.append(f"solution {name}: test {gid} fails")
        if truncated:
            # Every submission would be flagged, and lose its figures.
            problems.append(
                f"solution {name}: the output of cells {truncated} is cut "
                "by the output limits; raise c.Sandbox.output_bytes_per_"
                "cell / output_bytes_per_notebook in nbgrader_config.py")
        released = release / source.name
        if not released.is_file():
            problems.append(f"release {name} is missing: run "
                            "`course-autograder release`")
            continue
        for gid, (got, top) in _run(released, master, course,
                                    files)[0].items():
            if got > 0:
                problems.append(f"release {name}: test {gid} passes on "
                                "the unanswered notebook")
    return problems
