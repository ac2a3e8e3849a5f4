"""Debian's Chromium driven by Playwright for Python, for the browser
suites (tests/test_browser.py, tests/test_jupyterhub.py): never
Playwright's own browser download.

``MARKS`` skip a module, naming what to install, where Chromium or
Playwright is missing; ``launch(playwright)`` starts a headless browser.
"""
import os
import shutil

import pytest

CHROMIUM = next(filter(None, map(shutil.which, (
    "chromium", "chromium-browser"))), None)
# Playwright's import is cheap, but it is a test extra: say so if missing.
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the lock installs it
    sync_playwright = None

MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason=(
        "needs a Chromium browser: install the Debian package chromium "
        "(apt-get install chromium); .ci/run does this as root")),
    pytest.mark.skipif(sync_playwright is None, reason=(
        "needs Playwright for Python: pip install -e '.[test]'")),
]


def launch(playwright):
    """A headless Debian Chromium."""
    args = ["--disable-dev-shm-usage", "--disable-gpu"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses root otherwise
    return playwright.chromium.launch(executable_path=CHROMIUM,
                                      headless=True, args=args)
