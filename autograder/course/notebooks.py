"""Small helpers about nbgrader cells and notebooks."""
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
