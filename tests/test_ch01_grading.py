"""Does the chapter 01 autograder separate right answers from wrong ones?

One nbgrader process per core, each in a temporary copy of the course,
grades a batch of students: the blank release (must score 0 on every
graded cell), the solution (full marks), and students whose answers carry
plausible mistakes.  Each wrong student has one mistake in every exercise
(the k-th wrong version of each), so a handful of notebooks covers them
all; their notebooks drop the ungraded demo and plot cells, which do not
affect grading.  Every exercise's expected score is pinned, so a mistake must
cost exactly that exercise's points and no other's.  "Alt" students answer
correctly in other styles (any grid for choosing h, another rounding order,
the gradient's dot product) and must keep full marks; a few wrong students'
messages are read as the student sees them.
"""
from pathlib import Path

import nbformat
import pytest

from chapter_grading import Chapter, grade_batch, wrong_students
from nbgrader_course import graded_once

ASSIGNMENT = "01_numerical_derivatives"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
NB_NAME = ASSIGNMENT  # the gradebook names a notebook without .ipynb

# Exercise -> its graded cells and their points.
EXERCISES = {
    "forward_difference": {"test_forward_difference_values": 2,
                           "test_forward_difference_arrays": 1},
    "central_difference": {"test_central_difference_values": 2,
                           "test_central_difference_order": 1},
    "choose_h": {"test_best_h_forward": 1, "test_best_h_central": 1},
    "numerical_gradient": {"test_numerical_gradient_vector": 2,
                           "test_numerical_gradient_any_shape": 2},
    "directional_derivative": {"test_directional_derivative_values": 2,
                               "test_directional_derivative_linear": 1},
}
TOTAL = sum(sum(cells.values()) for cells in EXERCISES.values())

# Plausible wrong answers: (what it is, solution cell source, expected
# score of the exercise).  A score of 0 means every cell of the exercise
# fails; a partial score means the mistake only breaks one behaviour.
WRONG = {
    "forward_difference": [
        ("sign flipped", """
def forward_difference(f, x, h=1e-5):
    return (f(x) - f(x + h)) / h
""", 0),
        ("central difference instead of forward", """
def forward_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)
""", 0),
        ("h argument ignored (fixed step)", """
def forward_difference(f, x, h=1e-5):
    step = 1e-5
    return (f(x + step) - f(x)) / step
""", 0),
        ("delegates via module attribute", """
import course_utils.derivatives

def forward_difference(f, x, h=1e-5):
    return course_utils.derivatives.forward_difference(f, x, h)
""", 0),
        ("divides by 2h", """
def forward_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / (2 * h)
""", 0),
        ("scalar only (float() breaks arrays)", """
def forward_difference(f, x, h=1e-5):
    return (float(f(x + h)) - float(f(x))) / h
""", 2),
        ("adds h to f(x) instead of stepping x", """
def forward_difference(f, x, h=1e-5):
    return (f(x) + h - f(x)) / h
""", 0),
    ],
    "central_difference": [
        ("forward difference instead of central", """
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h
""", 0),
        ("divides by h instead of 2h", """
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h
""", 0),
        ("sign flipped", """
def central_difference(f, x, h=1e-5):
    return (f(x - h) - f(x + h)) / (2 * h)
""", 0),
        ("h argument ignored (fixed step)", """
def central_difference(f, x, h=1e-5):
    step = 1e-5
    return (f(x + step) - f(x - step)) / (2 * step)
""", 0),
        ("delegates via renamed import", """
from course_utils.derivatives import central_difference as cd

def central_difference(f, x, h=1e-5):
    return cd(f, x, h)
""", 0),
        ("delegates to np.gradient", """
def central_difference(f, x, h=1e-5):
    values = f(np.array([x - h, x, x + h]))
    return np.gradient(values, h)[1]
""", 0),
        ("operator precedence: / 2*h", """
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / 2*h
""", 0),
    ],
    "choose_h": [
        ("the two answers swapped", """
best_h_forward = EPS ** (1 / 3)
best_h_central = float(np.sqrt(EPS))
""", 0),
        ("machine epsilon (as small as possible)", """
best_h_forward = float(EPS)
best_h_central = float(EPS)
""", 0),
        ("a 'small enough' 1e-2", """
best_h_forward = 1e-2
best_h_central = 1e-2
""", 0),
        ("sqrt(eps) for both", """
best_h_forward = float(np.sqrt(EPS))
best_h_central = float(np.sqrt(EPS))
""", 1),
        ("zero", """
best_h_forward = 0.0
best_h_central = 0.0
""", 0),
        ("strings instead of numbers", """
best_h_forward = "1e-8"
best_h_central = "6e-6"
""", 0),
        # The smallest forward error (6.6e-9) happens to be a usable step,
        # so only the central point is lost (its smallest error, 3e-12, is
        # no step at all, and it is smaller than best_h_forward).
        ("the smallest error stored instead of its step", """
steps = np.logspace(-16, 0, 161)
fd = lambda h: (np.exp(1.0 + h) - np.exp(1.0)) / h
cd = lambda h: (np.exp(1.0 + h) - np.exp(1.0 - h)) / (2 * h)
best_h_forward = float(min(abs(fd(h) - np.e) for h in steps))
best_h_central = float(min(abs(cd(h) - np.e) for h in steps))
""", 1),
    ],
    "numerical_gradient": [
        ("only works for 1-D input", """
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(len(x))
    for i in range(len(x)):
        x_plus = np.array(x, dtype=float)
        x_minus = np.array(x, dtype=float)
        x_plus[i] += h
        x_minus[i] -= h
        grad[i] = (f(x_plus) - f(x_minus)) / (2 * h)
    return grad
""", 2),
        ("perturbs only along the first axis", """
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in range(x.shape[0]):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad
""", 2),
        ("returns a flattened array", """
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    flat = x.ravel()
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        plus, minus = flat.copy(), flat.copy()
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus.reshape(x.shape))
                   - f(minus.reshape(x.shape))) / (2 * h)
    return grad
""", 2),
        ("modifies x in place without restoring", """
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        f_plus = f(x)
        x[idx] -= 2 * h
        f_minus = f(x)
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
""", 0),
        ("forward differences", """
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    fx = f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        grad[idx] = (f(x) - fx) / h
        x[idx] = old
    return grad
""", 0),
        ("delegates to the reference kernel", """
def numerical_gradient(f, x, h=1e-5):
    return cud.numerical_gradient(f, x, h)
""", 0),
        ("h argument ignored (fixed step)", """
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + 1e-5
        f_plus = f(x)
        x[idx] = old - 1e-5
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / 2e-5
    return grad
""", 0),
        ("integer point: copies x without a float cast", """
def numerical_gradient(f, x, h=1e-5):
    x = x.copy()
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
""", 2),
    ],
    "directional_derivative": [
        ("forgets to dot with v (returns the gradient)", """
def directional_derivative(f, x, v, h=1e-5):
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad
""", 0),
        ("normalises v", """
def directional_derivative(f, x, v, h=1e-5):
    x = np.asarray(x, dtype=float)
    v = np.asarray(v, dtype=float)
    v = v / np.linalg.norm(v)
    return (f(x + h * v) - f(x - h * v)) / (2 * h)
""", 0),
        ("sign flipped", """
def directional_derivative(f, x, v, h=1e-5):
    x = np.asarray(x, dtype=float)
    v = np.asarray(v, dtype=float)
    return (f(x - h * v) - f(x + h * v)) / (2 * h)
""", 0),
        ("delegates to the reference gradient", """
def directional_derivative(f, x, v, h=1e-5):
    return float(cud.numerical_gradient(f, x, h) @ v)
""", 0),
        ("normalises v twice (divides by |v| squared)", """
def directional_derivative(f, x, v, h=1e-5):
    x = np.asarray(x, dtype=float)
    v = np.asarray(v, dtype=float)
    v = v / np.linalg.norm(v) ** 2
    return (f(x + h * v) - f(x - h * v)) / (2 * h)
""", 0),
        ("one-sided difference along v", """
def directional_derivative(f, x, v, h=1e-5):
    x = np.asarray(x, dtype=float)
    v = np.asarray(v, dtype=float)
    return (f(x + h * v) - f(x)) / h
""", 0),
        ("moves x in place", """
def directional_derivative(f, x, v, h=1e-5):
    x += h * v
    return (f(x) - f(x - 2 * h * v)) / (2 * h)
""", 0),
    ],
}
# Cells holding the exercise code (solution cells' grade ids).
SOLUTION_CELL = {
    "forward_difference": "forward_difference",
    "central_difference": "central_difference",
    "choose_h": "choose_h",
    "numerical_gradient": "numerical_gradient",
    "directional_derivative": "directional_derivative",
}
# In wrong students, a right answer to "choose h" must not depend on the
# (wrong) difference functions of the same notebook.
RIGHT_CHOOSE_H = "best_h_forward = 1e-8\nbest_h_central = 5e-6\n"
N_WRONG = max(len(v) for v in WRONG.values())

# Correct answers in other styles (grids, rounding order, the gradient's
# dot product): each "alt" student carries them and keeps full marks.
ALT = [
    {"choose_h": """
steps = np.logspace(-16, 0, 17)  # one step per decade
errors_forward = [abs(forward_difference(np.exp, 1.0, h) - np.e)
                  for h in steps]
errors_central = [abs(central_difference(np.exp, 1.0, h) - np.e)
                  for h in steps]
best_h_forward = float(steps[np.argmin(errors_forward)])
best_h_central = float(steps[np.argmin(errors_central)])
"""},
    {"choose_h": """
steps = np.logspace(-16, 0, 16001)  # a very fine grid
errors_forward = np.abs(forward_difference(np.exp, 1.0, steps) - np.e)
errors_central = np.abs(central_difference(np.exp, 1.0, steps) - np.e)
best_h_forward = steps[np.argmin(errors_forward)]  # np.float64 is a float
best_h_central = steps[np.argmin(errors_central)]
""",
     "forward_difference": """
def forward_difference(f, x, h=1e-5):
    return f(x + h) / h - f(x) / h
""",
     "directional_derivative": """
def directional_derivative(f, x, v, h=1e-5):
    return float(numerical_gradient(f, x, h) @ np.asarray(v, dtype=float))
""",
     "numerical_gradient": """
def numerical_gradient(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    grad = np.empty(x.shape)
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = h
        step = step.reshape(x.shape)
        grad.flat[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad
"""},
]


CHAPTER = Chapter(NB_NAME, EXERCISES, WRONG)
_expected = CHAPTER.expected


def _build_and_grade(folder):
    """The batch: wrong students, then the other correct styles."""
    def students(right):
        alts = [(f"alt{k}", dict(right, **{ex: code.strip() + "\n"
                                           for ex, code in variant.items()}))
                for k, variant in enumerate(ALT)]
        # Correct answers that print inside forward_difference: a line
        # per call, or 300 kB per call (more than a cell may keep).
        talkers = [(name, dict(right, forward_difference=_print_first(
            right["forward_difference"], "forward_difference", text)))
            for name, text in (("chatty", "'checking forward_difference'"),
                               ("flood", "'x' * 300_000"))]
        return wrong_students(
            right, WRONG, N_WRONG, base={"choose_h": RIGHT_CHOOSE_H},
            cells=lambda ex, code: {SOLUTION_CELL[ex]: code.strip() + "\n"}
        ) + alts + talkers
    return grade_batch(folder, ASSIGNMENT, students)


def _print_first(source, name, text):
    """``source`` with ``print(text)`` as the first statement of the
    function ``name``."""
    head = next(line for line in source.splitlines()
                if line.startswith(f"def {name}("))
    return source.replace(head, f"{head}\n    print({text})", 1)


@pytest.fixture(scope="session")
def graded(tmp_path_factory, request):
    """Grade the batch once, even when several xdist workers ask for it."""
    return graded_once(request, tmp_path_factory, "ch01_grading",
                       _build_and_grade)


_by_exercise = CHAPTER.by_exercise


def test_every_student_was_graded(graded):
    """Did autograde run for every student without errors?"""
    assert graded["errors"] == {}
    students = ({"stub", "solution", "chatty", "flood"}
                | {f"wrong{k}" for k in range(N_WRONG)}
                | {f"alt{k}" for k in range(len(ALT))})
    assert set(graded["scores"]) == students


def test_points_and_cells(graded):
    """Are the graded cells and their points the ones the tests expect?"""
    CHAPTER.check_points_and_cells(graded)
    assert TOTAL == 15


def test_blank_release_scores_zero_everywhere(graded):
    """Does the unmodified release score 0 on every autograded cell?"""
    CHAPTER.check_blank_scores_zero(graded)


def test_solution_scores_full_marks(graded):
    """Does the solution notebook score full marks on every cell?"""
    CHAPTER.check_full_marks(graded, "solution")


@pytest.mark.parametrize("k", range(N_WRONG))
def test_wrong_answers_lose_their_exercise_points(graded, k):
    """Does each plausible mistake cost its own exercise's points, only?"""
    CHAPTER.check_wrong_student(graded, k)


def test_every_mistake_loses_points():
    """Is every listed mistake expected to lose at least one point?"""
    CHAPTER.check_every_mistake_loses_points()


@pytest.mark.parametrize("k", range(len(ALT)))
def test_other_correct_styles_keep_full_marks(graded, k):
    """Do other grids, rounding orders and styles keep every point?"""
    CHAPTER.check_full_marks(graded, f"alt{k}")


_messages = CHAPTER.messages


def _wrong_index(exercise, what):
    return next(k for k, (name, _, _) in enumerate(WRONG[exercise])
                if name == what)


@pytest.mark.parametrize("exercise, what, cell, words, absent", [
    ("central_difference", "operator precedence: / 2*h",
     "test_central_difference_values", ["h**2", "brackets"],
     ["a mean", "1/N", "times too"]),
    ("forward_difference", "adds h to f(x) instead of stepping x",
     "test_forward_difference_values", ["wrong value", "relative error"],
     ["times too", "a mean"]),
    ("numerical_gradient", "integer point: copies x without a float cast",
     "test_numerical_gradient_vector", ["integers", "float copy"], []),
    ("directional_derivative", "moves x in place",
     "test_directional_derivative_values", ["changed its input `x`"],
     ["wrong value"]),
    ("directional_derivative", "forgets to dot with v (returns the gradient)",
     "test_directional_derivative_values", ["one number", "not the gradient"],
     []),
    ("forward_difference", "sign flipped", "test_forward_difference_values",
     ["wrong sign"], ["dot product"]),
])
def test_what_the_student_reads(graded, exercise, what, cell, words, absent):
    """Does the student read the right diagnosis, in one short block?"""
    text = _messages(graded, f"wrong{_wrong_index(exercise, what)}")[cell]
    lines = text.splitlines()
    assert lines[0].startswith("\u2717 Test failed: "), text
    flat = " ".join(text.split())  # the block is wrapped to fit
    for word in words:
        assert word in flat, (word, text)
    for word in absent:
        assert word not in flat, (word, text)
    assert "course_utils" not in text and "Traceback" not in text, text
    assert len(lines) <= 8 and max(map(len, lines)) <= 76, text


def test_blank_release_says_what_is_unwritten(graded):
    """Does each graded cell of the blank release say what to write?"""
    messages = _messages(graded, "stub")
    assert "not written yet" in messages["test_forward_difference_values"]
    assert "not written yet" in messages["test_directional_derivative_linear"]
    # A value the student sets (not a function): named, no NameError.
    for cell in ("test_best_h_forward", "test_best_h_central"):
        assert "is not set yet: this exercise is not answered" in " ".join(
            messages[cell].split()), messages[cell]
        assert "NameError" not in messages[cell]


def test_passing_cells_say_so(graded):
    """Does every graded cell of the solution print one line with a tick?"""
    path = next(p for p in graded["autograded"]
                if Path(p).parts[-3] == "solution")
    nb = nbformat.read(path, 4)
    graded_cells = [c for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(graded_cells) == 10
    for cell in graded_cells:
        text = "".join(o.get("text", "") for o in cell.outputs
                       if o.output_type == "stream")
        assert text.startswith("\u2713 ") and text.count("\n") == 1, text


def test_feedback_html_is_produced(graded):
    """Is an HTML feedback page generated for every student?"""
    text = CHAPTER.feedback_text(graded, "wrong0")
    assert "forward_difference" in text
    # Failures show as the same short block as in the notebook: the
    # test's question and the diagnosis, no frames of course_utils.
    assert "Test failed: Does forward_difference compute" in text
    assert "checks.py" not in text


def test_csv_export(graded):
    """Does the CSV export list every student with the right total?"""
    CHAPTER.check_csv_export(graded)


def test_prints_inside_a_call_keep_their_points(graded):
    """What the student's function prints while a test calls it shows in
    that test cell's output, before the passing line, and a flood of it
    is cut at the cell's limit without costing a point."""
    for student in ("chatty", "flood"):
        CHAPTER.check_full_marks(graded, student)
    nb = nbformat.read(CHAPTER.autograded(graded, "chatty"), 4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get(
        "grade_id") == "test_forward_difference_values")
    text = "".join(o.get("text", "") for o in cell.outputs
                   if o.get("name") == "stdout")
    assert "checking forward_difference" in text
    assert text.index("checking") < text.index("\u2713")
    codes = {f.split(":", 1)[0] for f in graded["rows"]["flood"]["flags"]}
    assert "output-truncated" in codes, graded["rows"]["flood"]
    assert "tamper" not in codes, graded["rows"]["flood"]


def test_delegation_is_named(graded):
    """A student who calls a ready-made derivative reads why it does not
    count (the reference is not there for the answer when graded)."""
    flat = " ".join(_messages(graded, "wrong3")[
        "test_forward_difference_values"].split())
    assert "calling a ready-made version does not count" in flat
    assert "numpy.gradient" in _messages(graded, "wrong5")[
        "test_central_difference_values"]
