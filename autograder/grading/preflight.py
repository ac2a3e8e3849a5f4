"""Check and repair a submitted notebook before it is run.

Every problem ends as either a repair (noted in ``issues``) or a
``PreflightError`` that fails this one submission with a clear reason;
never as an aborted batch or a silent zero.
"""
import copy
import json

import nbformat

from autograder.grading.flags import Flag
from autograder.course.notebooks import (grade_id, is_solution_cell, is_test_cell,
                        nbgrader_meta, source_text)


class PreflightError(Exception):
    """The submission cannot be graded; ``code`` (an
    autograder.flags.Flag) names why."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def parse(raw):
    """Parse notebook bytes into a dict, or raise PreflightError."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise PreflightError(Flag.INVALID_JSON, f"not UTF-8 text: {err}")
    except json.JSONDecodeError as err:
        raise PreflightError(
            Flag.INVALID_JSON, f"not valid JSON (line {err.lineno}, column "
            f"{err.colno}: {err.msg}); the file is damaged or was not "
            "saved from Jupyter")
    if not isinstance(data, dict) or not isinstance(
            data.get("cells", data.get("worksheets")), list):
        raise PreflightError(Flag.INVALID_NOTEBOOK,
                             "valid JSON but not a Jupyter notebook")
    return data


def _clean_cell(cell):
    """Return a well-formed v4 cell built from a possibly odd one."""
    kind = cell.get("cell_type")
    if kind not in ("code", "markdown", "raw"):
        kind = "code" if "outputs" in cell else "markdown"
    meta = cell.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    maker = {"code": nbformat.v4.new_code_cell,
             "markdown": nbformat.v4.new_markdown_cell,
             "raw": nbformat.v4.new_raw_cell}[kind]
    made = maker(source=source_text(cell), metadata=meta)
    attachments = cell.get("attachments")
    if kind != "code" and isinstance(attachments, dict) and attachments:
        made["attachments"] = attachments  # images pasted into markdown
    return made


def normalize(data, issues):
    """Return a valid nbformat-4 notebook from parsed JSON."""
    major = data.get("nbformat")
    if major == 3 or "worksheets" in data:
        try:
            nb = nbformat.reads(json.dumps(data), as_version=4)
            issues.append("converted from nbformat 3")
            return nb
        except Exception as err:
            raise PreflightError(Flag.BAD_NBFORMAT,
                                 f"nbformat 3 file could not be "
                                 f"converted: {err}")
    if major != 4:
        issues.append(f"nbformat {major!r} repaired to 4")
    cells = [c for c in data["cells"] if isinstance(c, dict)]
    if len(cells) != len(data["cells"]):
        issues.append("dropped malformed cells")
    nb = nbformat.v4.new_notebook(
        metadata=data.get("metadata") if isinstance(
            data.get("metadata"), dict) else {})
    nb.cells = [_clean_cell(c) for c in cells]
    return nb


def fix_kernelspec(nb, master, issues):
    """Point the notebook at the course's Python kernel."""
    spec = nb.metadata.get("kernelspec")
    if not isinstance(spec, dict) or \
            spec.get("name") != master.kernelspec.get("name"):
        name = spec.get("name") if isinstance(spec, dict) else spec
        issues.append(f"kernelspec {name!r} replaced by "
                      f"{master.kernelspec.get('name')!r}")
        nb.metadata["kernelspec"] = dict(master.kernelspec)


def check_assignment(nb, master):
    """Raise unless the notebook's graded cells belong to ``master``."""
    ids = {grade_id(c) for c in nb.cells} - {None}
    if not ids & set(master.order):
        other = ", ".join(sorted(ids)[:4]) or "none"
        raise PreflightError(
            Flag.WRONG_ASSIGNMENT,
            f"none of the graded cells of {master.name} are present "
            f"(found grade ids: {other}); this looks like another "
            "assignment's notebook or one whose metadata was stripped")


def _test_issue(gid, cells, master):
    """Describe how the student's copies of test ``gid`` differ."""
    if not cells:
        return f"test cell {gid} was deleted; restored"
    if len(cells) > 1:
        return f"test cell {gid} was duplicated; restored once"
    cell = cells[0]
    ref = master.released.get(gid, master.tests[gid])
    if cell.cell_type != "code":
        return f"test cell {gid} was retyped to {cell.cell_type}; restored"
    if nbgrader_meta(cell).get("points") != ref.metadata.nbgrader.points:
        return f"points of test cell {gid} were edited; restored"
    # The instructor's own notebook (hidden tests in) is not an edit.
    if cell.source not in (ref.source, master.tests[gid].source):
        return f"test cell {gid} was edited; restored"
    return None


def rebuild(nb, master, issues):
    """Restore test cells from the master; keep the student's answers.

    Cells stay where they are: a test cell the student kept (edited,
    retyped or not) is replaced in place by the master's; a deleted one
    is put back where the source notebook has it when the course sets
    nbgrader's ``OverwriteCells.add_missing_cells``.
    """
    copies = {gid: [] for gid in master.tests}
    seen, kept = set(), []
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in master.tests:
            copies[gid].append(cell)
            if len(copies[gid]) == 1:
                kept.append(copy.deepcopy(master.tests[gid]))
            continue
        if gid is not None and gid in seen:
            issues.append(f"duplicate grade_id {gid}; later copy dropped")
            continue
        if gid in master.solutions:
            seen.add(gid)
            ref = master.solutions[gid]
            if cell.cell_type != ref.cell_type:
                issues.append(f"answer cell {gid} retyped; type restored")
                cell = _clean_cell({**cell, "cell_type": ref.cell_type})
            cell.metadata["nbgrader"] = copy.deepcopy(
                ref.metadata.nbgrader)
        elif gid in master.locked:
            seen.add(gid)
            ref = master.locked[gid]
            if cell.cell_type != ref.cell_type or \
                    source_text(cell) != ref.source:
                issues.append(f"read-only cell {gid} was edited; "
                              f"restored")
                cell = _clean_cell({**cell, "cell_type": ref.cell_type})
                cell.source = ref.source
                cell.metadata["nbgrader"] = copy.deepcopy(
                    ref.metadata.nbgrader)
        elif gid is not None and gid not in master.order:
            issues.append(f"unknown grade_id {gid}; cell kept ungraded")
            del cell.metadata["nbgrader"]
        elif gid is not None:
            seen.add(gid)
        elif is_test_cell(cell) or is_solution_cell(cell):
            del cell.metadata["nbgrader"]
        kept.append(cell)
    for gid in master.solutions:
        if gid not in seen:
            issues.append(f"answer cell {gid} is missing (deleted, or its "
                          "metadata was stripped)")
    for gid in master.tests:
        note = _test_issue(gid, copies[gid], master)
        if note:
            issues.append(note)
    missing = [g for g in master.order
               if g in master.tests and not copies[g]]
    if master.restore_missing:
        nb.cells = _restore_deleted(kept, master, missing)
    else:  # as nbgrader: a deleted test cell is not run and scores 0
        nb.cells = kept
    return nb


def _restore_deleted(cells, master, missing):
    """Insert each deleted test cell where the source notebook has it:
    after the closest earlier labelled cell that is present, and after
    as many unlabelled cells as the source has in between."""
    for gid in missing:
        present = {grade_id(c) for c in cells} - {None}
        anchor = master.anchor_of(gid, present)
        ids = [grade_id(c) for c in cells]
        pos = ids.index(anchor) + 1 if anchor is not None else 0
        skip = master.gap.get(gid, 0)
        while skip and pos < len(cells) and grade_id(cells[pos]) is None:
            pos += 1
            skip -= 1
        cells.insert(pos, copy.deepcopy(master.tests[gid]))
    return cells


def is_blank(nb, master):
    """Did the student leave every answer cell as released?"""
    answers = {grade_id(c): c for c in nb.cells if is_solution_cell(c)}
    if not master.solutions:
        return False
    return all(gid in answers and answers[gid].source == ref.source
               for gid, ref in master.solutions.items())


def preflight(raw, master):
    """Return (notebook ready to run, list of repairs) or raise."""
    issues = []
    nb = normalize(parse(raw), issues)
    check_assignment(nb, master)
    fix_kernelspec(nb, master, issues)
    nb = rebuild(nb, master, issues)
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        raise PreflightError(Flag.INVALID_NOTEBOOK,
                             f"cannot be repaired: {err.message}")
    return nb, issues
