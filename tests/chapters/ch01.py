"""Chapter 01, numerical derivatives: its grading batch as data.

The wrong students carry one plausible mistake in every exercise (the
k-th wrong version of each); "alt" students answer correctly in other
styles (any grid for choosing h, another rounding order, the gradient's
dot product) and keep full marks; "chatty" and "flood" print inside
forward_difference (a line per call, or more than a cell may keep) and
keep full marks too.  See tests/chapters/__init__.py for the fields.
"""
import nbformat

from chapter_grading import wrong_students
from chapters import chapter

ASSIGNMENT = "01_numerical_derivatives"
POINTS = 15

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




def _print_first(source, name, text):
    """``source`` with ``print(text)`` as the first statement of the
    function ``name``."""
    head = next(line for line in source.splitlines()
                if line.startswith(f"def {name}("))
    return source.replace(head, f"{head}\n    print({text})", 1)


def students(right):
    """Wrong students, the other correct styles, and two that print."""
    alts = [(f"alt{k}", dict(right, **{ex: code.strip() + "\n"
                                       for ex, code in variant.items()}))
            for k, variant in enumerate(ALT)]
    # Correct answers that print inside forward_difference: a line per
    # call, or 300 kB per call, which the 8 calls of its first test cell
    # take past the 1 MB a cell may keep.  The flood's choose_h sets its
    # values (the solution's 161 calls would print 48 MB, seconds of
    # output for both graders to carry, and no new grader path).
    talkers = [
        ("chatty", dict(right, forward_difference=_print_first(
            right["forward_difference"], "forward_difference",
            "'checking forward_difference'"))),
        ("flood", dict(right, choose_h=RIGHT_CHOOSE_H,
                       forward_difference=_print_first(
                           right["forward_difference"], "forward_difference",
                           "'x' * 300_000")))]
    return wrong_students(
        right, WRONG, N_WRONG, base={"choose_h": RIGHT_CHOOSE_H},
        cells=lambda ex, code: {SOLUTION_CELL[ex]: code.strip() + "\n"}
    ) + alts + talkers


RIGHT = [f"alt{k}" for k in range(len(ALT))] + ["chatty", "flood"]


def _wrong(exercise, what):
    """The student (wrongK) who makes this mistake."""
    return f"wrong{[v[0] for v in WRONG[exercise]].index(what)}"


# One short block each (no frames of course_utils), naming the mistake
# and not another one.
_PLAIN = ("course_utils", "Traceback")
MESSAGES = [
    (_wrong("central_difference", "operator precedence: / 2*h"),
     "test_central_difference_values", ("h**2", "brackets"),
     ("a mean", "1/N", "times too") + _PLAIN),
    (_wrong("forward_difference", "adds h to f(x) instead of stepping x"),
     "test_forward_difference_values", ("wrong value", "relative error"),
     ("times too", "a mean") + _PLAIN),
    (_wrong("numerical_gradient",
            "integer point: copies x without a float cast"),
     "test_numerical_gradient_vector", ("integers", "float copy"), _PLAIN),
    (_wrong("directional_derivative", "moves x in place"),
     "test_directional_derivative_values", "changed its input `x`",
     ("wrong value",) + _PLAIN),
    (_wrong("directional_derivative",
            "forgets to dot with v (returns the gradient)"),
     "test_directional_derivative_values", ("one number", "not the gradient"),
     _PLAIN),
    (_wrong("forward_difference", "sign flipped"),
     "test_forward_difference_values", "wrong sign",
     ("dot product",) + _PLAIN),
    # a ready-made derivative is named (its module too), with why it does
    # not count
    (_wrong("forward_difference", "delegates via module attribute"),
     "test_forward_difference_values",
     "calling a ready-made version does not count", ("Traceback",)),
    (_wrong("central_difference", "delegates to np.gradient"),
     "test_central_difference_values", "numpy.gradient", ("Traceback",)),
    # the blank release says what to write; a value the student sets (not
    # a function) is named, without a NameError
    ("stub", "test_forward_difference_values", "not written yet", ()),
    ("stub", "test_directional_derivative_linear", "not written yet", ()),
    ("stub", "test_best_h_forward",
     "is not set yet: this exercise is not answered", ("NameError",)),
    ("stub", "test_best_h_central",
     "is not set yet: this exercise is not answered", ("NameError",)),
]
BLOCKS = True
MESSAGE_SHAPE = (8, 76)
# Failures show as the same short block as in the notebook: the test's
# question and the diagnosis, no frames of course_utils.
FEEDBACK = ("wrong0", ("forward_difference",
                       "Test failed: Does forward_difference compute"),
            ("checks.py",))


def check_passing_cells_say_so(graded):
    """Does every graded cell of the solution print one line with a tick?"""
    nb = nbformat.read(chapter("ch01").autograded(graded, "solution"), 4)
    graded_cells = [c for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(graded_cells) == 10
    for cell in graded_cells:
        text = "".join(o.get("text", "") for o in cell.outputs
                       if o.output_type == "stream")
        assert text.startswith("\u2713 ") and text.count("\n") == 1, text


def check_prints_inside_a_call_keep_their_points(graded):
    """What the student's function prints while a test calls it shows in
    that test cell's output, before the passing line, and a flood of it
    is cut at the cell's limit (flagged, not as tampering)."""
    nb = nbformat.read(chapter("ch01").autograded(graded, "chatty"), 4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get(
        "grade_id") == "test_forward_difference_values")
    text = "".join(o.get("text", "") for o in cell.outputs
                   if o.get("name") == "stdout")
    assert "checking forward_difference" in text
    assert text.index("checking") < text.index("\u2713")
    codes = {f.split(":", 1)[0] for f in graded["rows"]["flood"]["flags"]}
    assert "output-truncated" in codes, graded["rows"]["flood"]
    assert "tamper" not in codes, graded["rows"]["flood"]


CHECKS = [check_passing_cells_say_so,
          check_prints_inside_a_call_keep_their_points]
