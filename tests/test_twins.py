"""The Jupytext text twins of solutions/ (autograder.course.twins).

Each solution notebook has a percent-format .py twin that reviews read
and diff.  A twin must say what its notebook says (cells, their types and
the metadata nbgrader reads), and it must never reach a student: not the
release, not the lab's work/ folder, not nbval's collection.
"""
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from autograder import lab
from autograder.course import twins

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = twins.notebooks(ROOT)


def test_every_solution_has_a_current_twin():
    """Is every twin there and what `make twins` writes now?"""
    assert len(NOTEBOOKS) >= 6
    problems = twins.stale(ROOT)
    assert not problems, (
        "\n".join(problems) + f"\nRun `{twins.COMMAND}` and commit the "
        "twins with their notebooks.")


def _cells(nb):
    return [(c.cell_type, c.source, c.metadata.get("nbgrader"),
             c.metadata.get("shared_text")) for c in nb.cells]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_twin_carries_what_nbgrader_reads(notebook):
    """Read back, does the twin give every cell's type, source, nbgrader
    metadata (grade_id, points, solution, locked) and shared text?"""
    nb = nbformat.read(notebook, as_version=4)
    back = jupytext.read(twins.twin_of(notebook))
    assert _cells(back) == _cells(nb)
    assert any(c[2] and c[2].get("points") for c in _cells(back))


@pytest.fixture
def chapter(tmp_path):
    """A course with chapter 01's notebook and its twin."""
    src = NOTEBOOKS[0]
    dest = tmp_path / "solutions" / src.parent.name
    dest.mkdir(parents=True)
    shutil.copy(src, dest)
    shutil.copy(twins.twin_of(src), dest)
    return tmp_path, dest / src.name


def test_a_changed_notebook_makes_its_twin_stale(chapter, capsys):
    """Do an edited cell, changed points, a missing twin and an orphan
    twin each fail the check, naming the file and the command?"""
    root, path = chapter
    assert twins.stale(root) == []
    nb = nbformat.read(path, as_version=4)
    graded = next(c for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("points"))
    graded.metadata["nbgrader"]["points"] += 1
    nbformat.write(nb, path)
    (problem,) = twins.stale(root)
    assert path.with_suffix(".py").name in problem
    assert '"points"' in problem
    assert twins.main(["--check", str(root)]) == 1
    assert f"Run `{twins.COMMAND}`" in capsys.readouterr().err

    assert twins.write(root) == [path.with_suffix(".py")]
    assert twins.stale(root) == []
    graded.source += "\nassert True"
    nbformat.write(nb, path)
    assert twins.stale(root) and twins.write(root)

    path.with_suffix(".py").unlink()
    assert twins.stale(root) == [
        f"{path.with_suffix('.py').relative_to(root)} is missing"]
    twins.write(root)
    shutil.copy(path.with_suffix(".py"), path.with_name("old_name.py"))
    (orphan,) = twins.stale(root)
    assert "old_name.py has no notebook" in orphan


def test_nbval_collects_no_twin():
    """Does `make test`'s nbval run collect the notebooks and no twin?"""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q",
         "-p", "no:cacheprovider", "--nbval-lax", "solutions"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    items = [x for x in out.stdout.splitlines() if "::" in x]
    assert out.returncode == 0, out.stdout + out.stderr
    files = {x.split("::")[0] for x in items}
    assert files == {str(p.relative_to(ROOT)) for p in NOTEBOOKS}, files


def test_the_lab_copies_no_twin(tmp_path):
    """Does the lab's work/ copy of the course hold no twin, though
    solutions/ has them?"""
    for step in ("solutions", "notebooks"):
        shutil.copytree(ROOT / step, tmp_path / step)
    assert list((tmp_path / "solutions").glob("*/*.py"))
    copied = lab.copy_new_work(tmp_path)
    assert any(p.suffix == ".ipynb" for p in copied)
    assert not list((tmp_path / lab.WORK).rglob("*.py"))


@pytest.mark.parametrize("instructor", [False, True])
def test_the_lab_leaves_jupytext_off(tmp_path, instructor):
    """Is Jupytext (a maintainers' tool) off in both labs: its server
    extension (which would replace the contents manager) and its lab
    extension (launcher entries for text notebooks)?"""
    cmd = lab.lab_command(tmp_path, instructor)
    assert "--ServerApp.jpserver_extensions=jupyterlab_jupytext=False" in cmd
    folder = lab.settings_dir(tmp_path, instructor)
    disabled = json.loads((folder / "page_config.json").read_text())[
        "disabledExtensions"]
    assert disabled.get("jupyterlab-jupytext") is True
    if instructor:
        assert not set(lab.INSTRUCTOR_ONLY) & set(disabled)
    else:
        assert all(disabled.get(x) is True for x in lab.INSTRUCTOR_ONLY)
    # The names turned off are the installed extensions' own.
    assert importlib.util.find_spec("jupyterlab_jupytext") is not None
    labext = Path(sys.prefix) / "share" / "jupyter" / "labextensions"
    assert (labext / "jupyterlab-jupytext" / "package.json").is_file()
