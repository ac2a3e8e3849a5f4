"""Trust red-team suite: attacks on the verdict, in both isolation levels.

Graded test cells run in the grader's process (autograder.trusted.verdicts); the
student's kernel only answers calls with plain data.  Each attack of
tests/redteam_trust/submissions.py is graded with correct, wrong and
blank victims in one batch per isolation level and pinned to its exact
raw verdict (the executed notebook's test cells), recorded score and
flag.
"""
from pathlib import Path

import nbformat
import pytest

from autograder.sandbox import isolation as sandbox
from autograder.cli import main
from autograder.course import Course
from autograder.grading import grade
from nbgrader_course import failure_messages, graded_once
from redteam_trust.course import ASSIGNMENT, NOTEBOOK, TOTAL, make_course
from redteam_trust.course import submit
from redteam_trust.submissions import build

LEVELS = ["bwrap", "rlimits"]
CASES = ["victim_correct", "victim_blank", "victim_wrong",
         "victim_alt_style", "victim_mutates_input",
         "session_send_drops_errors", "session_class_send",
         "showtraceback_on_class", "display_publisher_replaced",
         "trace_rebinds_answer", "profile_rebinds_answer",
         "thread_rebinds_answer", "signal_handler_rebinds",
         "check_code_object_swapped", "helpers_rebound_in_namespace",
         "module_class_swapped", "builtins_import_hook",
         "builtins_namespace_replaced", "rng_made_trivial",
         "caller_frame_peek", "lying_objects", "grader_reply_forged",
         "alias_of_reference", "string_lookup_of_reference",
         "bound_copy_of_reference", "reference_source_executed",
         "reference_source_copied", "kernel_shadowed_by_cell",
         "kernel_shipped_beside_notebook", "exit_inside_call",
         "hang_inside_call", "unreadable_result"]


def _raw_scores(path):
    """Points of the executed notebook's test cells (before any hold)."""
    nb = nbformat.read(path, 4)
    errors = failure_messages(path)
    total = 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            if meta["grade_id"] not in errors:
                total += float(meta["points"])
    return total, errors


def _grade_batch(root, isolation):
    root = make_course(root, isolation=isolation)
    assert main(["--course-root", str(root), "release"]) == 0
    cases = build(root)
    for case, nb in cases.items():
        submit(root, case.name, nb, case.extra_files)
    summary = grade(Course(root), ASSIGNMENT, jobs=2, progress=False)
    rows = {}
    for row in summary.rows:
        path = root / "autograded" / row["student"] / ASSIGNMENT / NOTEBOOK
        raw, errors = _raw_scores(path) if path.is_file() else (None, {})
        rows[row["student"]] = {
            "score": row["score"], "max_score": row["max_score"],
            "status": row["status"], "flags": row["flags"],
            "isolation": row["isolation"], "raw": raw,
            "messages": "\n".join(errors.values())}
    return {"root": str(root), "rows": rows}


@pytest.fixture(scope="module", params=LEVELS)
def batch(request, tmp_path_factory):
    """Grade the whole suite once per isolation level (xdist-shared)."""
    isolation = request.param
    if isolation == "bwrap" and not sandbox.bwrap_works():
        pytest.skip("needs bubblewrap with namespaces: "
                    "apt-get install bubblewrap")
    data = graded_once(request, tmp_path_factory, f"ag-trust-{isolation}",
                       lambda folder: _grade_batch(folder / "course",
                                                   isolation))
    data["isolation"] = isolation
    data["cases"] = {c.name: c for c in build(Path(data["root"]))}
    return data


@pytest.mark.parametrize("case_name", CASES)
def test_trust_case(batch, case_name):
    """Does each attack get exactly its pinned verdict, score and flag?"""
    case = batch["cases"][case_name]
    row = batch["rows"][case.name]
    codes = {f.split(":", 1)[0] for f in row["flags"]}
    assert row["isolation"] == batch["isolation"], row
    assert row["max_score"] == TOTAL, row
    assert row["raw"] == case.raw, row
    assert row["score"] == case.recorded, row
    if case.flag:
        assert case.flag in codes, row
    else:
        assert not codes - {"blank"}, row
    if case.message:
        assert case.message in row["messages"], row


def test_every_case_is_listed(batch):
    """Is every built submission pinned by the parametrized list?"""
    assert set(batch["cases"]) == set(CASES)
    assert len([c for c in CASES if not c.startswith("victim_")]) >= 20


def test_passing_cells_say_so(batch):
    """Does a passing graded cell print its passed() line?"""
    root = Path(batch["root"])
    path = root / "autograded" / "victim_correct" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(path, 4)
    texts = [o.get("text", "") for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade")
             for o in c.outputs if o.get("output_type") == "stream"]
    assert sum("\u2713" in t for t in texts) == 3, texts
