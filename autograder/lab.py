"""Start JupyterLab on the course: ``python -m autograder.lab``.

``make lab`` (student) and ``make instructor`` run this; so can a browser
test suite.  Before starting it prepares what a first run needs:

- ``work/``: the student's own, git-ignored folder, holding a copy of each
  released chapter (``notebooks/NN_topic/``) that is not there yet.  A
  file already in ``work/`` is never overwritten, so ``git pull`` brings
  new chapters into ``notebooks/`` without touching the student's work.
  A copy records the release it was made from (the notebook's metadata
  ``course.release``); when ``notebooks/`` holds a newer release of a
  chapter the student has started, the lab says so and puts the new
  release beside theirs (``work/NN_topic/NAME.new-release.ipynb``),
  leaving their answers alone.
- the release in ``notebooks/`` is made read-only in the student lab:
  the student works in ``work/``, and an edited ``notebooks/`` file would
  make the next ``git pull`` fail.
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
stores the notebook metadata JupyterLab writes when a notebook opens.
JupyterLab replaces ``language_info`` with the running kernel's, whose
``version`` is the Python patch release (3.11.2, 3.12.1...): a saved
version that differs marks the notebook unsaved on open.  The committed
release therefore stores no version (it is the same whichever Python
generated it), and each copy made into ``work/`` gets the student's own
kernel's ``language_info``, so it opens clean on any Python.
"""
import argparse
import hashlib
import json
import os
import shutil
import stat
import sys
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

ROOT = Path(__file__).resolve().parent.parent
WORK = "work"
RELEASES = "notebooks"
NEW_RELEASE = ".new-release"  # work/CH/NAME.new-release.ipynb
INSTRUCTOR_ONLY = (
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:course-list",
)
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",
                                "nbgrader.server_extensions.course_list")
# Jupytext is installed for the maintainers' text twins (make twins), not
# for the lab: off in both modes, so that no notebook is paired with a text
# file, its contents manager does not stand in for Jupyter's, and a start
# does not spend a second importing it.
MAINTAINER_LAB_EXTENSIONS = ("jupyterlab-jupytext",)
MAINTAINER_SERVER_EXTENSIONS = ("jupyterlab_jupytext",)


# --------------------------------------------------------------------------
# Release metadata
# --------------------------------------------------------------------------
def lab_language_info():
    """The language_info the Python kernel reports (JupyterLab stores it)."""
    from ipykernel.ipkernel import IPythonKernel
    return json.loads(json.dumps(IPythonKernel.language_info))


def release_language_info():
    """The kernel's language_info without the Python patch release."""
    info = lab_language_info()
    info.pop("version", None)
    return info


KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python",
              "name": "python3"}


class LabMetadata(Preprocessor):
    """Store the kernelspec and a Python-independent language_info in a
    release notebook."""

    enabled = Bool(True)  # nbconvert skips preprocessors that are not enabled

    def preprocess(self, nb, resources):
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        nb.metadata["language_info"] = release_language_info()
        return nb, resources


# --------------------------------------------------------------------------
# First-run preparation
# --------------------------------------------------------------------------
def release_digest(data):
    """Identity of a release notebook: its cells (metadata left out, so a
    change of Python or of the stored kernel info is not a new release)."""
    try:
        cells = json.loads(data)["cells"]
    except (ValueError, KeyError, TypeError):
        return hashlib.sha256(data).hexdigest()[:16]
    def source(cell):  # a list of lines or one string, as saved
        text = cell.get("source", "")
        return "".join(text) if isinstance(text, list) else text
    text = json.dumps([[c.get("cell_type"), source(c)] for c in cells])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def work_copy(data):
    """The bytes to put in work/ for a release notebook: its metadata gets
    this Python's kernel info (JupyterLab then opens it unchanged) and
    the digest of the release it was made from."""
    try:
        nb = json.loads(data)
    except ValueError:
        return data
    if not isinstance(nb, dict) or "cells" not in nb:
        return data
    meta = nb.setdefault("metadata", {})
    meta["kernelspec"] = dict(KERNELSPEC)
    meta["language_info"] = lab_language_info()
    meta.setdefault("course", {})["release"] = release_digest(data)
    return (json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True)
            + "\n").encode()


def _copy_release(src, dest):
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix == ".ipynb":
        dest.write_bytes(work_copy(src.read_bytes()))
        shutil.copystat(src, dest)
        dest.chmod(dest.stat().st_mode | stat.S_IWUSR)
    else:
        shutil.copy2(src, dest)


def _release_files(root):
    releases = Path(root) / RELEASES
    if not releases.is_dir():
        return
    for chapter in sorted(p for p in releases.iterdir() if p.is_dir()):
        for src in sorted(chapter.rglob("*")):
            rel = src.relative_to(releases)
            if not src.is_file() or ".ipynb_checkpoints" in rel.parts \
                    or "__pycache__" in rel.parts:
                continue
            yield src, rel


def copy_new_work(root=ROOT):
    """Copy released files missing from work/; return the copied paths.

    Never overwrites: a chapter the student has started stays as it is,
    and only files not yet in work/ (a new chapter) are added.
    """
    root = Path(root)
    copied = []
    for src, rel in _release_files(root):
        dest = root / WORK / rel
        if dest.exists():
            continue
        _copy_release(src, dest)
        copied.append(dest)
    return copied


def _made_from(path):
    """The release digest a work/ notebook records, or None."""
    try:
        meta = json.loads(path.read_bytes()).get("metadata", {})
        return meta.get("course", {}).get("release")
    except (OSError, ValueError, AttributeError):
        return None


def newer_releases(root=ROOT):
    """Offer each changed release beside the student's copy.

    For every work/ notebook made from an older release than the one now
    in notebooks/: a copy the student never edited (its cells are still
    the old release's) is replaced by the new release; otherwise the new
    release is written (or refreshed) beside it as
    ``NAME.new-release.ipynb`` and the student's notebook is left as it
    is.  Returns ([updated notebooks], [(student's notebook, copy)]).
    """
    root = Path(root)
    updated, offered = [], []
    for src, rel in _release_files(root):
        mine = root / WORK / rel
        if src.suffix != ".ipynb" or not mine.is_file():
            continue
        made_from = _made_from(mine)
        current = release_digest(src.read_bytes())
        # A copy without a record predates the record: nothing to compare.
        if made_from is None or made_from == current:
            continue
        if release_digest(mine.read_bytes()) == made_from:
            _copy_release(src, mine)  # never edited: nothing to lose
            updated.append(mine)
            continue
        beside = mine.with_name(mine.stem + NEW_RELEASE + mine.suffix)
        if beside.is_file() and _made_from(beside) != current and \
                release_digest(beside.read_bytes()) != _made_from(beside):
            # The student has started the previous new release: keep it.
            beside = mine.with_name(
                f"{mine.stem}{NEW_RELEASE}-{current[:8]}{mine.suffix}")
        if not beside.is_file() or _made_from(beside) != current:
            _copy_release(src, beside)
        offered.append((mine, beside))
    return updated, offered


def protect_release(root=ROOT):
    """Make the release files read-only (the student works in work/);
    return how many were changed."""
    changed = 0
    for src, _ in _release_files(root):
        mode = src.stat().st_mode
        if mode & 0o222:
            src.chmod(mode & ~0o222)
            changed += 1
    return changed


def settings_dir(root, instructor):
    """Write this mode's JupyterLab page config; return its folder."""
    mode = "instructor" if instructor else "student"
    folder = Path(root) / ".lab" / mode
    folder.mkdir(parents=True, exist_ok=True)
    disabled = dict.fromkeys(MAINTAINER_LAB_EXTENSIONS, True)
    if not instructor:
        disabled.update(dict.fromkeys(INSTRUCTOR_ONLY, True))
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
    updated, offered = newer_releases(root)
    for path in updated:
        print(f"updated in work/ (you had not started it): "
              f"{path.relative_to(root / WORK)}")
    if offered:
        print("A newer version of these chapters was released since you "
              "started them.\nYour notebook is unchanged; the new version "
              "is beside it (copy your answers over, or keep yours):")
        for mine, beside in offered:
            print(f"  work/{mine.relative_to(root / WORK)}  ->  "
                  f"{beside.name}")
    if not instructor:
        protect_release(root)
    return settings_dir(root, instructor)


def mode_options(folder, instructor=False):
    """The server options of a mode, given its settings folder (from
    ``settings_dir``): the page config, the maintainers' extensions
    (Jupytext) off, and for a student the instructor server extensions
    off.  ``make lab`` and the class's JupyterHub
    (deploy/jupyterhub_config.py) start their servers with these."""
    options = ["--LabApp.app_settings_dir=" + str(folder)]
    if not instructor:
        options += [f"--ServerApp.jpserver_extensions={name}=False"
                    for name in INSTRUCTOR_SERVER_EXTENSIONS]
    options += [f"--ServerApp.jpserver_extensions={name}=False"
                for name in MAINTAINER_SERVER_EXTENSIONS]
    return options


def lab_command(root=ROOT, instructor=False, extra=()):
    """The `jupyter lab` command line for this mode (after prepare)."""
    root = Path(root)
    jupyter = Path(sys.executable).parent / "jupyter"
    folder = root / ".lab" / ("instructor" if instructor else "student")
    cmd = [str(jupyter if jupyter.exists() else "jupyter"), "lab",
           "--ServerApp.root_dir=" + str(root)]
    cmd.append("--LabApp.default_url=/lab/tree/"
               + ("solutions" if instructor else "work"))
    cmd += mode_options(folder, instructor)
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
