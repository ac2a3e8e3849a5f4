"""Hardening red-team suite: attacks on the grader, in both isolation levels.

Each attack of tests/redteam_hardening/submissions.py is graded once per
isolation level, in one batch with a correct and a blank victim, and
pinned to its exact raw verdict, recorded score and flag.  Around the
batch: the gradebook and the course are untouched (the gradebook still
opens and export works), nothing is left in the shared temporary
folders, every worker answered (no submission failed), and what each
submission cost the grader in time and memory stays bounded.
"""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.sandbox import isolation as sandbox
from autograder.cli import main
from autograder.course import Course
from autograder.grading import grade
from nbgrader_course import failure_messages, graded_once
from redteam_hardening.submissions import build, litter_name
from redteam_trust.course import ASSIGNMENT, NOTEBOOK, TOTAL, make_course
from redteam_trust.course import submit

LEVELS = ["bwrap", "rlimits"]
CASES = ["victim_correct", "victim_blank",
         "env_swapped_for_gradebook_link", "reads_course_and_litters_tmp",
         "reference_reloaded", "reference_second_copy_from_file",
         "reference_source_exec_fake_name", "stub_lifting_context_reached",
         "course_helper_difference_errors",
         "course_helper_central_gradient", "scipy_finite_differences",
         "zero_copy_buffer_flood", "iopub_flood_after_reply",
         "display_nested_too_deep", "reply_badly_signed",
         "reply_with_64mib_frame", "junk_on_the_serving_socket",
         "reply_names_module_to_import"]
# Attacks on files the grader writes as root: without root there is no
# private uid, and an rlimits kernel runs as the grader's own user.
NEEDS_PRIVATE_UID = {"env_swapped_for_gradebook_link",
                     "reads_course_and_litters_tmp"}
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def _digest(folder):
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def _raw(path):
    nb = nbformat.read(path, 4)
    errors = failure_messages(path)
    total = 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            if meta["grade_id"] not in errors:
                total += float(meta["points"])
    return total


def _litter(root):
    found, prefix = [], litter_name(root)
    for folder in SHARED_TMP:
        try:
            found += [n for n in os.listdir(folder) if n.startswith(prefix)]
        except OSError:
            continue
    return found


def _grade_batch(root, isolation):
    # Cells get 15 s (a setup cell takes 5 s on two loaded cores).
    root = make_course(root, isolation=isolation, cell_timeout=15)
    assert main(["--course-root", str(root), "release"]) == 0
    cases = build(root)
    for case, nb in cases.items():
        submit(root, case.name, nb)
    solutions = _digest(root / "solutions")
    summary = grade(Course(root), ASSIGNMENT, jobs=2, progress=False)
    rows = {}
    for row in summary.rows:
        path = root / "autograded" / row["student"] / ASSIGNMENT / NOTEBOOK
        rows[row["student"]] = {
            "score": row["score"], "max_score": row["max_score"],
            "status": row["status"], "flags": row["flags"],
            "isolation": row["isolation"], "seconds": row["seconds"],
            "peak_mb": row["peak_mb"],
            "raw": _raw(path) if path.is_file() else None}
    # The gradebook still opens (export reads it), the course is as it
    # was, and the shared temporary folders hold nothing of the kernels.
    export = subprocess.run(
        [sys.executable, "-m", "autograder", "--course-root", str(root),
         "export", "--output", str(root / "grades.csv")],
        capture_output=True, text=True, timeout=300)
    return {"root": str(root), "rows": rows,
            "export": [export.returncode, export.stderr[-2000:]],
            "solutions_same": solutions == _digest(root / "solutions"),
            "litter": _litter(root)}


@pytest.fixture(scope="module", params=LEVELS)
def batch(request, tmp_path_factory):
    """Grade the whole suite once per isolation level (xdist-shared)."""
    isolation = request.param
    if isolation == "bwrap" and not sandbox.bwrap_works():
        pytest.skip("needs bubblewrap with namespaces: "
                    "apt-get install bubblewrap")
    data = graded_once(request, tmp_path_factory,
                       f"ag-hardening-{isolation}",
                       lambda folder: _grade_batch(folder / "course",
                                                   isolation))
    data["isolation"] = isolation
    data["cases"] = {c.name: c for c in build(Path(data["root"]))}
    return data


@pytest.mark.parametrize("case_name", CASES)
def test_hardening_case(batch, case_name):
    """Does each attack get exactly its pinned verdict, score and flag,
    from a worker that answered, in bounded time and memory?"""
    if case_name in NEEDS_PRIVATE_UID and sandbox.sandbox_uid() is None \
            and batch["isolation"] == "rlimits":
        pytest.skip("an rlimits kernel without root runs as the grader's "
                    "own user: no file isolation to test")
    case = batch["cases"][case_name]
    row = batch["rows"][case.name]
    codes = {f.split(":", 1)[0] for f in row["flags"]}
    assert row["isolation"] == batch["isolation"], row
    assert row["status"] != "failed", row      # the worker answered
    assert row["max_score"] == TOTAL, row
    assert case.raw_ok(row["raw"]), row
    assert row["score"] == case.recorded, row
    if case.flag:
        assert case.flag in codes, row
    else:
        assert not codes - {"blank"}, row
    if case.reason:
        assert any(case.reason in f for f in row["flags"]), row
    # Time: the notebook limit (90 s here) bounds every submission, kernel
    # starts aside.
    assert row["seconds"] < 150, row
    # Memory: a zero-copy flood would take 2.5 GB here; the grader stops
    # the kernel at 512 MiB over what the worker held.
    assert row["peak_mb"] < 1024, row


def test_every_case_is_listed(batch):
    assert set(batch["cases"]) == set(CASES)


def test_gradebook_and_course_untouched(batch):
    """After the whole batch the gradebook opens (export works) and
    solutions/ is byte for byte what it was."""
    assert batch["export"][0] == 0, batch["export"]
    assert batch["solutions_same"]


def test_no_litter_in_shared_tmp(batch):
    """Nothing the kernels wrote stays in /tmp, /var/tmp or /dev/shm."""
    assert batch["litter"] == []


# -- the mechanisms on their own (no grading) --------------------------------
def test_memory_watch_stops_at_its_allowance():
    """Does the watch call back once the process has grown past its
    allowance (and not before)?"""
    import threading
    from autograder.sandbox.kernelmanager import MemoryWatch
    hit = threading.Event()
    watch = MemoryWatch(hit.set, allowance=64 * 2**20)
    try:
        assert not hit.wait(0.3)
        block = bytearray(160 * 2**20)
        block[::4096] = b"x" * len(block[::4096])  # touch every page
        assert hit.wait(5)
    finally:
        watch.close()


def test_hide_files_leaves_the_rest_readable(tmp_path):
    """Is a hidden file unreadable to the process (and its children)
    while its neighbours stay readable?"""
    from autograder.kernel import landlock
    if not landlock.available():
        pytest.skip("no Landlock in this Linux kernel")
    secret = tmp_path / "pkg" / "secret.py"
    secret.parent.mkdir()
    secret.write_text("x = 1\n")
    (tmp_path / "pkg" / "other.py").write_text("y = 2\n")
    code = (
        "import sys, subprocess\n"
        "from autograder.kernel import landlock\n"
        f"assert landlock.hide_files([{str(secret)!r}], sys.path)\n"
        f"open({str(tmp_path / 'pkg' / 'other.py')!r}).read()\n"
        "try:\n"
        f"    open({str(secret)!r}).read()\n"
        "    raise SystemExit('readable')\n"
        "except PermissionError:\n"
        "    pass\n"
        f"r = subprocess.run(['cat', {str(secret)!r}], capture_output=True)\n"
        "assert r.returncode != 0, r\n"
        "print('hidden')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=60,
                          cwd=str(Path(__file__).resolve().parents[1]))
    assert done.returncode == 0 and "hidden" in done.stdout, done.stderr


def test_launcher_refuses_a_folder_others_can_write(tmp_path):
    """Does the root-side launcher refuse to build its environment
    below a folder another uid could change?"""
    from autograder.sandbox import launch
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    args = launch.parse(["--uid", "1", "--env", str(shared / ".env"),
                         "--base", sys.prefix, "--python", "bin/python"])
    with pytest.raises(SystemExit, match="may be written by others"):
        launch.build_env(args)
    assert not (shared / ".env").exists()
