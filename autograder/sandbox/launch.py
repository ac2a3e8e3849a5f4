"""Start the `rlimits` kernel as the private uid, whatever the folders.

Without bubblewrap there are no mounts, so a kernel that drops to its
private uid (the grader runs as root) must reach the Python environment
and the grader's packages through the real file system.  In a Docker
container, under /root or below any folder of mode 0700 it cannot: the
kernel used to die before answering.  Opening those folders to the uid
(chmod) would open the course with them.

This launcher runs as root, after ``prlimit``: it opens each folder the
kernel needs (the interpreter's installation, the environment's
site-packages, the ``autograder`` and ``course_utils`` packages) as a
file descriptor, drops to the private uid, and reaches every folder the
uid cannot traverse through ``/proc/self/fd/N``, which the kernel
inherits.  Path walks through such a descriptor start at the folder
itself, so nothing above it (the course, its solutions, the gradebook)
becomes reachable.  A small virtual environment made of symlinks, owned
by root in the grader's IPC folder (which the uid cannot write: nothing
written here as root lies below a folder the kernel could change), ties
these together so the kernel runs with the same ``sys.path`` as under
bubblewrap.  Last, where the kernel has Landlock, the launcher confines
the uid to those folders, its working copy and its run folder
(``confine``): the course and the shared temporary folders are out of
its reach.

Usage (built by ``autograder.sandbox.isolation.kernel_command``)::

    python -m autograder.sandbox.launch --uid UID --env DIR --base PREFIX
        --python REL [--site DIR]... [--pkg NAME=DIR]...
        [--read DIR]... [--write DIR]... -- ARGV...

``--probe`` instead of ``-- ARGV`` imports what a kernel imports and
exits 0, or prints what the uid cannot read and exits 3.
"""
import argparse
import ctypes
import os
import shutil
import signal
import stat
import sys

from autograder.kernel import landlock

# Loaded while still root: the uid may not reach the standard library.
LIBC = ctypes.CDLL(None, use_errno=True)

CANNOT = 3


def _open(path):
    """An inheritable O_PATH descriptor of a folder (None if missing)."""
    try:
        fd = os.open(path, os.O_PATH | os.O_DIRECTORY)
    except OSError:
        return None
    os.set_inheritable(fd, True)
    return fd


def _reach(path, fd):
    """The path the private uid uses for ``path``: the path itself when
    it can traverse to it, else the inherited descriptor."""
    if os.access(path, os.R_OK | os.X_OK):
        return path
    return f"/proc/self/fd/{fd}"


def _owned_by_us(folder):
    """Is ``folder`` a real folder of ours that no other uid can write?
    (The environment is rewritten as root: below a folder the kernel's
    uid could write, a link put there would be followed.)"""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and \
        not st.st_mode & 0o022


def build_env(args):
    """Open every folder the kernel needs and make the (root-owned,
    empty) environment folder; return the descriptors."""
    parent = os.path.dirname(os.path.abspath(args.env))
    if not _owned_by_us(parent):
        raise SystemExit(f"autograder.sandbox.launch: {parent} may be written by "
                         "others; refusing to build the kernel's "
                         "environment there")
    if os.path.islink(args.env) or (os.path.lexists(args.env) and
                                    not os.path.isdir(args.env)):
        os.unlink(args.env)
    shutil.rmtree(args.env, ignore_errors=True)
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    fds = {"base": _open(args.base)}
    sites = [(s, _open(s)) for s in args.site]
    pkgs = [(name, path, _open(path)) for name, path in
            (p.split("=", 1) for p in args.pkg)]
    os.mkdir(args.env, 0o755)
    for sub in ("bin", "lib", os.path.join("lib", version), "pkgs"):
        os.mkdir(os.path.join(args.env, sub), 0o755)
    os.chmod(args.env, 0o755)
    return fds, sites, pkgs, version


def link_env(args, fds, sites, pkgs, version):
    """With the real uid already the kernel's (so ``os.access`` answers
    for it): point the environment's symlinks at reachable paths.

    Returns (interpreter path, PYTHONPATH entries, unreadable paths).
    """
    missing = []
    base = _reach(args.base, fds["base"])
    python = os.path.join(base, args.python)
    if not os.access(python, os.X_OK):
        missing.append(os.path.join(args.base, args.python))
    env_bin = os.path.join(args.env, "bin", "python")
    os.symlink(python, env_bin)
    fd = os.open(os.path.join(args.env, "pyvenv.cfg"),
                 os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w") as cfg:
        cfg.write(f"home = {os.path.dirname(python)}\n"
                  "include-system-site-packages = false\n")
    paths = [os.path.join(args.env, "pkgs")]
    for i, (site, fd) in enumerate(sites):
        where = _reach(site, fd)
        if not os.access(where, os.R_OK | os.X_OK):
            missing.append(site)
        if i == 0:  # the environment's own: its .pth files apply
            os.symlink(where, os.path.join(args.env, "lib", version,
                                           "site-packages"))
        else:
            paths.append(where)
    for name, path, fd in pkgs:
        where = _reach(path, fd)
        if not os.access(where, os.R_OK | os.X_OK):
            missing.append(path)
        os.symlink(where, os.path.join(args.env, "pkgs", name))
    return env_bin, paths, missing


# Devices a kernel uses: read (and /dev/null written); /dev/shm is not
# among them.
DEVICES = {"/dev/null": landlock.READ_FILE | landlock.WRITE_FILE |
           landlock.TRUNCATE,
           "/dev/zero": landlock.READ_FILE,
           "/dev/random": landlock.READ_FILE,
           "/dev/urandom": landlock.READ_FILE}
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc",
          "/proc", "/sys/devices/system/cpu", "/sys/fs/cgroup")


def confine(args, fds, sites, pkgs):
    """Landlock the kernel: read the system, the environment and the
    packages (through the launcher's descriptors); write only the
    ``--write`` folders.  Everything else (the course, other
    students' folders, /tmp, /var/tmp, /dev/shm) is out of reach.
    Returns the Landlock ABI used (0: not available here)."""
    rules = landlock.Ruleset(landlock.all_fs_rights(7))
    if not rules.abi:
        return 0
    for path in SYSTEM:
        rules.allow(path, landlock.READ)
    for path, rights in DEVICES.items():
        rules.allow(path, rights)
    for fd in [fds["base"]] + [fd for _, fd in sites] + \
            [fd for _, _, fd in pkgs]:
        if fd is not None:
            rules.allow(fd, landlock.READ)
    for path in [args.env] + list(args.read):
        rules.allow(path, landlock.READ)
    for path in args.write:
        rules.allow(path, landlock.all_fs_rights(rules.abi))
    return rules.abi if rules.restrict() else 0


def _die_with_parent(parent):
    """Kill the kernel when its grading worker dies (kill -9 included),
    as bubblewrap's --die-with-parent does.  Set after the uid change,
    which clears it, and kept across exec."""
    try:
        LIBC.prctl(1, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the worker died already
        os._exit(CANNOT)


def parse(argv):
    parser = argparse.ArgumentParser(prog="autograder.sandbox.launch")
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--env", required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--site", action="append", default=[])
    parser.add_argument("--pkg", action="append", default=[])
    parser.add_argument("--read", action="append", default=[])
    parser.add_argument("--write", action="append", default=[])
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.argv[:1] == ["--"]:
        args.argv = args.argv[1:]
    return args


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    fds, sites, pkgs, version = build_env(args)
    uid = args.uid
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, 0, 0)  # real uid first: os.access checks it
    env_bin, paths, missing = link_env(args, fds, sites, pkgs, version)
    parent = os.getppid()
    os.setresuid(uid, uid, uid)
    _die_with_parent(parent)
    confine(args, fds, sites, pkgs)
    if missing:
        print("the grading kernel's private uid cannot read: "
              + ", ".join(missing), file=sys.stderr)
        return CANNOT
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONNOUSERSITE"] = "1"
    if args.probe:
        argv = [env_bin, "-c", "import ipykernel, numpy, autograder.kernel.grading_kernel"]
    else:
        argv = [env_bin] + args.argv[1:]
    try:
        os.execve(env_bin, argv, env)
    except OSError as err:
        print(f"cannot start the kernel's Python: {err}", file=sys.stderr)
        return CANNOT


if __name__ == "__main__":
    sys.exit(main())
