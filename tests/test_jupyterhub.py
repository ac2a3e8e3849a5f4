"""The class's JupyterHub (deploy/jupyterhub_config.py), end to end.

An instructor and a student account (removed after) in the class's Unix
groups; one hub on the loopback, spawning servers from the class
environment (tests/class_env.py); the instructor releases chapter 01
into the shared exchange from the command line.  Then, in one headless
Chromium (Debian's, driven by Playwright): the student logs in with their
password (PAM), sees the released chapter in the Assignment List, fetches
it and submits it; the instructor logs in, collects it in the Formgrader
and sees the student's submission listed.  Screenshots go to
test-output/hub/.

Skips, naming the reason, without root (accounts), the class environment,
configurable-http-proxy (npm) or Chromium.
"""
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from chromium import MARKS, launch, sync_playwright
from nbgrader_course import make_course

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "hub"
CHAPTER = "01_numerical_derivatives"
COURSE_ID = "nn-from-the-derivative-up"
PROXY = shutil.which("configurable-http-proxy")

pytestmark = [
    *MARKS,
    pytest.mark.skipif(PROXY is None, reason=(
        "needs configurable-http-proxy: npm install -g "
        "configurable-http-proxy (.ci/run does this as root)")),
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Class:
    """The accounts, the instructor's course and the hub."""

    def __init__(self, classenv, base):
        tag = secrets.token_hex(3)
        self.env_ = classenv
        self.base = base
        self.exchange = base / "exchange"
        self.students_group = classenv.add_group(f"hs{tag}")
        self.instructors_group = classenv.add_group(f"hi{tag}")
        self.instructor = f"hi{tag}x"
        self.student = f"hs{tag}x"
        self.passwords = {}
        self.users = []
        self.proc = None

    def home(self, user):
        return self.base / "home" / user

    def add_accounts(self):
        for user, group in ((self.instructor, self.instructors_group),
                            (self.student, self.students_group)):
            self.users.append(self.env_.add_user(user, self.home(user),
                                                 [group]))
            self.passwords[user] = secrets.token_urlsafe(12)
            subprocess.run(["chpasswd"], input=f"{user}:"
                           f"{self.passwords[user]}\n", text=True,
                           check=True, capture_output=True, timeout=60)
            # No "get notified about Jupyter news?" toast over the views.
            news = self.home(user) / ".jupyter" / "lab" / "user-settings" \
                / "@jupyterlab" / "apputils-extension"
            news.mkdir(parents=True)
            (news / "notification.jupyterlab-settings").write_text(
                '{"fetchNews": "false"}')
            subprocess.run(["chown", "-R", f"{user}:{user}",
                            str(self.home(user) / ".jupyter")], check=True)

    def run(self, user, *args):
        """A command of ``user`` in their course (or home)."""
        env = {"HOME": str(self.home(user)), "USER": user, "LOGNAME": user,
               "LANG": "C.UTF-8",
               "PATH": f"{self.env_.bin}:/usr/bin:/bin",
               "NBGRADER_EXCHANGE": str(self.exchange)}
        cwd = self.home(user) / "course"
        done = self.env_.run_as(user, args, cwd if cwd.is_dir() else
                                self.home(user), env)
        assert done.returncode == 0, f"{args}\n{done.stdout}\n" \
                                     f"{done.stderr[-3000:]}"
        return done

    def start_hub(self):
        """The hub as the guide starts it: root, from its state folder,
        with the configuration copied where everyone can read it."""
        deploy = self.base / "deploy"
        shutil.copytree(ROOT / "deploy", deploy)
        state = self.base / "state"
        state.mkdir(mode=0o700)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {"PATH": f"{self.env_.bin}:{Path(PROXY).parent}:/usr/bin:/bin",
               "HOME": str(state), "LANG": "C.UTF-8",
               "NBGRADER_EXCHANGE": str(self.exchange),
               "CLASS_COURSE_ID": COURSE_ID,
               "CLASS_STUDENT_GROUP": self.students_group,
               "CLASS_INSTRUCTOR_GROUP": self.instructors_group,
               "CLASS_INSTRUCTOR_COURSE": "course",
               "CLASS_HUB_URL": self.url}
        self.log_path = self.base / "hub.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [self.env_.bin / "jupyterhub", "-f",
             deploy / "jupyterhub_config.py",
             f"--JupyterHub.hub_bind_url=http://127.0.0.1:{_free_port()}",
             "--ConfigurableHTTPProxy.api_url="
             f"http://127.0.0.1:{_free_port()}"],
            cwd=state, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api",
                                            timeout=5):
                    return
            except OSError:
                if self.proc.poll() is not None or \
                        time.monotonic() > deadline:
                    pytest.fail("JupyterHub did not start:\n"
                                + self.log_path.read_text()[-4000:])
                time.sleep(0.5)

    def stop_hub(self):
        """Stop the hub, the proxy and every user server it started."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        for user in self.users:  # servers run in their own sessions
            subprocess.run(["pkill", "-KILL", "-u", user],
                           capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def hub(class_env):
    base = Path(tempfile.mkdtemp(prefix="course-hub-"))
    base.chmod(0o755)
    (base / "home").mkdir(mode=0o755)
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    h = Class(class_env, base)
    try:
        h.add_accounts()
        course = h.home(h.instructor) / "course"
        make_course(course, CHAPTER)
        subprocess.run(["chown", "-R", f"{h.instructor}:{h.instructor}",
                        str(course)], check=True)
        course.chmod(0o700)
        h.start_hub()  # makes the exchange
        assert h.exchange.stat().st_mode & 0o7777 == 0o1777
        h.run(h.instructor, h.env_.python, "-m", "autograder", "release",
              CHAPTER)
        h.run(h.instructor, h.env_.python, "-m", "nbgrader",
              "release_assignment", CHAPTER)
        yield h
    finally:
        try:
            h.stop_hub()
            class_env.remove_users(h.users)
        finally:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def page(hub):
    pw = sync_playwright().start()
    browser = launch(pw)
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(60_000)
    try:
        yield context.new_page()
    finally:
        context.close()
        browser.close()
        pw.stop()


def _log_in(page, hub, user):
    """Log in on the hub's form; wait for the user's lab."""
    page.goto(f"{hub.url}/hub/logout")
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords[user])
    page.click("#login_submit")
    page.wait_for_url(re.compile(r"/user/[^/]+/lab"), timeout=120_000)
    page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").wait_for()


def _menu(page, *path):
    page.locator(".lm-MenuBar-item", has_text=re.compile(
        f"^{re.escape(path[0])}$")).click()
    for item in path[1:]:
        page.locator(".lm-Menu:visible .lm-Menu-item",
                     has_text=re.compile(f"^{re.escape(item)}")).first.click()


@pytest.fixture(scope="module")
def student_view(hub, page):
    """The student's session: log in, Assignment List, fetch, submit."""
    _log_in(page, hub, hub.student)
    menus = page.locator(".lm-MenuBar-item").all_inner_texts()
    _menu(page, "Nbgrader", "Assignment List")
    released = page.locator("#released_assignments_list")
    released.get_by_text(CHAPTER).wait_for()
    page.screenshot(path=SHOTS / "student-assignment-list.png")
    released.locator(".list_item", has_text=CHAPTER) \
        .get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list")
    fetched.get_by_text(CHAPTER).first.wait_for()
    fetched.locator(".list_item", has_text=CHAPTER).first \
        .get_by_role("button", name="Submit").click()
    submitted = page.locator("#submitted_assignments_list")
    submitted.get_by_text(CHAPTER).first.wait_for()
    page.screenshot(path=SHOTS / "student-submitted.png")
    return {"menus": menus}


def test_student_fetches_and_submits_in_the_assignment_list(hub,
                                                            student_view):
    """Did the student's fetch and submit reach the exchange and their
    home, through the Assignment List?"""
    fetched = hub.home(hub.student) / COURSE_ID / CHAPTER
    assert (fetched / f"{CHAPTER}.ipynb").is_file()
    assert fetched.stat().st_uid == \
        hub.home(hub.student).stat().st_uid  # written as the student
    inbound = list((hub.exchange / COURSE_ID / "inbound").iterdir())
    assert [p.name.split("+")[:2] for p in inbound] == \
        [[hub.student, CHAPTER]]


def test_student_lab_has_no_instructor_panels(hub, page, student_view):
    """Does the student's lab leave out the Formgrader and the
    instructor's server extensions?"""
    _menu(page, "Nbgrader")
    items = page.locator(".lm-Menu:visible .lm-Menu-item") \
        .all_inner_texts()
    page.keyboard.press("Escape")
    assert any("Assignment List" in i for i in items), items
    assert not any("Formgrader" in i for i in items), items
    status = page.request.get(page.url.split("/lab")[0]
                              + "/formgrader/api/assignments").status
    assert status == 404


@pytest.fixture(scope="module")
def instructor_view(hub, page, student_view):
    """The instructor's session: log in, Formgrader, collect."""
    try:
        return _instructor_session(hub, page)
    except Exception:
        page.screenshot(path=SHOTS / "instructor-failed.png")
        raise


def _instructor_session(hub, page):
    _log_in(page, hub, hub.instructor)
    _menu(page, "Nbgrader", "Formgrader")
    frame_el = page.locator("iframe[src*='formgrader']").last
    frame_el.wait_for()
    frame = frame_el.content_frame
    row = frame.locator("#main-table tr", has_text=CHAPTER).first
    row.locator("td.collect a").click()  # nbgrader collect
    modal = frame.locator(".modal.in, .modal.show").first
    modal.wait_for()
    title = modal.locator(".modal-title").inner_text()
    page.screenshot(path=SHOTS / "instructor-collected.png")
    assert title == "Success", modal.inner_text()[-2000:]
    modal.locator(".modal-footer button").click()
    modal.wait_for(state="detached")
    count = row.locator("a[href*='manage_submissions']")
    assert count.inner_text().strip() == "1"
    page.screenshot(path=SHOTS / "instructor-formgrader-assignments.png")
    count.click()
    listed = frame.locator("#main-table tr", has_text=hub.student).first
    listed.wait_for()
    page.screenshot(path=SHOTS / "instructor-formgrader-submissions.png")
    return {"row": listed.inner_text()}


def test_formgrader_lists_the_students_submission(hub, instructor_view):
    """After collecting in the Formgrader, does the instructor see the
    student's submission of the chapter, with the file in submitted/?"""
    assert hub.student in instructor_view["row"]
    course = hub.home(hub.instructor) / "course"
    assert (course / "submitted" / hub.student / CHAPTER /
            f"{CHAPTER}.ipynb").is_file()
    assert (course / "submitted" / hub.student / CHAPTER /
            "timestamp.txt").is_file()
