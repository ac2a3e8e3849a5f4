"""`course-autograder bundle`: the student bundle of a graded class.

The bundle of every released chapter is built once from this course.
A scan proves that nothing of solutions/ reaches it (no solution line,
no hidden test, no marker, no gradebook) and that the exercise answers
it leaves out are gone from course_utils; the release notebooks then run
with the bundle's course_utils first on sys.path, the answers filled in
from solutions/ as a student who finished would have them: every cell,
demos and visible tests included, must run.
"""
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nbgrader_course import ROOT, fill, solution_sources

CHAPTERS = sorted(p.name for p in (ROOT / "notebooks").iterdir()
                  if any(p.glob("*.ipynb")))
# Answers the bundle must leave out: what no released cell needs.
MUST_LEAVE_OUT = {
    "course_utils.derivatives.directional_derivative",
    "course_utils.derivatives.forward_difference",
    "course_utils.descent.lls_objective",
    "course_utils.descent.lls_gradient",
    "course_utils.descent.max_stable_lr",
    "course_utils.mlp.train_mlp",
}
# Markers and files that exist only on the instructor's side.
SECRET_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION",
                  "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def make_bundle(out, *assignments):
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "--course-root", str(ROOT),
         "bundle", *assignments, "--out", str(out)], capture_output=True,
        text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    left_out = {line.split()[2] for line in done.stdout.splitlines()
                if line.startswith("  left out ")}
    return {"out": out, "stdout": done.stdout, "left_out": left_out}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """The bundle of every released chapter."""
    return make_bundle(tmp_path_factory.mktemp("bundle") / "class")


def _files(out):
    return sorted(p for p in out.rglob("*") if p.is_file())


def _texts(out):
    """{path: text} of every file: notebooks as their cells' sources."""
    found = {}
    for path in _files(out):
        if path.suffix == ".ipynb":
            nb = nbformat.read(str(path), 4)
            found[path] = "\n".join(c.source for c in nb.cells)
        elif path.suffix in (".py", ".md", ".toml", ".txt"):
            found[path] = path.read_text()
    return found


def _lines(text):
    """Lines worth matching: long enough to be code of one answer, not an
    import or a comment every version shares."""
    return {line.strip() for line in text.splitlines()
            if len(line.strip()) >= 24 and not line.strip().startswith(
                ("#", "import ", "from ", '"""'))}


def _between(source, begin, end):
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside:
            out.append(line)
    return "\n".join(out)


def test_bundle_holds_releases_their_data_and_course_utils(bundle):
    """Are the released notebooks, their data files, course_utils and a
    README there, and nothing of the instructor's folders?"""
    out = bundle["out"]
    names = {p.relative_to(out).as_posix() for p in _files(out)}
    for chapter in CHAPTERS:
        for path in (ROOT / "notebooks" / chapter).iterdir():
            assert f"notebooks/{chapter}/{path.name}" in names
    assert "notebooks/06_tensor_cores/tensorcore_samples.npz" in names
    assert "course_utils/__init__.py" in names and "README.md" in names
    assert not [n for n in names if n.startswith(
        ("solutions/", "autograder/", "submitted/", "autograded/",
         "feedback/", "tests/")) or n.endswith((".db", ".pyc"))
        or "gradebook" in n or "nbgrader_config" in n]
    readme = (out / "README.md").read_text()
    assert "is the answer to an exercise" in readme
    assert all(chapter in readme for chapter in CHAPTERS)


def test_no_solution_or_hidden_test_reaches_the_bundle(bundle):
    """Does no marker, no line of a solution cell and no hidden-test line
    of any chapter appear in any file of the bundle?"""
    texts = _texts(bundle["out"])
    for path, text in texts.items():
        for marker in SECRET_MARKERS:
            assert marker not in text, (path, marker)
    for chapter in CHAPTERS:
        for src in (ROOT / "solutions" / chapter).glob("*.ipynb"):
            source = nbformat.read(str(src), 4)
            release = nbformat.read(
                str(ROOT / "notebooks" / chapter / src.name), 4)
            shown = _lines("\n".join(c.source for c in release.cells))
            secret = set()
            for cell in source.cells:
                secret |= _lines(_between(cell.source, "### BEGIN SOLUTION",
                                          "### END SOLUTION"))
                secret |= _lines(_between(cell.source,
                                          "### BEGIN HIDDEN TESTS",
                                          "### END HIDDEN TESTS"))
            secret -= shown   # a visible test may repeat a hidden line
            assert secret, src
            for path, text in texts.items():
                if path.suffix == ".ipynb":
                    leaked = secret & _lines(text)
                    assert not leaked, (path, sorted(leaked)[:3])


def _bodies(path, names):
    """{name: body lines after the docstring} of top-level functions."""
    text = path.read_text()
    tree = ast.parse(text)
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            body = node.body[1:] if ast.get_docstring(node) else node.body
            out[node.name] = _lines("\n".join(
                ast.get_source_segment(text, n) for n in body))
    return out


def test_left_out_answers_are_gone_from_course_utils(bundle):
    """Is each answer left out a stub that says so, with none of its
    lines anywhere in the bundle's course_utils (unless code the bundle
    keeps has the same line)?"""
    left_out = bundle["left_out"]
    assert MUST_LEAVE_OUT <= left_out, bundle["stdout"]
    out = bundle["out"]
    bundled = _lines("\n".join(p.read_text() for p in
                               (out / "course_utils").rglob("*.py")))
    original = "\n".join(p.read_text() for p in
                         (ROOT / "course_utils").rglob("*.py"))
    by_module = {}
    for dotted in left_out:
        module, name = dotted.rsplit(".", 1)
        by_module.setdefault(module, set()).add(name)
    removed = {}
    for module, names in by_module.items():
        rel = Path(*module.split(".")).with_suffix(".py")
        if not (ROOT / rel).is_file():   # a package's __init__.py
            rel = Path(*module.split("."), "__init__.py")
        bodies = _bodies(ROOT / rel, names)
        stubbed = _bodies(out / rel, names)
        for name in names:
            assert name in bodies, (module, name)
            assert "raise NotImplementedError(" in stubbed[name] and all(
                line.startswith("raise") or
                f"{module}.{name} is the answer to an exercise" in line
                for line in stubbed[name]), (module, name, stubbed[name])
            removed[f"{module}.{name}"] = bodies[name]
    # A line the left-out code shares with code that stays (an argument
    # check, a conversion) proves nothing either way.
    gone = "\n".join(line for lines in removed.values() for line in lines)
    for dotted, lines in removed.items():
        own = {line for line in lines
               if original.count(line) == gone.count(line)}
        assert not (own & bundled), (dotted, sorted(own & bundled)[:3])
    assert sum(map(len, removed.values())) > 30
    check = subprocess.run(
        [sys.executable, "-c",
         "import course_utils, course_utils.derivatives as d\n"
         "print(course_utils.__file__)\n"
         "try:\n"
         "    d.forward_difference(abs, 1.0)\n"
         "except NotImplementedError as err:\n"
         "    print(err)\n"],
        capture_output=True, text=True, cwd=out,
        env=dict(os.environ, PYTHONPATH=str(out)))
    assert str(out / "course_utils") in check.stdout, check.stderr
    assert "course_utils.derivatives.forward_difference is the answer " \
        "to an exercise" in check.stdout


def test_kept_answers_are_named_with_the_notebook_that_needs_them(bundle):
    """Does the command say which answers stay, and why?"""
    kept = [line for line in bundle["stdout"].splitlines()
            if line.startswith("  kept ")]
    assert all("needs it" in line and ".ipynb" in line for line in kept)
    assert not any(line.split()[1] in bundle["left_out"] for line in kept)


def test_first_chapter_alone_leaves_out_what_later_chapters_need(
        tmp_path):
    """Bundled alone, chapter 01 loses the references that only later
    chapters' demos and tests need; its own notebook still runs; and a
    folder that is not empty, or an unknown chapter, is refused."""
    alone = make_bundle(tmp_path / "week1", CHAPTERS[0])
    assert {"course_utils.derivatives.central_difference",
            "course_utils.derivatives.numerical_gradient",
            "course_utils.derivatives.numerical_jacobian"} <= \
        alone["left_out"]
    names = {p.relative_to(alone["out"] / "notebooks").parts[:2]
             for p in _files(alone["out"] / "notebooks")}
    assert names == {("01_numerical_derivatives",
                      "01_numerical_derivatives.ipynb")}
    _assert_runs(alone["out"], CHAPTERS[0])
    for args in ((CHAPTERS[0], "--out", str(alone["out"])),
                 ("nope", "--out", str(tmp_path / "other"))):
        done = subprocess.run(
            [sys.executable, "-m", "autograder", "--course-root",
             str(ROOT), "bundle", *args], capture_output=True, text=True)
        assert done.returncode == 2
        assert "not empty" in done.stderr or "known:" in done.stderr
    assert not (tmp_path / "other").exists()


def _run(nb, cwd, out, timeout=300):
    from nbclient import NotebookClient
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    env = dict(os.environ, PYTHONPATH=str(out), MPLBACKEND="Agg")
    old = dict(os.environ)
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


# Chapter 01 runs in the test above, with its own bundle, which leaves
# out more of what it could use.
@pytest.mark.parametrize("chapter", CHAPTERS[1:])
def test_release_runs_with_the_bundle(bundle, chapter):
    """With the answers filled in, does every cell of the released
    notebook (demos and visible tests) run on the bundle's course_utils?"""
    _assert_runs(bundle["out"], chapter)


def _assert_runs(out, chapter):
    name = f"{chapter}.ipynb"
    release = nbformat.read(str(out / "notebooks" / chapter / name), 4)
    right = solution_sources(nbformat.read(
        str(ROOT / "solutions" / chapter / name), 4))
    nb = fill(release, right)
    probe = nbformat.v4.new_code_cell(
        "import course_utils; print(course_utils.__file__)")
    nb.cells.insert(0, probe)
    _run(nb, out / "notebooks" / chapter, out)
    assert str(out / "course_utils") in nb.cells[0].outputs[0]["text"]
    errors = [(i, o.get("ename"), o.get("evalue", "")[:300])
              for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              for o in cell.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    assert json.dumps(nb).count("is the answer to an exercise") == 0
