"""Every flag the grader puts on a submission, in one table.

A flag is written into the status table, the report and the CSV as
``"code: detail"``; the code says what happened, the detail where.  The
worker makes them (``Flag.X.text(detail)``), the grading parent decides
from their codes whether a submission is held or flagged
(``codes``/``REVIEW``), the report shows the notes of graded students
(``NOTES``), and the tests look them up by the same names.

Imports nothing of the grader's, so that every side may import it.
"""
import enum


class Kind(enum.Enum):
    """What a flag does to the submission's status."""

    REVIEW = "review"   # the submission goes on the review list
    NOTE = "note"       # informs, shown for graded students too
    INFO = "info"       # informs, shown with flagged and failed ones


class Flag(str, enum.Enum):
    """A flag's code (its value, the text before the colon), its kind
    and what it means to the instructor."""

    def __new__(cls, code, kind, meaning):
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.kind = kind
        obj.meaning = meaning
        return obj

    def text(self, detail):
        """The flag as written: ``"code: detail"``."""
        return f"{self.value}: {detail}"

    TAMPER = ("tamper", Kind.REVIEW,
              "the notebook changed the kernel or the grader's view of "
              "it; its test points are held at 0 for review")
    REPAIRED = ("repaired", Kind.REVIEW,
                "the notebook was repaired before it ran (its format, "
                "kernelspec, a cell's type or metadata, a locked cell)")
    MISSING_ANSWER = ("missing-answer", Kind.REVIEW,
                      "an answer cell was deleted")
    TIMEOUT = ("timeout", Kind.REVIEW, "cells stopped at the time limit")
    KERNEL_DIED = ("kernel-died", Kind.REVIEW, "cells killed the kernel")
    NOT_RUN = ("not-run", Kind.REVIEW,
               "cells never ran (time out or too many restarts)")
    VERDICT_DIFFERS = ("verdict-differs", Kind.REVIEW,
                       "a test passed in the student's kernel and failed "
                       "when the grader re-ran it; it scores 0")
    CHECKED_IN_KERNEL = ("checked-in-kernel", Kind.NOTE,
                         "a test could not be re-run by the grader; its "
                         "verdict is the kernel's, as under nbgrader")
    SIMILAR_TO_REFERENCE = ("similar-to-reference", Kind.NOTE,
                            "an answer reads like a reference kernel's "
                            "code (never costs points)")
    BLANK = ("blank", Kind.NOTE, "no answer was changed")
    PROCESS_LIMIT = ("process-limit", Kind.INFO,
                     "cells left processes running; the kernel was "
                     "restarted")
    OUTPUT_TRUNCATED = ("output-truncated", Kind.INFO,
                        "cells' outputs were cut at the byte cap")
    OUTPUT_DROPPED = ("output-dropped", Kind.INFO,
                      "an oversized output message was dropped unread")
    STRAY_PROCESSES = ("stray-processes", Kind.INFO,
                       "processes a cell left behind were killed")
    MISSING_NOTEBOOK = ("missing-notebook", Kind.INFO,
                        "a notebook of the assignment was not submitted")
    ERROR = ("error", Kind.INFO, "the grader itself failed")
    # A notebook that cannot be graded (autograder.grading.preflight).
    INVALID_JSON = ("invalid-json", Kind.INFO, "the file is not JSON")
    INVALID_NOTEBOOK = ("invalid-notebook", Kind.INFO,
                        "the file is not a notebook")
    BAD_NBFORMAT = ("bad-nbformat", Kind.INFO,
                    "the notebook's format version is not supported")
    WRONG_ASSIGNMENT = ("wrong-assignment", Kind.INFO,
                        "the notebook belongs to another assignment")


REVIEW = frozenset(f.value for f in Flag if f.kind is Kind.REVIEW)
NOTES = tuple(f.value for f in Flag if f.kind is Kind.NOTE)


def code(flag):
    """The code of a written flag (``"tamper: ..."`` -> ``"tamper"``)."""
    return flag.split(":", 1)[0]


def codes(flags):
    """The set of codes of written flags."""
    return {code(f) for f in flags}


def of(flags, which):
    """The written flags of one kind of ``Flag``."""
    return [f for f in flags if code(f) == which.value]
