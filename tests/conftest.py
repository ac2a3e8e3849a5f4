"""Shared pytest set-up for tests/.

tests/test_browser.py runs one JupyterLab and one Chromium for all of its
tests (as the real-users modules run one term and one hub), so under
pytest-xdist (`make test` runs ``pytest -n auto``) they
must all go to one worker, or each worker would start its own lab and
browser and rerun the notebooks.  xdist's own ``xdist_group`` mark does
not group anything with the pinned pytest 9 / xdist 3.8, so this replaces
xdist's default ``--dist load`` scheduler with its loadscope scheduler in
which each module of GROUPED_MODULES (the browser's, the real users'...)
is one unit and every other test a unit of its own (handed out as
``load`` would).  An explicit ``--dist`` is kept.
"""
import subprocess
import sys
from pathlib import Path

import pytest

# Each of these runs one expensive module fixture (a lab and a browser; a
# term of Unix accounts; a JupyterHub; a graded class; a fresh release;
# a bundle) that every test of it shares: on several workers it would be
# built once on each.  (The shared grading batches below need no group:
# graded_once builds them once for all workers.)
GROUPED_MODULES = ("test_browser.py", "test_exchange_users.py",
                   "test_jupyterhub.py", "test_exchange_roundtrip.py",
                   "test_class_report.py", "test_release.py",
                   "test_autograder_layouts.py", "test_bundle.py",
                   "test_lab.py", "test_autograder_postgres.py")


_warming = []


def pytest_configure(config):
    """As xdist starts its workers: compile the tensor-core kernels
    once, in the background (tests/warm_tensorcore.py); the first tests
    that need them come minutes later."""
    if hasattr(config, "workerinput") or not config.getoption(
            "numprocesses", None):
        return
    here = Path(__file__).resolve().parent
    _warming.append(subprocess.Popen(
        [sys.executable, str(here / "warm_tensorcore.py")], cwd=here,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def pytest_unconfigure(config):
    for proc in _warming:
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerPerGroupedModule(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            module = nodeid.split("::", 1)[0]
            if module.rsplit("/", 1)[-1] in GROUPED_MODULES:
                return module
            return nodeid

    return OneWorkerPerGroupedModule(config, log)


# Tests that build a batch shared by many others (a graded chapter, a
# red-team batch): {module: the fixture whose value is the batch}.  The
# batch's key is the module and the fixture's parameter (a chapter, an
# isolation level).
BATCHES = {"test_chapters.py": "grade", "test_grading_parity.py": None,
           "test_grading_parity_features.py": "graded",
           "test_autograder_redteam.py": "batch",
           "test_autograder_trust.py": "batch",
           "test_autograder_hardening.py": "batch"}
# Which batch of a module a test reads: its parameter of these names.
BATCH_PARAMS = ("name", "batch")


def _batch_of(item):
    module = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    if module not in BATCHES:
        return None
    fixture = BATCHES[module]
    if fixture and fixture not in item.fixturenames:
        return None
    params = getattr(item, "callspec", None)
    params = params.params if params else {}
    key = next((params[p] for p in BATCH_PARAMS if p in params), None)
    # the chapters' grading runs are shared by two modules
    if module in ("test_chapters.py", "test_grading_parity.py"):
        module = "chapters"
    return module, key


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Start the long runs first, so that two of them never end last on
    one worker while the others idle: the browser module (one worker
    runs it all), then the first test of every shared batch (it grades
    the batch; the other workers grade theirs meanwhile), then the tests
    that need no batch, and last the other tests of the batches (by
    then graded, so nobody waits on another worker's lock)."""
    browser, first, plain, later, seen = [], [], [], [], set()
    for item in items:
        batch = _batch_of(item)
        if item.nodeid.split("::", 1)[0].endswith(GROUPED_MODULES):
            browser.append(item)
        elif batch is None:
            plain.append(item)
        elif batch in seen:
            later.append(item)
        else:
            seen.add(batch)
            first.append(item)
    items[:] = browser + first + plain + later


@pytest.fixture(scope="session")
def class_env():
    """The class environment (tests/class_env.py): built once per test
    process, for the tests that run the course as several Unix users."""
    from class_env import ClassEnv, why_not
    reason = why_not()
    if reason:
        pytest.skip(reason)
    env = ClassEnv()
    try:
        env.build()
        env.grant()
        yield env
    finally:
        env.close()
