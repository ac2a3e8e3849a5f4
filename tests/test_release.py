"""Is the committed student release exactly what nbgrader generates?

notebooks/ is generated from solutions/ and committed so that a student can
clone and start.  These tests regenerate every assignment in a temporary
copy of the course and compare, and scan each release for leaked solutions
or hidden tests.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nbgrader_course import make_course

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = sorted(
    p.name for p in (ROOT / "solutions").iterdir()
    if p.is_dir() and list(p.glob("*.ipynb"))
)
MARKERS = (
    "BEGIN SOLUTION", "END SOLUTION",
    "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
)


def _nbgrader(course, *args):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["NBGRADER_DB_URL"] = f"sqlite:///{course / 'gradebook.db'}"
    env["NBGRADER_EXCHANGE"] = str(course / "exchange")
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
        cwd=course, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    """A temporary course with every assignment freshly generated."""
    course = tmp_path_factory.mktemp("course")
    for name in ASSIGNMENTS:
        make_course(course, name)
        done = _nbgrader(course, "generate_assignment", name, "--force")
        assert done.returncode == 0, done.stdout + done.stderr
    return course / "notebooks"


def _files(folder):
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
        and ".ipynb_checkpoints" not in p.parts
    )


def test_there_is_something_to_release():
    """Does the course have at least one assignment?"""
    assert ASSIGNMENTS, "solutions/ holds no assignment folder"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_committed_release_matches_generation(fresh_release, name):
    """Is notebooks/NAME byte for byte what generate_assignment writes?"""
    fresh = fresh_release / name
    committed = ROOT / "notebooks" / name
    assert committed.is_dir(), f"notebooks/{name} is missing: make release"
    assert _files(fresh) == _files(committed), (
        f"notebooks/{name} has other files than a fresh release: "
        "run `make release` and commit the result"
    )
    for rel in _files(fresh):
        assert (fresh / rel).read_bytes() == (committed / rel).read_bytes(), (
            f"notebooks/{name}/{rel} differs from a fresh release: "
            "run `make release` and commit the result"
        )


def _solution_lines(source_nb):
    """The non-trivial code lines inside every solution region."""
    lines = []
    for cell in json.loads(source_nb.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        inside = False
        for line in "".join(cell["source"]).splitlines():
            if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) > 12 \
                    and not line.strip().startswith("#"):
                lines.append(line.strip())
    return lines


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_leaks_no_solution(name):
    """Does the committed release hide every solution and hidden test?"""
    release = ROOT / "notebooks" / name
    for nb_path in release.glob("*.ipynb"):
        text = nb_path.read_text()
        for marker in MARKERS:
            assert marker not in text, f"{nb_path.name} contains {marker!r}"
        release_code = "\n".join(
            "".join(c["source"]) for c in json.loads(text)["cells"]
        )
        source = ROOT / "solutions" / name / nb_path.name
        for line in _solution_lines(source):
            assert line not in release_code, (
                f"{nb_path.name} leaks a solution or hidden-test line: "
                f"{line[:40]}..."
            )


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_has_only_notebooks(name):
    """Do caches and text twins of solutions stay out of the release?"""
    for rel in _files(ROOT / "notebooks" / name):
        assert not rel.endswith((".py", ".md", ".pyc")), (
            f"notebooks/{name}/{rel} should not be released"
        )


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_leaves_the_text_twins_out(fresh_release, name):
    """Does generating a release from a source that holds the chapter's
    Jupytext twin (solutions/NAME/NAME.py) leave the twin out, so that
    neither notebooks/ nor the exchange nor the lab can hand it out?"""
    source = fresh_release.parent / "solutions" / name
    assert (source / f"{name}.py").is_file(), (
        f"solutions/{name}/{name}.py is missing: run `make twins`")
    released = _files(fresh_release / name)
    assert any(rel.endswith(".ipynb") for rel in released)
    assert not [rel for rel in released if rel.endswith((".py", ".md"))]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_shared_cells_say_what_their_one_source_says(name):
    """The "how to work" cell (and any other shared markdown cell) of
    every chapter, in solutions/ and in the release, is the one file in
    solutions/ rendered for that chapter: `make release` copies it."""
    import nbformat

    from autograder.course.shared_text import rendered, shared_cells
    for step in ("solutions", "notebooks"):
        path = next((ROOT / step / name).glob("*.ipynb"))
        cells = shared_cells(nbformat.read(path, as_version=4))
        assert [n for _, n in cells] == ["how_to_work.md"], (step, name)
        for cell, shared in cells:
            assert cell.source == rendered(ROOT / "solutions", shared,
                                           name), (step, name)
