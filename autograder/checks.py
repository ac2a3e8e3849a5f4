"""`check`: every solution passes its tests and every release fails them.

Both notebooks go through exactly what `grade` does to a submission
(pre-flight repair, the source folder's files beside it, the sandboxed
kernel, the same scoring), so a check that passes here also passes when
grading.
"""
from . import sandbox, trust_hooks
from .preflight import PreflightError
from .worker import grading_copy, run_notebook, score_cells


def _run(path, master, course, files):
    """Grade one notebook file as if a student had submitted it.

    Returns ({grade_id: [got, max]}, indices of cells whose output the
    limits cut, repairs made).
    """
    isolation = sandbox.choose_isolation(course.limits.isolation)
    sandbox.become_subreaper()
    nb, issues, log = run_notebook(path.read_bytes(), master, course.limits,
                                   isolation, files)
    return score_cells(grading_copy(nb)), log.truncated, issues


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
            scores, truncated, issues = _run(source, master, course, files)
        except PreflightError as err:
            problems.append(f"solution {name}: cannot be graded: {err}")
            continue
        for issue in issues:
            if "kernelspec" not in issue:
                problems.append(f"solution {name}: grading would repair "
                                f"it: {issue}")
        for gid, (got, top) in scores.items():
            if got < top:
                problems.append(f"solution {name}: test {gid} fails "
                                f"({got:g}/{top:g})")
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
