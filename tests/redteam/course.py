"""Build a throw-away course from the fixture assignment for tests."""
import json
import shutil
import textwrap
from pathlib import Path

import nbformat

import nbgrader_course

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "autograder"
ASSIGNMENT = "fx01_basics"
NOTEBOOK = "fx01_basics.ipynb"


def make_course(root, **sandbox):
    """Copy the fixture course to ``root`` with test-sized limits."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(FIXTURE / "solutions", root / "solutions")
    settings = {"cell_timeout": 5, "notebook_timeout": 90,
                "memory_mb": 1024, "file_size_mb": 16, **sandbox}
    lines = [f'load_subconfig("{REPO / "autograder" / "nbgrader_config.py"}")',
             "c = get_config()"]
    lines += [f"c.Sandbox.{k} = {v!r}" for k, v in settings.items()]
    (root / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    return root


def load(root, folder):
    return json.loads((Path(root) / folder / ASSIGNMENT / NOTEBOOK)
                      .read_text())


def gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solution_sources(root):
    """The instructor's answer code (markers removed), by grade_id."""
    path = Path(root) / "solutions" / ASSIGNMENT / NOTEBOOK
    return nbgrader_course.solution_sources(nbformat.read(path, 4))


def submit(root, student, content):
    """Write a submission (dict or raw text) into submitted/."""
    folder = Path(root) / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content)
    (folder / NOTEBOOK).write_text(text, encoding="utf-8")
    (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")


def dedent(code):
    return textwrap.dedent(code).strip("\n")
