"""Tests for course_utils.descent (chapter 02).

Oracles: np.linalg.solve / lstsq for the answers, central differences
for the gradient, and the textbook iteration bounds for the speed.
"""

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.datasets import seed_linear_system, spd_system
from course_utils.derivatives import numerical_gradient
from course_utils.descent import (
    METHODS,
    DescentResult,
    DivergenceError,
    conjugate_gradient,
    gradient_descent,
    lls_constants,
    lls_gradient,
    lls_objective,
    max_stable_lr,
    quadratic_gradient,
    quadratic_objective,
    solve_lls,
)

TOL = 1e-8


# ------------------------------------------------------------- problems
@functools.cache
def seed_problem():
    """F(x) = ||Ax - b||^2 on the 4x4 seed system."""
    A, b, x_true = seed_linear_system()
    H = 2.0 * A.T @ A
    c = 2.0 * A.T @ b

    def f(x):
        r = A @ x - b
        return float(r @ r)

    return dict(f=f, grad=lambda x: H @ x - c, H=H, x_true=x_true,
                f_star=0.0, x0=np.zeros(4))


@functools.cache
def spd_problem():
    """f(x) = 1/2 x^T S x - c^T x on the 200x200 system, cond 1e3."""
    S, c = spd_system(n=200, cond=1e3, seed=0)
    x_true = np.linalg.solve(S, c)

    def f(x):
        return float(0.5 * x @ (S @ x) - c @ x)

    return dict(f=f, grad=lambda x: S @ x - c, H=S, x_true=x_true,
                f_star=f(x_true), x0=np.zeros(200))


PROBLEMS = {"seed 4x4": seed_problem, "SPD 200x200": spd_problem}


def curvature(H):
    eig = np.linalg.eigvalsh(H)
    return float(eig[-1]), float(eig[0])


def first_k(bound, target, k_max=10**7):
    """Smallest k >= 0 with bound(k) <= target."""
    k = 0
    while bound(k) > target:
        k += 1
        if k > k_max:
            raise AssertionError("bound never reaches the target")
    return k


# ------------------------------------------------------- the objective
def test_lls_objective_and_gradient_on_hand_case():
    """Do F and its gradient match a hand computation on the 2x2 system?"""
    A, b, x_true = seed_linear_system(n=2)
    x = np.array([1.0, 1.0])
    # A x - b = (6 - 22, 11 - 49) = (-16, -38)
    assert lls_objective(A, b, x) == 16.0**2 + 38.0**2
    expected = 2.0 * A.T @ np.array([-16.0, -38.0])
    np.testing.assert_allclose(lls_gradient(A, b, x), expected)
    assert lls_objective(A, b, x_true) == 0.0
    np.testing.assert_array_equal(lls_gradient(A, b, x_true), [0.0, 0.0])


@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 6), D=st.integers(1, 6), seed=st.integers(0, 99))
def test_lls_gradient_matches_central_differences(N, D, seed):
    """Does 2 A^T (Ax - b) have shape (D,) and match central differences?"""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((N, D))
    b = rng.standard_normal(N)
    x = rng.standard_normal(D)
    grad = lls_gradient(A, b, x)
    assert grad.shape == (D,) and grad.dtype == np.float64
    numeric = numerical_gradient(lambda v: lls_objective(A, b, v), x)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(D=st.integers(1, 6), seed=st.integers(0, 99))
def test_quadratic_gradient_matches_central_differences(D, seed):
    """Does A x - b match central differences of 1/2 x^T A x - b^T x?"""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((D, D))
    A = M + M.T
    b = rng.standard_normal(D)
    x = rng.standard_normal(D)
    numeric = numerical_gradient(lambda v: quadratic_objective(A, b, v), x)
    np.testing.assert_allclose(quadratic_gradient(A, b, x), numeric,
                               rtol=1e-6, atol=1e-6)


def test_max_stable_lr_is_two_over_largest_eigenvalue():
    """Is max_stable_lr(A) = 2 / L with L the top eigenvalue of 2 A^T A?"""
    A, _, _ = seed_linear_system()
    L = np.linalg.eigvalsh(2.0 * A.T @ A)[-1]
    assert math.isclose(max_stable_lr(A), 2.0 / L, rel_tol=1e-12)
    L2, mu2 = lls_constants(A)
    assert math.isclose(L2, L, rel_tol=1e-12) and 0 < mu2 < L2


def test_lls_constants_reports_zero_mu_for_dependent_columns():
    """Is mu 0.0 when A has two equal columns?"""
    A = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert lls_constants(A)[1] == 0.0


def test_lr_just_below_and_above_the_limit():
    """Does lr = 0.99 * 2/L converge and lr = 1.01 * 2/L diverge?"""
    A, b, x_true = seed_linear_system()
    lr_max = max_stable_lr(A)
    result = solve_lls(A, b, method="fixed", lr=0.99 * lr_max,
                       max_iter=50_000)
    assert result.converged
    np.testing.assert_allclose(result.x, x_true, atol=1e-7)
    with pytest.raises(DivergenceError) as info:
        solve_lls(A, b, method="fixed", lr=1.01 * lr_max, max_iter=50_000)
    assert "max_stable_lr" in str(info.value)
    path = info.value.result.path
    assert np.all(np.isfinite(path)) and path.shape[1] == 4


# ---------------------------------------------------- the seed figures
def test_seed_course_run_reaches_1_2_3_4():
    """Does fixed lr = 0.01 for 5000 steps from a random start reach
    [1, 2, 3, 4], as in the seed course?"""
    A, b, x_true = seed_linear_system()
    x0 = np.random.default_rng(0).standard_normal(4)
    result = gradient_descent(lambda x: lls_gradient(A, b, x), x0, lr=0.01,
                              tol=0.0, max_iter=5000)
    assert result.n_iter == 5000 and result.path.shape == (5001, 4)
    np.testing.assert_allclose(result.x, x_true, atol=1e-9)


def test_two_by_two_system_solves_to_3_5():
    """Does every method solve 4a + 2b = 22, 3a + 8b = 49 to (3, 5)?"""
    A, b, x_true = seed_linear_system(n=2)
    for method in ("cg",) + METHODS:
        result = solve_lls(A, b, method=method)
        assert result.converged, method
        np.testing.assert_allclose(result.x, x_true, atol=1e-8)


def test_bb_reaches_tolerance_within_50_iterations():
    """Does BB reach ||grad|| <= 1e-8 on the seed system within 50
    iterations (the seed course used 5000 fixed steps)?"""
    A, b, x_true = seed_linear_system()
    result = solve_lls(A, b, method="bb", tol=1e-8)
    assert result.converged and result.n_iter <= 50
    np.testing.assert_allclose(result.x, x_true, atol=1e-8)


# ------------------------------------------ iteration bounds per method
def run(problem, method):
    """Run a method with its lr=None default; f only where it is used."""
    L, mu = curvature(problem["H"])
    f = problem["f"] if method == "line_search" else None
    result = gradient_descent(problem["grad"], problem["x0"], method=method,
                              f=f, L=L, mu=mu, tol=TOL, max_iter=100_000)
    assert result.converged, result.message
    np.testing.assert_allclose(result.x, problem["x_true"], atol=1e-6)
    return result, L, mu


@pytest.mark.parametrize("name", PROBLEMS)
def test_fixed_step_within_its_bound(name):
    """Does fixed lr = 1/L stop within k <= the first k with
    (1 - 1/kappa)^k ||g0|| <= tol?  (g_k = (I - H/L)^k g_0.)"""
    problem = PROBLEMS[name]()
    result, L, mu = run(problem, "fixed")
    g0, rate = result.grad_norm[0], 1.0 - mu / L
    assert result.n_iter <= first_k(lambda k: rate**k * g0, TOL)


@pytest.mark.parametrize("name", PROBLEMS)
def test_optimal_step_within_its_bound(name):
    """Does lr = 2/(L + mu) stop within k <= the first k with
    ((kappa - 1)/(kappa + 1))^k ||g0|| <= tol?"""
    problem = PROBLEMS[name]()
    result, L, mu = run(problem, "optimal")
    g0, rate = result.grad_norm[0], (L - mu) / (L + mu)
    assert result.n_iter <= first_k(lambda k: rate**k * g0, TOL)


@pytest.mark.parametrize("name", PROBLEMS)
def test_heavy_ball_within_its_bound(name):
    """Does Polyak's heavy ball stop within k <= the first k with
    (2k + 1) rho^k ||g0|| <= tol, rho = (sqrt(kappa) - 1)/(sqrt(kappa)
    + 1)?  (Each eigen-component is rho^k (U_k - rho U_{k-1}) times its
    start, U the Chebyshev polynomials, |U_k| <= k + 1.)"""
    problem = PROBLEMS[name]()
    result, L, mu = run(problem, "momentum")
    root = math.sqrt(L / mu)
    g0, rho = result.grad_norm[0], (root - 1.0) / (root + 1.0)
    assert result.n_iter <= first_k(lambda k: (2 * k + 1) * rho**k * g0,
                                    TOL)


@pytest.mark.parametrize("name", PROBLEMS)
def test_nesterov_within_its_bound(name):
    """Does Nesterov (lr = 1/L, beta = (sqrt(kappa) - 1)/(sqrt(kappa)
    + 1)) stop within k <= the first k with 2 (k + 1) rho^(k - 1) ||g0||
    <= tol, rho = 1 - 1/sqrt(kappa)?  (Same Chebyshev argument on the
    look-ahead points.)"""
    problem = PROBLEMS[name]()
    result, L, mu = run(problem, "nesterov")
    g0, rho = result.grad_norm[0], 1.0 - math.sqrt(mu / L)
    bound = first_k(lambda k: 2 * (k + 1) * rho ** (k - 1) * g0, TOL)
    assert result.n_iter <= bound


@pytest.mark.parametrize("name", PROBLEMS)
def test_line_search_within_its_bound(name):
    """Does backtracking Armijo (alpha = 0.3, beta = 0.5, first try 1)
    stop within Boyd & Vandenberghe's bound (9.3.1): f_k - f* <= c^k
    (f_0 - f*), c = 1 - min(2 mu alpha, 2 beta alpha mu / L), reaching
    f - f* <= tol^2 / (2L), which forces ||grad|| <= tol?"""
    problem = PROBLEMS[name]()
    result, L, mu = run(problem, "line_search")
    alpha, beta = 0.3, 0.5
    c = 1.0 - min(2 * mu * alpha * 1.0, 2 * beta * alpha * mu / L)
    gap0 = result.objective[0] - problem["f_star"]
    bound = first_k(lambda k: c**k * gap0, TOL**2 / (2 * L))
    assert result.n_iter <= bound
    assert np.all(np.diff(result.objective) <= 1e-9 * abs(gap0))


@pytest.mark.parametrize("name", PROBLEMS)
def test_bb_within_the_fixed_step_bound(name):
    """Does BB stop within the fixed-step bound (1 - 1/kappa)^k ||g0||
    <= tol?  (BB is only known to converge R-linearly, with no sharp
    iteration bound, so the fixed-step bound is the sanity check.)"""
    problem = PROBLEMS[name]()
    result, L, mu = run(problem, "bb")
    g0, rate = result.grad_norm[0], 1.0 - mu / L
    assert result.n_iter <= first_k(lambda k: rate**k * g0, TOL)


@pytest.mark.parametrize("name", PROBLEMS)
def test_cg_within_its_bound(name):
    """Does CG stop within min(D, k*) + 2 iterations, k* the first k with
    2 sqrt(kappa) rho^k ||r0|| <= tol, rho = (sqrt(kappa) - 1) /
    (sqrt(kappa) + 1)?  (D steps suffice in exact arithmetic; the slack
    of 2 absorbs round-off.)"""
    problem = PROBLEMS[name]()
    H = problem["H"]
    c = -problem["grad"](np.zeros(H.shape[0]))
    result = conjugate_gradient(H, c, tol=TOL)
    assert result.converged
    np.testing.assert_allclose(result.x, np.linalg.solve(H, c), atol=1e-8)
    L, mu = curvature(H)
    root = math.sqrt(L / mu)
    rho, r0 = (root - 1.0) / (root + 1.0), result.grad_norm[0]
    k_star = first_k(lambda k: 2 * root * rho**k * r0, TOL)
    assert result.n_iter <= min(H.shape[0], k_star) + 2


# ------------------------------------------------------- against lstsq
@pytest.mark.parametrize("method", ("cg",) + METHODS)
@pytest.mark.parametrize("seed", [0, 1])
def test_solve_lls_matches_lstsq(method, seed):
    """Does solve_lls agree with np.linalg.lstsq on a random 30x5
    overdetermined system?"""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((30, 5))
    b = rng.standard_normal(30)
    result = solve_lls(A, b, method=method, tol=1e-10)
    assert result.converged
    expected = np.linalg.lstsq(A, b, rcond=None)[0]
    np.testing.assert_allclose(result.x, expected, atol=1e-9)


# ------------------------------------------------- the result's history
def test_result_history_shapes():
    """Are path (n_iter + 1, D), grad_norm and objective (n_iter + 1,)?"""
    A, b, _ = seed_linear_system()
    result = solve_lls(A, b, method="fixed", lr=0.01, max_iter=10)
    assert isinstance(result, DescentResult)
    assert result.n_iter == 10 and not result.converged
    assert result.path.shape == (11, 4)
    assert result.grad_norm.shape == (11,)
    assert result.objective.shape == (11,)
    assert len(result.lrs) == 10
    assert "max_iter" in result.message
    np.testing.assert_array_equal(result.x, result.path[-1])
    np.testing.assert_array_equal(result.path[0], np.zeros(4))


def test_objective_is_none_without_f():
    """Is objective None when no f is given?"""
    result = gradient_descent(lambda x: 2 * x, np.ones(3), lr=0.25)
    assert result.objective is None and result.converged


def test_x0_is_not_modified():
    """Is the caller's x0 left untouched?"""
    x0 = np.ones(3)
    gradient_descent(lambda x: 2 * x, x0, lr=0.1)
    np.testing.assert_array_equal(x0, np.ones(3))


def test_callback_sees_every_iterate_and_can_stop():
    """Is the callback called with (k, x, g) and does True stop the run?"""
    seen = []

    def callback(k, x, g):
        seen.append(k)
        return k == 3

    result = gradient_descent(lambda x: 2 * x, np.ones(2), lr=0.1,
                              callback=callback)
    assert seen == [0, 1, 2, 3]
    assert result.n_iter == 3 and not result.converged


@settings(max_examples=20, deadline=None)
@given(D=st.integers(1, 8), method=st.sampled_from(METHODS))
def test_every_method_keeps_shapes(D, method):
    """Does every method return x (D,) and path (n_iter + 1, D)?"""
    x0 = np.linspace(-1.0, 1.0, D)
    result = gradient_descent(lambda x: 2.0 * x, x0, method=method,
                              f=lambda x: float(x @ x), L=2.0, mu=2.0)
    assert result.converged
    assert result.x.shape == (D,) and result.x.dtype == np.float64
    assert result.path.shape == (result.n_iter + 1, D)


# ------------------------------------------------ errors for students
@pytest.mark.parametrize("method", ["fixed", "optimal", "momentum",
                                    "nesterov"])
def test_divergence_raises_instead_of_returning_nan(method):
    """Does a far too large lr raise DivergenceError, never return nan?
    (BB and line search adapt the step, so they do not diverge here.)"""
    options = {"lr": 10.0}
    if method == "optimal":
        options = {"L": 2.0, "mu": 0.001}  # mu, L lie: true L is 200
    grad = lambda x: np.array([200.0, 2.0]) * x  # noqa: E731
    with pytest.raises(DivergenceError, match="diverged"):
        gradient_descent(grad, np.ones(2), method=method, **options)


def test_divergence_error_is_a_value_error():
    """Can students catch DivergenceError as a ValueError?"""
    assert issubclass(DivergenceError, ValueError)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(grad=np.ones(2)), TypeError, "function"),
        (dict(lr=0.0), ValueError, "lr"),
        (dict(lr=-0.1), ValueError, "lr"),
        (dict(lr=float("nan")), ValueError, "lr"),
        (dict(method="adam"), ValueError, "unknown method"),
        (dict(x0=[1.0, float("nan")]), ValueError, "NaN"),
        (dict(x0=np.ones((2, 2))), ValueError, "shape"),
        (dict(lr=None), ValueError, "lr="),
        (dict(method="line_search"), ValueError, "f="),
        (dict(method="optimal", lr=None, L=2.0), ValueError, "mu"),
        (dict(method="optimal"), ValueError, "drop lr"),
        (dict(tol=-1.0), ValueError, "tol"),
        (dict(max_iter=2.5), TypeError, "max_iter"),
        (dict(grad=lambda x: np.ones(3)), ValueError, "same shape"),
        (dict(momentum=1.5, method="momentum"), ValueError, "momentum"),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, error, match):
    """Does each bad argument raise an error that names the problem?"""
    args = dict(grad=lambda x: 2 * x, x0=np.ones(2), lr=0.1)
    args.update(kwargs)
    grad, x0 = args.pop("grad"), args.pop("x0")
    with pytest.raises(error, match=match):
        gradient_descent(grad, x0, **args)


def test_lls_shape_mismatch_is_explained():
    """Does lls_gradient say which sizes disagree?"""
    A, b, _ = seed_linear_system()
    with pytest.raises(ValueError, match="4 columns but x has 3"):
        lls_gradient(A, b, np.ones(3))
    with pytest.raises(ValueError, match="4 rows but b has 2"):
        lls_objective(A, b[:2], np.ones(4))


def test_cg_rejects_non_square_non_symmetric_and_indefinite():
    """Does CG say clearly when A is not square, symmetric or PD?"""
    with pytest.raises(ValueError, match="square"):
        conjugate_gradient(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="not symmetric"):
        conjugate_gradient(np.array([[2.0, 1.0], [0.0, 2.0]]), np.ones(2))
    with pytest.raises(ValueError, match="positive definite"):
        conjugate_gradient(np.diag([1.0, -1.0]), np.ones(2))


def test_optimal_step_needs_independent_columns():
    """Does solve_lls refuse 'optimal' when A has dependent columns?"""
    A = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    with pytest.raises(ValueError, match="dependent columns"):
        solve_lls(A, np.ones(3), method="optimal")
