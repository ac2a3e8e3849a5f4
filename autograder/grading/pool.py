"""Run each job in its own forked process, at most N at a time.

A fork of the grader starts in milliseconds with everything already
imported; one process per submission means a crash, a leak or a hung
kernel in one submission cannot touch another.  A child that dies
before answering yields ``None`` for its job.
"""
import multiprocessing
import os
import signal
from multiprocessing.connection import wait


def _child(func, job, conn):
    """Body of a worker process: run ``func(job)`` and send the result."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 0
    try:
        conn.send(func(job))
    except BaseException:  # the parent reports a missing answer
        code = 1
    finally:
        conn.close()
        os._exit(code)  # skip the parent's atexit handlers


def run_each(func, jobs, workers):
    """Yield (job, result or None) as the forked workers finish.

    ``jobs`` is read lazily, one job each time a worker is free, so a
    generator can decide at that moment whether a job still needs to
    run (another grading run may have taken it meanwhile)."""
    ctx = multiprocessing.get_context("fork")
    pending, running = iter(jobs), {}
    more = True
    while more or running:
        while more and len(running) < workers:
            job = next(pending, None)
            if job is None:
                more = False
                break
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(func, job, send),
                               daemon=True)
            proc.start()
            send.close()
            running[recv] = (proc, job)
        if not running:
            break
        for conn in wait(list(running)):
            proc, job = running.pop(conn)
            try:
                result = conn.recv()
            except (EOFError, OSError):
                result = None
            conn.close()
            proc.join()
            yield job, result
