"""Does `make lab` serve the course as a student would meet it?

Starts the same JupyterLab command the Makefile runs (without a browser,
on a free local port), then asks its REST API for the release notebooks
and for the nbgrader assignment-list extension.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "course-test-token"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    req = urllib.request.Request(
        url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port = _free_port()
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path_factory.mktemp("runtime"))
    proc = subprocess.Popen(
        [Path(sys.executable).parent / "jupyter", "lab", "--no-browser",
         "--ServerApp.root_dir=.", "--LabApp.default_url=/lab/tree/notebooks",
         f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", "--ServerApp.open_browser=False",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            _get(f"{base}/api/status")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("JupyterLab did not start within 60 s")
            time.sleep(0.3)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_lab_page_is_served(lab):
    """Does the JupyterLab page load?"""
    status, body = _get(f"{lab}/lab")
    assert status == 200 and b"JupyterLab" in body


def test_release_notebooks_open(lab):
    """Can every released notebook be opened through the contents API?"""
    notebooks = sorted((ROOT / "notebooks").glob("*/*.ipynb"))
    assert notebooks, "notebooks/ holds no release: run `make release`"
    for nb in notebooks:
        rel = nb.relative_to(ROOT).as_posix()
        status, body = _get(f"{lab}/api/contents/{rel}")
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook"
        assert model["content"]["cells"], f"{rel} opened empty"


def test_python_kernel_is_available(lab):
    """Is there a Python kernel for the notebooks' kernelspec?"""
    _, body = _get(f"{lab}/api/kernelspecs")
    assert "python3" in json.loads(body)["kernelspecs"]


def test_nbgrader_assignment_list_is_active(lab):
    """Is nbgrader's student extension answering inside the lab?"""
    status, _ = _get(f"{lab}/assignments?course_id=nn-from-the-derivative-up")
    assert status == 200
