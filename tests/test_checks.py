"""Do the graded-cell checks diagnose each common mistake in plain words?"""
import functools
import re

import numpy as np
import pytest

import course_utils.derivatives
import course_utils.derivatives as cud
from course_utils.checks import assert_close, assert_not_delegating
from course_utils.derivatives import central_difference as renamed

EXPECTED = np.array([[1.5, -2.25, 3.125], [4.75, 0.5, -6.375]])


def message(actual, expected=EXPECTED, **kwargs):
    with pytest.raises(AssertionError) as info:
        assert_close(actual, expected, "grad", **kwargs)
    return str(info.value)


def test_close_values_pass():
    """Does a right answer (list, array, tiny error) pass silently?"""
    assert_close(EXPECTED * (1 + 1e-9), EXPECTED, "grad")
    assert_close(EXPECTED.tolist(), EXPECTED, "grad")
    assert_close(2.6, 2.6000000001, "slope")
    assert_close(np.float32(0.5), 0.5, "half")
    assert_close(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), "nan ok")


@pytest.mark.parametrize(
    "actual, words",
    [
        (None, "forget to `return`"),
        (np.sum, "a function"),
        ("1.5", "text"),
        ([1.0, [2.0, 3.0]], "could not be read"),
        (EXPECTED.T, "transpose"),
        (EXPECTED.ravel(), "flattened"),
        (EXPECTED[None], "extra axis of length 1"),
        (3.0, "return an array"),
        (EXPECTED[:1], "shape (1, 3) but should have shape (2, 3)"),
        (-EXPECTED, "wrong sign"),
        (2 * EXPECTED, "twice as large"),
        (EXPECTED / 2, "half as large"),
        (EXPECTED * 7, "7 times too large"),
        (EXPECTED / 5, "5 times too small"),
        (EXPECTED * 1.37, "constant factor of about 1.37"),
        (EXPECTED.round().astype(int), "integers"),
        (EXPECTED + 0j, "complex"),
        (np.where(EXPECTED > 4, np.inf, EXPECTED),
         "NaN or infinity in 1 of 6"),
        (EXPECTED + np.eye(2, 3), "wrong values in 2 of 6 entries"),
    ],
)
def test_each_mistake_is_diagnosed(actual, words):
    """Does each typical mistake get its own explanation?"""
    assert words in message(actual)


def test_column_vector_vs_flat_vector():
    """Is (n,) vs (n, 1) named as a missing or extra axis?"""
    col = np.arange(1.0, 4.0)[:, None]
    assert "missing axis of length 1" in message(col.ravel(), col)
    assert "extra axis of length 1" in message(col, col.ravel())


def test_scalars_expected():
    """Is an array where one number is wanted (a gradient) explained?"""
    text = message(np.array([7.0, -2.0]), 2.6)
    assert "single number" in text and "gradient" not in text
    with pytest.raises(AssertionError, match="dot product"):
        assert_close(np.array([7.0, -2.0]), 2.6, "d", hint="A gradient "
                     "returned where its dot product with v was asked?")
    assert "wrong value" in message(2.5, 2.6)
    assert "twice as large" in message(5.2, 2.6)
    # A scalar slightly off is not called "a constant factor", and an
    # integer ratio of two numbers is a coincidence, not a cause.
    assert "factor" not in message(2.61, 2.6)
    assert "times" not in message(1.0, 6.0001)
    assert "wrong value" in message(1.0, 6.0001)


@pytest.mark.parametrize("seed", range(5))
def test_messages_never_show_expected_values(seed):
    """Are the expected numbers kept out of every message?"""
    rng = np.random.default_rng(seed)
    expected = rng.normal(size=(3, 2))
    wrongs = [expected.T, -expected, 2 * expected, expected + 1,
              expected.ravel(), expected.astype(np.float32) * 3]
    for wrong in wrongs:
        text = message(wrong, expected)
        for value in expected.ravel():
            for digits in (3, 4, 6):
                assert f"{value:.{digits}f}" not in text, text


def test_tolerances_are_respected():
    """Are rtol and atol passed on as in np.allclose?"""
    assert_close(1.001, 1.0, "x", rtol=1e-2)
    with pytest.raises(AssertionError):
        assert_close(1.001, 1.0, "x")
    assert_close(1e-9, 0.0, "x")
    with pytest.raises(AssertionError):
        assert_close(1e-9, 0.0, "x", atol=1e-12)


# --------------------------------------------------------------------------
# assert_not_delegating
# --------------------------------------------------------------------------
FORBIDDEN = (cud.central_difference, np.gradient)


def own(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def by_alias(f, x, h=1e-5):
    return renamed(f, x, h)


def by_module_attribute(f, x, h=1e-5):
    return course_utils.derivatives.central_difference(f, x, h)


def by_short_module(f, x, h=1e-5):
    return cud.central_difference(f, x, h)


def by_local_import(f, x, h=1e-5):
    from course_utils.derivatives import central_difference
    return central_difference(f, x, h)


def by_local_module_import(f, x, h=1e-5):
    import numpy
    return numpy.gradient(f(np.array([x - h, x, x + h])), h)[1]


def by_np_gradient(f, x, h=1e-5):
    return np.gradient(f(np.array([x - h, x, x + h])), h)[1]


def by_lambda(f, x, h=1e-5):
    go = lambda: cud.central_difference(f, x, h)  # noqa: E731
    return go()


def _helper(f, x, h):
    return np.gradient(f(np.array([x - h, x, x + h])), h)[1]


def by_helper(f, x, h=1e-5):
    return _helper(f, x, h)


partial_central = functools.partial(cud.central_difference, h=1e-3)


def by_partial(f, x, h=1e-5):
    return partial_central(f, x)


def by_default_argument(f, x, h=1e-5, rule=cud.central_difference):
    return rule(f, x, h)


def make_closure():
    rule = cud.central_difference

    def by_closure(f, x, h=1e-5):
        return rule(f, x, h)
    return by_closure


@pytest.mark.parametrize(
    "func",
    [by_alias, by_module_attribute, by_short_module, by_local_import,
     by_local_module_import, by_np_gradient, by_lambda, by_helper,
     by_partial, by_default_argument, make_closure()],
)
def test_delegation_is_detected(func):
    """Is every way of calling the reference kernel caught and explained?"""
    with pytest.raises(AssertionError) as info:
        assert_not_delegating(func, *FORBIDDEN)
    text = str(info.value)
    assert func.__name__ in text
    assert re.search(r"course_utils\.derivatives\.central_difference|"
                     r"numpy\.gradient", text)
    assert "yourself" in text


def test_own_implementation_passes():
    """Does a function that does the arithmetic itself pass?"""
    assert_not_delegating(own, *FORBIDDEN)
    assert_not_delegating(by_np_gradient, cud.central_difference)


def central_difference(f, x, h=1e-5):  # a student's own, same name
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        def along(t, idx=idx):
            z = x.copy()
            z[idx] = t
            return f(z)
        grad[idx] = central_difference(along, x[idx], h)
    return grad


def test_own_function_with_reference_name_passes():
    """Is a student's own central_difference not mistaken for the kernel?"""
    assert_not_delegating(numerical_gradient, cud.numerical_gradient,
                          np.gradient, cud.central_difference)
    assert_not_delegating(central_difference, cud.central_difference)


def test_dotted_names_are_accepted():
    """Can the forbidden functions be named as dotted strings?"""
    with pytest.raises(AssertionError, match="numpy.gradient"):
        assert_not_delegating(by_np_gradient, "numpy.gradient")
    with pytest.raises(AssertionError):
        assert_not_delegating(by_alias,
                              "course_utils.derivatives.central_difference")


def test_not_a_function():
    """Is a missing function (e.g. None) reported, not crashed on?"""
    with pytest.raises(AssertionError, match="Expected your function"):
        assert_not_delegating(None, np.gradient)


def test_call_checked_names_a_mutated_argument():
    """Does call_checked name the argument a function changed in place?"""
    from course_utils.checks import call_checked

    def moves(f, x):
        x += 1.0
        return x

    with pytest.raises(AssertionError, match="changed its input `x`"):
        call_checked(moves, np.sin, np.zeros(3), name="moves(f, x)")


def test_call_checked_returns_the_result_of_a_clean_call():
    """Does call_checked pass the result through when no input changed?"""
    from course_utils.checks import call_checked

    out = call_checked(lambda x, *, h=1.0: x * h, np.ones(2), h=3.0)
    assert np.array_equal(out, [3.0, 3.0])


def test_passed_prints_one_line(capsys):
    """Does passed print one line starting with a check mark?"""
    from course_utils.checks import passed

    passed("f: values right")
    assert capsys.readouterr().out == "\u2713 f: values right\n"


# --------------------------------------------------------------------------
# Diagnoses that are never wrong
# --------------------------------------------------------------------------
def _central(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def _precedence(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / 2*h  # noqa: E226 - the mistake


def _failure(func, *args, expected, **kwargs):
    from course_utils.checks import call_checked
    with pytest.raises(AssertionError) as info:
        got = call_checked(func, *args, name="d(...)", **kwargs)
        assert_close(got, expected, "d(...)")
    return str(info.value)


@pytest.mark.parametrize("h", [0.5, 0.1, 1e-3])
def test_a_power_of_h_is_named_as_precedence(h):
    """Is `/ 2*h` (a factor h**2) explained as brackets, not a mean?"""
    text = _failure(_precedence, np.exp, 1.0, h=h,
                    expected=_central(np.exp, 1.0, h))
    assert "h**2" in text and "brackets" in text
    assert "a mean" not in text and "1/N" not in text


def test_a_coincidental_factor_is_not_named():
    """Is f(x) + h - f(x) over h (always 1) just a wrong value?"""
    def wrong(f, x, h=1e-5):
        return (f(x) + h - f(x)) / h
    text = _failure(wrong, lambda t: t**2, 3.0, h=1e-4, expected=6.0001)
    assert "wrong value" in text
    assert "times" not in text and "a mean" not in text


def test_relative_error_is_the_tolerance_measure():
    """Is the reported error the one the tolerance compares (no 6.3e-07)?"""
    text = message(1.0 + 1.26e-6, 1.0)
    assert "relative error 1.3e-06, more than the 1e-06 allowed" in text
    # Where the right value is 0 the absolute error is what counts.
    text = message(np.array([1.0, 1e-5]), np.array([1.0, 0.0]))
    assert "absolute error 1e-05" in text and "relative" not in text


def test_mutation_is_reported_before_values():
    """Is a function that moves x told so, not given a value message?"""
    def moves(f, x, v, h=1e-5):
        x += h * v
        return (f(x) - f(x - 2 * h * v)) / (2 * h)
    text = _failure(moves, np.sum, np.ones(2), np.ones(2), expected=2.0)
    assert "changed its input `x` in place" in text


def test_integer_inputs_are_named():
    """Is an integer-array input named when the values come out wrong?"""
    def no_float_copy(f, x, h=1e-5):
        x = x.copy()
        grad = np.zeros(x.shape)
        for i in range(x.size):
            old = x[i]
            x[i] = old + h
            up = f(x)
            x[i] = old - h
            down = f(x)
            x[i] = old
            grad[i] = (up - down) / (2 * h)
        return grad
    text = _failure(no_float_copy, lambda p: 3 * p[0] * p[1] + p[0]**2,
                    np.array([1, 2]), expected=np.array([8.0, 3.0]))
    assert "integers" in text and "float" in text


def test_failure_renders_as_one_short_block():
    """Does a failure in a notebook cell show only the question and cause?

    Runs a real kernel (as nbgrader does) on a cell with a wrong answer
    and reads the error output the student, Validate and feedback see.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\n"
            "from course_utils.checks import assert_close, call_checked\n"
            "def central_difference(f, x, h=1e-5):\n"
            "    return (f(x + h) - f(x - h)) / 2*h\n"),
        nbformat.v4.new_code_cell(
            '"""Does central_difference compute (f(x+h) - f(x-h)) / (2h)?"""\n'
            "_d = call_checked(central_difference, np.exp, 1.0, h=0.1,\n"
            "                  name='central_difference(np.exp, 1.0, h=0.1)')\n"
            "assert_close(_d, 2.7228, 'central_difference(np.exp, 1.0, h=0.1)',"
            " rtol=1e-3)\n"),
        nbformat.v4.new_code_cell(
            '"""Is it zero?"""\n'
            "assert 1 + 1 == 3, 'one and one make two'\n"),
    ]
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   allow_errors=True).execute()
    (err,) = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(err.traceback))
    lines = text.splitlines()
    assert lines[0].startswith("\u2717 Test failed: Does central_difference")
    assert "h**2" in text and "brackets" in text
    assert "course_utils" not in text and "Traceback" not in text
    assert "2.7228" not in text
    assert len(lines) <= 6 and max(map(len, lines)) <= 76
    assert issubclass(AssertionError, AssertionError) and err.ename
    # A plain assert in a test cell shows the cell's line and message.
    (plain,) = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    text = "\n".join(plain.traceback)
    assert "one and one make two" in text and "course_utils" not in text


def test_errors_in_student_code_hide_the_helpers():
    """Does an error inside the student's function skip our frames?"""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from course_utils.checks import call_checked\n"
        "def stub(x):\n"
        "    raise ValueError(\"oops\")\n"
        "call_checked(stub, 1.0)\n")]
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   allow_errors=True).execute()
    (err,) = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(err.traceback))
    assert "ValueError: oops" in text and "stub" in text
    assert "course_utils/checks" not in text


def test_hints_apply_only_to_their_kind():
    """Is a shape hint kept out of a wrong-value message?"""
    hint = {"shape": "A gradient returned where its dot product was asked?"}
    with pytest.raises(AssertionError, match="dot product"):
        assert_close(np.ones(2), 2.6, "d", hint=hint)
    with pytest.raises(AssertionError) as info:
        assert_close(2.5, 2.6, "d", hint=hint)
    assert "dot product" not in str(info.value)


def test_an_unwritten_function_is_named():
    """Is a stub's NotImplementedError turned into 'not written yet'?"""
    from course_utils.checks import call_checked

    def forward_difference(f, x, h=1e-5):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="forward_difference is not "
                                             "written yet"):
        call_checked(forward_difference, np.sin, 1.0)


def test_check_fails_like_the_other_checks():
    """Does check() raise the same one-block failure as assert_close?"""
    from course_utils.checks import CheckFailed, check

    check(1 < 2, "never shown")
    with pytest.raises(CheckFailed, match="ratio is off") as info:
        check(False, "the ratio is off")
    assert isinstance(info.value, AssertionError)
    assert info.value._render_traceback_()[-1] == "  the ratio is off"


def test_a_factor_equal_to_the_sample_count_is_named():
    """Is a sum where a mean is wanted named when the factor is len(x)?"""
    from course_utils.checks import call_checked

    y = np.arange(5.0)
    total = call_checked(lambda y, y_hat: float(np.sum((y - y_hat) ** 2)),
                         y, np.zeros(5), name="mse(y, 0)")
    with pytest.raises(AssertionError) as info:
        assert_close(total, np.mean(y ** 2), "mse(y, 0)")
    assert "5 times too large" in str(info.value)
    assert "number of entries in `y`" in str(info.value)


def test_call_checked_lets_a_function_draw_from_its_generator():
    """Is drawing from a random generator argument not called a change?"""
    from course_utils.checks import call_checked

    rng = np.random.default_rng(0)
    out = call_checked(lambda n, rng: rng.standard_normal(n), 3, rng)
    assert out.shape == (3,)


def test_delegation_to_a_package_imported_inside_the_function_is_found():
    """Is a lazily imported forbidden function found, the package unloaded?"""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent('''
        import sys
        from course_utils.checks import assert_not_delegating
        sys.modules.pop("statistics", None)
        mine, theirs = {}, {}
        exec("def mean(xs):\\n    return sum(xs) / len(xs)", mine)
        exec("def mean(xs):\\n    from statistics import fmean\\n"
             "    return fmean(xs)", theirs)
        assert_not_delegating(mine["mean"], "statistics.fmean")
        assert "statistics" not in sys.modules  # not imported for mine
        try:
            assert_not_delegating(theirs["mean"], "statistics.fmean")
        except AssertionError:
            print("refused")
    ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "refused"
