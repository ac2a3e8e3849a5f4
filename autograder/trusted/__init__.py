"""The verdict side: what the student's code cannot reach.

Runs in the grading workers, outside the sandbox.  ``verdicts`` re-runs
every graded test cell in the worker's own process with proxies for the
student's functions; ``findings`` prepares what the re-runs share and
collects the review findings; ``scan`` reads the student's code for
attempts to bend verdicts.  Imports ``protocol`` and ``course``; never
imported by ``kernel/``.
"""
