"""Grading runs: the worker pool, one notebook's run, the check command.

``batch`` runs in the grading parent (it forks the workers through
``pool`` and hands their results to ``autograder.gradebook.record``);
``worker``, ``preflight`` and ``execute`` run in each forked worker;
``check`` runs the solutions and releases through the same path.
"""
__all__ = ["default_jobs", "grade", "require_sandbox", "stale_rows"]


def __getattr__(name):
    # Loaded on first use: the gradebook's record module imports the
    # flag table (grading.flags), and batch imports record.
    if name in __all__:
        from autograder.grading import batch
        return getattr(batch, name)
    raise AttributeError(name)
