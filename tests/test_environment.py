"""Do the three ways of installing the course name the same packages?

pyproject.toml holds the loose bounds, requirements.lock the exact pins
that `make` and CI install, and environment.yml (conda, Binder) must
install that same lock.  conda is out of reach on the course machines, so
these tests are what keep the files from drifting apart.
"""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _lock():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, version = line.partition("==")
        assert version, f"requirements.lock: {line!r} is not pinned with =="
        pins[canonicalize_name(name)] = Version(version)
    return pins


def _pyproject():
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]


def test_lock_satisfies_every_declared_dependency():
    """Does requirements.lock pin each runtime and test dependency in range?"""
    project = _pyproject()
    pins = _lock()
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    for spec in map(Requirement, wanted):
        name = canonicalize_name(spec.name)
        assert name in pins, f"{spec.name} is declared but not locked"
        assert spec.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {spec.name}=={pins[name]}, "
            f"outside pyproject's {spec.specifier}"
        )


def test_lock_does_not_pin_benchmark_only_packages():
    """Is torch kept out of what students and CI install?"""
    assert "torch" not in _lock()


def test_environment_yml_installs_the_same_set():
    """Does environment.yml install Python 3.11 plus the lock and project?"""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    assert "pip" in deps
    pip_lines = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-r requirements.lock" in pip_lines
    assert any(re.fullmatch(r"-e \.(\[test\])?", x) for x in pip_lines)
    conda_pkgs = [d for d in deps if isinstance(d, str)]
    assert sorted(conda_pkgs) == ["pip", "python=3.11"], (
        "environment.yml must install packages through the lock only, "
        "or the conda and pip installs drift apart"
    )


def test_python_requirement_matches_nbgrader():
    """Does the project ask for the Python that nbgrader 0.9 needs?"""
    assert _pyproject()["requires-python"] == ">=3.11"
    assert sys.version_info >= (3, 11)


# The Pythons the course promises (README), from the oldest 3.11 to the
# newest the lock has wheels for: every pinned release must accept them,
# or `make venv` fails there.
SUPPORTED_PYTHONS = ("3.11.0", "3.11.2", "3.11.14", "3.12.0", "3.13.0",
                     "3.14.0")


def test_every_pin_installs_on_every_supported_python():
    """Does each locked release's Requires-Python admit every Python from
    3.11.0 (Debian 12 has 3.11.2) to 3.14?"""
    from importlib.metadata import PackageNotFoundError, metadata
    from packaging.specifiers import SpecifierSet
    refused = []
    for name, version in _lock().items():
        try:
            meta = metadata(name)
        except PackageNotFoundError:  # not installed here: cannot tell
            continue
        assert Version(meta["Version"]) == version, name
        spec = SpecifierSet(meta.get("Requires-Python") or "")
        refused += [f"{name}=={version} (Requires-Python {spec}) refuses "
                    f"Python {py}" for py in SUPPORTED_PYTHONS
                    if not spec.contains(py)]
    assert not refused, "\n".join(refused)


def test_installed_versions_match_the_lock():
    """Is this test run using exactly the locked versions?"""
    from importlib.metadata import version
    pins = _lock()
    for name in ("nbgrader", "jupyterlab", "numpy", "ipywidgets", "nbval"):
        assert Version(version(name)) == pins[canonicalize_name(name)]


def test_lab_extensions_are_enabled():
    """Will `make lab` show the nbgrader and ipywidgets extensions?"""
    bindir = Path(sys.executable).parent
    out = subprocess.run(
        [bindir / "jupyter", "labextension", "list"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    text = out.stdout + out.stderr
    for ext in ("@jupyter-widgets/jupyterlab-manager", "nbgrader"):
        line = next((x for x in text.splitlines() if ext in x), "")
        assert "enabled" in line and "OK" in line, (
            f"JupyterLab extension {ext} is not enabled:\n{text}"
        )
    out = subprocess.run(
        [bindir / "jupyter", "server", "extension", "list"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    assert re.search(r"nbgrader\.server_extensions\.formgrader\s+enabled",
                     text), f"nbgrader's server extension is off:\n{text}"
