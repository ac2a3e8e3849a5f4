"""Benchmark: course-autograder (parallel, sandboxed) vs `nbgrader autograde`.

Grades the same N correct submissions of one assignment in a throw-away
copy of the course and prints the speed-up against serial `nbgrader
autograde` and the per-notebook overhead of the sandboxed grader;
``--baseline`` also times an earlier version of this grader (a checkout
with its own ``make venv``) on the same submissions in the same run:

    python bench/bench_grading.py                 # fixture assignment
    python bench/bench_grading.py --submissions 24 --jobs 2
    python bench/bench_grading.py --solutions \
        solutions/01_numerical_derivatives --baseline /tmp/ag-base
    python bench/bench_grading.py --slurm        # as root: see below

``--slurm`` (root, Debian's slurm-wlm, munge and postgresql) starts a
one-node Slurm cluster and a PostgreSQL server on the loopback
(tests/services.py), generates a chapter-01 class of ``--submissions``
(default 200: right, wrong, blank and broken, tests/ch01_class.py) and
grades it with `grade --slurm` (tasks of 10, one CPU each, so as many
tasks run at once as the machine has cores) and with one `grade --force
--jobs N` (N = two workers per core, the same workers the tasks run
together), in one run.  It prints submissions per second for both, the
start-up of one array task (an empty slice, median of 3) and, with
``--kill-task I``, cancels task I mid-slice, reruns the command and
checks that every submission was graded exactly once.

Goals: speed-up >= 3x serial nbgrader on 2 cores (median of 3 rounds,
30 submissions; chapters 01 and 06); the time per notebook beyond its
own run time is printed for both graders; with --baseline, at most 1.3x
its time.  Other load on the machine skews timings: the load average
before and after is printed with the figures.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.grading import default_jobs

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "autograder" / "solutions" / \
    "fx01_basics"


def make_course(root, source_dir):
    """Copy one assignment into a fresh course at ``root``."""
    shutil.copytree(source_dir, root / "solutions" / source_dir.name)
    config = REPO / "autograder" / "nbgrader_config.py"
    (root / "nbgrader_config.py").write_text(
        f'load_subconfig("{config}")\n')
    return source_dir.name


def answered(source, release):
    """The release notebook with the instructor's answers filled in."""
    answers = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            answers[meta["grade_id"]] = "\n".join(
                line for line in cell.source.splitlines()
                if "### BEGIN SOLUTION" not in line
                and "### END SOLUTION" not in line)
    for cell in release.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return release


def own_run_time(path, repeats=3):
    """Median seconds to run the cells (kernel start excluded) and to
    start a plain kernel, without any sandbox."""
    cells, starts = [], []
    for _ in range(repeats):
        nb = nbformat.read(str(path), as_version=4)
        client = NotebookClient(nb, kernel_name="python3", timeout=600,
                                allow_errors=True,
                                resources={"metadata": {
                                    "path": str(path.parent)}})
        t0 = time.perf_counter()
        with client.setup_kernel():
            t1 = time.perf_counter()
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            t2 = time.perf_counter()
        starts.append(t1 - t0)
        cells.append(t2 - t1)
    return statistics.median(cells), statistics.median(starts)


def timed(args, cwd, env):
    """Run a command; return its wall time (fails loudly on error)."""
    t0 = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - t0
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def timed_baseline(python, root, assignment, jobs, env):
    """Time an earlier grader's ``grade`` on the same course, with that
    checkout's own nbgrader_config.py and environment."""
    checkout = python.parents[2]
    config = root / "nbgrader_config.py"
    ours = config.read_text()
    theirs = checkout / "autograder" / "nbgrader_config.py"
    config.write_text(f'load_subconfig("{theirs}")\n')
    base_env = dict(env, PATH=f"{python.parent}:{os.environ.get('PATH', '')}")
    try:
        return timed([str(python), "-m", "autograder", "--course-root",
                      str(root), "grade", assignment, "--force", "--quiet",
                      "--jobs", str(jobs)], root, base_env)
    finally:
        config.write_text(ours)


def cpu_model():
    """The CPU's model name (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def spread(values):
    """' (min-max over N rounds)' for more than one round."""
    if len(values) < 2:
        return ""
    return f" (rounds {min(values):.1f}-{max(values):.1f} s)"


def slurm_bench(args):
    """grade --slurm against grade --jobs N on one generated class."""
    sys.path.insert(0, str(REPO / "tests"))
    import psycopg2
    from ch01_class import ASSIGNMENT, make_class
    from services import Unavailable, postgres, slurm
    from autograder.grading.slurm import slice_of
    cores = os.cpu_count() or 1
    n, per_task = args.submissions, 10
    tasks = -(-n // per_task)
    load_before = os.getloadavg()[0]
    bindir = str(Path(sys.executable).parent)
    try:
        with tempfile.TemporaryDirectory(prefix="ag-bench-slurm-") as tmp, \
                postgres() as url, slurm() as env:
            env = dict(env, NBGRADER_DB_URL=url,
                       PATH=f"{bindir}:{os.environ.get('PATH', '')}")
            root = make_class(Path(tmp) / "course", n)
            ours = [sys.executable, "-m", "autograder", "--course-root",
                    str(root)]
            timed(ours + ["release", ASSIGNMENT], root, env)
            (root / "empty.txt").write_text("")
            start = statistics.median(timed(
                ours + ["grade", ASSIGNMENT, "--quiet", "--student-list",
                        str(root / "empty.txt")], root, env)
                for _ in range(3))
            conn = psycopg2.connect(url.replace("postgresql+psycopg2",
                                                "postgresql"))
            conn.autocommit = True
            cur = conn.cursor()
            slurm_args = ours + ["grade", ASSIGNMENT, "--slurm", "--quiet",
                                 "--array-size", str(tasks),
                                 "--cpus-per-task", "1"]
            t0 = time.perf_counter()
            if args.kill_task is None:
                timed(slurm_args, root, env)
            else:
                _killed_run(slurm_args, root, env, cur, args.kill_task,
                            tasks, slice_of)
            on_slurm = time.perf_counter() - t0
            cur.execute("SELECT count(*) FROM autograder_status")
            graded = cur.fetchone()[0]
            once = None
            if args.kill_task is not None:
                cur.execute("SELECT count(*), count(DISTINCT student) "
                            "FROM status_writes")
                once = cur.fetchone()
            jobs = 2 * cores
            local = timed(ours + ["grade", ASSIGNMENT, "--force", "--quiet",
                                  "--jobs", str(jobs)], root, env)
            conn.close()
    except Unavailable as err:
        sys.exit(f"cannot run the Slurm benchmark here: {err}")
    # Waves of tasks that ran one after another (the rerun adds one).
    waves = -(-tasks // cores) + (args.kill_task is not None)
    print(json.dumps({"submissions": n, "cores": cores, "tasks": tasks,
                      "jobs": jobs, "slurm_s": round(on_slurm, 1),
                      "local_s": round(local, 1),
                      "task_start_s": round(start, 2),
                      "load_before": round(load_before, 2),
                      "load_after": round(os.getloadavg()[0], 2)}))
    print(f"grade --slurm ({tasks} tasks of {per_task}, {cores} at once):"
          f" {on_slurm:6.1f} s, {n / on_slurm:.2f} submissions/s, "
          f"{graded} of {n} graded")
    if once is not None:
        print(f"  with task {args.kill_task} cancelled mid-slice and the "
              f"command rerun: {once[0]} status writes for {once[1]} "
              f"students ({'each exactly once' if once[0] == once[1] == n else 'NOT each once'})")
    print(f"grade --jobs {jobs} (one machine):    {local:6.1f} s, "
          f"{n / local:.2f} submissions/s")
    print(f"Slurm / one machine: {on_slurm / local:.2f}x the time")
    print(f"start-up of one array task (empty slice): {start:.2f} s")
    print(f"overhead per task: {(on_slurm - local) / waves:.2f} s "
          f"((Slurm - one machine) / {waves} waves of {cores} tasks)")


def _killed_run(slurm_args, root, env, cur, kill, tasks, slice_of):
    """grade --slurm --no-wait, cancel task ``kill`` once it graded part
    of its slice, wait for the array, rerun the command."""
    from autograder.gradebook.status import StatusStore
    from services import cancel_mid_slice, count_status_writes
    StatusStore(env["NBGRADER_DB_URL"]).close()  # creates the table
    count_status_writes(cur)
    done = subprocess.run(slurm_args + ["--no-wait"], cwd=root, env=env,
                          capture_output=True, text=True)
    job = done.stdout.split("submitted Slurm job ")[1].split(":")[0]
    listed = next(root.glob("slurm/*/*/students.txt")).read_text().split()
    victims = slice_of(listed, kill, tasks)
    cancel_mid_slice(cur, env, job, kill, victims)
    while subprocess.run(["squeue", "--noheader", f"--jobs={job}"],
                         env=env, capture_output=True,
                         text=True).stdout.strip():
        time.sleep(1)
    cur.execute("SELECT count(*) FROM autograder_status "
                "WHERE student = ANY(%s)", (victims,))
    print(f"task {kill} cancelled with {cur.fetchone()[0]} of "
          f"{len(victims)} students graded; rerunning the command")
    timed(slurm_args, root, env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--solutions", type=Path, default=FIXTURE,
                        help="assignment folder in solutions/")
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="parallel workers (default: the grader's)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="checkout of an earlier grader (with .venv) "
                             "to time on the same submissions")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of each parallel timing (median)")
    parser.add_argument("--slurm", action="store_true",
                        help="grade --slurm on a one-node cluster against "
                             "grade --jobs N (see above; needs root)")
    parser.add_argument("--kill-task", type=int, default=None,
                        metavar="I", help="with --slurm: cancel array "
                        "task I mid-run, then rerun the command")
    args = parser.parse_args()
    if args.slurm:
        if args.submissions == 20:  # the parser's default for the others
            args.submissions = 200
        return slurm_bench(args)
    base_python = None
    if args.baseline is not None:
        base_python = args.baseline.resolve() / ".venv" / "bin" / "python"
        if not base_python.is_file():
            sys.exit(f"{base_python} not found: run `make venv` in "
                     f"{args.baseline} first")
    load_before = os.getloadavg()[0]  # other work skews the ratio
    bindir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '')}")
    env.pop("NBGRADER_DB_URL", None)
    with tempfile.TemporaryDirectory(prefix="ag-bench-") as tmp:
        root = Path(tmp)
        env["NBGRADER_COURSE_ROOT"] = str(root)
        assignment = make_course(root, args.solutions.resolve())
        ours = [sys.executable, "-m", "autograder", "--course-root",
                str(root)]
        timed(ours + ["release", assignment], root, env)
        name = next((root / "solutions" / assignment).glob("*.ipynb"))
        nb = answered(nbformat.read(str(name), as_version=4),
                      nbformat.read(str(root / "notebooks" / assignment /
                                        name.name), as_version=4))
        for i in range(args.submissions):
            folder = root / "submitted" / f"student{i:03d}" / assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, str(folder / name.name))
        sample = folder / name.name
        own, start = own_run_time(sample)
        n = args.submissions
        # Rounds interleave the graders, so that a slow spell of the
        # machine hits them alike; each figure is the median of rounds.
        times = {"serial": [], "par": [], "base": []}
        for _ in range(args.repeat):
            times["serial"].append(timed(
                [sys.executable, "-m", "nbgrader", "autograde",
                 assignment, "--force"], root, env))
            times["par"].append(timed(
                ours + ["grade", assignment, "--force", "--quiet",
                        "--jobs", str(args.jobs)], root, env))
            if base_python is not None:
                times["base"].append(timed_baseline(
                    base_python, root, assignment, args.jobs, env))
        serial, par = (statistics.median(times[k]) for k in ("serial",
                                                               "par"))
        base = statistics.median(times["base"]) if times["base"] else None
        one = timed(ours + ["grade", assignment, "--force", "--quiet",
                            "--jobs", "1"], root, env)
    overhead = one / n - own
    nb_overhead = serial / n - own
    print(json.dumps({"submissions": n, "cores": os.cpu_count(),
                      "cpu": cpu_model(),
                      "jobs": args.jobs, "rounds": args.repeat,
                      "times": {k: [round(t, 1) for t in v]
                                for k, v in times.items() if v},
                      "load_before": round(load_before, 2),
                      "load_after": round(os.getloadavg()[0], 2)}))
    print(f"nbgrader autograde (serial):   {serial:6.1f} s "
          f"({serial / n:.2f} s/notebook){spread(times['serial'])}")
    print(f"course-autograder --jobs {args.jobs}:   {par:6.1f} s "
          f"({par / n:.2f} s/notebook){spread(times['par'])}")
    print(f"speed-up: {serial / par:.2f}x (goal >= 3x on 2 cores)")
    if base is not None:
        print(f"baseline {args.baseline} --jobs {args.jobs}: {base:6.1f} s "
              f"({base / n:.2f} s/notebook)")
        print(f"this grader vs the baseline: {par / base:.2f}x its time "
              f"(goal <= 1.3x); the baseline's speed-up "
              f"{serial / base:.2f}x")
    print(f"notebook's own run time: {own:.2f} s "
          f"(plain kernel start {start:.2f} s, not included)")
    print(f"course-autograder --jobs 1:    {one:6.1f} s "
          f"({one / n:.2f} s/notebook)")
    print(f"time per notebook beyond its own run time: "
          f"{overhead:.2f} s with --jobs 1, {nb_overhead:.2f} s for "
          f"nbgrader autograde (kernel start included in both)")


if __name__ == "__main__":
    main()
