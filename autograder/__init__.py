"""The course's grader, grouped by the process each file runs in.

==================  ===================================================
folder              runs in
==================  ===================================================
``cli.py``, ``lab.py``  the instructor's (or student's) command: parses
                    arguments, starts the lab or a grading run
``bundle.py``       the instructor's command: the student bundle of a
                    graded class (releases, course_utils without the
                    exercises' answers)
``course/``         every grader process: the course's configuration,
                    folders, the trusted copy of each notebook
                    (``master``), releases and collected submissions
``gradebook/``      the parent process of a grading run only: the one
                    writer of nbgrader's gradebook, its integrity check,
                    the status table, reports and the CSV export
``grading/``        the parent (the worker pool, ``check``, the flag
                    table ``flags``) and the
                    forked workers (pre-flight repair, running one
                    notebook, scoring)
``trusted/``        the workers: the re-run of every test cell in the
                    grader's own process, its proxies, and the static
                    scans of student code; never inside the sandbox
``sandbox/``        the workers (choosing and starting the isolation)
                    and, as root, ``sandbox/launch.py``, the launcher
                    that drops to the sandbox's uid before the kernel
``kernel/``         the student's sandboxed kernel: the grading kernel
                    and what answers the grader's requests there
``protocol.py``     both sides of the trust boundary: message types and
                    the plain-data value codec; imports nothing of ours
``zmqwait.py``      every process that executes notebooks (start-up
                    patch of jupyter_client's socket waits)
==================  ===================================================

Import rules (``tests/test_autograder_layout.py``): ``kernel/`` imports
only ``protocol``; nothing outside ``gradebook/`` and ``cli`` imports
``gradebook/`` except ``grading.batch``, which records results;
``protocol`` imports nothing of ours.
"""
