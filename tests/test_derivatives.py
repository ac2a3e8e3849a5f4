"""Do the chapter 01 reference kernels agree with analytic derivatives?"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_utils.derivatives import (
    EPS,
    central_difference,
    complex_step,
    directional_derivative,
    forward_difference,
    gradient_check,
    numerical_gradient,
    numerical_jacobian,
    relative_error,
)

# (f, f') pairs that also accept complex input (for the complex step).
FUNCTIONS = {
    "sin": (np.sin, np.cos),
    "exp": (np.exp, np.exp),
    "cube": (lambda x: x**3 - x, lambda x: 3 * x**2 - 1),
    "chain": (lambda x: np.sin(x**2) + 5, lambda x: 2 * x * np.cos(x**2)),
    "log": (np.log, lambda x: 1 / x),
}
POINTS = [0.3, 1.0, 2.5]


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("x0", POINTS)
def test_default_steps_reach_their_theoretical_accuracy(name, x0):
    """Are forward ~sqrt(eps), central ~eps**(2/3), complex step exact?"""
    f, df = FUNCTIONS[name]
    exact = df(x0)
    scale = max(1.0, abs(exact), abs(f(x0)))
    assert abs(forward_difference(f, x0) - exact) < 1e-7 * scale
    assert abs(central_difference(f, x0) - exact) < 1e-9 * scale
    assert abs(complex_step(f, x0) - exact) <= 4 * EPS * max(1, abs(exact))


@pytest.mark.parametrize("x0", [-1e3, 1e4, 3e6])
def test_default_steps_scale_with_x(x0):
    """Does the default h grow with |x| (else x + h == x for large x)?"""
    f, df = FUNCTIONS["cube"]
    exact = df(x0)
    assert forward_difference(f, x0) == pytest.approx(exact, rel=1e-6)
    assert central_difference(f, x0) == pytest.approx(exact, rel=1e-9)


def test_course_examples():
    """Do the worked examples of chapter 01 come out as in the text?"""
    assert forward_difference(lambda x: x**2, 3.0, h=1e-4) == pytest.approx(
        6.0001, abs=1e-9)
    x_q = np.array([1.0, 1.5, 1.9, 1.99, 1.999])
    secants = (x_q**2 - 4) / (x_q - 2)
    np.testing.assert_allclose(secants, [3, 3.5, 3.9, 3.99, 3.999])
    f = lambda p: 3 * p[0] * p[1] + p[0] ** 2  # noqa: E731
    np.testing.assert_allclose(numerical_gradient(f, np.array([1.0, 2.0])),
                               [8.0, 3.0], rtol=1e-8)
    g = lambda p: p[0] ** 2 * p[1]  # noqa: E731
    np.testing.assert_allclose(numerical_gradient(g, np.array([3.0, -1.0])),
                               [-6.0, 9.0], rtol=1e-8)
    d = lambda p: p[0] ** 2 - p[0] * p[1]  # noqa: E731
    np.testing.assert_allclose(numerical_gradient(d, [2.0, -3.0]), [7, -2])
    assert directional_derivative(d, [2.0, -3.0], [0.6, 0.8]) == (
        pytest.approx(2.6, abs=1e-8))


def test_explicit_step_is_used():
    """Is h used exactly as given (x**2: forward = 2x + h, central = 2x)?"""
    assert forward_difference(lambda x: x**2, 2.0, h=0.5) == 4.5
    assert central_difference(lambda x: x**2, 3.0, h=0.5) == 6.0
    assert central_difference(lambda x: x**3, 1.0, h=0.1) == pytest.approx(
        3.01)


def test_arrays_are_differentiated_elementwise():
    """Does an array x give one slope per point, float64, same shape?"""
    xs = np.linspace(-2, 2, 12).reshape(3, 4)
    for rule in (forward_difference, central_difference, complex_step):
        out = rule(np.sin, xs)
        assert out.shape == xs.shape and out.dtype == np.float64
        np.testing.assert_allclose(out, np.cos(xs), atol=1e-6)
    assert isinstance(central_difference(np.sin, 1.0), float)


def test_central_is_second_order_forward_first_order():
    """Does halving h divide the error by 4 (central) and 2 (forward)?"""
    def ratio(rule):
        e1 = abs(rule(np.exp, 0.0, h=0.1) - 1)
        e2 = abs(rule(np.exp, 0.0, h=0.05) - 1)
        return e1 / e2
    assert ratio(central_difference) == pytest.approx(4, rel=0.02)
    assert ratio(forward_difference) == pytest.approx(2, rel=0.05)


@pytest.mark.parametrize("h", [0.0, -1e-3, np.nan, np.inf])
def test_bad_steps_are_rejected(h):
    """Is a step that is not positive and finite a clear ValueError?"""
    for rule in (forward_difference, central_difference, complex_step):
        with pytest.raises(ValueError, match="positive"):
            rule(np.sin, 1.0, h=h)
    with pytest.raises(ValueError, match="positive"):
        numerical_gradient(np.sum, np.ones(3), h=h)


def test_bad_inputs_are_explained():
    """Do non-callables, NaN points and non-scalar losses raise clearly?"""
    with pytest.raises(TypeError, match="function"):
        forward_difference(np.sin(1.0), 1.0)
    with pytest.raises(TypeError, match="positive number"):
        central_difference(np.sin, 1.0, h="small")
    with pytest.raises(ValueError, match="NaN"):
        central_difference(np.sin, np.nan)
    with pytest.raises(ValueError, match="NaN"):
        numerical_gradient(np.sum, np.array([1.0, np.inf]))
    with pytest.raises(TypeError, match="single number"):
        numerical_gradient(lambda x: x**2, np.ones(3))
    with pytest.raises(TypeError, match="single number"):
        central_difference(lambda x: np.array([x, x]), 1.0)
    with pytest.raises(TypeError, match="same shape"):
        forward_difference(lambda x: np.sum(x), np.ones(3), h=1e-3)
    with pytest.raises(TypeError, match="imaginary"):
        complex_step(lambda x: float(np.real(x)) ** 2, 1.0)
    with pytest.raises(TypeError, match="numbers"):
        numerical_gradient(np.sum, "abc")


@settings(max_examples=40, deadline=None)
@given(
    x=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
        elements=st.floats(-3, 3),
    ),
    seed=st.integers(0, 2**16),
)
def test_numerical_gradient_any_shape(x, seed):
    """Does numerical_gradient match the analytic gradient for any shape?"""
    rng = np.random.default_rng(seed)
    c = rng.normal(size=x.shape)
    s = rng.uniform(0.5, 2, size=x.shape)
    f = lambda z: np.sum(c * np.sin(z)) + 0.5 * np.sum(s * z**2)  # noqa
    before = x.copy()
    grad = numerical_gradient(f, x)
    assert grad.shape == x.shape and grad.dtype == np.float64
    np.testing.assert_allclose(grad, c * np.cos(x) + s * x, atol=1e-7)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_perturbs_one_entry_at_a_time():
    """Does f see x with exactly one entry moved, and x restored after?"""
    x = np.arange(6.0).reshape(2, 3)
    seen = []

    def f(z):
        seen.append(z.copy())
        return float(np.sum(z**2))

    numerical_gradient(f, x, h=0.25)
    assert len(seen) == 2 * x.size
    for z in seen:
        moved = np.flatnonzero(z != x)
        assert moved.size == 1 and abs(z.flat[moved[0]] - x.flat[
            moved[0]]) == 0.25
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))


def test_numerical_gradient_accepts_integer_input():
    """Is an integer x treated as float (no truncated gradient)?"""
    grad = numerical_gradient(lambda z: np.sum(z**2) / 3, np.array([1, 2]))
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, [2 / 3, 4 / 3])


def test_numerical_jacobian_is_numerator_layout():
    """Is the Jacobian of A x (m, n) = A, not its transpose?"""
    rng = np.random.default_rng(3)
    A = rng.normal(size=(4, 3))
    b = rng.normal(size=4)
    x = rng.normal(size=3)
    J = numerical_jacobian(lambda z: A @ z - b, x)
    assert J.shape == (4, 3)
    np.testing.assert_allclose(J, A, atol=1e-9)
    # Elementwise map: diagonal Jacobian.
    J = numerical_jacobian(np.sin, x)
    np.testing.assert_allclose(J, np.diag(np.cos(x)), atol=1e-9)
    # Gradient of ||y||^2 is 2y: the Jacobian of a scalar is one row.
    J = numerical_jacobian(lambda y: np.sum(y**2), x)
    np.testing.assert_allclose(J, 2 * x[None, :], atol=1e-8)


@settings(max_examples=30, deadline=None)
@given(d=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_directional_derivative_is_gradient_dot_v(d, seed):
    """Is D_v f = grad f . v, with v used as given (not normalised)?"""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    f = lambda z: 0.5 * z @ A @ z + np.sum(np.cos(z))  # noqa: E731
    x = rng.normal(size=d)
    v = rng.normal(size=d) * rng.uniform(0.1, 10)
    expected = (0.5 * (A + A.T) @ x - np.sin(x)) @ v
    got = directional_derivative(f, x, v)
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert directional_derivative(f, x, 2 * v) == pytest.approx(
        2 * got, rel=1e-6, abs=1e-6)


def test_directional_derivative_edge_cases():
    """Zero direction gives 0; a shape mismatch is a clear error."""
    assert directional_derivative(np.sum, np.ones(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        directional_derivative(np.sum, np.ones(3), np.ones(2))


def test_gradient_check():
    """Is a right gradient ~1e-9 off, a wrong one (transposed, 2x) ~1?"""
    rng = np.random.default_rng(5)
    A = rng.normal(size=(3, 4))
    X = rng.normal(size=(3, 4))
    f = lambda W: np.sum(A * W**2)  # noqa: E731
    assert gradient_check(f, X, 2 * A * X) < 1e-8
    assert gradient_check(f, X, 4 * A * X) > 0.3
    assert gradient_check(np.sum, np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match="shape"):
        gradient_check(f, X, (2 * A * X).T)
    with pytest.raises(ValueError, match="NaN"):
        gradient_check(f, X, np.full_like(X, np.nan))


def test_relative_error_is_robust():
    """Is the relative error symmetric, in [0, 1], and 0 for 0 vs 0?"""
    a = np.array([0.0, 1.0, -2.0, 1e-300])
    b = np.array([0.0, 1.0, 2.0, 0.0])
    err = relative_error(a, b)
    np.testing.assert_array_equal(err, [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(err, relative_error(b, a))


def test_scalar_x_reaches_f_as_a_float():
    """Can f be written with the math module when x is one number?"""
    import cmath
    import math

    assert central_difference(math.sin, 1.0) == pytest.approx(math.cos(1.0))
    assert forward_difference(math.exp, 0.0) == pytest.approx(1.0)
    assert complex_step(cmath.exp, 0.0) == pytest.approx(1.0, abs=1e-15)
