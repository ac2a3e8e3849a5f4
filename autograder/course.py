"""The course on disk: configuration, assignments and nbgrader's API."""
import functools
import os
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from .master import load_master
from .settings import Limits

PACKAGE_CONFIG = Path(__file__).resolve().parent / "nbgrader_config.py"


def load_config(root):
    """Load the course's nbgrader configuration for ``root``."""
    path = root / "nbgrader_config.py"
    if not path.is_file():
        path = PACKAGE_CONFIG
    previous = os.environ.get("NBGRADER_COURSE_ROOT")
    os.environ["NBGRADER_COURSE_ROOT"] = str(root)
    try:
        loader = PyFileConfigLoader(path.name, path=str(path.parent))
        config = Config()
        config.merge(loader.load_config())
    finally:  # leave the environment as it was (tests share a process)
        if previous is None:
            del os.environ["NBGRADER_COURSE_ROOT"]
        else:
            os.environ["NBGRADER_COURSE_ROOT"] = previous
    config.CourseDirectory.root = str(root)
    return config


class CourseError(Exception):
    """A problem an instructor must fix; the message says how."""


class Course:
    """Paths and settings of one course directory."""

    def __init__(self, root=None):
        self.root = Path(root or os.getcwd()).resolve()
        if not (self.root / "solutions").is_dir():
            raise CourseError(
                f"{self.root} has no solutions/ folder: run from the "
                "course root or pass --course-root PATH")
        self.config = load_config(self.root)
        self.limits = Limits.from_config(self.config)

    # -- paths ------------------------------------------------------------
    @property
    def db_url(self):
        return self.config.CourseDirectory.db_url

    def folder(self, name):
        """Return an nbgrader folder (solutions, notebooks, ...)."""
        key = {"solutions": "source_directory",
               "notebooks": "release_directory",
               "submitted": "submitted_directory",
               "autograded": "autograded_directory",
               "feedback": "feedback_directory"}[name]
        value = self.config.CourseDirectory.get(key, name)
        return self.root / (value if isinstance(value, str) else name)

    def assignments(self):
        """Names of the assignments in solutions/, sorted."""
        return sorted(p.name for p in self.folder("solutions").iterdir()
                      if p.is_dir() and any(p.glob("*.ipynb")))

    def require(self, assignment):
        """Raise a helpful error unless ``assignment`` exists."""
        if assignment not in self.assignments():
            known = ", ".join(self.assignments()) or "none"
            raise CourseError(f"unknown assignment {assignment!r}; "
                              f"known: {known}")

    def source_notebooks(self, assignment):
        return sorted(self.folder("solutions").joinpath(assignment)
                      .glob("*.ipynb"))

    @functools.lru_cache(maxsize=None)
    def masters(self, assignment):
        """Trusted Master of each notebook of ``assignment``."""
        release = self.folder("notebooks") / assignment
        out = []
        for src in self.source_notebooks(assignment):
            rel = release / src.name
            if not rel.is_file():
                raise CourseError(
                    f"{rel} is missing: run `course-autograder release "
                    f"{assignment}` first")
            out.append(load_master(src, rel))
        return tuple(out)

    def students(self, assignment):
        """Students with a submission of ``assignment`` in submitted/."""
        base = self.folder("submitted")
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir()
                      if (p / assignment).is_dir())

    def submission_dir(self, student, assignment):
        return self.folder("submitted") / student / assignment

    def autograded_dir(self, student, assignment):
        return self.folder("autograded") / student / assignment

    # -- nbgrader ---------------------------------------------------------
    def api(self):
        """nbgrader's NbGraderAPI bound to this course."""
        from nbgrader.apps.api import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        coursedir = CourseDirectory(config=self.config)
        return NbGraderAPI(coursedir=coursedir, config=self.config)

    def gradebook(self):
        from nbgrader.api import Gradebook
        return Gradebook(self.db_url,
                         course_id=self.config.CourseDirectory.course_id)
