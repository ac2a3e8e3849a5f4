"""The production grader gives honest work exactly what nbgrader gives.

Every chapter's batch (tests/chapters/chNN.py: the blank release, the
solution, the wrong students and the right students in other styles) is
graded once by ``course-autograder grade`` and, but for the later wrong
students (chapter_grading.in_reference), once by stock ``nbgrader
autograde``, shared with tests/test_chapters.py.  For each student both
graded, every graded cell must get the same score from both, and the
production grader must have re-checked every verdict in its own process
without flagging anybody.
"""
import pytest

import chapters


@pytest.mark.parametrize("name", chapters.NAMES)
def test_course_autograder_scores_every_cell_as_nbgrader(
        name, tmp_path_factory, request):
    graded = chapters.graded(request, tmp_path_factory, name)
    chapters.chapter(name).check_parity(graded)
