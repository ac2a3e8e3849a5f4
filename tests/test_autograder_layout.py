"""The grader's folders say which process runs each file; imports obey.

autograder/__init__.py maps the folders to processes.  These rules keep
that map true: code loaded in the student's kernel imports nothing of
the grader but the protocol, the protocol imports nothing of ours, and
only the command line and the grading parent touch the gradebook.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "autograder"
FOLDERS = {"course", "gradebook", "grading", "trusted", "sandbox", "kernel"}


def _module(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path):
    """Every autograder module ``path`` imports, at any depth."""
    tree = ast.parse(path.read_text())
    here = _module(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(here[:len(here) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}
    return {m for m in found if m == "autograder" or
            m.startswith("autograder.")}


def _files():
    return sorted(PKG.rglob("*.py"))


def _graph():
    return {_module(p): _imports(p) for p in _files()}


def _in(module, folder):
    return module == f"autograder.{folder}" or module.startswith(
        f"autograder.{folder}.")


def test_every_file_is_in_a_folder_that_names_its_process():
    top = {p.name for p in PKG.glob("*.py")}
    assert top == {"__init__.py", "__main__.py", "bundle.py", "cli.py",
                   "lab.py", "nbgrader_config.py", "protocol.py",
                   "zmqwait.py"}
    assert {p.name for p in PKG.iterdir() if p.is_dir() and
            p.name != "__pycache__"} == FOLDERS
    doc = (PKG / "__init__.py").read_text()
    for folder in FOLDERS:
        assert f"``{folder}/``" in doc, folder
        assert ast.get_docstring(ast.parse(
            (PKG / folder / "__init__.py").read_text())), folder


def test_the_protocol_imports_nothing_of_ours():
    assert _graph()["autograder.protocol"] == set()


def test_the_kernel_imports_only_the_protocol():
    for module, imports in _graph().items():
        if _in(module, "kernel"):
            other = {m for m in imports if not _in(m, "kernel") and
                     not _in(m, "protocol") and m != "autograder"}
            assert not other, (module, other)


def test_only_the_command_line_and_the_grading_parent_touch_the_gradebook():
    allowed = {"autograder.cli", "autograder.grading.batch"}
    for module, imports in _graph().items():
        if _in(module, "gradebook") or module in allowed:
            continue
        assert not {m for m in imports if _in(m, "gradebook")}, module


def test_nothing_in_the_sandbox_or_kernel_reaches_the_verdict_side():
    for module, imports in _graph().items():
        if _in(module, "kernel") or _in(module, "sandbox"):
            assert not {m for m in imports if _in(m, "trusted") or
                        _in(m, "gradebook")}, module


def test_the_layout_test_sees_imports():
    """The scan itself finds a known import (a wrong scan would make the
    rules above pass vacuously)."""
    graph = _graph()
    assert "autograder.protocol" in graph["autograder.kernel.studentside"]
    assert any(_in(m, "gradebook") for m in graph["autograder.cli"])
