"""`check`: every solution passes its tests and every release fails them.

Both notebooks run in the same sandboxed kernel the students get, so a
check that passes here also passes when grading.
"""
import shutil
import tempfile
from pathlib import Path

import nbformat

from . import sandbox
from .execute import Runner
from .worker import grading_copy, score_cells


def _run(path, course):
    """Execute a notebook in the sandbox.

    Returns ({grade_id: [got, max]}, indices of cells whose output the
    limits cut).
    """
    nb = nbformat.read(str(path), as_version=4)
    workdir = Path(tempfile.mkdtemp(prefix="ag-check-"))
    for extra in path.parent.iterdir():
        if extra.is_file() and extra.suffix != ".ipynb":
            shutil.copyfile(extra, workdir / extra.name)
    try:
        isolation = sandbox.choose_isolation(course.limits.isolation)
        log = Runner(nb, isolation, course.limits, workdir).run()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return score_cells(grading_copy(nb)), log.truncated


def check_assignment(course, assignment):
    """Return a list of problems (empty when the assignment is sound)."""
    problems = []
    release = course.folder("notebooks") / assignment
    for source in course.source_notebooks(assignment):
        name = f"{assignment}/{source.name}"
        scores, truncated = _run(source, course)
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
        for gid, (got, top) in _run(released, course)[0].items():
            if got > 0:
                problems.append(f"release {name}: test {gid} passes on "
                                "the unanswered notebook")
    return problems
