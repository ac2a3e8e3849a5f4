"""Fast checks of the grader's pieces that need no kernel."""
import json
from pathlib import Path

import nbformat
import pytest

from autograder.sandbox import isolation as sandbox
from autograder.trusted import scan as tamper
from autograder.course.master import load_master
from autograder.grading.preflight import PreflightError, preflight
from autograder.course.settings import Limits
from redteam.course import ASSIGNMENT, NOTEBOOK, REPO
from redteam.submissions import notebook

FIXTURE = REPO / "tests" / "fixtures" / "autograder" / "solutions" / \
    ASSIGNMENT / NOTEBOOK


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    """The fixture's master, with a release made by nbgrader's rules."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    nb = nbformat.read(str(FIXTURE), as_version=4)
    nb, _ = ClearSolutions().preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    release = tmp_path_factory.mktemp("rel") / NOTEBOOK
    nbformat.write(nb, str(release))
    return load_master(FIXTURE, release)


def _raw(nb):
    return json.dumps(nb).encode()


@pytest.mark.parametrize("source, finding", [
    ("np.allclose = lambda *a, **k: True", "monkeypatches np.allclose"),
    ("import numpy.testing as T\nT.assert_allclose = print",
     "monkeypatches T.assert_allclose"),
    ("setattr(np, 'isclose', min)", "setattr on module np"),
    ("get_ipython().ast_transformers.append(1)", "ast_transformers"),
    ("class A:\n    def __eq__(self, o):\n        return True",
     "__eq__ always returns a constant"),
    ("%matplotlib inline\nimport math\nmath.pi = 3", "monkeypatches math.pi"),
    ("from course_utils import checks\nchecks.assert_close = print",
     "monkeypatches checks.assert_close"),
])
def test_scan_finds_tampering(source, finding):
    """Does the static scan name each kind of tampering?"""
    assert any(finding in f for f in tamper.scan_source(source))


@pytest.mark.parametrize("source", [
    "import numpy as np\nx = np.allclose(1, 1)",
    "import sys\nsys.stdout = open('log.txt', 'w')",
    "class P:\n    def __eq__(self, o):\n        return self.x == o.x",
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "def f(:\n    pass",
])
def test_scan_leaves_honest_code_alone(source):
    """Is ordinary student code free of tamper findings?"""
    assert tamper.scan_source(source) == []


def test_preflight_restores_hidden_tests(master, tmp_path):
    """Does a repaired notebook carry the hidden tests from solutions/?"""
    nb = nbformat.read(str(FIXTURE), as_version=4)
    nb.cells = [c for c in nb.cells if "test_mean" not in json.dumps(
        c.metadata)]
    fixed, issues = preflight(_raw(nb), master)
    text = json.dumps(fixed.cells)
    assert "BEGIN HIDDEN TESTS" in text
    assert any("test_mean was deleted" in i for i in issues)


def test_preflight_rejects_other_assignment(master):
    """Is a notebook with none of the assignment's cells refused?"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    with pytest.raises(PreflightError) as err:
        preflight(_raw(nb), master)
    assert err.value.code == "wrong-assignment"


def test_preflight_converts_nbformat3(master):
    """Is an nbformat 3 notebook converted rather than refused?"""
    nb = nbformat.read(str(FIXTURE), as_version=4)
    old = nbformat.convert(nb, 3)
    fixed, issues = preflight(nbformat.writes(old, version=3).encode(),
                              master)
    assert "converted from nbformat 3" in issues
    assert fixed.nbformat == 4


def test_limits_reject_unknown_settings():
    """Does a misspelt Sandbox setting fail with the known names?"""
    with pytest.raises(ValueError, match="cell_timeout"):
        Limits.from_config({"Sandbox": {"cel_timeout": 3}})
    assert Limits.from_config({"Sandbox": {"memory_mb": 512}}).memory_mb \
        == 512


def test_rlimits_level_when_asked():
    """Can an instructor force the resource-limits-only level?"""
    assert sandbox.choose_isolation("rlimits") == "rlimits"
    with pytest.raises(ValueError):
        sandbox.choose_isolation("docker")


def test_notebook_helper_fills_answers(tmp_path):
    """Do the red-team helpers build notebooks nbformat accepts?"""
    from redteam.course import make_course
    from autograder.cli import main
    root = make_course(tmp_path / "c")
    assert main(["--course-root", str(root), "release"]) == 0
    nbformat.validate(nbformat.from_dict(notebook(str(root))))


def test_process_limit_leaves_room_for_the_graders_own_tasks(monkeypatch):
    """Without a private uid, is the kernel's process limit counted on
    top of the tasks the grader's user already runs?"""
    import psutil
    monkeypatch.setattr(sandbox, "sandbox_uid", lambda: None)
    limit = sandbox.nproc_limit(Limits(max_processes=64))
    assert limit - 64 >= psutil.Process().num_threads()
    monkeypatch.setattr(sandbox, "sandbox_uid", lambda: 200_001)
    assert sandbox.nproc_limit(Limits(max_processes=64)) == 64


def test_status_table_of_an_older_grader_gains_the_new_columns(tmp_path):
    """Does a gradebook graded before tests digests existed still work
    (and count as graded with other tests, so it is regraded)?"""
    import sqlite3
    from autograder.gradebook.status import StatusStore
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE autograder_status (assignment VARCHAR(128), "
                "student VARCHAR(128), status VARCHAR(16) NOT NULL, "
                "isolation VARCHAR(16), score FLOAT, max_score FLOAT, "
                "flags TEXT, message TEXT, checksum VARCHAR(64), "
                "held VARCHAR(8), updated DATETIME, "
                "PRIMARY KEY (assignment, student))")
    con.execute("INSERT INTO autograder_status (assignment, student, "
                "status, flags, held) VALUES ('a', 's', 'graded', '[]', "
                "'no')")
    con.commit()
    con.close()
    store = StatusStore(f"sqlite:///{db}")
    row = store.get("a", "s")
    assert row["tests"] is None and row["held_cells"] == {}
    store.put(dict(row, tests="abc", held_cells={"nb": {"t": None}}))
    assert store.get("a", "s")["held_cells"] == {"nb": {"t": None}}
    store.close()


def test_launcher_reaches_folders_the_private_uid_cannot(tmp_path):
    """As root: does the rlimits launcher give the kernel's uid a package
    below a 0700 folder, and nothing beside it?"""
    import os
    import subprocess
    if os.geteuid() != 0:
        pytest.skip("the private uid exists only when grading as root")
    private = tmp_path / "closed"
    (private / "pkg" / "probe_pkg").mkdir(parents=True)
    (private / "pkg" / "probe_pkg" / "__init__.py").write_text("X = 42\n")
    (private / "secret.txt").write_text("hidden")
    private.chmod(0o700)
    import shutil
    import tempfile
    env_dir = Path(tempfile.mkdtemp(prefix="ag-test-ipc-"))  # as grading
    env_dir.chmod(0o755)
    args = sandbox.launcher_args(sandbox.UID_BASE + 7, env_dir)
    args += ["--pkg", f"probe_pkg={private / 'pkg' / 'probe_pkg'}", "--",
             "python", "-c",
             "import probe_pkg, os\n"
             f"print(probe_pkg.X, os.access({str(private)!r}, os.R_OK))"]
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin",
             "PYTHONPATH": str(REPO)}, cwd=env_dir)
    shutil.rmtree(env_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["42", "False"]


def test_unreachable_environment_is_mirrored(tmp_path, monkeypatch):
    """As root, below a 0700 folder: are site-packages the private uid
    cannot reach mirrored (hard links) where it can, never chmod-ed?"""
    import os
    import shutil
    if os.geteuid() != 0:
        pytest.skip("the private uid exists only when grading as root")
    closed = tmp_path / "closed"
    inside = closed / "course" / ".venv" / "site-packages"
    inside.mkdir(parents=True)
    (inside / "mod.py").write_text("X = 1\n")
    closed.chmod(0o700)
    monkeypatch.setattr(sandbox, "site_dirs", lambda: [str(inside)])
    env = sandbox.prepare_private_env()
    try:
        mirrored, = env["sites"]
        assert not mirrored.startswith(str(closed))
        assert (Path(mirrored) / "mod.py").read_text() == "X = 1\n"
        assert os.stat(Path(mirrored) / "mod.py").st_ino == \
            os.stat(inside / "mod.py").st_ino   # a hard link, no copy
        assert sandbox._searchable(mirrored)
        assert closed.stat().st_mode & 0o777 == 0o700
        for name, path in env["pkgs"].items():
            assert Path(path).name.startswith(name)
    finally:
        shutil.rmtree(mirrored, ignore_errors=True)
        sandbox._PRIVATE_ENV.clear()


def test_a_missed_wakeup_costs_one_poll_slice_not_the_timeout():
    """pyzmq's asyncio poll can miss a message's wake-up and find it only
    when its timeout fires; the kernel's channels wait in slices, so a
    60 s wait for a reply that has arrived ends within a slice."""
    import asyncio
    import time

    from autograder.zmqwait import POLL_SLICE, sliced

    calls = []

    async def missed_once(channel, timeout=None):
        calls.append(timeout)
        if len(calls) == 1:  # the wake-up is missed: found at timeout
            await asyncio.sleep(timeout)
        return {"msg_type": "execute_reply"}

    start = time.monotonic()
    got = asyncio.run(sliced(missed_once)(None, timeout=60))
    assert got == {"msg_type": "execute_reply"}
    assert time.monotonic() - start < 1.0
    assert calls[0] <= POLL_SLICE


def test_a_sliced_wait_still_times_out_on_time():
    """Does a wait with nothing to receive still end in Empty at its
    timeout (nbclient's cell timeout relies on it), and wait forever in
    slices when given no timeout?"""
    import asyncio
    import queue
    import time

    from autograder.zmqwait import sliced

    async def nothing(channel, timeout=None):
        await asyncio.sleep(timeout)
        raise queue.Empty

    start = time.monotonic()
    with pytest.raises(queue.Empty):
        asyncio.run(sliced(nothing)(None, timeout=0.5))
    assert 0.45 <= time.monotonic() - start < 1.0

    async def forever():
        return await asyncio.wait_for(sliced(nothing)(None, timeout=None),
                                      0.7)

    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(forever())


def test_every_notebook_run_waits_in_slices():
    """nbgrader (through the course configuration), the grader and
    nbval (``-p autograder.zmqwait`` in the Makefile) all execute
    notebooks with jupyter_client's async channels patched once."""
    import subprocess
    import sys

    from jupyter_client.channels import AsyncZMQSocketChannel

    import autograder.grading.execute  # noqa: F401 (the grader's runs)
    assert AsyncZMQSocketChannel.get_msg._sliced
    code = ("from pathlib import Path; from autograder.course.directory import "
            "load_config; load_config(Path('.')); from jupyter_client."
            "channels import AsyncZMQSocketChannel as C; "
            "print(getattr(C.get_msg, '_sliced', False))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True", out.stderr
    assert "-p autograder.zmqwait" in (REPO / "Makefile").read_text()


def test_kernels_get_the_graders_font_list_in_a_fresh_folder(tmp_path):
    """Is matplotlib's font list put where the kernel's MPLCONFIGDIR
    points, and is a link planted there by an earlier kernel removed,
    never followed?"""
    found = sandbox.font_list()
    assert found is not None, "matplotlib is a course dependency"
    name, text = found
    assert name.startswith("fontlist-v") and json.loads(text)["ttflist"]
    outside = tmp_path / "outside.json"
    outside.write_text("keep")
    ipc = tmp_path / "ipc"
    ipc.mkdir()
    (ipc / sandbox.MPL_DIR).symlink_to(tmp_path)
    sandbox.seed_matplotlib(ipc, None)
    folder = ipc / sandbox.MPL_DIR
    assert folder.is_dir() and not folder.is_symlink()
    assert (folder / name).read_text() == text
    assert outside.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ipc",
                                                          "outside.json"]
    env = sandbox.kernel_command("rlimits", tmp_path, ipc,
                                 ipc / "kernel.json", Limits(), None)[1]
    assert env["MPLCONFIGDIR"] == str(folder)


def test_default_jobs_are_two_per_core_within_memory(monkeypatch):
    """Two jobs per core, fewer where memory is short, never none."""
    import os
    from types import SimpleNamespace

    from autograder.grading import batch as grading

    def with_memory(mb, cores=2):
        monkeypatch.setattr(os, "cpu_count", lambda: cores)
        monkeypatch.setattr(grading.psutil, "virtual_memory",
                            lambda: SimpleNamespace(available=mb << 20))
        return grading.default_jobs()

    assert with_memory(64_000) == 4
    assert with_memory(64_000, cores=16) == 32
    assert with_memory(1_600) == 3
    assert with_memory(100) == 1


def test_flags_are_written_as_before_and_classed_by_their_table(master,
                                                                monkeypatch):
    """The worker writes each flag as "code: detail" from the one table;
    the codes, the review list and the report's notes are the ones the
    gradebooks and reports of earlier runs hold."""
    from autograder.gradebook.reports import render_report
    from autograder.grading import flags, worker
    from autograder.grading.execute import RunLog
    from autograder.grading.flags import Flag, Kind

    assert len({f.value for f in Flag}) == len(Flag)
    assert flags.REVIEW == {"tamper", "repaired", "timeout", "kernel-died",
                            "not-run", "missing-answer", "verdict-differs"}
    assert set(flags.NOTES) == {"blank", "checked-in-kernel",
                                "similar-to-reference"}
    assert all(f.meaning and isinstance(f.kind, Kind) for f in Flag)
    monkeypatch.setattr(worker, "is_blank", lambda nb, master: False)
    log = RunLog(timeouts=[7, 3, 7], strays=2, dropped=["big"],
                 mismatches=[("t1", "wrong")], in_kernel=[("t2", "why")])
    written = worker._flags_from_run(
        log, None, ["answer cell a missing", "kernelspec 'x' replaced"],
        ["np.sum was replaced"], master, ["answer b"])
    assert written == [
        "repaired: kernelspec 'x' replaced",
        "missing-answer: answer cell a missing",
        "timeout: cells [3, 7]",
        "stray-processes: killed 2",
        "verdict-differs: t1 passed in the student's kernel but failed "
        "when the grader re-ran it (wrong)",
        "checked-in-kernel: t2: why",
        "output-dropped: big",
        "tamper: np.sum was replaced",
        "similar-to-reference: answer b"]
    assert flags.codes(written) & flags.REVIEW == {
        "repaired", "missing-answer", "timeout", "verdict-differs",
        "tamper"}
    row = {"assignment": "a", "student": "s", "status": "graded",
           "score": 1, "max_score": 1, "held": "no", "isolation": "x",
           "message": "", "flags": written}
    shown = render_report([row])
    assert "checked-in-kernel: t2: why" in shown
    assert "similar-to-reference: answer b" in shown
    assert "output-dropped" not in shown and "tamper" not in shown


def test_kernel_start_wait_ends_at_its_deadline_when_iopub_keeps_talking():
    """A kernel whose IOPub never stops sending messages of no start-up
    request cannot hold the grader past the start-up deadline; one that
    carries a status of the kernel_info request is ready at once."""
    import asyncio
    import time

    from autograder.sandbox.kernelmanager import ReadyClient

    class Chatty:
        def __init__(self, parent):
            self.parent = parent

        async def get_msg(self, timeout=None):
            await asyncio.sleep(0.01)
            return {"parent_header": {"msg_id": self.parent}}

    class Client(ReadyClient):
        iopub_channel = None  # the test's channel, not a socket

    client = Client.__new__(Client)
    client.__dict__["iopub_channel"] = Chatty("someone-else")
    start = time.monotonic()
    assert not asyncio.run(client._iopub_connected({"mine"},
                                                   start + 0.3))
    assert time.monotonic() - start < 2
    client.__dict__["iopub_channel"] = Chatty("mine")
    assert asyncio.run(client._iopub_connected({"mine"},
                                               time.monotonic() + 5))
