"""Build the command that starts a grading kernel inside a sandbox.

Two isolation levels, best first:

``bwrap``
    bubblewrap gives the kernel fresh network, PID, IPC and UTS
    namespaces and a root file system made only of read-only system
    directories, the Python environment, the course package and the
    submission's own working copy.  When the grader runs as root the
    kernel also drops to a private, unprivileged uid.
``rlimits``
    resource limits and (as root) a private uid; where Linux has
    Landlock, the launcher confines that uid's file system access to
    what the kernel needs (autograder.sandbox.launch.confine).  No network
    isolation.  Used where bubblewrap or namespaces are missing.
    As root the kernel starts through ``autograder.sandbox.launch``, which lets
    the private uid reach the environment and the grader's packages even
    below folders it cannot traverse (a course under /root, a 0700
    folder), without opening anything else to it.

Either way ``prlimit`` caps memory, file size, processes and open files.
"""
import functools
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import psutil

KERNEL_MODULE = "autograder.kernel"
# The autograder package (the kernel imports autograder.kernel and
# autograder.protocol from it, read-only).
AUTOGRADER = Path(__file__).resolve().parent.parent
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
    """Return the isolation level to use: ``bwrap`` or ``rlimits``.

    ``AUTOGRADER_ISOLATION`` (auto, bwrap or rlimits) in the environment
    overrides an ``auto`` setting, e.g. to test the fallback on a machine
    that has bubblewrap.
    """
    if requested == "auto":
        requested = os.environ.get("AUTOGRADER_ISOLATION") or "auto"
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
    """Return the directories the kernel's Python needs, read-only.

    ``course_utils`` is not among them: the kernel imports the grader's
    copy from /opt/autograder, its only copy in the sandbox, so that the
    kernel can make the forbidden reference modules' files unreadable
    (autograder.landlock.hide_files) without a second copy elsewhere."""
    dirs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    dirs.add(Path(os.path.realpath(sys.executable)).parent.parent)
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
        # joblib (imported with scikit-learn) probes for process-shared
        # semaphores, which the sandbox has none of, and says so on
        # stderr: a test cell that imports it would fail under nbgrader's
        # rule.  The kernel has one core's worth of processes anyway.
        "JOBLIB_MULTIPROCESSING": "0",
        # glibc reserves 64 MB of address space per thread's malloc arena;
        # the kernel's threads would take ~860 MB of memory_mb before any
        # student code runs (~340 MB with two arenas).
        "MALLOC_ARENA_MAX": "2",
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
    _mount(args, made, "--ro-bind", AUTOGRADER, "/opt/autograder/autograder")
    # The grader's own course_utils, first on the kernel's sys.path, so
    # the kernel imports exactly what this grader trusts.
    course_utils = package_dir("course_utils")
    if course_utils is not None:
        _mount(args, made, "--ro-bind", course_utils,
               "/opt/autograder/course_utils")
    _mount(args, made, "--bind", workdir, workdir)
    # The IPC folder is the grader's: read-only inside, but for the
    # kernel's run folder and matplotlib's (so that, without root too,
    # no link the kernel makes there is ever followed by the grader).
    _mount(args, made, "--ro-bind", ipcdir, ipcdir)
    for sub in (RUN_DIR, MPL_DIR):
        if os.path.isdir(Path(ipcdir) / sub):
            args += ["--bind", str(Path(ipcdir) / sub),
                     str(Path(ipcdir) / sub)]
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += ["--chdir", str(workdir), "--"]
    return args


def site_dirs():
    """The grader's site-packages folders, its environment's first."""
    import site
    found = [p for p in site.getsitepackages() if os.path.isdir(p)]
    for entry in sys.path:
        if entry and os.path.isdir(entry) and entry not in found and \
                any(part.endswith("-packages") for part in Path(entry).parts):
            found.append(entry)
    return found


def _searchable(path):
    """Can a process with no group of the folder's (the private uid)
    reach ``path``?  Read from the mode bits of it and its parents."""
    path = Path(path)
    try:
        if not os.stat(path).st_mode & 0o005 == 0o005:
            return False
        return all(os.stat(p).st_mode & 0o001 for p in path.parents)
    except OSError:
        return False


def _signature(src, deep):
    """A digest of a folder's entries (names, sizes, times)."""
    import hashlib
    digest = hashlib.sha256(str(src).encode())
    walker = os.walk(src) if deep else [(src, [], sorted(os.listdir(src)))]
    for root, _, names in walker:
        for name in sorted(names):
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            digest.update(f"{root}/{name}\0{st.st_size}\0{st.st_mtime_ns}"
                          .encode())
    return digest.hexdigest()[:16]


def _mirror_base():
    """A root-owned folder every uid can search, for mirrors."""
    import tempfile
    base = Path(tempfile.gettempdir()) / "autograder-env"
    if not _searchable(base.parent):
        base = Path("/var/tmp/autograder-env")
    base.mkdir(mode=0o755, exist_ok=True)
    st = os.lstat(base)
    if st.st_uid != 0 or st.st_mode & 0o022 or os.path.islink(base):
        raise RuntimeError(f"{base} is not a root-owned folder only root "
                           "can write; remove it and grade again")
    os.chmod(base, 0o755)
    return base


def mirror(src, deep=False):
    """A copy of folder ``src`` that the private uid can read, made of
    hard links where the file system allows (copies otherwise), kept
    between runs while ``src`` is unchanged."""
    src = Path(src)
    base = _mirror_base()
    dest = base / f"{src.name}-{_signature(src, deep)}"
    if dest.is_dir():
        return dest
    tmp = base / f".{dest.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    for root, dirs, files in os.walk(src):
        out = tmp / os.path.relpath(root, src)
        out.mkdir(mode=0o755, exist_ok=True)
        os.chmod(out, 0o755)
        for name in files + [d for d in dirs
                             if os.path.islink(os.path.join(root, d))]:
            path = os.path.join(root, name)
            if os.path.islink(path):
                os.symlink(os.readlink(path), out / name)
                continue
            try:
                os.link(path, out / name)
            except OSError:  # another file system: copy
                shutil.copy2(path, out / name)
                os.chmod(out / name, 0o644)
    try:
        os.rename(tmp, dest)
    except OSError:  # another grader made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


_PRIVATE_ENV = {}


def prepare_private_env(course_root=None):
    """As root without bubblewrap, before grading: give the private uid
    a way to each folder its kernel needs.

    The environment's site-packages and the grader's packages are used
    as they are where the uid can reach them, and mirrored otherwise
    (e.g. a ``.venv`` in a clone below a 0700 folder): packages resolve
    their own paths (matplotlib finds its data through ``realpath``),
    so they must sit where the uid can read.  The interpreter's own
    installation, when out of reach (a Python under /root/.pyenv), is
    reached through a descriptor the launcher opens (autograder/sandbox/launch.py).
    ``course_root`` is unused; kept for callers.
    """
    _PRIVATE_ENV.clear()
    if sandbox_uid() is None:
        return _PRIVATE_ENV

    def place(path, deep):
        return str(path) if _searchable(path) else str(mirror(path, deep))

    _PRIVATE_ENV["sites"] = [place(p, False) for p in site_dirs()]
    pkgs = {"autograder": AUTOGRADER}
    course_utils = package_dir("course_utils")
    if course_utils is not None:
        pkgs["course_utils"] = course_utils
    _PRIVATE_ENV["pkgs"] = {name: place(path, True)
                            for name, path in pkgs.items()}
    return _PRIVATE_ENV


def launcher_args(uid, ipcdir, writable=()):
    """``python -m autograder.sandbox.launch ...`` for an rlimits kernel as root
    (see autograder/sandbox/launch.py); the kernel's argv follows ``--``.

    ``ipcdir`` is the grader's own (root-owned) folder: the launcher
    writes its environment there, never below a folder the kernel's uid
    can write.  ``writable``: the only folders the kernel may write."""
    real = os.path.realpath(sys.executable)
    base = os.path.realpath(sys.base_prefix)
    if not real.startswith(base + os.sep):
        base = str(Path(real).parent.parent)
    args = [sys.executable, "-m", "autograder.sandbox.launch", "--uid", str(uid),
            "--env", str(Path(ipcdir) / ".env"), "--base", base,
            "--python", os.path.relpath(real, base),
            "--read", str(ipcdir)]
    for folder in writable:
        args += ["--write", str(folder)]
    for site in _PRIVATE_ENV.get("sites") or site_dirs():
        args += ["--site", site]
    pkgs = _PRIVATE_ENV.get("pkgs")
    if pkgs is None:
        pkgs = {"autograder": AUTOGRADER}
        course_utils = package_dir("course_utils")
        if course_utils is not None:
            pkgs["course_utils"] = course_utils
    for name, path in pkgs.items():
        args += ["--pkg", f"{name}={path}"]
    return args


def probe_private_uid():
    """As root without bubblewrap: can the kernel's private uid start
    Python and import the grader?  Returns None, or what to fix."""
    import tempfile
    uid = sandbox_uid()
    if uid is None:
        return None
    with tempfile.TemporaryDirectory(prefix="ag-probe-") as tmp:
        os.chmod(tmp, 0o755)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
               "HOME": tmp, "IPYTHONDIR": tmp + "/.ipython",
               "MPLCONFIGDIR": tmp + "/.mpl",
               "PYTHONPATH": str(AUTOGRADER.parent)}
        try:
            done = subprocess.run(
                launcher_args(uid, tmp, [tmp]) + ["--probe"], env=env,
                cwd=tmp,
                capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"the probe kernel did not start ({err})"
        if done.returncode == 0:
            return None
        why = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return (f"a grading kernel cannot start as its private uid {uid} "
                f"({why}). Make the Python environment and the grader "
                "readable by everyone (chmod -R a+rX on them; the course "
                "itself need not be), or install bubblewrap "
                "(apt-get install bubblewrap)")


def kernel_command(isolation, workdir, ipcdir, connection_file, limits,
                   uid):
    """Return (argv, env, cwd) that start one sandboxed kernel."""
    env = kernel_env(workdir, limits)
    # Matplotlib's folder is the IPC folder's (seed_matplotlib puts the
    # grader's font list there before each start).
    env["MPLCONFIGDIR"] = str(Path(ipcdir) / MPL_DIR)
    run = Path(ipcdir) / RUN_DIR
    # -P: no script or working directory on sys.path, so a file the
    # submission writes cannot replace the kernel.
    kernel = [sys.executable, "-P", "-m", KERNEL_MODULE, "-f",
              str(connection_file), "--quiet",
              "--HistoryManager.enabled=False"]
    argv = prlimit_prefix(limits)
    if isolation == "bwrap":
        argv += bwrap_args(workdir, ipcdir, env, limits, uid)
        argv += drop_privileges(uid) + kernel
        return argv, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, \
            str(workdir)
    env["PYTHONPATH"] = str(AUTOGRADER.parent)
    env["IPYTHONDIR"] = str(run / ".ipython")
    # Without bubblewrap there is no private /tmp: the kernel's
    # temporary files go to its run folder (removed with it), and /tmp
    # itself is out of its reach where Landlock works.
    for name in ("TMPDIR", "TEMP", "TMP"):
        env[name] = str(run / "tmp")
    if uid is not None:
        writable = [workdir, run, Path(ipcdir) / MPL_DIR]
        return argv + launcher_args(uid, ipcdir, writable) + ["--"] + \
            kernel, env, str(workdir)
    return argv + kernel, env, str(workdir)


MPL_DIR = ".matplotlib"
# The kernel's own folder inside the grader's IPC folder: its sockets,
# IPython folder and temporary files.  The IPC folder itself (connection
# file, forbidden list, launcher environment, matplotlib seed) belongs to
# the grader and the kernel's uid cannot write it.
RUN_DIR = "run"


def ipc_folder():
    """A fresh IPC folder for one notebook: the grader's (the kernel's
    uid may only pass through it)."""
    import tempfile
    folder = tempfile.mkdtemp(prefix="ag-ipc-")
    os.chmod(folder, 0o711)
    return Path(folder)


def fresh_run_dir(ipcdir, uid):
    """(Re)make the kernel's run folder before a kernel starts: whatever
    an earlier kernel left is removed unread (rmtree never follows a
    link), and the new one is made in the grader's own folder."""
    run = Path(ipcdir) / RUN_DIR
    if os.path.islink(run) or (os.path.lexists(run) and not run.is_dir()):
        os.unlink(run)
    elif run.is_dir():
        shutil.rmtree(run, ignore_errors=True)
    os.mkdir(run, 0o700)
    os.mkdir(run / "tmp", 0o700)
    if uid is not None:
        os.chown(run / "tmp", uid, uid)
        os.chown(run, uid, uid)
    return run


# Folders every process may write, where a kernel without bubblewrap
# could leave files behind.
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def remove_files_of(uid, folders=SHARED_TMP):
    """Remove what ``uid`` left in the shared temporary folders (and in
    folders there that everyone may write); returns how many entries.
    Run after its processes are gone.  Never follows a link: entries
    are checked with lstat and folders removed with rmtree."""
    if uid is None:
        return 0
    removed = 0
    todo = [f for f in folders if os.path.isdir(f) and not
            os.path.islink(f)]
    while todo:
        folder = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            is_dir = stat.S_ISDIR(st.st_mode)
            if st.st_uid != uid:
                if is_dir and st.st_mode & 0o002:
                    todo.append(entry.path)
                continue
            try:
                if is_dir:
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed += 1
            except OSError:
                continue
    return removed
_FONT_LIST = []


def font_list():
    """(file name, JSON text) of this grader's matplotlib font list, or
    None without matplotlib; made once per process (the grading parent
    makes it before the workers fork)."""
    if not _FONT_LIST:
        try:
            import tempfile
            from matplotlib import font_manager as fm
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "fontlist.json")
                fm.json_dump(fm.fontManager, path)
                text = Path(path).read_text(encoding="utf-8")
            _FONT_LIST.append((f"fontlist-v{fm.FontManager.__version__}"
                               f".json", text))
        except Exception:  # no matplotlib, or no fonts: nothing to seed
            _FONT_LIST.append(None)
    return _FONT_LIST[0]


def seed_matplotlib(ipcdir, uid):
    """Give a kernel about to start the grader's font list, so that its
    matplotlib does not scan the system's fonts again (a second per
    kernel on a machine with many fonts).  The folder is made afresh:
    whatever an earlier kernel left at its name is removed unread."""
    found = font_list()
    folder = Path(ipcdir) / MPL_DIR
    if os.path.islink(folder) or (os.path.lexists(folder) and
                                  not folder.is_dir()):
        os.unlink(folder)
    elif folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
    os.mkdir(folder, 0o700)
    if found is not None:
        name, text = found
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                     os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if uid is not None:
            os.chown(folder / name, uid, uid)
    if uid is not None:
        os.chown(folder, uid, uid)


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


def kill_orphans():
    """Kill kernels left by a grader that was killed (kill -9) before it
    could stop them: processes of a private uid (UID_BASE + the grading
    worker's pid) whose worker is gone.  Kernels of graders still
    running are left alone.  Returns how many were killed."""
    if os.geteuid() != 0:
        return 0
    killed = 0
    for proc in psutil.process_iter(["uids"]):
        uids = proc.info["uids"]
        if uids is None or not UID_BASE < uids.real < UID_BASE + 2 ** 22:
            continue
        if psutil.pid_exists(uids.real - UID_BASE):
            continue
        try:
            proc.kill()
            killed += 1
        except psutil.Error:
            continue
    return killed


def become_subreaper():
    """Make this process adopt its orphaned descendants (Linux), so the
    processes a kernel leaves behind can be reaped here: a zombie still
    counts against its uid's process limit, and a container's init may
    never reap it."""
    import ctypes
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: nothing to adopt
        pass


def is_zombie(proc):
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True  # gone


def reap(procs, timeout=2.0):
    """Wait until the killed ``procs`` are gone, reaping our own."""
    import time
    deadline = time.monotonic() + timeout
    left = list(procs)
    while left and time.monotonic() < deadline:
        still = []
        for proc in left:
            try:
                done, _ = os.waitpid(proc.pid, os.WNOHANG)
                if done:
                    continue
            except ChildProcessError:  # not ours: wait for whoever
                if is_zombie(proc) and not _is_child_of_us(proc):
                    continue
            except OSError:
                continue
            still.append(proc)
        left = still
        if left:
            time.sleep(0.01)


def _is_child_of_us(proc):
    try:
        return proc.ppid() == os.getpid()
    except psutil.Error:
        return False


def kill_strays(uid, keep=()):
    """Kill every process of ``uid`` except ``keep``; return how many."""
    if uid is None:
        return 0
    killed = []
    for pid in pids_of_uid(uid):
        if pid in keep:
            continue
        try:
            proc = psutil.Process(pid)
            if is_zombie(proc):
                reap([proc], timeout=0)
                continue
            proc.kill()
            killed.append(proc)
        except psutil.Error:
            continue
    reap(killed)
    return len(killed)
