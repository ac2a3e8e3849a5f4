"""Shared pytest set-up for tests/.

tests/test_browser.py runs one JupyterLab and one Chromium for all of its
tests, so they must stay on one xdist worker: its tests carry
``xdist_group("browser")``, which xdist honours only under
``--dist loadgroup``.  `make test` runs ``pytest -n auto`` (xdist's default
``--dist load``); loadgroup distributes every ungrouped test exactly as
load does, so switch to it here.  An explicit other --dist is kept.
"""


def pytest_configure(config):
    if getattr(config.option, "dist", None) == "load" \
            and not hasattr(config, "workerinput"):
        config.option.dist = "loadgroup"
