"""`course-autograder bundle`: what the students of a graded class get.

Self-study uses the repository as it is.  A graded class must not hand
its students ``solutions/`` (answers and hidden tests) or the gradebook,
so the instructor builds a student bundle: the released notebooks with
their data files, the course's helper package ``course_utils`` without
the reference answers to the exercises, and a README.

Which ``course_utils`` functions are exercise answers, per bundled
assignment (read from its source notebook, hidden tests included):

* the references its tests forbid (``assert_not_delegating``) and the
  helpers that compute the same result: the grader's own list
  (``trusted.verdicts.forbidden_in``, ``kernel.studentside.SAME_RESULT``);
* the course functions its tests name that carry the name of a function
  or value an answer cell defines (chapter 04's tests compare
  ``affine_forward`` with ``nn.affine_forward``);
* private helpers that only those served.

An answer that a bundled notebook needs to run (a demo cell, a visible
test computing its expected value, directly or through other helpers)
stays, and the command says which notebook needs it: the bundle must
run every released cell.  Each answer left out keeps its signature and
docstring; its body raises NotImplementedError naming it, so
``assert_not_delegating`` and ``help()`` still work.
"""
import ast
import shutil
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.course import CourseError
from autograder.course.notebooks import (dotted_name, import_aliases,
                                         is_solution_cell, is_test_cell,
                                         source_text)

PACKAGE = "course_utils"
LEFT_OUT = ("{name} is the answer to an exercise: the class's copy of "
            "course_utils leaves it out. Write it yourself in the "
            "chapter's notebook.")
NOT_DELEGATING = ("assert_not_delegating", "assert_network_not_delegating")


def _python(source):
    """A cell's code without IPython magics and shell lines."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def _parse(source):
    try:
        return ast.parse(_python(source))
    except SyntaxError:
        return None


# --------------------------------------------------------------------------
# The package: definitions and what each refers to
# --------------------------------------------------------------------------
@dataclass
class Module:
    name: str
    path: Path
    text: str
    tree: ast.Module
    aliases: dict = field(default_factory=dict)


class Package:
    """The modules of ``course_utils`` and their reference graph."""

    def __init__(self, root):
        self.root = Path(root)
        self.modules = {}
        for path in sorted(self.root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            rel = path.relative_to(self.root.parent).with_suffix("")
            parts = list(rel.parts)
            is_init = parts[-1] == "__init__"
            if is_init:
                parts.pop()
            name = ".".join(parts)
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
            package = name if is_init else name.rsplit(".", 1)[0]
            module = Module(name, path, text, tree,
                            import_aliases(tree, package))
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                     ast.ClassDef)):
                    module.aliases[node.name] = f"{name}.{node.name}"
            self.modules[name] = module
        # dotted name -> (module, node) of top-level functions and classes
        self.defs = {}
        for module in self.modules.values():
            for node in module.tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                     ast.ClassDef)):
                    self.defs[f"{module.name}.{node.name}"] = (module, node)
        # A module-level value (``_HELPERS = ("xavier_init", ...)``)
        # refers to what it names; a function using it, to those.
        self.values = {}
        for module in self.modules.values():
            for node in module.tree.body:
                if isinstance(node, ast.Assign):
                    refs = self._refs(module, [node.value])
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            self.values[f"{module.name}.{target.id}"] = refs
        self.edges = {name: self._refs(module, [node], follow=True)
                      for name, (module, node) in self.defs.items()}
        # Other module-level code runs on import: what it names is used.
        self.import_time = set()
        for module in self.modules.values():
            rest = [n for n in module.tree.body if not isinstance(
                n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                    ast.Import, ast.ImportFrom, ast.Assign))]
            self.import_time |= self._refs(module, rest, follow=True)

    def resolve(self, dotted):
        """The definition ``dotted`` names (re-exports followed), or
        None."""
        for _ in range(10):
            if dotted in self.defs:
                return dotted
            module, _, name = dotted.rpartition(".")
            if module in self.defs:     # a method: its class
                return module
            target = self.modules.get(module)
            if target is None or name not in target.aliases or \
                    target.aliases[name] == dotted:
                return None
            dotted = target.aliases[name]
        return None

    def _refs(self, module, nodes, follow=False):
        """Definitions ``nodes`` name: through a name or an attribute, or
        as a string equal to a definition's name in the same module (a
        lookup by name, ``globals()[name]``); with ``follow``, also what
        the module-level values they use name."""
        found = set()
        for top in nodes:
            for node in ast.walk(top):
                if isinstance(node, (ast.Name, ast.Attribute)):
                    dotted = dotted_name(node, module.aliases)
                    target = dotted and self.resolve(dotted)
                    if target:
                        found.add(target)
                    if follow and isinstance(node, ast.Name):
                        found |= self.values.get(
                            f"{module.name}.{node.id}", set())
                elif isinstance(node, ast.Constant) and isinstance(
                        node.value, str) and node.value.isidentifier():
                    dotted = f"{module.name}.{node.value}"
                    if dotted in self.defs:
                        found.add(dotted)
        return found

    def reach(self, roots, removed=()):
        """{definition: the root it was reached from} from ``roots``, not
        walking through the bodies of ``removed``."""
        seen = {}
        queue = deque()
        for root, why in roots:
            if root in self.defs and root not in seen:
                seen[root] = why
                queue.append(root)
        while queue:
            name = queue.popleft()
            if name in removed:
                continue
            for nxt in self.edges.get(name, ()):
                if nxt not in seen:
                    seen[nxt] = seen[name]
                    queue.append(nxt)
        return seen


# --------------------------------------------------------------------------
# The notebooks: what their tests compare with, what their cells use
# --------------------------------------------------------------------------
def _notebook_aliases(nb):
    aliases = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = _parse(source_text(cell))
            if tree is not None:
                aliases.update(import_aliases(tree, ""))
    return aliases


def _used(tree, aliases, skip_not_delegating):
    """Dotted names an expression tree refers to; with
    ``skip_not_delegating`` the references an ``assert_not_delegating``
    only compares with are left out (they are never called)."""
    skipped = set()
    if skip_not_delegating:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) \
                    .endswith(NOT_DELEGATING):
                for arg in node.args[1:]:
                    skipped |= {id(n) for n in ast.walk(arg)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, (ast.Name, ast.Attribute)):
            dotted = dotted_name(node, aliases)
            if dotted:
                found.add(dotted)
    return found


def answer_names(source_nb):
    """Names the answer cells of a source notebook define at top level."""
    names = set()
    for cell in source_nb.cells:
        if cell.cell_type != "code" or not is_solution_cell(cell):
            continue
        tree = _parse(source_text(cell))
        for node in tree.body if tree else ():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) \
                    else [node.target]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def exercise_answers(package, source_nb):
    """{definition: why} of the course functions that answer the
    exercises of one source notebook."""
    from autograder.kernel.studentside import SAME_RESULT
    from autograder.trusted.verdicts import forbidden_in
    tests = [source_text(c) for c in source_nb.cells if is_test_cell(c)]
    found = {}
    for name in forbidden_in(tests):
        for dotted in (name,) + SAME_RESULT.get(name, ()):
            target = package.resolve(dotted)
            if target:
                found.setdefault(target, "the tests forbid it")
    answers = answer_names(source_nb)
    aliases = _notebook_aliases(source_nb)
    for source in tests:
        tree = _parse(source)
        for dotted in _used(tree, aliases, False) if tree else ():
            target = package.resolve(dotted)
            if target and target.rsplit(".", 1)[1] in answers:
                found.setdefault(target, "the tests compare an answer "
                                 "with it")
    return found


def notebook_uses(release_nb, label):
    """[(dotted, why)] that the cells a student runs (all but the answer
    cells) use from the course."""
    aliases = _notebook_aliases(release_nb)
    out = []
    for cell in release_nb.cells:
        if cell.cell_type != "code" or is_solution_cell(cell):
            continue
        tree = _parse(source_text(cell))
        for dotted in sorted(_used(tree, aliases, True)) if tree else ():
            out.append((dotted, label))
    return out


# --------------------------------------------------------------------------
# Writing the bundle
# --------------------------------------------------------------------------
def _stub_ranges(node, name):
    """[(first line, last line, replacement lines)] that empty the body
    of a function, or of each method of a class, after its docstring."""
    if isinstance(node, ast.ClassDef):
        out = []
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out += _stub_ranges(item, f"{name}.{item.name}")
        return out
    body = node.body
    has_doc = isinstance(body[0], ast.Expr) and isinstance(
        getattr(body[0], "value", None), ast.Constant) and isinstance(
        body[0].value.value, str)
    first = body[0].end_lineno + 1 if has_doc else body[0].lineno
    indent = " " * body[0].col_offset
    message = LEFT_OUT.format(name=name)
    lines = [f"{indent}raise NotImplementedError(", f"{indent}    "
             f"{message!r})"]
    return [(first, node.end_lineno, lines)]


def _stubbed(module, names):
    """The module's text with the bodies of ``names`` replaced."""
    lines = module.text.splitlines()
    ranges = []
    for dotted in names:
        node = dict((f"{module.name}.{n.name}", n) for n in module.tree.body
                    if hasattr(n, "name")).get(dotted)
        ranges += _stub_ranges(node, dotted)
    for first, last, new in sorted(ranges, reverse=True):
        lines[first - 1:last] = new
    return "\n".join(lines) + "\n"


README = """\
# {course}: your class copy

This folder is what you need for the graded course: the released
notebooks of {chapters} with their data files, and `course_utils`, the
course's helper package (checks, plots, widgets, data sets).

The answers to the exercises are not in it: the functions of
`course_utils` that an exercise asks you to write stop with
"... is the answer to an exercise" when called.  Write your own in the
notebook; that is what is graded.

## Working

Your class environment already has Python and the packages the course
needs (ask your instructor if it does not).  Open a notebook with the
bundle's `course_utils` importable, for example from this folder:

```bash
PYTHONPATH="$PWD" jupyter lab notebooks/
```

or install the package into your environment with `pip install .`.
Each exercise is a cell ending in `raise NotImplementedError()`: replace
it with your code, run it, then the test cells below it.  A test cell
that prints `✓ ...` passed; Validate runs the whole notebook.  Hidden
tests with other inputs run when your work is graded.

## Handing in

Submit through the Assignment List of your lab (nbgrader's exchange) or
as your instructor tells you.  Hand in the notebook itself, with its
name unchanged.
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "course-utils-class"
version = "1.0"
description = "course_utils without the answers to the exercises"
requires-python = ">=3.11"

[tool.setuptools.packages.find]
include = ["course_utils*"]
"""


@dataclass
class Bundle:
    out: Path
    assignments: list
    left_out: dict       # definition -> why it is an answer
    kept: dict           # definition -> what needs it
    files: list


def released(course):
    """The assignments whose release folder holds notebooks."""
    return [name for name in course.assignments()
            if any(course.release_dir(name).glob("*.ipynb"))]


def build_bundle(course, assignments, out):
    """Write the student bundle of ``assignments`` into ``out``."""
    names = list(assignments) or released(course)
    for name in names:
        course.require(name)
        if not any(course.release_dir(name).glob("*.ipynb")):
            raise CourseError(f"{name} is not released: run "
                              f"`course-autograder release {name}` first")
    if not names:
        raise CourseError("nothing is released yet: run "
                          "`course-autograder release` first")
    source_pkg = course.root / PACKAGE
    if not (source_pkg / "__init__.py").is_file():
        raise CourseError(f"{course.rel(source_pkg)} is missing: the "
                          "bundle carries the course's helper package")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise CourseError(f"{out} is not empty: give a new folder (the "
                          "bundle never overwrites files)")
    package = Package(source_pkg)
    answers, roots = {}, []
    for name in names:
        for src in course.source_notebooks(name):
            found = exercise_answers(package, nbformat.read(str(src), 4))
            for dotted, why in found.items():
                answers.setdefault(dotted, f"{name}: {why}")
            release = course.release_dir(name) / src.name
            roots += notebook_uses(nbformat.read(str(release), 4),
                                   f"{name}/{src.name}")
    import_time = [(d, "course_utils on import")
                   for d in package.import_time]
    resolved = [(package.resolve(d), why) for d, why in roots + import_time]
    resolved = [(d, why) for d, why in resolved if d]
    needed = package.reach(resolved)
    kept = {d: needed[d] for d in answers if d in needed}
    left_out = {d: why for d, why in answers.items() if d not in needed}
    # Private helpers that served only the answers left out go too.
    public = [(d, "public") for d in package.defs
              if not d.rsplit(".", 1)[1].startswith("_")
              and d not in left_out]
    alive = package.reach(resolved + public, removed=set(left_out))
    served = package.reach([(d, d) for d in left_out])
    for dotted, answer in served.items():
        short = dotted.rsplit(".", 1)[1]
        if dotted not in alive and dotted not in left_out and \
                short.startswith("_") and not short.startswith("__"):
            left_out[dotted] = f"a helper of {answer}"
    files = _write(course, package, names, left_out, out)
    return Bundle(out, names, dict(sorted(left_out.items())),
                  dict(sorted(kept.items())), files)


def _write(course, package, names, left_out, out):
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name in names:
        release = course.release_dir(name)
        dest = out / "notebooks" / name
        dest.mkdir(parents=True)
        for path in sorted(release.glob("*.ipynb")):
            shutil.copy2(path, dest / path.name)
            files.append(dest / path.name)
        for src, rel in course.files_over([release]):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
            files.append(target)
    for module in package.modules.values():
        target = out / module.path.relative_to(package.root.parent)
        target.parent.mkdir(parents=True, exist_ok=True)
        mine = [d for d in left_out if d.rsplit(".", 1)[0] == module.name]
        target.write_text(_stubbed(module, mine) if mine else module.text,
                          encoding="utf-8")
        files.append(target)
    for path in sorted(package.root.rglob("*")):
        # Data files of the package (none today), never caches.
        if path.is_file() and path.suffix not in (".py", ".pyc") and \
                "__pycache__" not in path.parts:
            target = out / path.relative_to(package.root.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            files.append(target)
    (out / "README.md").write_text(README.format(
        course=course.coursedir.course_id or "The course",
        chapters=", ".join(names)), encoding="utf-8")
    (out / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return files + [out / "README.md", out / "pyproject.toml"]
