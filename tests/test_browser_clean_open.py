"""Does a student's notebook open in JupyterLab without unsaved changes?

JupyterLab replaces a notebook's ``language_info`` with the running
kernel's on open; when the saved one differs (another Python patch
release), the tab is marked modified before the student types.  `make
lab` writes each work/ copy with this Python's kernel info, so the copy
opens clean; a copy saved by another Python (control) must turn dirty,
or the check proves nothing.  Chromium as in tests/test_browser.py.
"""
import json
import time

from chromium import MARKS, sync_playwright
from test_browser import Browser, Lab, make_course_copy

pytestmark = MARKS

DIRTY = ".lm-TabBar-tab.lm-mod-current.jp-mod-dirty"


def _dirty_after_open(browser, path, settle=4.0):
    browser.open(path)
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:  # the kernel info arrives late
        if browser.page.locator(DIRTY).count():
            return True
        browser.page.wait_for_timeout(250)
    return False


def test_work_copy_opens_without_unsaved_changes(tmp_path):
    course = make_course_copy(tmp_path / "course")
    lab = Lab(course, tmp_path / "home")
    playwright = sync_playwright().start()
    try:
        browser = Browser(playwright, lab)
        try:
            mine = sorted((course / "work").glob("*/*.ipynb"))[0]
            other = mine.with_name("saved_by_another_python.ipynb")
            nb = json.loads(mine.read_text())
            nb["metadata"]["language_info"]["version"] = "3.0.0"
            other.write_text(json.dumps(nb, indent=1))
            rel = mine.relative_to(course).as_posix()
            assert not _dirty_after_open(browser, rel), \
                f"{rel} is marked modified as soon as it opens"
            assert _dirty_after_open(
                browser, other.relative_to(course).as_posix(), settle=20)
        finally:
            browser.close()
    finally:
        playwright.stop()
        lab.stop()
