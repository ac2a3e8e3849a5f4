"""Landlock: file-system rules a process puts on itself (Linux >= 5.13).

Used twice, both times before any student code runs:

* by the ``rlimits`` launcher (autograder/sandbox/launch.py), after the switch
  to the private uid: the kernel may read the system, the Python
  environment and the grader's packages, and write only its working
  copy and its own run folder.  The course (solutions/, the gradebook,
  other students' files) is out of reach even where its modes let
  everyone read, and /tmp, /var/tmp and /dev/shm cannot be written;
* by the grading kernel in both modes (autograder/kernel/grading_kernel.py): the files
  of the reference modules whose functions the tests forbid (their
  source and compiled ``.pyc``) cannot be read any more once the kernel
  has imported them, so no reload, second import or ``exec`` of their
  source brings an unstubbed reference back.

Unprivileged, irreversible, inherited by every child and every thread
started afterwards.  Where the running kernel has no Landlock (an old
kernel, a container whose seccomp profile refuses it) ``available()``
is 0 and nothing is restricted; callers report that.
"""
import ctypes
import os
import stat
from pathlib import Path

_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_PR_SET_NO_NEW_PRIVS = 38
_RULE_PATH_BENEATH = 1
_CREATE_RULESET_VERSION = 1

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13          # ABI 2
TRUNCATE = 1 << 14       # ABI 3
IOCTL_DEV = 1 << 15      # ABI 5
NET_BIND_TCP = 1 << 0    # ABI 4
NET_CONNECT_TCP = 1 << 1

# Rights that may be granted on a file (the others need a folder).
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ = EXECUTE | READ_FILE | READ_DIR


class _Attr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64),
                ("handled_access_net", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64),
                ("parent_fd", ctypes.c_int32)]


_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.syscall.restype = ctypes.c_long


def available():
    """The Landlock ABI version of the running kernel, 0 without one."""
    try:
        abi = _LIBC.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(int(abi), 0)


def all_fs_rights(abi):
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


class Ruleset:
    """Rules handling ``handled`` rights; ``restrict()`` applies them."""

    def __init__(self, handled, net=False):
        self.abi = available()
        self.fd = -1
        self.rules = 0
        if not self.abi:
            return
        self.handled = handled & all_fs_rights(self.abi)
        attr = _Attr(self.handled, (NET_BIND_TCP | NET_CONNECT_TCP)
                     if net and self.abi >= 4 else 0)
        size = ctypes.sizeof(_Attr) if attr.handled_access_net else 8
        fd = _LIBC.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr),
                           ctypes.c_size_t(size), ctypes.c_uint32(0))
        if fd < 0:
            self.abi = 0
            return
        self.fd = int(fd)

    def allow(self, path_or_fd, rights):
        """Allow ``rights`` beneath a folder or on a file (a path, or a
        descriptor of one); a path that cannot be opened is skipped."""
        if self.fd < 0:
            return False
        own = not isinstance(path_or_fd, int)
        try:
            fd = os.open(path_or_fd, os.O_PATH | os.O_CLOEXEC) if own \
                else path_or_fd
        except OSError:
            return False
        try:
            mode = os.fstat(fd).st_mode
            rights &= self.handled
            if not stat.S_ISDIR(mode):
                rights &= FILE_RIGHTS
            if not rights:
                return False
            rule = _PathBeneath(rights, fd)
            done = _LIBC.syscall(_SYS_ADD_RULE, ctypes.c_int(self.fd),
                                 ctypes.c_int(_RULE_PATH_BENEATH),
                                 ctypes.byref(rule), ctypes.c_uint32(0))
            self.rules += done == 0
            return done == 0
        finally:
            if own:
                os.close(fd)

    def restrict(self):
        """Apply the rules to this thread and all it starts; True if
        they now hold."""
        if self.fd < 0:
            return False
        try:
            if _LIBC.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                return False
            return _LIBC.syscall(_SYS_RESTRICT_SELF, ctypes.c_int(self.fd),
                                 ctypes.c_uint32(0)) == 0
        finally:
            os.close(self.fd)
            self.fd = -1


# ---------------------------------------------------------------------------
# the kernel's own rule: the forbidden reference modules become unreadable
# ---------------------------------------------------------------------------
def _real(path):
    return os.path.realpath(path)


def _on_the_way(path, secrets):
    """Is ``path`` one of ``secrets`` or a folder above one?"""
    path = path.rstrip("/") or "/"
    for secret in secrets:
        if secret == path or secret.startswith(
                path + ("" if path == "/" else "/")):
            return True
    return False


def _children(folder):
    """The entries of ``folder`` (none when it cannot be listed)."""
    try:
        return [os.path.join(folder, n) for n in os.listdir(folder)]
    except OSError:
        return []


# Folders a kernel reads besides its sys.path (where "/" cannot be
# listed, as under the launcher's own rules).
SYSTEM_READ = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc",
               "/proc", "/sys", "/dev", "/tmp", "/opt")


def hide_files(secrets, also=()):
    """Make the files ``secrets`` unreadable to this process and its
    future threads and children; everything else stays as readable as
    it was.  ``also``: more folders to keep readable (``sys.path``
    entries, the working folder), for those a walk from / cannot reach
    (a folder the process may not list, a link to a descriptor).
    Returns True when the files are out of reach."""
    secrets = sorted({_real(s) for s in secrets})
    if not secrets:
        return True
    rules = Ruleset(READ_FILE)
    if not rules.abi:
        return False
    seen = set()

    def grant(path, depth=0):
        real = _real(path)
        if real in seen or real in secrets or depth > 40:
            return
        seen.add(real)
        if _on_the_way(real, secrets):
            for child in _children(path):
                grant(child, depth + 1)
        else:
            rules.allow(path, READ_FILE)

    grant("/")
    for entry in list(SYSTEM_READ) + [str(e) for e in also if e]:
        if os.path.exists(entry):
            grant(entry)
            if os.path.isdir(entry):
                for child in _children(entry):
                    if os.path.islink(child):
                        grant(child)
    if not rules.restrict():
        return False
    for secret in secrets:
        try:
            with open(secret, "rb"):
                return False  # still readable: report it
        except OSError:
            continue
    return True


def module_files(module):
    """A module's source file and its compiled copies (every cache tag).

    For a package, the files of every module in its folder: a function
    it re-exports is defined in one of them, and that file's source
    would bring the function back as readily as the package's own."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str):
        return []
    src = Path(path)
    sources = [src]
    if getattr(module, "__path__", None) is not None:
        sources += sorted(p for p in src.parent.rglob("*.py") if p != src)
    found = []
    for source in sources:
        found.append(str(source))
        cache = source.parent / "__pycache__"
        if cache.is_dir():
            found += [str(p) for p in cache.glob(f"{source.stem}.*.pyc")]
    return found
