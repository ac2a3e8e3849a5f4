"""A generated class of chapter-01 submissions: right, wrong and broken.

Used by tests/test_autograder_slurm.py (a small class) and
bench/bench_grading.py --slurm (200 students).  Student ``sNNN`` hands
in kind ``KINDS[NNN % len(KINDS)]``, so any class holds every kind and
two students of one kind hand in the same notebook (they must get the
same grade wherever they are graded).
"""
import nbformat

from nbgrader_course import ROOT, fill, make_course, solution_sources

ASSIGNMENT = "01_numerical_derivatives"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"

# Mistakes that cost points in different exercises.
MISTAKES = {
    "sign": {"forward_difference": """
def forward_difference(f, x, h=1e-5):
    return (f(x) - f(x + h)) / h
"""},
    "forward-as-central": {"central_difference": """
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h
"""},
    "half-gradient": {"numerical_gradient": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        g[i] = (f(x + step) - f(x - step)) / h
    return g
"""},
}
KINDS = ["right", "sign", "blank", "forward-as-central", "broken",
         "half-gradient"]


def notebooks():
    """{kind: notebook text} (``broken`` is not valid JSON)."""
    release = nbformat.read(ROOT / "notebooks" / ASSIGNMENT / NOTEBOOK, 4)
    source = nbformat.read(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK, 4)
    right = solution_sources(source)
    out = {"right": fill(release, right, drop_ungraded_code=True),
           "blank": fill(release, {}, drop_ungraded_code=True)}
    for kind, cells in MISTAKES.items():
        sources = dict(right, **{k: v.strip() + "\n"
                                 for k, v in cells.items()})
        out[kind] = fill(release, sources, drop_ungraded_code=True)
    out = {kind: nbformat.writes(nb) for kind, nb in out.items()}
    out["broken"] = out["right"][:len(out["right"]) // 2]
    return out


def kind_of(student):
    return KINDS[int(student[1:]) % len(KINDS)]


def make_class(dest, students):
    """A course copy at ``dest`` with ``students`` generated
    submissions; returns the course root."""
    root = make_course(dest, ASSIGNMENT)
    texts = notebooks()
    for i in range(students):
        student = f"s{i:03d}"
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / NOTEBOOK).write_text(texts[kind_of(student)])
    return root
