"""A class environment every Unix account can run, and the accounts.

A graded class runs the course's Python as several users (an instructor,
students, JupyterHub's spawned servers).  The instructor's own ``.venv``
is no good for that: it sits in a private checkout (CI clones into a
``mktemp -d`` folder, mode 0700) and is installed editable, so importing
the course reads the checkout.  docs/instructors.md ("The class
environment") installs the class environment for real: a venv in
``/opt`` made from a Python in ``/usr``, the course installed into it
(not editable), everything world-readable.  ``build_class_env`` follows
that recipe as far as a test can without the network, in seconds:

1. the test run's venv is copied into a world-readable folder outside
   the checkout, as hard links where the file system allows (files are
   never changed in place: a rewritten file is a new one);
2. its scripts' ``#!`` lines and activation scripts name the copy;
3. the course's packages are installed into the copy as a non-editable
   install leaves them (``_install_course``): no path into the
   checkout is left;
4. where the venv's base interpreter lies below a folder other users
   cannot enter (a Python under ``/root/.pyenv``, ``/root`` being
   0700), a Unix group made for the run gets search permission (an
   ACL entry, ``setfacl``) on exactly those folders, and loses it
   after, leaving each folder's ACL as it was.  A class installed by
   the recipe needs no such grant (its Python is in ``/usr``).

``why_not()`` names what this machine lacks (root, useradd, setfacl) so
the tests that need this skip with the reason.
"""
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograder", "course_utils")


def why_not():
    """Why this machine cannot create class accounts, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "creating Unix accounts needs root"
    for tool in ("useradd", "userdel", "groupadd", "groupdel", "runuser"):
        if shutil.which(tool) is None:
            return f"needs {tool} (Debian package passwd / util-linux)"
    if _closed_dirs(_base_dirs()) and shutil.which("setfacl") is None:
        return ("the course's Python lies below a folder other users "
                "cannot enter, and granting them passage needs setfacl "
                "(apt-get install acl; .ci/run does this as root)")
    return None


def _base_dirs():
    """The folders of the venv's base interpreter (its prefix and the
    folder of the shared library it loads)."""
    dirs = {os.path.realpath(sys.base_prefix)}
    libdir = os.path.realpath(os.path.join(sys.base_prefix, "lib"))
    dirs.add(libdir)
    return sorted(dirs)


def _closed_dirs(paths):
    """Every folder on the way to ``paths`` (themselves included) that a
    user outside its owner and group cannot search."""
    closed = []
    for path in paths:
        path = Path(path)
        for folder in [*reversed(path.parents), path]:
            try:
                mode = os.stat(folder).st_mode
            except OSError:
                continue
            if not mode & stat.S_IXOTH and str(folder) not in closed:
                closed.append(str(folder))
    return closed


def _rewrite(path, old, new):
    """Replace ``old`` by ``new`` in a text file, as a new file (the old
    one may be a hard link to the instructor's)."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if old.encode() not in data or b"\0" in data[:1024]:
        return False
    mode = path.stat().st_mode
    path.unlink()
    path.write_bytes(data.replace(old.encode(), new.encode()))
    path.chmod(stat.S_IMODE(mode))
    return True


class ClassEnv:
    """A class environment under ``base`` and the group allowed to run
    it.  ``python``/``bin`` are the environment's; ``add_user`` makes an
    account in the group; ``close()`` removes accounts, grant and files.
    """

    def __init__(self, base=None):
        self.tag = secrets.token_hex(3)
        self.base = Path(base or tempfile.mkdtemp(prefix="course-class-"))
        self.base.chmod(0o755)
        self.prefix = self.base / "venv"
        self.bin = self.prefix / "bin"
        self.python = self.bin / "python"
        self.group = f"cg{self.tag}"
        self.granted = []  # folders given an entry for self.group
        self.users = []
        self.groups = []

    # ------------------------------------------------------------ building
    def build(self):
        """Copy the venv, point it at itself, install the course."""
        src = Path(sys.prefix)
        # coreutils' cp: hard links (a tenth of the time of Python's
        # copytree), copies where the file system cannot link.
        done = subprocess.run(["cp", "-a", "--link", f"{src}/.",
                               str(self.prefix)], capture_output=True)
        if done.returncode != 0:
            shutil.rmtree(self.prefix, ignore_errors=True)
            subprocess.run(["cp", "-a", f"{src}/.", str(self.prefix)],
                           check=True, capture_output=True)
        # The scripts' #! lines, and pyvenv.cfg's record of the command
        # that made the venv (Python 3.11+ writes it).
        for path in [*self.bin.iterdir(), self.prefix / "pyvenv.cfg"]:
            if path.is_file() and not path.is_symlink():
                _rewrite(path, str(src), str(self.prefix))
        self._install_course()
        self._open_to_all()
        return self

    def _install_course(self):
        """Put the course's packages into the environment the way a
        non-editable ``pip install .`` leaves them: their files in
        site-packages, the project's metadata and console script kept,
        setuptools' editable hook (it imports from the checkout) gone.

        pip itself would have to build a wheel, which needs setuptools
        70.1+ or ``wheel`` in an isolated build environment fetched from
        the network (52 s here under load); the course is pure Python,
        so its files are copied as the wheel would install them."""
        site = Path(subprocess.run(
            [self.python, "-c", "import sysconfig; "
             "print(sysconfig.get_path('purelib'))"],
            capture_output=True, text=True, check=True,
            timeout=120).stdout.strip())
        for hook in [*site.glob("__editable__*nn_from_the_derivative_up*"),
                     *site.glob("nn_from_the_derivative_up*.dist-info/"
                                "direct_url.json")]:
            hook.unlink()
        for name in PACKAGES:
            shutil.copytree(ROOT / name, site / name,
                            ignore=shutil.ignore_patterns("__pycache__",
                                                          "*.pyc"))
        # Students cannot write __pycache__ here: compile once, as pip does.
        subprocess.run([self.python, "-m", "compileall", "-q",
                        *[str(site / name) for name in PACKAGES]],
                       check=True, capture_output=True, timeout=300)

    def _open_to_all(self):
        """``chmod -R a+rX``, without touching the instructor's files
        through a hard link: a file others cannot read becomes a copy."""
        for root, dirs, files in os.walk(self.prefix):
            for name in dirs:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    os.chmod(path, os.stat(path).st_mode | 0o555)
            for name in files:
                path = os.path.join(root, name)
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode):
                    continue
                mode = st.st_mode | 0o444
                if st.st_mode & 0o111:
                    mode |= 0o111
                if stat.S_IMODE(mode) != stat.S_IMODE(st.st_mode):
                    shutil.copy2(path, path + ".copy")
                    os.replace(path + ".copy", path)
                    os.chmod(path, stat.S_IMODE(mode))

    def leaks(self):
        """Files of the environment that still point into the checkout
        (scripts, .pth files, the venv's configuration)."""
        found = []
        needle = str(ROOT).encode()
        site = [p for p in self.prefix.glob("lib/python*/site-packages")]
        candidates = [*self.bin.iterdir(), self.prefix / "pyvenv.cfg"]
        for folder in site:
            candidates += list(folder.glob("*.pth"))
            candidates += list(folder.glob("__editable__*"))
        for path in candidates:
            try:
                if path.is_file() and needle in path.read_bytes():
                    found.append(str(path))
            except OSError:
                pass
        return found

    # ------------------------------------------------ accounts and grants
    def add_group(self, name):
        subprocess.run(["groupadd", name], check=True, capture_output=True,
                       timeout=60)
        self.groups.append(name)
        return name

    def grant(self):
        """Let the class group search the folders on the way to the base
        interpreter that others cannot search (none in a real class)."""
        self.add_group(self.group)
        for folder in _closed_dirs(_base_dirs()):
            self.granted.append(folder)
            subprocess.run(["setfacl", "-m", f"g:{self.group}:x", folder],
                           check=True, capture_output=True, timeout=60)
        return self

    def revoke(self):
        """Take the grant back: remove this group's entry, and the ACL
        itself once no named entry is left (another run's may be), so
        the folder is as it was (an ACL holding only a mask means
        nothing, and none is made by hand)."""
        for folder in self.granted:
            subprocess.run(["setfacl", "-x", f"g:{self.group}", folder],
                           capture_output=True, timeout=60)
            listing = subprocess.run(
                ["getfacl", "-c", "-p", folder], capture_output=True,
                text=True, timeout=60).stdout
            named = [line for line in listing.splitlines()
                     if line.startswith(("user:", "group:"))
                     and line.split(":")[1]]
            if not named:
                subprocess.run(["setfacl", "-b", folder],
                               capture_output=True, timeout=60)
        self.granted = []

    def add_user(self, name, home, groups=()):
        """A Unix account in the class group (and ``groups``); the
        caller removes it with ``remove_users``."""
        subprocess.run(
            ["useradd", "--create-home", "--home-dir", str(home),
             "--user-group", "--shell", "/bin/sh",
             "--groups", ",".join([self.group, *groups]), name],
            check=True, capture_output=True, timeout=60)
        self.users.append(name)
        return name

    def remove_users(self, users=None):
        """Delete the accounts (default: all); fail if one is left."""
        users = list(self.users if users is None else users)
        for user in users:
            subprocess.run(["userdel", "--remove", "--force", user],
                           capture_output=True, timeout=60)
            subprocess.run(["groupdel", user], capture_output=True,
                           timeout=60)
        left = []
        for user in users:
            try:
                pwd.getpwnam(user)
                left.append(user)
            except KeyError:
                if user in self.users:
                    self.users.remove(user)
        assert not left, f"could not remove the accounts {left}"

    def close(self):
        try:
            self.remove_users()
        finally:
            self.revoke()
            for group in self.groups:
                subprocess.run(["groupdel", group], capture_output=True,
                               timeout=60)
            self.groups = []
            shutil.rmtree(self.base, ignore_errors=True)

    def run_as(self, user, args, cwd, env, timeout=300):
        """Run ``args`` as ``user`` with exactly ``env``."""
        return subprocess.run(
            ["runuser", "-u", user, "--", "env", "-i",
             *[f"{k}={v}" for k, v in env.items()], *map(str, args)],
            cwd=cwd, capture_output=True, text=True, timeout=timeout)
