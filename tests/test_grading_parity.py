"""The production grader gives honest work exactly what nbgrader gives.

Every chapter's batch (the blank release, the solution, the wrong
students and the right students in other styles) is graded once by
``course-autograder grade`` and once by stock ``nbgrader autograde``
(tests/chapter_grading.grade_batch, shared with the chapter's own
grading tests).  For each student, every graded cell must get the same
score from both, and the production grader must have re-checked every
verdict in its own process without flagging anybody.
"""
import importlib

import pytest

from nbgrader_course import graded_once

CHAPTERS = ["ch01", "ch02", "ch03", "ch04", "ch05", "ch06"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_course_autograder_scores_every_cell_as_nbgrader(
        chapter, tmp_path_factory, request):
    module = importlib.import_module(f"test_{chapter}_grading")
    graded = graded_once(request, tmp_path_factory, f"{chapter}_grading",
                         module._build_and_grade)
    module.CHAPTER.check_parity(graded)
