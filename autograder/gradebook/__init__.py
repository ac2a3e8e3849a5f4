"""nbgrader's gradebook and what is derived from it.

Runs in the command-line process and the grading parent only: they are
the gradebook's one writer (``record``), check it against solutions/
(``integrity``), keep the status of each submission (``status``) and
write reports and the CSV (``reports``).  Never imported by a worker or
the kernel.
"""
