"""Grading runs: the worker pool, one notebook's run, the check command.

``batch`` runs in the grading parent (it forks the workers through
``pool`` and hands their results to ``autograder.gradebook.record``);
``worker``, ``preflight`` and ``execute`` run in each forked worker;
``check`` runs the solutions and releases through the same path.
"""
from autograder.grading.batch import (default_jobs, grade, require_sandbox,
                                      stale_rows)

__all__ = ["default_jobs", "grade", "require_sandbox", "stale_rows"]
