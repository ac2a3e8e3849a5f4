"""Tests for course_utils.regression (chapter 03).

Oracles: the seed course's figures, np.linalg.lstsq for the closed form
and central differences for the gradient.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.datasets import celsius_fahrenheit, study_hours
from course_utils.derivatives import numerical_gradient
from course_utils.descent import DivergenceError
from course_utils.regression import (
    fit_gd,
    least_squares,
    mse,
    mse_gradient,
    predict,
    standardize,
    unscale,
)

# The seed's cost table for y_hat = w x on study_hours(); every entry is
# exact (none is rounded).
COST_TABLE = {2: 1447, 8: 331, 9: 222, 10: 135, 11: 70, 12: 27, 14: 7,
              15: 30, 16: 75, 17: 142, 18: 231, 19: 342}


# ------------------------------------------------------ the seed figures
@pytest.mark.parametrize("w, cost", COST_TABLE.items())
def test_cost_table_of_the_w_only_model(w, cost):
    """Does mse reproduce the seed's cost table for y_hat = w x exactly?"""
    x, y = study_hours()
    assert mse(y, predict(x, w)) == cost


def test_delta_rule_first_steps_and_limit():
    """Does the delta rule (w0 = 1, lr = 0.06) give cost 1710, then
    w = 17.44, 12.1792, 13.862656, and converge to 740 / 55?"""
    x, y = study_hours()
    w, b, history = fit_gd(x, y, lr=0.06, num_epochs=10,
                           fit_intercept=False, w0=1.0)
    assert history["cost"][0] == 1710.0
    np.testing.assert_allclose(history["w"][1:4],
                               [17.44, 12.1792, 13.862656], rtol=1e-12)
    assert b == 0.0 and np.all(history["b"] == 0.0)
    assert history["w"].shape == history["cost"].shape == (11,)
    w, _, _ = fit_gd(x, y, lr=0.06, num_epochs=200, fit_intercept=False,
                     w0=1.0)
    assert math.isclose(w, 740 / 55, rel_tol=1e-12)
    w_ls, b_ls = least_squares(x, y, fit_intercept=False)
    assert math.isclose(w_ls, 740 / 55, rel_tol=1e-12) and b_ls == 0.0


def test_first_step_of_the_w_b_model():
    """Does the (w, b) model with half MSE, w0 = 1, b0 = 0, lr = 0.06
    start at cost 855.0 and step to w = 9.22, b = 2.28?"""
    x, y = study_hours()
    w, b, history = fit_gd(x, y, lr=0.06, num_epochs=1, w0=1.0, b0=0.0,
                           half=True)
    assert history["cost"][0] == 855.0
    assert math.isclose(w, 9.22, rel_tol=1e-12)
    assert math.isclose(b, 2.28, rel_tol=1e-12)
    assert mse(y, predict(x, 1.0, 0.0), half=True) == 855.0


def test_w_b_model_converges_to_the_closed_form():
    """Does GD on the (w, b) model reach the least-squares line?"""
    x, y = study_hours()
    w, b, _ = fit_gd(x, y, lr=0.06, num_epochs=5000, w0=1.0, half=True)
    w_ls, b_ls = least_squares(x, y)
    expected = np.polyfit(x, y, 1)
    np.testing.assert_allclose([w_ls, b_ls], expected, rtol=1e-12)
    np.testing.assert_allclose([w, b], [w_ls, b_ls], rtol=1e-9)


def test_celsius_fahrenheit_needs_scaling():
    """Is the line exactly 1.8 c + 32, found by GD once c is scaled,
    while lr = 0.01 on raw celsius diverges?"""
    c, f = celsius_fahrenheit()
    w, b = least_squares(c, f)
    assert math.isclose(w, 1.8) and math.isclose(b, 32.0)
    w_s, b_s, _ = fit_gd(c / 100.0, f, lr=0.5, num_epochs=3000)
    assert math.isclose(w_s / 100.0, 1.8, rel_tol=1e-8)
    assert math.isclose(b_s, 32.0, rel_tol=1e-8)
    with pytest.raises(DivergenceError, match="smaller lr"):
        fit_gd(c, f, lr=0.01, num_epochs=1000)


# ------------------------------------------------------ independent oracles
@settings(max_examples=30, deadline=None)
@given(N=st.integers(2, 20), D=st.sampled_from([None, 1, 3]),
       half=st.booleans(), seed=st.integers(0, 999))
def test_mse_gradient_matches_central_differences(N, D, half, seed):
    """Does mse_gradient match central differences in (w, b), for x of
    shape (N,) and (N, D)?"""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(N if D is None else (N, D))
    y = rng.standard_normal(N)
    w = rng.standard_normal() if D is None else rng.standard_normal(D)
    b = float(rng.standard_normal())
    dw, db = mse_gradient(x, y, w, b, half=half)
    num_w = numerical_gradient(
        lambda v: mse(y, predict(x, v, b), half=half), w)
    num_b = numerical_gradient(
        lambda v: mse(y, predict(x, w, v), half=half), b)
    np.testing.assert_allclose(dw, num_w, rtol=1e-6, atol=1e-8)
    assert math.isclose(db, float(num_b), rel_tol=1e-6, abs_tol=1e-8)
    assert np.shape(dw) == np.shape(w) and isinstance(db, float)


@settings(max_examples=30, deadline=None)
@given(N=st.integers(5, 30), D=st.integers(1, 4),
       fit_intercept=st.booleans(), seed=st.integers(0, 999))
def test_least_squares_matches_lstsq(N, D, fit_intercept, seed):
    """Does least_squares agree with np.linalg.lstsq, with shapes w (D,)
    and b a float?"""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    y = rng.standard_normal(N)
    w, b = least_squares(x, y, fit_intercept=fit_intercept)
    X = np.column_stack([x, np.ones(N)]) if fit_intercept else x
    coef = np.linalg.lstsq(X, y, rcond=None)[0]
    assert w.shape == (D,) and isinstance(b, float)
    np.testing.assert_allclose(w, coef[:D], atol=1e-10)
    expected_b = coef[D] if fit_intercept else 0.0
    assert math.isclose(b, expected_b, abs_tol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_gd_matches_the_closed_form_on_random_data(seed):
    """Does fit_gd on random (N, D) data reach the lstsq solution?"""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((50, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 3.0 + rng.standard_normal(50)
    w, b, history = fit_gd(x, y, lr=0.1, num_epochs=2000)
    w_ls, b_ls = least_squares(x, y)
    np.testing.assert_allclose(w, w_ls, atol=1e-8)
    assert math.isclose(b, b_ls, abs_tol=1e-8)
    assert history["w"].shape == (2001, 3)
    assert np.all(np.diff(history["cost"]) <= 1e-12)


@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 20), D=st.sampled_from([None, 1, 4]))
def test_predict_shapes(N, D):
    """Does predict return (N,) float64 for x of shape (N,) or (N, D)?"""
    x = np.ones(N if D is None else (N, D))
    w = 2.0 if D is None else np.full(D, 2.0)
    y_hat = predict(x, w, 1.0)
    assert y_hat.shape == (N,) and y_hat.dtype == np.float64
    np.testing.assert_array_equal(y_hat, 1.0 + 2.0 * (1 if D is None else D))


# ------------------------------------------------ errors for students
def test_mse_refuses_column_against_vector():
    """Does mse refuse y (N,) against y_hat (N, 1) instead of silently
    broadcasting to an (N, N) table?"""
    with pytest.raises(ValueError, match=r"\(N, N\)"):
        mse(np.ones(3), np.ones((3, 1)))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda x, y: fit_gd(x, y, lr=0.0, num_epochs=1), ValueError, "lr"),
        (lambda x, y: fit_gd(x, y, lr=-1.0, num_epochs=1), ValueError, "lr"),
        (lambda x, y: fit_gd(x, y, lr="0.1", num_epochs=1), TypeError,
         "lr"),
        (lambda x, y: fit_gd(x, y, lr=0.1, num_epochs=-1), ValueError,
         "num_epochs"),
        (lambda x, y: fit_gd(x, y, lr=0.1, num_epochs=1.5), TypeError,
         "num_epochs"),
        (lambda x, y: fit_gd(x, y, lr=0.1, num_epochs=1,
                             fit_intercept=False, b0=1.0), ValueError, "b0"),
        (lambda x, y: fit_gd(x, y.reshape(-1, 1), lr=0.1, num_epochs=1),
         ValueError, "ravel"),
        (lambda x, y: mse_gradient(x, y[:3], 1.0), ValueError,
         "5 samples but y has 3"),
        (lambda x, y: mse_gradient(x, y, np.ones(2)), ValueError,
         "must be a number"),
        (lambda x, y: predict(np.ones((5, 2)), np.ones(3)), ValueError,
         r"shape \(2,\)"),
        (lambda x, y: predict(x.reshape(1, 1, 5), 1.0), ValueError,
         "shape"),
        (lambda x, y: least_squares(np.r_[x[:4], np.nan], y), ValueError,
         "NaN"),
        (lambda x, y: mse(y, np.full(5, np.inf)), ValueError, "NaN or inf"),
        (lambda x, y: predict(x[:0], 1.0), ValueError, "empty"),
    ],
)
def test_bad_arguments_get_clear_errors(call, error, match):
    """Does each bad argument raise an error that names the problem?"""
    x, y = study_hours()
    with pytest.raises(error, match=match):
        call(x, y)


# ------------------------------------------------------ feature scaling
@settings(max_examples=30, deadline=None)
@given(N=st.integers(2, 40), D=st.sampled_from([None, 1, 3]),
       seed=st.integers(0, 999))
def test_standardize_gives_mean_0_and_population_std_1(N, D, seed):
    """Does standardize centre and scale each feature (ddof = 0), and
    does unscale undo it for the fitted line?"""
    rng = np.random.default_rng(seed)
    x = 100 * rng.standard_normal(N if D is None else (N, D)) + 7
    x_s, mean, std = standardize(x)
    np.testing.assert_allclose(np.mean(x_s, axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(np.std(x_s, axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(x_s * std + mean, x, rtol=1e-12, atol=1e-9)
    assert np.shape(mean) == np.shape(std) == np.shape(x[0])
    w_s = 1.5 if D is None else rng.standard_normal(D)
    w, b = unscale(w_s, 2.0, mean, std)
    np.testing.assert_allclose(predict(x, w, b), predict(x_s, w_s, 2.0),
                               rtol=1e-9, atol=1e-9)


def test_standardize_and_unscale_recover_celsius_to_fahrenheit():
    """Does GD on standardized celsius give w = 1.8, b = 32 once unscaled?"""
    c, f = celsius_fahrenheit()
    c_s, mean, std = standardize(c)
    assert mean == 49.5 and math.isclose(std, math.sqrt(9999 / 12))
    w_s, b_s, _ = fit_gd(c_s, f, lr=0.5, num_epochs=100, half=True)
    w, b = unscale(w_s, b_s, mean, std)
    assert math.isclose(w, 1.8, rel_tol=1e-12)
    assert math.isclose(b, 32.0, rel_tol=1e-12)


def test_scaling_refuses_what_it_cannot_do():
    """Are a constant feature and mismatched shapes refused clearly?"""
    with pytest.raises(ValueError, match="constant"):
        standardize(np.ones(4))
    with pytest.raises(ValueError, match="same shape"):
        unscale(np.ones(2), 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="std must be > 0"):
        unscale(1.0, 0.0, 0.0, 0.0)
