"""nbgrader configuration for the course (the repository is the course root).

Loaded through the repository root's nbgrader_config.py.  Every path is
inside the course: nothing is written to /usr/local/share or $HOME.
Environment overrides, for instructors and tests:

- NBGRADER_DB_URL: gradebook URL (default: sqlite:///<root>/gradebook.db;
  e.g. postgresql+psycopg2://user@host/course for a shared gradebook)
- NBGRADER_EXCHANGE: exchange directory (default: <root>/exchange)
- NBGRADER_COURSE_ROOT: course root (default: the repository root)

Grading limits (autograder.course.settings.Limits) are set in the ``Sandbox``
section; see docs/instructors.md for every setting and its default.
"""
import os
from pathlib import Path

c = get_config()  # noqa: F821

# NBGRADER_COURSE_ROOT lets the instructor CLI (--course-root) and the
# tests point this configuration at another copy of the course.
root = Path(
    os.environ.get("NBGRADER_COURSE_ROOT")
    or Path(__file__).resolve().parent.parent
)

c.CourseDirectory.root = str(root)
c.CourseDirectory.course_id = "nn-from-the-derivative-up"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = os.environ.get(
    "NBGRADER_DB_URL", f"sqlite:///{root / 'gradebook.db'}"
)
# Only notebooks (and data a chapter may ship) reach a release: caches and
# text twins of solutions (Jupytext .py/.md) must never be copied.
# nbgrader applies the same list when it copies a submission (submit,
# collect, autograde, feedback), so nothing here may match the files it
# writes beside the notebooks: timestamp.txt (the submission time, late
# penalties) and submission_secret.txt (release_feedback and
# fetch_feedback match feedback to its submission with it).  A .txt file
# in a chapter folder is data and is released like a .csv or .npz.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "__pycache__",
    "*.pyc",
    "*.py",
    "*.md",
    ".DS_Store",
    "feedback",
]
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", str(root / "exchange"))
c.Exchange.path_includes_course = True

# Every notebook cell must finish within this many seconds when graded.
c.ExecutePreprocessor.timeout = 60
c.Execute.timeout = 60
# A test cell a student deleted is put back and run (nbgrader's own
# autograde does the same with this setting; without it the cell scores 0).
c.OverwriteCells.add_missing_cells = True
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}

# Sandbox limits for `course-autograder grade` (defaults shown; see
# autograder/course/settings.py and docs/instructors.md).
c.Sandbox.cell_timeout = 60
c.Sandbox.notebook_timeout = 600
c.Sandbox.memory_mb = 2048

# Releases store the notebook metadata JupyterLab writes when a notebook
# opens (kernelspec and the kernel's full language_info), so a fresh
# release is not marked unsaved before the student types (autograder/lab.py).
import sys  # noqa: E402

from nbgrader.converters import GenerateAssignment  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.lab import LabMetadata  # noqa: E402
# nbgrader's own notebook runs (autograde, validate) wait on the kernel in
# short slices: a missed ZeroMQ wake-up cannot stall a cell for minutes.
import autograder.zmqwait  # noqa: E402,F401

sys.path.pop(0)
c.GenerateAssignment.preprocessors = [
    *GenerateAssignment.class_traits()["preprocessors"].default(),
    LabMetadata,
]
