"""Start JupyterLab on the course: ``python -m autograder.lab``.

``make lab`` (student) and ``make instructor`` run this; so can a browser
test suite.  Before starting it prepares what a first run needs:

- ``work/``: the student's own, git-ignored folder, holding a copy of each
  released chapter (``notebooks/NN_topic/``) that is not there yet.  A
  file already in ``work/`` is never overwritten, so ``git pull`` brings
  new chapters into ``notebooks/`` without touching the student's work.
- ``exchange/``: the (empty) nbgrader exchange, so that the Assignment
  List panel answers without "exchange directory does not exist" errors.
- ``.lab/student`` or ``.lab/instructor``: JupyterLab's page config for
  this mode (``--LabApp.app_settings_dir``).  The student lab turns the
  instructor panels off (nbgrader's Create Assignment, Formgrader and
  Course List) and the formgrader server extension with them; the
  instructor lab has everything.  Nothing is written to the user's
  global Jupyter configuration.

Options: ``--instructor``; ``--dry-run`` prints the command instead of
running it; any other option (``--no-browser``, ``--ServerApp.port=...``)
is passed on to ``jupyter lab``.

The module also holds ``LabMetadata``, the release preprocessor that
stores the notebook metadata JupyterLab writes when a notebook opens, so
that a fresh release is not marked unsaved before the student types.
"""
import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

ROOT = Path(__file__).resolve().parent.parent
WORK = "work"
RELEASES = "notebooks"
INSTRUCTOR_ONLY = (
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:course-list",
)
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",
                                "nbgrader.server_extensions.course_list")


# --------------------------------------------------------------------------
# Release metadata
# --------------------------------------------------------------------------
def lab_language_info():
    """The language_info the Python kernel reports (JupyterLab stores it)."""
    from ipykernel.ipkernel import IPythonKernel
    return json.loads(json.dumps(IPythonKernel.language_info))


KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python",
              "name": "python3"}


class LabMetadata(Preprocessor):
    """Store the kernelspec and full language_info in a release notebook."""

    enabled = Bool(True)  # nbconvert skips preprocessors that are not enabled

    def preprocess(self, nb, resources):
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        nb.metadata["language_info"] = lab_language_info()
        return nb, resources


# --------------------------------------------------------------------------
# First-run preparation
# --------------------------------------------------------------------------
def copy_new_work(root=ROOT):
    """Copy released files missing from work/; return the copied paths.

    Never overwrites: a chapter the student has started stays as it is,
    and only files not yet in work/ (a new chapter) are added.
    """
    root = Path(root)
    copied = []
    releases = root / RELEASES
    if not releases.is_dir():
        return copied
    for chapter in sorted(p for p in releases.iterdir() if p.is_dir()):
        for src in sorted(chapter.rglob("*")):
            rel = src.relative_to(releases)
            if not src.is_file() or ".ipynb_checkpoints" in rel.parts \
                    or "__pycache__" in rel.parts:
                continue
            dest = root / WORK / rel
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            copied.append(dest)
    return copied


def settings_dir(root, instructor):
    """Write this mode's JupyterLab page config; return its folder."""
    mode = "instructor" if instructor else "student"
    folder = Path(root) / ".lab" / mode
    folder.mkdir(parents=True, exist_ok=True)
    disabled = {} if instructor else dict.fromkeys(INSTRUCTOR_ONLY, True)
    (folder / "page_config.json").write_text(
        json.dumps({"disabledExtensions": disabled}, indent=1) + "\n")
    return folder


def prepare(root=ROOT, instructor=False):
    """Create work/, exchange/ and the page config; return the settings."""
    root = Path(root)
    (root / "exchange").mkdir(exist_ok=True)
    copied = copy_new_work(root)
    for path in copied:
        print(f"new in work/: {path.relative_to(root / WORK)}")
    return settings_dir(root, instructor)


def lab_command(root=ROOT, instructor=False, extra=()):
    """The `jupyter lab` command line for this mode (after prepare)."""
    root = Path(root)
    jupyter = Path(sys.executable).parent / "jupyter"
    folder = root / ".lab" / ("instructor" if instructor else "student")
    cmd = [str(jupyter if jupyter.exists() else "jupyter"), "lab",
           "--ServerApp.root_dir=" + str(root),
           "--LabApp.app_settings_dir=" + str(folder)]
    if instructor:
        cmd.append("--LabApp.default_url=/lab/tree/solutions")
    else:
        cmd.append("--LabApp.default_url=/lab/tree/work")
        cmd += [f"--ServerApp.jpserver_extensions={name}=False"
                for name in INSTRUCTOR_SERVER_EXTENSIONS]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI often run as root
    return cmd + list(extra)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m autograder.lab",
        description="Open JupyterLab on the course (student mode unless "
                    "--instructor). Other options go to jupyter lab.")
    parser.add_argument("--instructor", action="store_true",
                        help="instructor lab: Create Assignment and "
                             "Formgrader panels on, opens solutions/")
    parser.add_argument("--root", default=str(ROOT),
                        help="course root (default: this repository)")
    parser.add_argument("--dry-run", action="store_true",
                        help="prepare, print the command, do not start")
    args, extra = parser.parse_known_args(argv)
    root = Path(args.root).resolve()
    prepare(root, args.instructor)
    cmd = lab_command(root, args.instructor, extra)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    # Kernels and nbgrader's alembic are found on PATH.
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    os.chdir(root)
    os.execv(cmd[0], cmd) if os.path.isabs(cmd[0]) else os.execvp(
        cmd[0], cmd)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
