"""Does `make lab` serve the course as a student would meet it?

Starts the lab the way `make lab` and `make instructor` do
(``python -m autograder.lab``, without a browser, on a free local port) in
a throw-away copy of the course, then asks its REST API for the work
folder's notebooks, nbgrader's student panels, and the page config that
hides the instructor panels; the server log must hold no exchange error.
The work-folder tests prove that a student's edits in work/ survive
`make lab` and a `git pull` of a new chapter.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder import lab as course_lab

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "course-test-token"
COURSE_ID = "nn-from-the-derivative-up"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    req = urllib.request.Request(
        url, headers={"Authorization": f"token {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _course_copy(dest):
    """What a fresh clone holds that the lab uses (no work/, no exchange/)."""
    for name in ("nbgrader_config.py",):
        shutil.copy(ROOT / name, dest / name)
    for name in ("autograder", "notebooks"):
        shutil.copytree(ROOT / name, dest / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _start(root, log, *flags):
    port = _free_port()
    env = dict(os.environ)
    env["JUPYTER_RUNTIME_DIR"] = str(root / ".runtime")
    env["PYTHONPATH"] = str(root)  # this copy's autograder package
    proc = subprocess.Popen(
        [sys.executable, "-m", "autograder.lab", *flags, "--root", str(root),
         "--no-browser", f"--ServerApp.port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            _get(f"{base}/api/status")
            return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("JupyterLab did not start within 60 s:\n"
                            + Path(log.name).read_text()[-3000:])
            time.sleep(0.3)


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A student lab (make lab) on a fresh copy of the course."""
    root = _course_copy(tmp_path_factory.mktemp("clone"))
    with open(root / "lab.log", "w") as log:
        proc, base = _start(root, log)
        # What the Assignment List panel asks for on opening.
        answers = {url: _get(f"{base}/{url}") for url in
                   ("courses", f"assignments?course_id={COURSE_ID}")}
        yield {"base": base, "root": root, "answers": answers}
        _stop(proc)


def test_lab_page_is_served(lab):
    """Does the JupyterLab page load?"""
    status, body = _get(f"{lab['base']}/lab")
    assert status == 200 and b"JupyterLab" in body


def test_work_folder_holds_every_release(lab):
    """Does the lab open a work/ copy of every released notebook?"""
    releases = sorted((ROOT / "notebooks").glob("*/*.ipynb"))
    assert releases, "notebooks/ holds no release: run `make release`"
    for nb in releases:
        rel = f"work/{nb.parent.name}/{nb.name}"
        status, body = _get(f"{lab['base']}/api/contents/{rel}")
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook"
        assert model["content"]["cells"], f"{rel} opened empty"
        copy = json.loads((lab["root"] / rel).read_bytes())
        assert copy["cells"] == json.loads(nb.read_bytes())["cells"]


def test_python_kernel_is_available(lab):
    """Is there a Python kernel for the notebooks' kernelspec?"""
    _, body = _get(f"{lab['base']}/api/kernelspecs")
    assert "python3" in json.loads(body)["kernelspecs"]


def test_assignment_list_answers_without_exchange_errors(lab):
    """Do the student panels answer, with no exchange error in the log?"""
    for url, (status, body) in lab["answers"].items():
        assert status == 200, url
        assert json.loads(body)["success"] is True, (url, body[:300])
    assert (lab["root"] / "exchange").is_dir()
    log = (lab["root"] / "lab.log").read_text()
    assert "exchange directory does not exist" not in log
    assert "Unwritable directory" not in log
    assert "ExchangeError" not in log


def _post(url, data):
    req = urllib.request.Request(
        url, data=urllib.parse.urlencode(data).encode(), method="POST",
        headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return resp.status, resp.read()


def test_validate_shows_the_short_failure_block(lab):
    """Does nbgrader's Validate report a wrong answer as the short block?"""
    from nbgrader_course import fill, solution_sources

    name = "01_numerical_derivatives"
    release = nbformat.read(ROOT / "notebooks" / name / f"{name}.ipynb", 4)
    right = solution_sources(nbformat.read(
        ROOT / "solutions" / name / f"{name}.ipynb", 4))
    right["central_difference"] = (
        "def central_difference(f, x, h=1e-5):\n"
        "    return (f(x + h) - f(x - h)) / 2*h\n")
    rel = f"work/{name}/wrong.ipynb"
    nbformat.write(fill(release, right, drop_ungraded_code=True),
                   lab["root"] / rel)
    status, body = _post(f"{lab['base']}/assignments/validate",
                         {"path": rel})
    answer = json.loads(body)
    assert status == 200 and answer["success"] is True, answer
    text = json.dumps(answer["value"], ensure_ascii=False)
    assert "Test failed: Does central_difference compute" in text
    assert "brackets" in text
    assert "course_utils/checks" not in text and "Traceback" not in text


def _disabled(base):
    _, body = _get(f"{base}/lab")
    text = body.decode()
    start = text.index('id="jupyter-config-data"')
    start = text.index("{", start)
    end = text.index("</script>", start)
    return set(json.loads(text[start:end])["disabledExtensions"])


def test_student_lab_hides_instructor_panels(lab):
    """Are Create Assignment and Formgrader off for students?"""
    disabled = _disabled(lab["base"])
    assert set(course_lab.INSTRUCTOR_ONLY) <= disabled
    assert "@jupyter/nbgrader:assignment-list" not in disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    status, _ = _get(f"{lab['base']}/formgrader")
    assert status == 404


def test_instructor_lab_shows_instructor_panels(tmp_path):
    """Does `make instructor` keep every nbgrader panel?"""
    root = _course_copy(tmp_path)
    with open(root / "lab.log", "w") as log:
        proc, base = _start(root, log, "--instructor")
        try:
            disabled = _disabled(base)
            formgrader, _ = _get(f"{base}/formgrader")
        finally:
            _stop(proc)
    assert not disabled & set(course_lab.INSTRUCTOR_ONLY)
    assert formgrader == 200


def test_release_is_not_dirty_on_open():
    """Does each release store what any Python 3.11-3.13 kernel reports,
    less the patch release (which JupyterLab would rewrite)?"""
    info = course_lab.lab_language_info()
    assert info["version"].startswith("3.")
    info.pop("version")
    for path in sorted((ROOT / "notebooks").glob("*/*.ipynb")):
        meta = nbformat.read(path, 4).metadata
        assert meta["language_info"] == info, path.name
        assert meta["kernelspec"] == course_lab.KERNELSPEC, path.name
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        meta = nbformat.read(path, 4).metadata
        assert "version" not in meta.get("language_info", {}), path.name


@pytest.mark.parametrize("version", ["3.11.0", "3.11.2", "3.12.1", "3.13.0"])
def test_work_copy_opens_clean_on_any_python(tmp_path, monkeypatch,
                                             version):
    """Does a work/ copy carry exactly the language_info the student's
    own kernel reports (what JupyterLab writes on open), whatever the
    Python that made the release?"""
    from ipykernel.ipkernel import IPythonKernel
    info = dict(IPythonKernel.language_info, version=version)
    monkeypatch.setattr(IPythonKernel, "language_info", info)
    root = _course_copy(tmp_path)
    copied = course_lab.copy_new_work(root)
    notebooks = [p for p in copied if p.suffix == ".ipynb"]
    assert notebooks
    for path in notebooks:
        meta = json.loads(path.read_bytes())["metadata"]
        assert meta["language_info"] == info, path
        assert meta["kernelspec"] == course_lab.KERNELSPEC
        # nbformat reads it back unchanged: a valid notebook
        nbformat.validate(nbformat.read(path, 4))


# --------------------------------------------------------------------------
# work/: the student's own copies
# --------------------------------------------------------------------------
def test_work_copies_never_overwrite(tmp_path):
    """Are new chapters copied to work/ and a student's edits kept?"""
    root = _course_copy(tmp_path)
    first = course_lab.copy_new_work(root)
    assert first
    mine = first[0]
    mine.write_text("my answers")
    new = root / "notebooks" / "99_new" / "99_new.ipynb"
    new.parent.mkdir()
    new.write_text("{}")
    again = course_lab.copy_new_work(root)
    assert again == [root / "work" / "99_new" / "99_new.ipynb"]
    assert mine.read_text() == "my answers"


def _git(cwd, *args):
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org",
         "-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false",
         *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_pull_after_work_is_clean(tmp_path):
    """Does `git pull` of a new chapter succeed after edits in work/?"""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    _course_copy(upstream)
    shutil.copy(ROOT / ".gitignore", upstream / ".gitignore")
    _git(upstream, "init", "-q")
    _git(upstream, "add", ".")
    _git(upstream, "commit", "-qm", "course")
    _git(tmp_path, "clone", "-q", "--bare", str(upstream), "course.git")
    student = tmp_path / "student"
    _git(tmp_path, "clone", "-q", str(tmp_path / "course.git"), "student")
    # The student's first hour: make lab, then answers typed in work/.
    course_lab.prepare(student)
    for nb in (student / "work").rglob("*.ipynb"):
        nb.write_text(nb.read_text().replace("raise NotImplementedError()",
                                             "return 0.0"))
    assert _git(student, "status", "--porcelain") == ""
    # The instructor publishes a new chapter.
    new = upstream / "notebooks" / "99_new" / "99_new.ipynb"
    new.parent.mkdir()
    new.write_text("{}\n")
    _git(upstream, "add", ".")
    _git(upstream, "commit", "-qm", "chapter 99")
    _git(upstream, "push", "-q", str(tmp_path / "course.git"), "HEAD")
    _git(student, "pull", "-q", "--ff-only")
    assert (student / "notebooks" / "99_new" / "99_new.ipynb").exists()
    edited = next((student / "work").rglob("*.ipynb")).read_text()
    assert "return 0.0" in edited
    course_lab.prepare(student)
    assert (student / "work" / "99_new" / "99_new.ipynb").exists()
    assert _git(student, "status", "--porcelain") == ""
    # What else a student's lab writes stays out of git: an assignment
    # fetched from the exchange lands in COURSE_ID/ at the course root.
    fetched = student / COURSE_ID / "01_numerical_derivatives"
    fetched.mkdir(parents=True)
    (fetched / "01_numerical_derivatives.ipynb").write_text("{}")
    assert _git(student, "status", "--porcelain") == ""
    # The instructor fixes a released chapter the student has started
    # (its release is read-only now): pull works, the student is offered
    # the fix beside their notebook.
    chapter = sorted((upstream / "notebooks").glob("0*/*.ipynb"))[0]
    _change_release(upstream, chapter, "1")
    _git(upstream, "commit", "-qam", "erratum")
    _git(upstream, "push", "-q", str(tmp_path / "course.git"), "HEAD")
    _git(student, "pull", "-q", "--ff-only")
    rel = chapter.relative_to(upstream / "notebooks")
    assert "Erratum 1" in (student / "notebooks" / rel).read_text()
    course_lab.prepare(student)
    assert "return 0.0" in (student / "work" / rel).read_text()
    assert (student / "work" / rel).with_name(
        rel.stem + ".new-release.ipynb").is_file()
    assert _git(student, "status", "--porcelain") == ""


def _change_release(root, chapter_nb, marker):
    """The instructor changes a released chapter (what `git pull` brings)."""
    nb = json.loads(chapter_nb.read_text())
    nb["cells"].insert(0, {"cell_type": "markdown", "id": "fix-" + marker,
                           "metadata": {}, "source": f"Erratum {marker}"})
    chapter_nb.chmod(0o644)
    chapter_nb.write_text(json.dumps(nb, indent=1))


def test_changed_release_is_offered_beside_the_students_copy(tmp_path,
                                                             capsys):
    """When a started chapter gets a newer release, is the student told,
    their notebook kept byte for byte, and the new release put beside it;
    an untouched chapter simply updated?"""
    root = _course_copy(tmp_path)
    course_lab.prepare(root)
    capsys.readouterr()
    started, untouched = sorted((root / "work").glob("*/*.ipynb"))[:2]
    nb = json.loads(started.read_text())
    nb["cells"][-1]["source"] = "my answer"
    started.write_text(json.dumps(nb, indent=1))
    mine = started.read_bytes()
    # Nothing changed upstream: nothing is offered.
    course_lab.prepare(root)
    assert "newer version" not in capsys.readouterr().out
    assert not list((root / "work").rglob("*.new-release.ipynb"))
    for path in (started, untouched):
        _change_release(root, root / "notebooks" /
                        path.relative_to(root / "work"), "1")
    course_lab.prepare(root)
    out = capsys.readouterr().out
    beside = started.with_name(started.stem + ".new-release.ipynb")
    assert "newer version" in out and beside.name in out
    assert str(started.relative_to(root / "work")) in out
    assert started.read_bytes() == mine
    assert json.loads(beside.read_text())["cells"][0]["source"] == \
        "Erratum 1"
    assert json.loads(untouched.read_text())["cells"][0]["source"] == \
        "Erratum 1"
    assert "updated in work/" in out and untouched.name in out
    assert not untouched.with_name(
        untouched.stem + ".new-release.ipynb").exists()
    # Run again: the same offer, nothing rewritten, no new files.
    before = sorted((root / "work").rglob("*"))
    stamp = beside.stat().st_mtime_ns
    course_lab.prepare(root)
    assert "newer version" in capsys.readouterr().out
    assert sorted((root / "work").rglob("*")) == before
    assert beside.stat().st_mtime_ns == stamp
    # The student starts the offered copy; a second erratum keeps it too.
    nb = json.loads(beside.read_text())
    nb["cells"][-1]["source"] = "my new answer"
    beside.write_text(json.dumps(nb, indent=1))
    kept = beside.read_bytes()
    _change_release(root, root / "notebooks" /
                    started.relative_to(root / "work"), "2")
    course_lab.prepare(root)
    assert beside.read_bytes() == kept and started.read_bytes() == mine
    second = list(started.parent.glob(started.stem + ".new-release-*"))
    assert len(second) == 1
    assert json.loads(second[0].read_text())["cells"][0]["source"] == \
        "Erratum 2"


def test_student_lab_makes_the_release_read_only(tmp_path):
    """Does `make lab` leave notebooks/ read-only (the student works in
    work/, and an edited release would block `git pull`)?"""
    root = _course_copy(tmp_path)
    course_lab.prepare(root)
    released = list((root / "notebooks").rglob("*.ipynb"))
    assert released
    assert all(not p.stat().st_mode & 0o222 for p in released)
    assert all(p.stat().st_mode & 0o200
               for p in (root / "work").rglob("*.ipynb"))


def test_release_identity_ignores_how_sources_and_metadata_are_saved():
    """Is a copy saved by JupyterLab (sources as one string or as lines,
    other kernel info) still the same release, and an edit not?"""
    lines = {"cells": [{"cell_type": "code", "source": ["a = 1\n", "b"]}],
             "metadata": {"language_info": {"version": "3.11.2"}}}
    text = {"cells": [{"cell_type": "code", "source": "a = 1\nb"}],
            "metadata": {"language_info": {"version": "3.13.0"}}}
    edited = {"cells": [{"cell_type": "code", "source": "a = 2\nb"}]}
    digest = course_lab.release_digest
    assert digest(json.dumps(lines).encode()) == \
        digest(json.dumps(text).encode())
    assert digest(json.dumps(edited).encode()) != \
        digest(json.dumps(text).encode())
