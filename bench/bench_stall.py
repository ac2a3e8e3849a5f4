"""Stress run: does stock notebook execution ever stall?

Executes one chapter's solution notebook many times with nbclient, the
executor behind nbval (`make test`), nbgrader's autograde and the lab's
Validate button, each run in a fresh kernel, and reports the spread of
run times.  A lost ZeroMQ wake-up shows as a run that waits for the
cell's timeout (tens to hundreds of seconds) instead of finishing in a
few seconds.

    python bench/bench_stall.py                      # 200 runs of ch02
    python bench/bench_stall.py --runs 50 --chapter 01_numerical_derivatives
    python bench/bench_stall.py --unpatched          # without autograder.zmqwait
    python bench/bench_stall.py --streams 2          # two runs at a time

``--streams N`` runs N notebooks at a time (one per core), each stream
one run after another in its own process: the same 200 runs in half the
time on 2 cores; a stall is still one run that waits for its timeout.

Goal: no run beyond 3x the median (with the course's start-up patch,
autograder.zmqwait, which every executing path loads).
"""
import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def _stream(args, runs, index):
    """Run times of ``runs`` executions, one after another."""
    if not args.unpatched:
        import autograder.zmqwait  # noqa: F401 (the course's start-up patch)
    folder = REPO / "solutions" / args.chapter
    source = nbformat.read(folder / f"{args.chapter}.ipynb", as_version=4)
    times = []
    for i in range(runs):
        nb = nbformat.from_dict(source)
        client = NotebookClient(nb, timeout=args.timeout,
                                kernel_name="python3",
                                resources={"metadata": {"path": str(folder)}})
        start = time.perf_counter()
        client.execute()
        times.append(time.perf_counter() - start)
        if (i + 1) % 20 == 0:
            print(f"stream {index}: {i + 1} runs, median "
                  f"{statistics.median(times):.2f} s, max {max(times):.2f} s",
                  flush=True)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--chapter", default="02_gradient_descent")
    parser.add_argument("--timeout", type=int, default=300,
                        help="per-cell timeout, as nbval's default")
    parser.add_argument("--unpatched", action="store_true",
                        help="measure stock jupyter_client waits")
    parser.add_argument("--streams", type=int, default=1,
                        help="notebooks executed at a time")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    shares = [len(range(i, args.runs, args.streams))
              for i in range(args.streams)]
    with multiprocessing.Pool(args.streams) as pool:
        times = [t for stream in pool.starmap(
            _stream, [(args, n, i) for i, n in enumerate(shares)])
            for t in stream]
    median = statistics.median(times)
    slow = [t for t in times if t > 3 * median]
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{args.chapter}: {len(times)} runs "
          f"({args.streams} at a time, "
          f"{'unpatched' if args.unpatched else 'autograder.zmqwait'}), "
          f"median {median:.2f} s, min {min(times):.2f} s, "
          f"max {max(times):.2f} s ({max(times) / median:.2f}x the median), "
          f"{len(slow)} beyond 3x the median")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
