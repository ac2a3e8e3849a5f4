"""Servers a test starts on the loopback itself, and stops after.

``postgres()`` runs a private PostgreSQL server; ``slurm()`` a one-node
Slurm cluster (munged, slurmctld and slurmd with a generated slurm.conf
and state folders in a temporary folder).  Both are context managers
that raise ``Unavailable`` with the reason when they cannot start, so a
test (or bench/bench_grading.py) can skip saying why.
"""
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class Unavailable(RuntimeError):
    """The service cannot run here; the message says why."""


def _pg_bin():
    """The folder holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


PG_BIN = _pg_bin()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _db_user():
    return "postgres" if _user_exists("postgres") else "nobody"


def _as_db_user(args, **kw):
    """Run a server command as an unprivileged user (postgres refuses
    to run as root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", _db_user(), "--"] + args
    return subprocess.run(args, check=True, capture_output=True, **kw)


@contextlib.contextmanager
def postgres(databases=("course",)):
    """Start a private PostgreSQL server with ``databases``; yield the
    URL of the first (the others: same URL, another name)."""
    if PG_BIN is None:
        raise Unavailable("needs a PostgreSQL server: apt-get install "
                          "postgresql")
    import psycopg2
    base = Path(tempfile.mkdtemp(prefix="ag-pg-"))
    base.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(base, _db_user())
    data, port = base / "data", free_port()
    try:
        _as_db_user([str(PG_BIN / "initdb"), "-D", str(data), "-A",
                     "trust", "-U", "postgres", "--no-sync"])
        _as_db_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l",
                     str(base / "log"), "-o",
                     f"-p {port} -k {base} -c listen_addresses=127.0.0.1 "
                     "-c fsync=off -c max_connections=200", "start"])
    except subprocess.CalledProcessError as err:
        shutil.rmtree(base, ignore_errors=True)
        raise Unavailable(f"PostgreSQL did not start: "
                          f"{err.stderr.decode(errors='replace')[-300:]}")
    try:
        conn = psycopg2.connect(host="127.0.0.1", port=port,
                                user="postgres", dbname="postgres")
        conn.autocommit = True
        for name in databases:
            conn.cursor().execute(f"CREATE DATABASE {name}")
        conn.close()
        yield (f"postgresql+psycopg2://postgres@127.0.0.1:{port}/"
               f"{databases[0]}")
    finally:
        _as_db_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m",
                     "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)


SLURM_PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue",
                  "scancel")


def _program(name):
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}")
         if os.access(p, os.X_OK)), None)


SLURM_CONF = """\
ClusterName=agtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={base}/munge/socket
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/slurmctld.pid
SlurmdPidFile={base}/slurmd.pid
SlurmctldLogFile={base}/slurmctld.log
SlurmdLogFile={base}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerParameters=sched_interval=1
MinJobAge=3600
KillWait=5
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=grading Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def _pid(path):
    try:
        return int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stop(pid):
    """SIGTERM a daemon we started; SIGKILL it if it lingers."""
    if pid is None:
        return
    for sig, grace in ((15, 10.0), (9, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


@contextlib.contextmanager
def slurm(cpus=None):
    """Start a one-node Slurm cluster on the loopback with ``cpus``
    CPUs (default: the machine's); yield the environment its commands
    need (SLURM_CONF).  Needs root (slurmd runs jobs as their users)."""
    if os.geteuid() != 0:
        raise Unavailable("a test Slurm cluster needs root (slurmd starts "
                          "jobs as their users)")
    missing = [p for p in SLURM_PROGRAMS if not _program(p)]
    if missing:
        raise Unavailable(f"needs {', '.join(missing)}: apt-get install "
                          "slurm-wlm munge")
    base = Path(tempfile.mkdtemp(prefix="ag-slurm-"))
    base.chmod(0o755)
    for sub in ("munge", "state", "spool"):
        (base / sub).mkdir(mode=0o700)
    key = base / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    host = socket.gethostname().split(".")[0]
    conf = base / "slurm.conf"
    conf.write_text(SLURM_CONF.format(
        host=host, base=base, cpus=cpus or os.cpu_count() or 1,
        ctld_port=free_port(), slurmd_port=free_port()))
    env = dict(os.environ, SLURM_CONF=str(conf))
    pids = []
    try:
        try:
            _start_daemons(base, conf, env, pids)
        except subprocess.CalledProcessError as err:
            raise Unavailable(
                f"{Path(err.cmd[0]).name} did not start: "
                f"{(err.stderr or b'').decode(errors='replace')[-400:]}"
            ) from None
        yield env
    finally:
        if pids:
            subprocess.run(["scancel", "--full", "--user=root"], env=env,
                           capture_output=True, timeout=30)
        for path in reversed(pids):  # slurmd, slurmctld, then munged
            _stop(_pid(path))
        shutil.rmtree(base, ignore_errors=True)


def _start_daemons(base, conf, env, pids):
    """munged, slurmctld, slurmd; wait until the node is idle."""
    key = base / "munge" / "munge.key"
    m = base / "munge"
    subprocess.run(
        [_program("munged"), f"--key-file={key}",
         f"--socket={m / 'socket'}", f"--pid-file={m / 'munged.pid'}",
         f"--log-file={m / 'munged.log'}", f"--seed-file={m / 'seed'}",
         "--force"], check=True, capture_output=True, timeout=30)
    pids.append(m / "munged.pid")
    for daemon in ("slurmctld", "slurmd"):
        subprocess.run([_program(daemon), "-f", str(conf)], env=env,
                       check=True, capture_output=True, timeout=30)
        pids.append(base / f"{daemon}.pid")
    deadline = time.monotonic() + 30
    while True:
        state = subprocess.run(
            ["sinfo", "--noheader", "--format=%T"], env=env,
            capture_output=True, text=True, timeout=30).stdout.strip()
        if state.startswith("idle"):
            return
        if time.monotonic() > deadline:
            log = (base / "slurmd.log").read_text(errors="replace") \
                if (base / "slurmd.log").exists() else ""
            raise Unavailable(f"the Slurm node did not come up (state "
                              f"{state or 'unknown'}): {log[-400:]}")
        time.sleep(0.5)


def count_status_writes(cursor):
    """Count every write of a grader's status row in ``status_writes``
    (a PostgreSQL trigger; the grader replaces a row by delete and
    insert, so each recorded grade is one insert).  The grader's table
    must exist already."""
    cursor.execute("""
        CREATE TABLE status_writes (student text);
        CREATE FUNCTION count_write() RETURNS trigger AS $$
        BEGIN INSERT INTO status_writes VALUES (NEW.student);
              RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER counted AFTER INSERT ON autograder_status
            FOR EACH ROW EXECUTE FUNCTION count_write();""")


def cancel_mid_slice(cursor, env, job, task, students, timeout=300):
    """``scancel`` array task ``task`` of ``job`` once at least one of
    its ``students`` has a status row, so it dies mid-slice."""
    deadline = time.monotonic() + timeout
    while True:
        cursor.execute("SELECT count(*) FROM autograder_status "
                       "WHERE student = ANY(%s)", (list(students),))
        if cursor.fetchone()[0]:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task} graded nothing in "
                                 f"{timeout} s")
        time.sleep(0.3)
    subprocess.run(["scancel", f"{job}_{task}"], env=env, check=True,
                   timeout=60)
