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
    args = parser.parse_args()
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
