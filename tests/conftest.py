"""Shared pytest set-up for tests/.

tests/test_browser.py runs one JupyterLab and one Chromium for all of its
tests (as the real-users modules run one term and one hub), so under
pytest-xdist (`make test` runs ``pytest -n auto``) they
must all go to one worker, or each worker would start its own lab and
browser and rerun the notebooks.  xdist's own ``xdist_group`` mark does
not group anything with the pinned pytest 9 / xdist 3.8, so this replaces
xdist's default ``--dist load`` scheduler with its loadscope scheduler in
which the browser module is one unit and every other test a unit of its
own (handed out as ``load`` would).  An explicit ``--dist`` is kept.
"""
import pytest

# Each of these runs one expensive module fixture (a lab and a browser; a
# term of Unix accounts; a JupyterHub) that every test of it shares.
GROUPED_MODULES = ("test_browser.py", "test_exchange_users.py",
                   "test_jupyterhub.py")


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
