"""Does every chapter work in a real browser, for a student and an instructor?

One JupyterLab, started the way `make lab` starts it (``lab_command``), in
a temporary copy of the course, and one headless Chromium (Debian's
``chromium``, driven by Playwright; never Playwright's own download), whose
single page is reused for every notebook.  For each notebook under
notebooks/ (found at run time, so a new chapter is covered the day it
lands), as a student:

- the release with every answer cell filled from solutions/: Run All, wait
  for idle; no error outputs, every figure an image that decoded, every
  widget a live control (not its text repr); every slider, moved with the
  keyboard, changes the figure or readout it drives;
- the blank release: Run All stops at the first exercise's stub, and the
  error block is short and readable;
- Validate (nbgrader's toolbar button) on a notebook with one wrong answer
  and on the correct one, asserting on the dialog's text;
- browser console errors and failed HTTP requests are collected and fail
  the chapter.

As an instructor: the Formgrader opens, lists every assignment and, after
``course-autograder grade``, shows the graded submission's score.

Screenshots (each chapter's top, its first widget before and after a move,
the Validate dialogs, the Formgrader) go to test-output/browser/.  Without
Chromium every test here skips, naming the Debian package.
"""
import ast
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from chromium import MARKS, launch, sync_playwright
from nbgrader_course import fill, grade_id, is_solution, solution_sources

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "browser"
TOKEN = "course-browser-test"
# One server and one browser for the whole module: tests/conftest.py
# keeps every test of this file on one xdist worker.
pytestmark = MARKS


def _chapters():
    """(assignment, release notebook, solution notebook) of every chapter."""
    out = []
    for release in sorted((ROOT / "notebooks").glob("*/*.ipynb")):
        if ".ipynb_checkpoints" in release.parts:
            continue
        source = ROOT / "solutions" / release.parent.name / release.name
        out.append((release.parent.name, release, source))
    return out


CHAPTERS = _chapters()
ASSIGNMENTS = sorted({a for a, _, _ in CHAPTERS})


# --------------------------------------------------------------------------
# The lab, started as `make lab` starts it
# --------------------------------------------------------------------------
def lab_command(port, instructor=False):
    """The command that starts the lab: the Makefile's own target.

    This is the ONE place that knows how the course starts JupyterLab.  It
    runs `make lab` (or `make instructor`, once the Makefile has that
    target) in the course copy, so the suite follows whatever the Makefile
    does.  LAB_ARGS is the Makefile's hook for extra server options: a
    fixed port and token, no browser of its own.  `-o .venv/.installed`
    tells make not to reinstall (the copy's .venv is this test run's).
    """
    targets = re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(),
                         re.MULTILINE)
    target = "instructor" if instructor and "instructor" in targets else "lab"
    lab_args = " ".join([
        "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}",
    ])
    return ["make", "--no-print-directory", "-s", "-o", ".venv/.installed",
            target, f"LAB_ARGS={lab_args}"]


def make_course_copy(dest):
    """A copy of the course for the lab to serve (never the real one).

    The lab writes into the folder it serves (checkpoints, saved outputs,
    the exchange, a student's work folder, the gradebook), so it serves
    this copy; .venv links to the environment running the tests.
    """
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints",
                                    "*.pyc")
    for name in ("Makefile", "pyproject.toml", "requirements.lock",
                 "nbgrader_config.py"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("autograder", "solutions", "notebooks"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    (dest / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return dest


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running lab: its URL, course copy and REST helpers."""

    def __init__(self, course, home, instructor=False):
        self.course = course
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NBGRADER_", "JUPYTER"))}
        # Settings, workspaces and runtime files of this run only: nothing
        # of the person's own JupyterLab set-up, nothing left behind.
        for var, sub in (("JUPYTER_CONFIG_DIR", "config"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"),
                         ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                         ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")):
            (home / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(home / sub)
        # No "get notified about Jupyter news?" toast over the screenshots.
        news = home / "settings" / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True, exist_ok=True)
        (news / "notification.jupyterlab-settings").write_text(
            '{"fetchNews": "false"}')
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}" \
                      f"{env.get('PATH', '')}"
        self.log = open(home / "lab.log", "w")
        self.proc = subprocess.Popen(
            lab_command(self.port, instructor), cwd=course, env=env,
            stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            try:
                self.api("GET", "status")
                break
            except OSError:
                if self.proc.poll() is not None or \
                        time.monotonic() > deadline:
                    self.stop()
                    pytest.fail("JupyterLab did not start:\n"
                                + (home / "lab.log").read_text()[-3000:])
                time.sleep(0.3)

    def api(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.base}/api/{path}", data=data, method=method,
            headers={"Authorization": f"token {TOKEN}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
        return json.loads(text) if text else None

    def running(self):
        return self.proc.poll() is None

    def get_notebook(self, path):
        return nbformat.from_dict(self.api("GET", f"contents/{path}")
                                  ["content"])

    def shutdown_kernels(self):
        for session in self.api("GET", "sessions"):
            self.api("DELETE", f"sessions/{session['id']}")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


# --------------------------------------------------------------------------
# The browser: one page, every console error and failed request recorded
# --------------------------------------------------------------------------
class Browser:
    """One Chromium page on the lab, with a log of what went wrong."""

    def __init__(self, playwright, lab):
        self.browser = launch(playwright)
        self.context = self.browser.new_context(
            viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()
        self.problems = []  # (kind, text), in order
        self.page.on("console", self._console)
        self.page.on("pageerror",
                     lambda err: self.problems.append(("page error",
                                                       str(err))))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)
        self.open_lab(lab)

    def open_lab(self, lab):
        self.lab = lab
        self.page.goto(f"{lab.base}/lab?token={TOKEN}")
        self.page.wait_for_selector("#jp-main-dock-panel", timeout=90_000)
        self.page.wait_for_selector(".jp-LabShell", state="attached")
        self.page.get_by_role("menuitem", name="File", exact=True) \
            .wait_for()

    def _console(self, msg):
        if msg.type == "error":
            self.problems.append(("console error", msg.text))

    def _request_failed(self, request):
        failure = request.failure or ""
        # Aborted requests are the page's own doing (a closed tab, a
        # replaced image), not a failure of the server.
        if "ERR_ABORTED" not in failure:
            self.problems.append(("request failed",
                                  f"{request.method} {request.url} "
                                  f"{failure}"))

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(("HTTP error",
                                  f"{response.status} "
                                  f"{response.request.method} "
                                  f"{response.url}"))

    def close(self):
        self.context.close()
        self.browser.close()

    # ---------------------------------------------------------- lab actions
    def menu(self, *path):
        """Click through the menu bar, e.g. menu("Run", "Run All Cells")."""
        page = self.page
        page.locator(".lm-MenuBar-item", has_text=re.compile(
            f"^{re.escape(path[0])}$")).click()
        for item in path[1:]:
            page.locator(".lm-Menu:visible .lm-Menu-item",
                         has_text=re.compile(f"^{re.escape(item)}")).first \
                .click()

    def open(self, path):
        """Open a notebook with File > Open from Path, wait for its kernel."""
        self.menu("File", "Open from Path…")
        self.page.get_by_placeholder("/path/relative/to/jlab/root") \
            .fill(path)
        self.page.keyboard.press("Enter")
        panel = self.panel()
        panel.locator(".jp-Cell").first.wait_for()
        self.wait_kernel_idle()
        return panel

    def panel(self):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")

    def wait_kernel_idle(self, timeout=120):
        self.page.wait_for_function(
            """() => {
              const p = document.querySelector(
                '.jp-NotebookPanel:not(.lm-mod-hidden)');
              const ind = p && p.querySelector(
                '.jp-Notebook-ExecutionIndicator');
              // The status bar names the kernel only once it is connected.
              const bar = document.querySelector('#jp-main-statusbar');
              return ind && ind.dataset.status === 'idle' && bar &&
                /\\|\\s*Idle/.test(bar.textContent);
            }""", timeout=timeout * 1000)

    def run_all(self, timeout=180):
        """Run > Run All Cells, then wait until nothing is queued or busy."""
        page = self.page
        started = """() => [...document.querySelectorAll(
            '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')]
            .some(e => /\\[[*0-9]/.test(e.textContent))"""
        for attempt in (1, 2):
            self.menu("Run", "Run All Cells")
            try:
                # Started: some prompt shows [*] or a number.
                page.wait_for_function(started, timeout=15_000)
                break
            except Exception:
                if attempt == 2:
                    page.screenshot(path=SHOTS / "failed-run-all.png")
                    raise
        page.wait_for_function(
            """() => {
              const p = document.querySelector(
                '.jp-NotebookPanel:not(.lm-mod-hidden)');
              const ind = p.querySelector('.jp-Notebook-ExecutionIndicator');
              const busy = [...p.querySelectorAll('.jp-InputPrompt')]
                .some(e => e.textContent.includes('*'));
              const idle = ind && ind.dataset.status === 'idle' && !busy;
              if (!idle) { window.__idleSince = null; return false; }
              window.__idleSince = window.__idleSince || Date.now();
              return Date.now() - window.__idleSince > 750;
            }""", timeout=timeout * 1000, polling=250)

    def save(self):
        self.panel().locator(".jp-Notebook").first.click(
            position={"x": 5, "y": 5})
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("Control+s")
        self.page.wait_for_function(
            """() => !document.querySelector(
                '.lm-TabBar-tab.lm-mod-current.jp-mod-dirty')""")

    def close_all(self):
        """File > Close All Tabs, discarding unsaved changes."""
        self.menu("File", "Close All Tabs")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            discard = self.page.locator(".jp-Dialog button",
                                        has_text=re.compile("Discard|Don"))
            if discard.count():
                discard.first.click()
                continue
            if not self.page.locator(".jp-NotebookPanel").count():
                return
            self.page.wait_for_timeout(200)

    def cells(self):
        """What the open notebook shows, cell by cell, read from the DOM."""
        return self.panel().evaluate(CELLS_JS)

    def wait_for_images(self, count, timeout=20_000):
        """Wait until the open notebook shows ``count`` decoded images: the
        kernel going idle does not mean the page has drawn its last
        figure.  On timeout the tests that read the page say which
        cell's figure is missing."""
        from playwright.sync_api import TimeoutError as PageTimeout
        try:
            self.page.wait_for_function(
                """n => [...document.querySelectorAll(
                    '.jp-NotebookPanel:not(.lm-mod-hidden) img')]
                    .filter(i => i.complete && i.naturalWidth > 0)
                    .length >= n""", arg=count, timeout=timeout,
                polling=250)
        except PageTimeout:
            pass

    def problems_since(self, start):
        return self.problems[start:]


# Reads every cell of the open notebook (also those scrolled out of view:
# JupyterLab keeps them in the DOM, textContent ignores content-visibility).
CELLS_JS = """panel => [...panel.querySelectorAll('.jp-Notebook > .jp-WindowedPanel-outer .jp-Cell, .jp-Notebook .jp-Cell')]
  .filter((c, i, all) => all.indexOf(c) === i)
  .map(cell => {
    const outputs = [...cell.querySelectorAll('.jp-OutputArea-output')]
      .filter(o => !o.parentElement.closest('.widget-output'))
      .map(o => ({
        mime: o.dataset.mimeType || null,
        text: o.textContent,
        widget: !!o.querySelector('.jupyter-widgets'),
        sliders: o.querySelectorAll('[role=slider]').length,
        images: [...o.querySelectorAll('img')].map(
          img => ({ok: img.complete && img.naturalWidth > 0,
                   width: img.naturalWidth})),
      }));
    return {
      index: Number(cell.dataset.windowedListIndex),
      code: cell.classList.contains('jp-CodeCell'),
      prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent,
      outputs,
    };
  })"""

# A widget's visible state, without the slider's own position and readout.
WIDGET_STATE_JS = """out => {
  const copy = out.cloneNode(true);
  copy.querySelectorAll('.widget-slider, .widget-readout').forEach(
    e => e.remove());
  const imgs = [...copy.querySelectorAll('img')].map(i => i.src).join('|');
  const svgs = [...copy.querySelectorAll('svg')].map(s => s.outerHTML)
    .join('|');
  return copy.textContent + '#' + imgs.length + ':' + imgs + svgs;
}"""

WIDGET_REPR = re.compile(r"^\s*[A-Z]\w*(Slider|Box|Output|Button|Dropdown|"
                         r"HTML|Label|Text|Checkbox|Play|Tab)\w*\(")
FIGURE_REPR = re.compile(r"<Figure size \d+x\d+ with \d+ Axes>")


# --------------------------------------------------------------------------
# Notebooks as a student has them
# --------------------------------------------------------------------------
def _exercise_cells(nb):
    """Indices of the answer (solution) code cells, in notebook order."""
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and is_solution(c)]


def _defined_names(source):
    """Top-level functions defined in a cell's source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]


def wrong_first_answer(release, sources):
    """The first exercise answered wrongly, every other one right.

    A first exercise that defines functions: its first function returns
    2 * right + 1 (wrong for every input).  Otherwise (an exercise that
    assigns values): the blank stub stays in that one cell.  Like the
    Validate-correct notebook it keeps only the cells grading needs (the
    setup, the answers, the graded tests), so Validate takes the time of
    the tests alone.
    """
    first = release.cells[_exercise_cells(release)[0]]
    gid = grade_id(first)
    wrong = dict(sources)
    names = _defined_names(sources[gid])
    if names:
        name = names[0]
        wrong[gid] = sources[gid] + f"""


_right_{name} = {name}


def {name}(*args, **kwargs):
    import numpy as _np
    return 2 * _np.asarray(_right_{name}(*args, **kwargs), dtype=float) + 1
"""
    else:
        del wrong[gid]
    return fill(release, wrong, drop_ungraded_code=True), gid


def _error_outputs(nb):
    """[(cell index, output)] of every error output of a saved notebook."""
    return [(i, out) for i, cell in enumerate(nb.cells)
            for out in cell.get("outputs", [])
            if out.get("output_type") == "error"]


def _require_readable(problems, what):
    """Fail on failure text that is not one short block."""
    if problems:
        pytest.fail(f"{what} is not the short failure block: "
                    + "; ".join(problems))


FRAME = re.compile(r"^\s*(Cell In\[|File |Input In)", re.MULTILINE)


def _unreadable(text, max_lines=None, max_frames=None):
    """Why an error text shown to a student is not one short block."""
    lines = [x for x in text.splitlines() if x.strip()]
    out = []
    if "course_utils" in text:
        out.append("it shows frames from course_utils")
    if "site-packages" in text:
        out.append("it shows frames from installed packages")
    if max_lines is not None and len(lines) > max_lines:
        out.append(f"it is {len(lines)} lines long (at most {max_lines})")
    frames = len(FRAME.findall(text))
    if max_frames is not None and frames > max_frames:
        out.append(f"it shows {frames} frames (at most {max_frames})")
    return out


# --------------------------------------------------------------------------
# Fixtures: one course copy, one lab, one browser for the module
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    if shutil.which("make") is None:
        pytest.skip("needs make (the lab starts through `make lab`)")
    return make_course_copy(tmp_path_factory.mktemp("browser") / "course")


@pytest.fixture(scope="module")
def shots():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


@pytest.fixture(scope="module")
def lab(course, tmp_path_factory):
    server = Lab(course, tmp_path_factory.mktemp("lab-home"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def playwright():
    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="module")
def browser(playwright, lab):
    b = Browser(playwright, lab)
    yield b
    b.close()


@pytest.fixture(scope="module", params=CHAPTERS, ids=[a for a, _, _ in
                                                      CHAPTERS])
def chapter(request, lab, browser, shots):
    """One chapter's notebooks, uploaded as a student would have them.

    Module-scoped and parametrised, so pytest runs every test of one
    chapter before the next chapter starts, and closes its tabs and
    kernels in between.
    """
    assignment, release_path, source_path = request.param
    release = nbformat.read(release_path, as_version=4)
    sources = solution_sources(nbformat.read(source_path, as_version=4))
    folder = f"browser-test/{assignment}"
    stem = release_path.stem
    ch = {
        "name": assignment, "release": release, "sources": sources,
        "blank": f"{folder}/{stem}.ipynb",
        "solved": f"{folder}/{stem}_solved.ipynb",
        "wrong": f"{folder}/{stem}_one_wrong.ipynb",
        "correct": f"{folder}/{stem}_answers_only.ipynb",
        "shots": shots / assignment, "problems_start": len(browser.problems),
        "first_exercise": _exercise_cells(release)[0],
    }
    ch["shots"].mkdir()
    # A copy of the release folder (a chapter may ship data next to its
    # notebook), plus the student's versions of the notebook.
    shutil.copytree(release_path.parent, lab.course / folder,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints",
                                                  "__pycache__"))
    wrong_nb, ch["wrong_cell"] = wrong_first_answer(release, sources)
    for path, nb in ((ch["solved"], fill(release, sources)),
                     (ch["correct"],
                      fill(release, sources, drop_ungraded_code=True)),
                     (ch["wrong"], wrong_nb)):
        nbformat.write(nb, lab.course / path)
    yield ch
    if lab.running():  # the last chapter may outlive the student lab
        browser.close_all()
        lab.shutdown_kernels()


@pytest.fixture(scope="module")
def solved_run(chapter, lab, browser):
    """The solved notebook, opened and Run All'ed once per chapter."""
    panel = browser.open(chapter["solved"])
    browser.page.screenshot(path=chapter["shots"] / "top.png")
    start = time.monotonic()
    browser.run_all()
    elapsed = time.monotonic() - start
    browser.save()
    saved = lab.get_notebook(chapter["solved"])
    browser.wait_for_images(sum(
        1 for cell in saved.cells for out in cell.get("outputs", [])
        if any(m.startswith("image/") for m in out.get("data", {}))))
    return {"panel": panel, "saved": saved, "cells": browser.cells(),
            "seconds": elapsed}


# --------------------------------------------------------------------------
# As a student
# --------------------------------------------------------------------------
def test_solution_runs_without_errors(chapter, solved_run):
    """Does Run All on the finished notebook end with no error output?"""
    errors = _error_outputs(solved_run["saved"])
    assert not errors, f"{chapter['name']}: Run All on the solution " + \
        "raised in cells " + ", ".join(
            f"{i} ({out['ename']}: {out['evalue'][:200]})"
            for i, out in errors)
    dom_errors = [(c["index"], o["text"][:300]) for c in solved_run["cells"]
                  for o in c["outputs"]
                  if o["mime"] == "application/vnd.jupyter.stderr"
                  and "Traceback" in o["text"]]
    assert not dom_errors, f"the page shows tracebacks: {dom_errors}"
    code = [c for c in solved_run["cells"] if c["code"]]
    unrun = [c["index"] for c in code if not re.search(r"\[\d+\]",
                                                        c["prompt"] or "")]
    assert not unrun, f"cells {unrun} did not run"


def test_every_figure_renders_as_an_image(chapter, solved_run):
    """Is every figure the kernel sent drawn on the page as a decoded image?"""
    saved, cells = solved_run["saved"], solved_run["cells"]
    by_index = {c["index"]: c for c in cells}
    missing, broken, reprs = [], [], []
    for i, cell in enumerate(saved.cells):
        outs = cell.get("outputs", [])
        wanted = sum(1 for o in outs if any(
            m.startswith("image/") for m in o.get("data", {})))
        dom = by_index.get(i, {"outputs": []})["outputs"]
        drawn = [img for o in dom if not o["widget"] for img in o["images"]]
        if len([img for img in drawn if img["ok"]]) < wanted:
            missing.append(i)
        broken += [i for img in drawn if not img["ok"]]
        for o in outs:
            data = o.get("data", {})
            if FIGURE_REPR.search(str(data.get("text/plain", ""))) and not \
                    any(m.startswith("image/") for m in data):
                reprs.append(i)
    assert not missing, f"cells {missing}: a figure is not drawn on the page"
    assert not broken, f"cells {sorted(set(broken))}: an image did not decode"
    assert not reprs, f"cells {reprs}: a figure shows as text, not a picture"


def test_every_widget_is_a_live_control(chapter, solved_run):
    """Does every widget render as controls, not as its text repr?"""
    saved, cells = solved_run["saved"], solved_run["cells"]
    by_index = {c["index"]: c for c in cells}
    wanted = [i for i, c in enumerate(saved.cells) for o in
              c.get("outputs", []) if
              "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    bad = []
    for i in wanted:
        dom = by_index[i]["outputs"]
        if not any(o["widget"] for o in dom):
            bad.append((i, " | ".join(o["text"][:80] for o in dom)))
    assert not bad, f"widgets not rendered as controls: {bad}"
    for c in cells:
        for o in c["outputs"]:
            assert not WIDGET_REPR.match(o["text"] or ""), (
                f"cell {c['index']} shows a widget's text repr: "
                f"{o['text'][:120]}")
            assert "Error displaying widget" not in o["text"], (
                f"cell {c['index']}: {o['text'][:200]}")
    # The widgets' own figures decoded too.
    broken = [c["index"] for c in cells for o in c["outputs"]
              if o["widget"] for img in o["images"] if not img["ok"]]
    assert not broken, f"cells {broken}: a widget's figure did not decode"


def test_every_slider_redraws_what_it_drives(chapter, solved_run, browser):
    """Does moving each slider (keyboard) change its figure or readout?"""
    page = browser.page
    outputs = browser.panel().locator(
        ".jp-Cell-outputArea .jp-OutputArea-output:has(.jupyter-widgets)")
    widgets = [outputs.nth(i) for i in range(outputs.count())]
    widgets = [w for w in widgets if w.evaluate(
        "o => !o.parentElement.closest('.widget-output')")]
    moved = 0
    for w_index, widget in enumerate(widgets):
        handles = widget.locator("[role=slider]")
        for h_index in range(handles.count()):
            handle = handles.nth(h_index)
            handle.scroll_into_view_if_needed()
            first = moved == 0
            if first:
                widget.screenshot(path=chapter["shots"] / "widget-before.png")
            before = widget.evaluate(WIDGET_STATE_JS)
            value = handle.get_attribute("aria-valuenow")
            at_max = float(value) >= float(handle.get_attribute(
                "aria-valuemax"))
            handle.focus()
            page.keyboard.press("PageDown" if at_max else "PageUp")
            try:
                page.wait_for_function(
                    f"""([out, before]) => ({WIDGET_STATE_JS})(out) !== before""",
                    arg=[widget.element_handle(), before], timeout=20_000)
            except Exception:
                after_value = handle.get_attribute("aria-valuenow")
                pytest.fail(
                    f"widget {w_index + 1}, slider {h_index + 1}: moved "
                    f"from {value} to {after_value} with the keyboard, but "
                    f"neither its figure nor its readout changed")
            browser.wait_kernel_idle()
            page.wait_for_timeout(300)  # let the new image decode
            if first:
                widget.screenshot(path=chapter["shots"] / "widget-after.png")
            moved += 1
    sliders_in_saved = sum(
        1 for c in solved_run["saved"].cells for o in c.get("outputs", [])
        if "Slider(" in str(o.get("data", {}).get("text/plain", "")))
    assert moved >= min(sliders_in_saved, 1), "a slider was not found"


def test_validate_passes_the_solution(chapter, browser):
    """Does Validate on the finished answers say they pass?"""
    browser.close_all()
    browser.open(chapter["correct"])
    text, _ = _validate(browser, chapter["shots"] / "validate-correct.png")
    assert "Success! Your notebook passes all the tests." in text, text


def test_validate_reports_one_wrong_answer(chapter, browser):
    """Does Validate on one wrong answer name the failing check?"""
    browser.close_all()
    browser.open(chapter["wrong"])
    text, unreadable = _validate(browser,
                                 chapter["shots"] / "validate-wrong.png")
    assert "The following cell failed:" in text, text
    tests = [c for c in chapter["release"].cells
             if c.metadata.get("nbgrader", {}).get("grade")
             and c.cell_type == "code"]
    first_test = next(
        c for c in tests
        if chapter["release"].cells.index(c) > chapter["first_exercise"])
    question = first_test.source.splitlines()[0].strip('"').strip()
    assert question in text, (
        f"the dialog does not show the first failing check ({question!r}):"
        f"\n{text}")
    _require_readable(unreadable, "the Validate dialog")


def _validate(browser, shot):
    """Click Validate, wait for the dialog, screenshot and close it.

    Returns the dialog's text and why its failures are not readable.
    """
    page = browser.page
    browser.panel().locator(".jp-Toolbar").get_by_text(
        "Validate", exact=True).click()
    dialog = page.locator(".jp-Dialog:has(#validation-message)")
    dialog.wait_for(timeout=180_000)
    page.wait_for_timeout(200)
    dialog.locator(".jp-Dialog-content").screenshot(path=shot)
    message = dialog.locator("#validation-message")
    text = message.inner_text()
    # Each failure is a (cell source, error) pair of <pre> blocks.
    errors = message.locator(".jp-RenderedText pre").all_inner_texts()[1::2]
    problems = []
    for err in errors:
        why = _unreadable(err, max_lines=12)
        if why:
            problems.append("; ".join(why) + ":\n" + err[:1500])
    clipped = message.locator("pre").evaluate_all(
        "pres => pres.filter(p => p.scrollWidth > p.clientWidth + 2)"
        ".map(p => p.textContent.split('\\n').filter(l => l.trim()).pop())")
    if clipped:
        problems.append(f"lines cut off at the right: {clipped[:2]}")
    dialog.locator(".jp-mod-accept").click()
    dialog.wait_for(state="detached")
    return text, sorted(set(problems))


def test_blank_release_stops_at_the_first_stub(chapter, lab, browser):
    """Does Run All on the blank release stop at the first exercise's stub?"""
    browser.close_all()
    browser.open(chapter["blank"])
    browser.run_all()
    browser.save()
    saved = lab.get_notebook(chapter["blank"])
    errors = _error_outputs(saved)
    assert errors, "Run All on the blank release raised nothing"
    index, err = errors[0]
    exercises = _exercise_cells(saved)
    first, nxt = exercises[0], (exercises[1:] or [len(saved.cells)])[0]
    where = f"cell {index} ({err['ename']}: {err['evalue'][:120]})"
    assert err["ename"] == "NotImplementedError", \
        f"the first error is not an unfinished exercise: {where}"
    assert first <= index < nxt, (
        f"the first error is not the first exercise's (cell {first}): "
        f"{where}")
    names = _defined_names(saved.cells[first].source)
    text = "\n".join(err["traceback"])
    if index != first and names:
        assert any(n in text for n in names), (
            f"the error in cell {index} does not come from "
            f"{', '.join(names)}:\n{text}")
    # Run All stops there: no later cell ran.
    later = [i for i, c in enumerate(saved.cells) if i > index
             and c.cell_type == "code" and c.get("execution_count")]
    assert not later, f"cells {later} ran after the first error"
    chapter["blank_error"] = (index, err)


def test_blank_release_error_is_readable(chapter, browser):
    """Is that first error one short block a student can read?"""
    if "blank_error" not in chapter:
        pytest.skip("the blank-release run did not get that far")
    index, err = chapter["blank_error"]
    shown = [o["text"] for c in browser.cells() if c["index"] == index
             for o in c["outputs"]
             if o["mime"] == "application/vnd.jupyter.stderr"]
    assert shown, f"cell {index}'s error is not on the page"
    text = shown[0]
    assert "NotImplementedError" in text, text
    cell = browser.panel().locator(f".jp-Cell[data-windowed-list-index="
                                   f"'{index}']")
    cell.scroll_into_view_if_needed()
    cell.screenshot(path=chapter["shots"] / "blank-first-error.png")
    # The stub's own traceback: the student's call and the stub line, no
    # frames of ours (its length follows the calling cell's).
    assert "raise NotImplementedError" in text, (
        f"the error does not show the stub line to replace:\n{text}")
    why = _unreadable(text, max_frames=2)
    _require_readable(why and ["; ".join(why) + ":\n" + text[:1500]],
                      f"the blank release's first error (cell {index})")


def test_no_console_errors_or_failed_requests(chapter, browser):
    """Did this chapter cause no console error and no failed request?"""
    problems = browser.problems_since(chapter["problems_start"])
    assert not problems, "\n".join(f"{k}: {t[:300]}" for k, t in problems)


# --------------------------------------------------------------------------
# As an instructor
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(course):
    """The first assignment's solution submitted and graded from the CLI."""
    assignment, release_path, source_path = CHAPTERS[0]
    student = "browser_student"
    nb = fill(nbformat.read(release_path, as_version=4),
              solution_sources(nbformat.read(source_path, as_version=4)))
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / release_path.name)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("NBGRADER_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for command in (["release", assignment],
                    ["grade", assignment, "--jobs", "1", "--quiet"]):
        done = subprocess.run(
            [sys.executable, "-m", "autograder", "--course-root",
             str(course), *command],
            cwd=course, env=env, capture_output=True, text=True,
            timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    return {"assignment": assignment, "student": student}


@pytest.fixture(scope="module")
def instructor_page(course, lab, browser, tmp_path_factory, shots):
    """The lab an instructor uses: `make instructor`, started once the
    student's lab has stopped."""
    browser.close_all()
    lab.shutdown_kernels()
    browser.page.goto("about:blank")  # leave the student lab first
    lab.stop()
    inst = Lab(course, tmp_path_factory.mktemp("instructor-home"),
               instructor=True)
    browser.open_lab(inst)
    yield {"lab": inst, "problems_start": len(browser.problems)}
    if inst is not lab:
        inst.stop()


def _formgrader(browser, shots, name):
    """Open Nbgrader > Formgrader; return its frame."""
    browser.menu("Nbgrader", "Formgrader")
    frame_el = browser.page.locator("iframe[src*='formgrader']").last
    frame_el.wait_for()
    frame = frame_el.content_frame
    frame.locator("body").wait_for()
    return frame


def test_formgrader_lists_every_assignment(instructor_page, browser, shots):
    """Does the Formgrader open and list every assignment of the course?"""
    frame = _formgrader(browser, shots, "formgrader")
    table = frame.locator("#main-table")
    for name in ASSIGNMENTS:
        table.get_by_text(name, exact=True).first.wait_for(timeout=30_000)
    browser.page.screenshot(path=shots / "formgrader-assignments.png")
    browser.close_all()


def test_formgrader_shows_a_graded_score(graded, instructor_page, browser,
                                         shots):
    """After `course-autograder grade`, does the Formgrader show the score?"""
    frame = _formgrader(browser, shots, "formgrader-score")
    frame.get_by_role("link", name="Manage Students").click()
    student_row = frame.locator("tr", has_text=graded["student"]).first
    student_row.wait_for(timeout=30_000)
    overall = student_row.inner_text()
    student_row.locator("a").first.click()
    row = frame.locator("tr", has_text=graded["assignment"]).first
    row.wait_for(timeout=30_000)
    text = row.inner_text()
    source = nbformat.read(CHAPTERS[0][2], as_version=4)
    total = sum(c.metadata["nbgrader"].get("points", 0) for c in source.cells
                if c.metadata.get("nbgrader", {}).get("grade"))
    browser.page.screenshot(path=shots / "formgrader-score.png")
    marks = rf"\b{total:g}(\.0+)?\s*/\s*{total:g}(\.0+)?\b"
    assert re.search(marks, overall), \
        f"the student's overall score is not {total}/{total}: {overall!r}"
    assert re.search(marks, text), \
        f"{graded['assignment']} does not show {total}/{total}: {text!r}"
    browser.close_all()


def test_instructor_lab_has_no_console_errors(instructor_page, browser):
    """Did the instructor's pages cause no console or HTTP errors?"""
    problems = browser.problems_since(instructor_page["problems_start"])
    assert not problems, "\n".join(f"{k}: {t[:300]}" for k, t in problems)
