"""Markdown cells every chapter shares, kept in one file each.

A markdown cell of a solution notebook whose metadata has
``"shared_text": "NAME.md"`` gets its source from ``solutions/NAME.md``,
with ``{assignment}`` replaced by the chapter's folder name.  ``make
release`` runs ``sync`` before generating the releases, so the copies in
``solutions/`` and ``notebooks/`` always say what the one file says
(``tests/test_release.py`` fails otherwise).

    python -m autograder.course.shared_text [COURSE_ROOT]
"""
import sys
from pathlib import Path

import nbformat

KEY = "shared_text"


def rendered(folder, name, assignment):
    """The text of shared file ``name`` for ``assignment``."""
    template = (Path(folder) / name).read_text(encoding="utf-8")
    return template.replace("{assignment}", assignment).rstrip("\n")


def shared_cells(nb):
    """(cell, file name) of the notebook's shared markdown cells."""
    return [(cell, cell.metadata[KEY]) for cell in nb.cells
            if cell.cell_type == "markdown" and KEY in cell.metadata]


def sync(root):
    """Rewrite the shared cells of every solution notebook; return the
    notebooks changed."""
    solutions = Path(root) / "solutions"
    changed = []
    for path in sorted(solutions.glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        dirty = False
        for cell, name in shared_cells(nb):
            text = rendered(solutions, name, path.parent.name)
            if cell.source != text:
                cell.source = text
                dirty = True
        if dirty:
            nbformat.write(nb, path)
            changed.append(path)
    return changed


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    for path in sync(root):
        print(f"shared text updated in {path.relative_to(root)}")
