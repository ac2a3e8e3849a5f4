"""Small helpers about nbgrader cells and notebooks."""
import ast
import hashlib
import json


def nbgrader_meta(cell):
    """Return a cell's nbgrader metadata (empty dict if none)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell):
    """Return a cell's nbgrader grade_id, or None."""
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def is_test_cell(cell):
    """Is this an autograder test cell (graded, not a solution)?"""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") \
        and cell.get("cell_type") == "code"


def is_solution_cell(cell):
    """Is this a cell the student answers in?"""
    return bool(nbgrader_meta(cell).get("solution"))


def source_text(cell):
    """Return a cell's source as one string (lists are joined)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def file_digest(paths):
    """Return a SHA-256 over the given files' names and bytes."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def dumps(obj):
    """Compact, stable JSON for flags and messages."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def import_aliases(tree, package=""):
    """{local name: dotted name} of every import in a syntax tree, at any
    depth (``import numpy as np``, ``from course_utils import checks``).
    Relative imports are resolved against ``package`` (the dotted name
    of the package the code sits in) and skipped without one."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = \
                    a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if not package:
                    continue
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module
                                          else []))
            elif node.module:
                module = node.module
            else:
                continue
            for a in node.names:
                out[a.asname or a.name] = f"{module}.{a.name}"
    return out


def dotted_name(node, aliases):
    """The dotted name an expression ``a.b.c`` stands for when ``a`` is
    in ``aliases``, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        parts.append(aliases[node.id])
        return ".".join(reversed(parts))
    return None
