"""Build the command that starts a grading kernel inside a sandbox.

Two isolation levels, best first:

``bwrap``
    bubblewrap gives the kernel fresh network, PID, IPC and UTS
    namespaces and a root file system made only of read-only system
    directories, the Python environment, the course package and the
    submission's own working copy.  When the grader runs as root the
    kernel also drops to a private, unprivileged uid.
``rlimits``
    resource limits and (as root) a private uid only: no file system or
    network isolation.  Used where bubblewrap or namespaces are missing.

Either way ``prlimit`` caps memory, file size, processes and open files.
"""
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil

KERNEL_MODULE = "autograder.kernel"
# Directories every kernel needs, mounted read-only when they exist.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
UID_BASE = 200_000


def sandbox_uid():
    """Return a uid no other live grading kernel uses (root only)."""
    return UID_BASE + os.getpid() if os.geteuid() == 0 else None


@functools.lru_cache(maxsize=None)
def bwrap_works():
    """Can bubblewrap start a namespaced process on this machine?"""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False
    # The same options the real sandbox uses, so that an older bwrap
    # missing one of them falls back instead of failing every kernel.
    args = [bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent",
            "--new-session", "--clearenv", "--ro-bind", "/", "/",
            "--size", "1048576", "--perms", "1777", "--tmpfs", "/tmp",
            "--perms", "0755", "--dir", "/tmp/probe"]
    if os.geteuid() != 0:
        args.append("--unshare-user")
    else:
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    try:
        done = subprocess.run(args + ["true"], capture_output=True,
                              timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def choose_isolation(requested="auto"):
    """Return the isolation level to use: ``bwrap`` or ``rlimits``."""
    if requested not in ("auto", "bwrap", "rlimits"):
        raise ValueError(f"unknown isolation level {requested!r}")
    if requested == "rlimits":
        return "rlimits"
    if bwrap_works():
        return "bwrap"
    if requested == "bwrap":
        raise RuntimeError(
            "isolation 'bwrap' was requested but bubblewrap cannot start "
            "a sandbox here: install it (apt-get install bubblewrap) and "
            "allow user namespaces, or set c.Sandbox.isolation = 'auto'")
    return "rlimits"


def package_dir(name):
    """Return the directory of an importable package, or None."""
    try:
        module = __import__(name)
    except ImportError:
        return None
    return Path(module.__file__).resolve().parent


def _ancestors(path):
    """Yield the parents of ``path`` from the top down, '/' excluded."""
    for parent in reversed(Path(path).parents):
        if str(parent) != "/":
            yield str(parent)


def _mount(args, made, flag, src, dest):
    """Append a bind mount, creating world-readable parent dirs first."""
    for parent in _ancestors(dest):
        if parent not in made:
            args += ["--perms", "0755", "--dir", parent]
            made.add(parent)
    args += [flag, str(src), str(dest)]
    made.add(str(dest))


def python_dirs():
    """Return the directories the kernel's Python needs, read-only."""
    dirs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    dirs.add(Path(os.path.realpath(sys.executable)).parent.parent)
    for name in ("course_utils",):
        found = package_dir(name)
        if found is not None:
            dirs.add(found)
    # Nested directories are covered by their parent's bind mount.
    return sorted(d for d in dirs
                  if not any(p in dirs for p in d.parents))


def kernel_env(workdir, limits):
    """Return the kernel's whole environment (nothing is inherited)."""
    return {
        "HOME": str(workdir),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONPATH": "/opt/autograder",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONSAFEPATH": "1",
        "IPYTHONDIR": "/tmp/.ipython",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/.matplotlib",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _user_tasks():
    """Count the processes and threads the current user runs now."""
    uid, count = os.getuid(), 0
    for proc in psutil.process_iter(["uids", "num_threads"]):
        uids, threads = proc.info["uids"], proc.info["num_threads"]
        if uids is not None and uids.real == uid:
            count += threads or 1
    return count


def nproc_limit(limits):
    """RLIMIT_NPROC for a kernel: it counts every task of the kernel's
    real uid.  As root the kernel gets a private uid, so the limit is
    the kernel's own; otherwise the kernel shares the grader's uid with
    everything the instructor runs (a desktop runs hundreds of threads),
    so the allowance comes on top of what that uid runs already."""
    if sandbox_uid() is not None:
        return limits.max_processes
    return _user_tasks() + limits.max_processes


def prlimit_prefix(limits):
    """Return the ``prlimit`` command that applies the resource limits."""
    mb = 1024 * 1024
    cpu = int(limits.notebook_timeout) + 5
    return [
        shutil.which("prlimit") or "prlimit",
        f"--as={limits.memory_mb * mb}",
        f"--fsize={limits.file_size_mb * mb}",
        f"--nproc={nproc_limit(limits)}",
        f"--nofile={limits.max_open_files}",
        f"--cpu={cpu}",
        "--core=0",
        "--",
    ]


def drop_privileges(uid):
    """Return the ``setpriv`` command that switches to ``uid``."""
    if uid is None:
        return []
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}",
            "--clear-groups", "--"]


def bwrap_args(workdir, ipcdir, env, limits, uid):
    """Return the bubblewrap arguments for one kernel."""
    args = [shutil.which("bwrap"), "--unshare-net", "--unshare-pid",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv"]
    if uid is None:
        args.append("--unshare-user")
    else:
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    made = set()
    for path in SYSTEM_DIRS:
        if os.path.isdir(path) and not os.path.islink(path):
            _mount(args, made, "--ro-bind", path, path)
        elif os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(limits.tmp_size_mb * 1024 * 1024),
             "--perms", "1777", "--tmpfs", "/tmp"]
    made.add("/tmp")
    for path in python_dirs():
        _mount(args, made, "--ro-bind", path, path)
    _mount(args, made, "--ro-bind", Path(__file__).resolve().parent,
           "/opt/autograder/autograder")
    # The grader's own course_utils, first on the kernel's sys.path, so
    # the kernel imports exactly what this grader trusts.
    course_utils = package_dir("course_utils")
    if course_utils is not None:
        _mount(args, made, "--ro-bind", course_utils,
               "/opt/autograder/course_utils")
    _mount(args, made, "--bind", workdir, workdir)
    _mount(args, made, "--bind", ipcdir, ipcdir)
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += ["--chdir", str(workdir), "--"]
    return args


def kernel_command(isolation, workdir, ipcdir, connection_file, limits,
                   uid):
    """Return (argv, env, cwd) that start one sandboxed kernel."""
    env = kernel_env(workdir, limits)
    # -P: no script or working directory on sys.path, so a file the
    # submission writes cannot replace the kernel (issue 14).
    kernel = [sys.executable, "-P", "-m", KERNEL_MODULE, "-f",
              str(connection_file), "--quiet",
              "--HistoryManager.enabled=False"]
    argv = prlimit_prefix(limits)
    if isolation == "bwrap":
        argv += bwrap_args(workdir, ipcdir, env, limits, uid)
        argv += drop_privileges(uid) + kernel
        return argv, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, \
            str(workdir)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    env["IPYTHONDIR"] = str(Path(ipcdir) / ".ipython")
    env["MPLCONFIGDIR"] = str(Path(ipcdir) / ".matplotlib")
    return argv + drop_privileges(uid) + kernel, env, str(workdir)


def pids_of_uid(uid):
    """PIDs of the processes owned by ``uid`` (one stat per process)."""
    pids = []
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:  # the process just ended
                continue
    return pids


def kill_strays(uid, keep=()):
    """Kill every process of ``uid`` except ``keep``; return how many."""
    if uid is None:
        return 0
    killed = 0
    for pid in pids_of_uid(uid):
        if pid in keep:
            continue
        try:
            psutil.Process(pid).kill()
            killed += 1
        except psutil.Error:
            continue
    return killed
