"""The course: configuration, folders, trusted notebooks, submissions,
and the solutions' shared text and text twins (``make release``).

Runs in every grader process (the command line, the grading parent and
its workers); never in the student's kernel.  May import ``protocol``
and nothing else of ours, so that every other package can use it.
"""
from autograder.course.directory import Course, CourseError, load_config

__all__ = ["Course", "CourseError", "load_config"]
