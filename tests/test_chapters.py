"""Does each chapter's grader separate right answers from wrong ones?

For every chapter (tests/chapters/chNN.py, its batch as data) one batch
is graded once through ``course-autograder grade``, the production
grader (and by stock nbgrader as the reference for
tests/test_grading_parity.py): the blank release (0 on every graded
cell), the solution and the right answers in other styles (full marks),
the wrong students (each mistake costs its own exercise's points and no
other's), and any student pinned otherwise.  Then what the students
read: the failure messages, the HTML feedback, the CSV export, and,
where a chapter asks, the visible tests as Validate runs them.
"""
import inspect

import pytest

import chapters
from chapter_grading import Failed, run_cells
from nbgrader_course import ROOT


def _cases(make):
    """[(chapter, case)] over every chapter, ``make(module)`` giving a
    chapter's cases; ids "chNN-case"."""
    out = [pytest.param(name, case, id=f"{name}-{case_id}")
           for name in chapters.NAMES
           for case_id, case in make(chapters.load(name))]
    return out


def _wrong_names(module):
    return [f"wrong{k}" for k in range(module.N_WRONG)]


@pytest.fixture(scope="session")
def grade(tmp_path_factory, request):
    """grade(chapter): its batch, graded once per session."""
    return lambda name: chapters.graded(request, tmp_path_factory, name)


@pytest.mark.parametrize("name", chapters.NAMES)
def test_every_student_was_graded(grade, name):
    """Did the grader run every student of the batch without errors, and
    is every student pinned by a test below?"""
    module, graded = chapters.load(name), grade(name)
    assert graded["errors"] == {}
    names = {"stub", *chapters.batch(name)}
    assert set(graded["scores"]) == names
    pinned = {"stub", "solution", *module.RIGHT, *_wrong_names(module),
              *getattr(module, "PINNED", {})}
    assert pinned == names


@pytest.mark.parametrize("name", chapters.NAMES)
def test_points_and_cells(grade, name):
    """Are the graded cells and their points the ones the data lists?"""
    chapter = chapters.chapter(name)
    chapter.check_points_and_cells(grade(name))
    assert chapter.total == chapters.load(name).POINTS


@pytest.mark.parametrize("name", chapters.NAMES)
def test_blank_release_scores_zero_everywhere(grade, name):
    """Does the unmodified release score 0 on every autograded cell?"""
    chapters.chapter(name).check_blank_scores_zero(grade(name))


@pytest.mark.parametrize("name, student", _cases(
    lambda m: [(s, s) for s in ["solution", *m.RIGHT]]))
def test_right_answers_score_full_marks(grade, name, student):
    """Do the solution and the right answers in other styles (loops,
    other names, other containers) score full marks on every cell?"""
    chapters.chapter(name).check_full_marks(grade(name), student)


@pytest.mark.parametrize("name, k", _cases(
    lambda m: [(f"wrong{k}", k) for k in range(m.N_WRONG)]))
def test_wrong_answers_lose_their_exercise_points(grade, name, k):
    """Does each plausible mistake cost its own exercise's points, only?"""
    chapters.chapter(name).check_wrong_student(grade(name), k)


@pytest.mark.parametrize("name, student", _cases(
    lambda m: [(s, s) for s in getattr(m, "PINNED", {})
               if not s.startswith("wrong")]))
def test_other_students_score_as_pinned(grade, name, student):
    """Does every other student of the batch score what is pinned for
    each exercise?"""
    chapter = chapters.chapter(name)
    graded = grade(name)
    assert chapter.by_exercise(graded, student) == \
        chapter.expected(student), chapter.messages(graded, student)


@pytest.mark.parametrize("name", chapters.NAMES)
def test_every_mistake_loses_points(name):
    """Is every listed mistake expected to lose at least one point, with
    three or more per exercise?"""
    chapters.chapter(name).check_every_mistake_loses_points()


def _words(words):
    return (words,) if isinstance(words, str) else tuple(words)


@pytest.mark.parametrize("name, message", _cases(
    lambda m: [(f"{s}-{cell}", (s, cell, said, unsaid))
               for s, cell, said, unsaid in m.MESSAGES]))
def test_students_read_what_is_wrong(grade, name, message):
    """Does the failing cell tell the student what is wrong, in plain
    words, and nothing that points elsewhere?"""
    module = chapters.load(name)
    student, cell, said, unsaid = message
    messages = chapters.chapter(name).messages(grade(name), student)
    assert cell in messages, f"{cell} did not fail for {student}"
    text = messages[cell]
    flat = " ".join(text.split())  # the block is wrapped to fit
    for words in _words(said):
        assert words in flat, (words, text[-800:])
    for words in _words(unsaid):
        assert words not in flat, (words, text[-800:])
    if module.BLOCKS:  # one short block, no traceback
        assert text.startswith("\u2717 Test failed: "), text
        assert "Traceback" not in text, text
    shape = getattr(module, "MESSAGE_SHAPE", None)
    if shape:
        lines = text.splitlines()
        assert len(lines) <= shape[0] and max(map(len, lines)) <= shape[1], \
            text


@pytest.mark.parametrize("name", chapters.NAMES)
def test_feedback_html_is_produced(grade, name):
    """Is an HTML feedback page generated for every student, showing what
    the chapter's data expects?"""
    student, said, unsaid = chapters.load(name).FEEDBACK
    text = chapters.chapter(name).feedback_text(grade(name), student)
    for words in said:
        assert words in text, words
    for words in unsaid:
        assert words not in text, words


@pytest.mark.parametrize("name", chapters.NAMES)
def test_csv_export(grade, name):
    """Does the CSV export list every student with the expected total?"""
    chapters.chapter(name).check_csv_export(grade(name))


@pytest.mark.parametrize("name", [
    n for n in chapters.NAMES
    if getattr(chapters.load(n), "VALIDATE_AGREES", False)])
def test_visible_tests_agree_with_grading(grade, name):
    """Does Validate's verdict match the grade for every student?

    A visible test that passes prints a claim: for every student of the
    batch, a cell that loses points when graded must fail in Validate
    too, or print that only the format was checked; a cell that fails in
    Validate must lose its points when graded."""
    chapter, graded = chapters.chapter(name), grade(name)
    format_only = "checked when graded"
    for student, shown in chapters.visible(name).items():
        cells = chapter.cells(graded, student)
        for cell, printed in shown.items():
            score, most = cells[cell]
            if isinstance(printed, Failed):
                assert score == 0, (student, cell)
            elif score < most:
                assert format_only in printed, (student, cell, printed)
            elif format_only not in printed:
                assert "\u2713" in printed, (student, cell, printed)


def _visible_mistakes(module, graded_in_batch):
    """[(id, (exercise, what))] of the chapter's VISIBLE_MISTAKES that a
    wrong student of the batch makes (or, not ``graded_in_batch``, that
    IN_PROCESS lists)."""
    listed = module.WRONG if graded_in_batch else getattr(
        module, "IN_PROCESS", {})
    return [(f"{ex}: {what}", (ex, what))
            for ex, what in getattr(module, "VISIBLE_MISTAKES", {})
            if what in {v[0] for v in listed.get(ex, ())}]


def _shown_failures(module, shown, mistake):
    """Assert the mistake's cells fail in ``shown`` ({cell: text}), with
    a cross and no tick, and one of them names the mistake; returns the
    cells."""
    exercise, _ = mistake
    cells, words = module.VISIBLE_MISTAKES[mistake]
    flat = {cell: type(shown[cell])(" ".join(shown[cell].split()))
            for cell in module.EXERCISES[exercise]}
    cells = list(flat) if cells == "all" else cells
    for cell in cells:
        assert isinstance(flat[cell], Failed), flat[cell]
        assert "\u2717 Test failed" in flat[cell], flat[cell]
        assert "\u2713" not in flat[cell], flat[cell]
    assert any(words in flat[cell] for cell in cells), flat
    return {cell: flat[cell] for cell in cells}


@pytest.mark.parametrize("name, mistake", _cases(
    lambda m: _visible_mistakes(m, True)))
def test_visible_tests_catch_the_mistake(name, mistake):
    """Does Validate show a failure, naming the mistake, where a learner
    can see it for themselves?"""
    module = chapters.load(name)
    exercise, what = mistake
    student = f"wrong{[v[0] for v in module.WRONG[exercise]].index(what)}"
    _shown_failures(module, chapters.visible(name)[student], mistake)


@pytest.mark.parametrize("name, mistake", _cases(
    lambda m: [(f"{ex}: {v[0]}", (ex, v[0]))
               for ex, variants in getattr(m, "IN_PROCESS", {}).items()
               for v in variants]))
def test_more_mistakes_lose_their_points(name, mistake):
    """Does each mistake graded outside the batch (the solution notebook's
    graded cells, hidden tests included, run here) cost its exercise's
    points and no other's, and does Validate already show a failure that
    names it, with the message grading gives?"""
    module, chapter = chapters.load(name), chapters.chapter(name)
    exercise, what = mistake
    code, score = next(v[1:3] for v in module.IN_PROCESS[exercise]
                       if v[0] == what)
    sources = dict(chapters.right(name), **{exercise: code.strip() + "\n"})
    notebook = f"{module.ASSIGNMENT}.ipynb"
    everything = run_cells(ROOT / "solutions" / module.ASSIGNMENT, notebook,
                           sources)
    got = {ex: sum(points for cell, points in cells.items()
                   if not isinstance(everything[cell], Failed))
           for ex, cells in module.EXERCISES.items()}
    assert got == dict(chapter.expected("solution"), **{exercise: score})
    shown = _shown_failures(module, run_cells(
        ROOT / "notebooks" / module.ASSIGNMENT, notebook, sources), mistake)
    for cell, text in shown.items():
        assert " ".join(everything[cell].split()) == text, (cell, text)


@pytest.mark.parametrize("name, check", _cases(
    lambda m: [(check.__name__.removeprefix("check_"), check)
               for check in getattr(m, "CHECKS", [])]))
def test_chapter_specific(grade, name, check):
    """The chapter's own checks (its data module's CHECKS)."""
    if inspect.signature(check).parameters:
        check(grade(name))
    else:
        check()
