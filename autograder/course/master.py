"""The instructor's version of a notebook: what grading trusts.

Test cells (with hidden tests) come from solutions/, solution stubs and
the kernelspec from the release in notebooks/.  Nothing here is ever
read from a submission or from the gradebook.
"""
from dataclasses import dataclass, field

import nbformat

from autograder.course.notebooks import grade_id, is_solution_cell, is_test_cell


@dataclass
class Master:
    """Trusted cells of one assignment notebook."""

    name: str
    order: list = field(default_factory=list)     # grade_ids, in order
    # Unlabelled source cells between a test and the labelled cell
    # before it: a deleted test is restored after as many of them.
    gap: dict = field(default_factory=dict)       # test grade_id -> count
    tests: dict = field(default_factory=dict)     # grade_id -> cell
    solutions: dict = field(default_factory=dict)  # grade_id -> cell
    released: dict = field(default_factory=dict)  # test cells as given
    # Read-only cells that are neither tests nor answers (instructions,
    # setup code): nbgrader puts their source back before grading.
    locked: dict = field(default_factory=dict)    # grade_id -> cell
    kernelspec: dict = field(default_factory=dict)
    # The instructor's setup code that graded tests run after, in the
    # grader's re-run (autograder.trusted.verdicts).
    setup: list = field(default_factory=list)
    # nbgrader's OverwriteCells.add_missing_cells: put deleted test cells
    # back (the course's choice; nbgrader's default is not to, and a
    # deleted test then scores 0).
    restore_missing: bool = False

    @property
    def points(self):
        """Total points of the notebook's test cells."""
        return sum(float(c.metadata.nbgrader.get("points", 0))
                   for c in self.tests.values())

    def anchor_of(self, test_id, present):
        """Return the closest earlier grade_id in ``present``, or None."""
        before = self.order[:self.order.index(test_id)]
        for gid in reversed(before):
            if gid in present:
                return gid
        return None


def load_master(source_path, release_path):
    """Build a Master from a source notebook and its release."""
    source = nbformat.read(str(source_path), as_version=4)
    release = nbformat.read(str(release_path), as_version=4)
    master = Master(name=source_path.stem)
    master.kernelspec = dict(release.metadata.get("kernelspec", {}))
    unlabelled = 0
    for cell in source.cells:
        gid = grade_id(cell)
        if gid is None:
            unlabelled += 1
            continue
        master.order.append(gid)
        if is_test_cell(cell):
            master.tests[gid] = cell
            master.gap[gid] = unlabelled
        elif cell.metadata.get("nbgrader", {}).get("locked") and \
                not is_solution_cell(cell):
            master.locked[gid] = cell
        unlabelled = 0
    master.setup = setup_sources(source)
    for cell in release.cells:
        gid = grade_id(cell)
        if gid is not None and is_solution_cell(cell):
            master.solutions[gid] = cell
        elif gid in master.tests:
            master.released[gid] = cell
    return master


def setup_sources(source):
    """The setup cells of a source notebook.

    The locked code cells that are neither graded nor answered (chapter
    01's ``setup``); without any, the code cells before the first
    answer or graded cell.
    """
    locked, before, seen_graded = [], [], False
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") or meta.get("solution"):
            seen_graded = True
            continue
        if meta.get("locked"):
            locked.append(cell.source)
        elif not seen_graded:
            before.append(cell.source)
    return locked or before
