"""Everything loaded inside the student's sandboxed kernel, and nothing
else.

``python -m autograder.kernel`` starts the grading kernel
(``grading_kernel``); ``studentside`` answers the grader's requests
there.  Student code can change anything here: nothing here decides a
verdict.  Imports only ``autograder.protocol`` of ours.
"""
