"""The course on disk: configuration, assignments and nbgrader's API.

Every path comes from the course's nbgrader configuration through
nbgrader's own ``CourseDirectory`` (``source_directory``,
``release_directory``, ``submitted_directory``, ``autograded_directory``,
``feedback_directory``, ``directory_structure``, ``db_url``), so nbgrader's
defaults (``source/``, ``release/``, ``sqlite:///ROOT/gradebook.db``) apply
wherever the configuration leaves a setting unset.
"""
import functools
import glob
import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.course.master import load_master
from autograder.course.settings import Limits

# The course's names for nbgrader's steps (kept for older callers).
STEPS = {"solutions": "source_directory", "notebooks": "release_directory",
         "source": "source_directory", "release": "release_directory",
         "submitted": "submitted_directory",
         "autograded": "autograded_directory",
         "feedback": "feedback_directory"}


def load_config(root):
    """Load the course's nbgrader configuration for ``root``.

    A course without an ``nbgrader_config.py`` gets nbgrader's defaults.
    """
    path = root / "nbgrader_config.py"
    config = Config()
    if path.is_file():
        previous = os.environ.get("NBGRADER_COURSE_ROOT")
        os.environ["NBGRADER_COURSE_ROOT"] = str(root)
        # nbgrader runs from the course root, so a config may import a
        # module that sits beside it.
        sys.path.insert(0, str(root))
        try:
            loader = PyFileConfigLoader(path.name, path=str(path.parent))
            config.merge(loader.load_config())
        finally:  # leave the environment as it was (tests share a process)
            if sys.path and sys.path[0] == str(root):
                del sys.path[0]
            if previous is None:
                del os.environ["NBGRADER_COURSE_ROOT"]
            else:
                os.environ["NBGRADER_COURSE_ROOT"] = previous
    config.CourseDirectory.root = str(root)
    # nbgrader resolves header/footer against the working directory; the
    # course root is the only sensible one for --course-root.
    for key in ("header", "footer"):
        value = config.IncludeHeaderFooter.get(key)
        if isinstance(value, str) and value and not os.path.isabs(value):
            config.IncludeHeaderFooter[key] = str(root / value)
    return config


class CourseError(Exception):
    """A problem an instructor must fix; the message says how."""


class Course:
    """Paths and settings of one course directory."""

    def __init__(self, root=None):
        from nbgrader.coursedir import CourseDirectory
        self.root = Path(root or os.getcwd()).resolve()
        self.config = load_config(self.root)
        self.coursedir = CourseDirectory(config=self.config)
        source = self.step_dir("source")
        if not source.is_dir():
            raise CourseError(
                f"{self.root} has no source folder {source.name}/ "
                "(nbgrader's CourseDirectory.source_directory): run from "
                "the course root or pass --course-root PATH")
        try:
            self.limits = Limits.from_config(self.config)
        except ValueError as err:
            raise CourseError(str(err)) from None

    # -- paths ------------------------------------------------------------
    @property
    def db_url(self):
        return self.coursedir.db_url

    def step_name(self, name):
        """nbgrader's folder name of a step (``source`` -> 'solutions')."""
        return getattr(self.coursedir, STEPS[name])

    def step_dir(self, name):
        """The top folder of an nbgrader step (source, release, ...)."""
        return Path(self.coursedir.root) / self.step_name(name)

    def folder(self, name):
        """Return an nbgrader step's top folder (solutions, notebooks...)."""
        return self.step_dir(name)

    def path(self, name, student, assignment):
        """nbgrader's folder for (step, student, assignment)."""
        return Path(os.path.normpath(self.coursedir.format_path(
            self.step_name(name), student, assignment)))

    def source_dir(self, assignment):
        return self.path("source", ".", assignment)

    def release_dir(self, assignment):
        return self.path("release", ".", assignment)

    def assignments(self):
        """Names of the assignments in the source folder, sorted."""
        pattern = self.coursedir.format_path(
            self.step_name("source"), ".", "*", escape=False)
        found = set()
        for path in glob.glob(os.path.normpath(pattern)):
            path = Path(path)
            if path.is_dir() and any(path.glob("*.ipynb")):
                found.add(path.name)
        return sorted(found)

    def require(self, assignment):
        """Raise a helpful error unless ``assignment`` exists."""
        if assignment not in self.assignments():
            known = ", ".join(self.assignments()) or "none"
            raise CourseError(f"unknown assignment {assignment!r}; "
                              f"known: {known}")

    def source_notebooks(self, assignment):
        return sorted(self.source_dir(assignment).glob("*.ipynb"))

    def rel(self, path):
        """``path`` relative to the course root, for messages."""
        try:
            return f"{Path(path).relative_to(self.root)}/"
        except ValueError:
            return f"{path}/"

    @functools.lru_cache(maxsize=None)
    def masters(self, assignment):
        """Trusted Master of each notebook of ``assignment``."""
        release = self.release_dir(assignment)
        out = []
        for src in self.source_notebooks(assignment):
            rel = release / src.name
            if not rel.is_file():
                raise CourseError(
                    f"{rel} is missing: run `course-autograder release "
                    f"{assignment}` first")
            master = load_master(src, rel)
            master.restore_missing = bool(self.config.get(
                "OverwriteCells", {}).get("add_missing_cells", False))
            out.append(master)
        return tuple(out)

    def students(self, assignment):
        """Students with a submission of ``assignment`` in submitted/."""
        pattern = self.coursedir.format_path(
            self.step_name("submitted"), "*", assignment)
        found = []
        for path in glob.glob(os.path.normpath(pattern)):
            if os.path.isdir(path):
                rel = Path(path).relative_to(self.step_dir("submitted"))
                found.append(rel.parts[0])
        return sorted(set(found))

    def all_students(self):
        """Every student id with a folder in submitted/."""
        base = self.step_dir("submitted")
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir())

    def submission_dir(self, student, assignment):
        return self.path("submitted", student, assignment)

    def autograded_dir(self, student, assignment):
        return self.path("autograded", student, assignment)

    def extra_files(self, folder):
        """Non-notebook files under ``folder`` that nbgrader copies along
        (its ``CourseDirectory.ignore`` patterns applied)."""
        from nbgrader.utils import find_all_files
        if not Path(folder).is_dir():
            return []
        return [Path(p) for p in find_all_files(
            str(folder), list(self.coursedir.ignore) + ["*.ipynb"])]

    def files_over(self, folders):
        """[(source path, relative name)] of the non-notebook files of
        ``folders``, a later folder's file replacing an earlier one's of
        the same name (nbgrader's order), without links, timestamps and
        checkpoints."""
        files = {}
        for folder in folders:
            for path in self.extra_files(folder):
                rel = path.relative_to(folder)
                if path.is_symlink() or rel.name == "timestamp.txt" or \
                        ".ipynb_checkpoints" in rel.parts:
                    continue
                files[str(rel)] = str(path)
        return sorted((src, rel) for rel, src in files.items())

    # -- nbgrader ---------------------------------------------------------
    def api(self):
        """nbgrader's NbGraderAPI bound to this course."""
        from nbgrader.apps.api import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        coursedir = CourseDirectory(config=self.config)
        return NbGraderAPI(coursedir=coursedir, config=self.config)

    def gradebook(self):
        from nbgrader.api import Gradebook
        return Gradebook(self.db_url, course_id=self.coursedir.course_id)
