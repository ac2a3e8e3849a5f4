"""What every chapter's grader-power test checks of its graded batch.

tests/test_chapters.py grades each chapter's batch of students through
``course-autograder grade``, the production grader, while stock
``nbgrader autograde`` grades the same submissions as the reference
(tests/test_grading_parity.py compares the two cell by cell).  The
batch (``stub``: the blank release, ``solution``, ``wrongK``: the K-th
mistake of each exercise, and right answers in other styles) is data in
tests/chapters/chNN.py and is described by a ``Chapter``: the notebook,
``{exercise: {graded cell: points}}``, ``{exercise: [(what, code,
score, ...)]}`` of mistakes and the pinned scores of any other student.
``result`` is what nbgrader_course.grade returned.
"""
import contextlib
import csv
import io
import linecache
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from nbgrader_course import ROOT, failure_messages, fill, grade_both
from nbgrader_course import grade_id, make_course, solution_sources, submit


# How many of the numbered wrong students (wrong0, wrong1 ...; earlier0
# ...) stock nbgrader grades beside every other student.  All of them go
# through course-autograder, whose verdicts are what the chapter tests
# check; the parity test needs honest work and a sample of mistakes,
# and each extra nbgrader run costs seconds of CPU for no new grader path.
REFERENCE_WRONG = 3


def in_reference(student):
    """Does stock nbgrader grade this student of a batch too?"""
    numbered = re.fullmatch(r"(?:wrong|earlier)(\d+)", student)
    return not numbered or int(numbered.group(1)) < REFERENCE_WRONG


def grade_batch(folder, assignment, students):
    """Grade a chapter's batch with course-autograder, and with stock
    nbgrader as the reference, at once.

    The blank release (``stub``) and the full solution (``solution``)
    run with every cell, plots and all.  ``students(right)`` gets
    {solution cell: the solution's source} and returns [(name, {cell:
    source})]; each of those runs without the notebook's ungraded code
    cells.  course-autograder grades them all, nbgrader the students
    ``in_reference`` names.  Returns what nbgrader_course.grade returns
    for course-autograder, with "reference": nbgrader's scores."""
    notebook = f"{assignment}.ipynb"
    ours = make_course(Path(folder) / "autograder", assignment)
    theirs = make_course(Path(folder) / "nbgrader", assignment)
    release = nbformat.read(ROOT / "notebooks" / assignment / notebook, 4)
    source = nbformat.read(ROOT / "solutions" / assignment / notebook, 4)
    right = solution_sources(source)
    batch = [("stub", release), ("solution", fill(release, right))]
    batch += [(name, fill(release, sources, drop_ungraded_code=True))
              for name, sources in students(right)]
    for name, nb in batch:
        submit(ours, assignment, name, {notebook: nb})
        if in_reference(name):
            submit(theirs, assignment, name, {notebook: nb})
    result, reference = grade_both(ours, [theirs], assignment, jobs=2)
    result["reference"] = reference["scores"]
    result["reference_errors"] = reference["errors"]
    return result


def wrong_students(right, wrong, count, cells=None, base=None):
    """[(wrongK, sources)]: the K-th listed mistake of every exercise that
    has one, the right answers elsewhere.  ``cells(ex, code)`` gives
    {cell: source} for a mistake (default: the exercise's own cell);
    ``base``: sources over the solution's for every wrong student."""
    def own_cell(ex, code):
        return {ex: code.strip() + "\n"}
    cells = cells or own_cell
    out = []
    for k in range(count):
        sources = dict(right, **(base or {}))
        for ex, variants in wrong.items():
            if k < len(variants):
                sources.update(cells(ex, variants[k][1]))
        out.append((f"wrong{k}", sources))
    return out


@dataclass(frozen=True)
class Chapter:
    nb_name: str
    exercises: dict
    wrong: dict
    # {student: {exercise: score}} for students the wrongK rule does not
    # describe (a wrong student with extra broken cells, mixed students)
    pinned: dict = field(default_factory=dict)

    @property
    def total(self):
        return sum(sum(cells.values()) for cells in self.exercises.values())

    def expected(self, student):
        """{exercise: expected score} for a student of the batch."""
        full = {ex: sum(cells.values())
                for ex, cells in self.exercises.items()}
        if student in self.pinned:
            return dict(self.pinned[student])
        if student == "stub":
            return dict.fromkeys(self.exercises, 0)
        k = student.removeprefix("wrong")
        if not (student.startswith("wrong") and k.isdigit()):
            return full  # the solution, or a right answer in another style
        k = int(k)
        return {ex: self.wrong[ex][k][2] if k < len(self.wrong[ex])
                else full[ex] for ex in self.exercises}

    def cells(self, result, student):
        """{graded cell: (score, max)} of one student."""
        return result["scores"][student][self.nb_name]

    def by_exercise(self, result, student):
        """{exercise: score} of one student."""
        cells = self.cells(result, student)
        return {ex: sum(cells[name][0] for name in names)
                for ex, names in self.exercises.items()}

    def autograded(self, result, student):
        """Path of one student's autograded notebook."""
        return next(p for p in result["autograded"]
                    if Path(p).parts[-3] == student
                    and Path(p).stem == self.nb_name)

    def messages(self, result, student, joined=False):
        """{grade id: the error text a student reads}; ``joined``: its
        wrapped lines joined by single spaces."""
        found = failure_messages(self.autograded(result, student))
        if joined:
            return {gid: " ".join(text.split())
                    for gid, text in found.items()}
        return found

    # -- the shared checks ----------------------------------------------
    def check_points_and_cells(self, result):
        """The graded cells and their points are the ones listed."""
        expected = {name: pts for names in self.exercises.values()
                    for name, pts in names.items()}
        got = self.cells(result, "solution")
        assert {name: mx for name, (_, mx) in got.items()} == expected

    def check_blank_scores_zero(self, result):
        """The unmodified release scores 0 on every autograded cell."""
        cells = self.cells(result, "stub")
        assert {name: s for name, (s, _) in cells.items()} == \
            dict.fromkeys(cells, 0.0)

    def check_full_marks(self, result, student):
        """``student`` scores full marks on every cell."""
        cells = self.cells(result, student)
        lost = {name: s for name, (s, mx) in cells.items() if s != mx}
        assert not lost, (lost, self.messages(result, student))

    def check_wrong_student(self, result, k):
        """The K-th mistakes cost their own exercises' points, only."""
        got = self.by_exercise(result, f"wrong{k}")
        assert got == self.expected(f"wrong{k}"), {
            ex: self.wrong[ex][k][0] for ex in self.wrong
            if k < len(self.wrong[ex])}

    def check_every_mistake_loses_points(self):
        """Every listed mistake loses a point; three or more per
        exercise."""
        for ex, variants in self.wrong.items():
            assert len(variants) >= 3, ex
            full = sum(self.exercises[ex].values())
            for what, _, score, *_ in variants:
                assert score < full, (ex, what)

    def check_parity(self, result, differences=()):
        """course-autograder gives every cell the score stock nbgrader
        gives it (``differences``: students where a deliberate trust
        decision differs, each named by the caller), and re-checked
        every cell in the grader: no verdict came from the student's
        kernel alone, and no honest student is flagged.  nbgrader graded
        the students ``in_reference`` names: every one but the later
        numbered wrong students."""
        assert not result["errors"], result["errors"]
        assert not result["reference_errors"], result["reference_errors"]
        assert set(result["reference"]) == set(filter(in_reference,
                                                      result["scores"]))
        assert any(s.startswith("wrong") for s in result["reference"])
        for student, notebooks in result["scores"].items():
            if student in differences or not in_reference(student):
                continue
            ours = notebooks[self.nb_name]
            theirs = result["reference"][student][self.nb_name]
            diff = {cell: (ours[cell][0], theirs[cell][0])
                    for cell in theirs if ours[cell][0] != theirs[cell][0]}
            assert not diff, (student, diff, self.messages(result, student))
            flags = result["rows"][student]["flags"]
            odd = [f for f in flags if f.split(":", 1)[0] in (
                "tamper", "verdict-differs", "checked-in-kernel")]
            assert not odd, (student, odd)

    def check_csv_export(self, result):
        """The CSV export lists every student with the expected total."""
        rows = {}
        for path in result["csv"]:
            with open(path, newline="") as fh:
                rows.update({row.get("student_id", row.get("student")): row
                             for row in csv.DictReader(fh)})
        assert set(rows) == set(result["scores"])
        for student, row in rows.items():
            assert float(row["max_score"]) == self.total, student
            assert float(row["score"]) == sum(
                self.expected(student).values()), student

    @staticmethod
    def feedback_text(result, student):
        """The HTML feedback of ``student``, once every student has one."""
        pages = [Path(p) for p in result["feedback"]]
        assert {p.parts[-3] for p in pages} == set(result["scores"])
        return next(p for p in pages if p.parts[-3] == student).read_text()


class Failed(str):
    """What a graded cell that raised shows (any exception, not only a
    failed check)."""


def run_cells(folder, notebook, sources):
    """{graded cell: what it shows} when folder's notebook runs sources,
    here, in one namespace, without a kernel.

    folder: the release (its visible tests, as Validate runs them) or the
    solutions (the graded cells with their hidden tests, as nbgrader's
    autograde runs them).  sources: {solution cell: code}.  The setup
    cell (its % magics dropped), the answers and the graded cells run in
    order, in that folder (demo cells left out, as for the graded
    students).  A cell shows what it printed, then, when it failed, the
    block a learner reads (the cell's question and the message), as a
    ``Failed`` string.  An answer cell that raises is left as it is: the
    graded cells then fail on what it did not define.
    """
    import nbformat

    folder = Path(folder)
    nb = nbformat.read(folder / notebook, 4)
    namespace, shown = {"__name__": "__main__"}, {}
    with contextlib.chdir(folder), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n, cell in enumerate(nb.cells):
            meta = cell.metadata.get("nbgrader", {})
            gid = grade_id(cell)
            if cell.cell_type != "code" or not (gid == "setup" or
                                                meta.get("grade") or
                                                meta.get("solution")):
                continue
            code = sources[gid] if meta.get("solution") else "\n".join(
                line for line in cell.source.splitlines()
                if not line.lstrip().startswith("%"))
            # a name linecache knows, so a check can quote its question
            name = f"<{folder.parent.name}/{folder.name} cell {n}>"
            linecache.cache[name] = (len(code), None,
                                     code.splitlines(True), name)
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    exec(compile(code, name, "exec"), namespace)
            except Exception as exc:  # what IPython would show
                if meta.get("grade"):
                    render = getattr(exc, "_render_traceback_", None)
                    shown[gid] = Failed(out.getvalue() + (
                        "\n".join(render()) if render
                        else f"{type(exc).__name__}: {exc}"))
            else:
                if meta.get("grade"):
                    shown[gid] = out.getvalue()
    return shown
