"""course_utils.nn and course_utils.checks are packages of small modules;
what notebooks, tests and the grader import from them must not notice.

- every name read from them anywhere in the course resolves;
- messages name the public path (``course_utils.nn.affine_forward``),
  and the grader's dotted names of their objects import back;
- the grader's student kernel hides every module of a package that holds
  a forbidden reference, and watches every module of the checks;
- the trusted side's patch of assert_not_delegating reaches the
  package's own callers of it.
"""
import ast
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import pytest

import course_utils.checks
import course_utils.nn
from autograder import protocol
from autograder.kernel import grading_kernel, studentside
from autograder.trusted import verdicts

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("course_utils.nn", "course_utils.checks")


def _sources():
    """(where, Python source) of every notebook cell and module that may
    read names from the packages."""
    for path in sorted(ROOT.glob("solutions/*/*.ipynb")) + sorted(
            ROOT.glob("notebooks/*/*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                yield f"{path.name} cell {i}", "".join(cell["source"])
    for folder in ("course_utils", "autograder", "tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield str(path.relative_to(ROOT)), path.read_text(
                encoding="utf-8")


def _names_read(source):
    """{(package, name)} read from the packages: ``from P import name``
    and ``alias.name`` where alias is bound to P."""
    # Magics and shell lines are not Python: blank them.
    source = re.sub(r"(?m)^\s*[%!].*$", "", source)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    alias, found = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in PACKAGES:
            found |= {(node.module, a.name) for a in node.names
                      if a.name != "*"}
        elif isinstance(node, ast.ImportFrom) and \
                node.module == "course_utils":
            for a in node.names:
                if f"course_utils.{a.name}" in PACKAGES:
                    alias[a.asname or a.name] = f"course_utils.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in PACKAGES and a.asname:
                    alias[a.asname] = a.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(
                node.value, ast.Name) and node.value.id in alias:
            found.add((alias[node.value.id], node.attr))
    return found


def test_every_name_the_course_reads_resolves():
    """Does each name read from nn or checks, in any notebook (hidden
    tests included), module or test, still exist there?"""
    missing, seen = [], 0
    for where, source in _sources():
        for package, name in _names_read(source):
            seen += 1
            if not hasattr(importlib.import_module(package), name):
                missing.append(f"{package}.{name} ({where})")
    assert seen > 100, "the scan found almost no uses: is it broken?"
    # Read by a computed name (a red-team student looks it up by string).
    for package, name in [("course_utils.checks", "_central_gradient")]:
        if not hasattr(importlib.import_module(package), name):
            missing.append(f"{package}.{name} (tests/redteam_hardening)")
    assert not missing, missing


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_cross_and_show_their_source(package):
    """Does the grader's dotted name of every public function and class
    import back to the object (both processes resolve it), and does its
    source show (``MLP??`` in the lab; the grader compares answers with
    a reference's source)?"""
    module = importlib.import_module(package)
    for name in module.__all__:
        obj = getattr(module, name)
        dotted = protocol.dotted_name(obj)
        assert dotted and dotted.startswith(package + "."), name
        where, _, attr = dotted.rpartition(".")
        assert getattr(importlib.import_module(where), attr) is obj
        assert f"{name}" in inspect.getsource(obj)


def test_a_delegation_message_names_the_public_path():
    """Does a student calling the reference read the path they import?"""
    cun = course_utils.nn

    def affine_forward(X, W, b):
        return cun.affine_forward(X, W, b)
    with pytest.raises(AssertionError) as info:
        course_utils.checks.assert_not_delegating(affine_forward,
                                                  cun.affine_forward)
    assert "uses course_utils.nn.affine_forward" in str(info.value)
    assert "layers" not in str(info.value)

    def init(sizes):
        return cun.MLP(sizes)
    with pytest.raises(AssertionError) as info:
        course_utils.checks.assert_not_delegating(init, cun.MLP)
    assert "uses course_utils.nn.MLP " in str(info.value)


def _module_files(package):
    folder = ROOT.joinpath(*package.split("."))
    return {str(p) for p in folder.glob("*.py")}


def test_a_forbidden_reference_hides_its_whole_package():
    """Is every module file of course_utils.nn hidden when a test forbids
    nn.affine_forward (its code is in nn/layers.py), and nothing of the
    other course modules?"""
    files = set(studentside.reference_files(
        ["course_utils.nn.affine_forward"]))
    wanted = _module_files("course_utils.nn")
    assert len(wanted) > 5 and wanted <= files
    assert str(ROOT / "course_utils" / "nn" / "layers.py") in files
    others = {f for f in files if "/course_utils/nn/" not in f}
    assert not others, others
    single = studentside.reference_files(
        ["course_utils.derivatives.central_difference"])
    assert [f for f in single if f.endswith(".py")] == [
        str(ROOT / "course_utils" / "derivatives.py")]


def test_every_checks_module_is_watched():
    """Does the student's kernel restore (and report) a replaced helper in
    each module of course_utils.checks, where the helpers' globals are?"""
    modules = {f"course_utils.checks.{m.name}" for m in
               pkgutil.iter_modules(course_utils.checks.__path__)}
    assert "course_utils.checks.core" in modules
    assert modules <= set(grading_kernel.WATCHED_MODULES)


def test_the_trusted_patch_reaches_the_network_check():
    """Does the trusted side's assert_not_delegating (which understands
    the student's functions in the other process) replace the one that
    chapter 04's network check calls, and is it put back after?"""
    from course_utils.checks import chapter04
    original = course_utils.checks.assert_not_delegating
    ns = {"assert_not_delegating": original}
    with verdicts._patched_checks(ns):
        assert chapter04.assert_not_delegating is not original
        assert course_utils.checks.assert_not_delegating is \
            chapter04.assert_not_delegating is ns["assert_not_delegating"]
    assert chapter04.assert_not_delegating is original
    assert course_utils.checks.assert_not_delegating is original
    assert ns["assert_not_delegating"] is original
