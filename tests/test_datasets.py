"""Tests for course_utils.datasets: shapes, dtypes and the seed facts."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.datasets import (
    blobs,
    celsius_fahrenheit,
    digits,
    seed_linear_system,
    spd_system,
    study_hours,
    xnor,
)


@pytest.mark.parametrize("n, solution", [(4, [1, 2, 3, 4]), (2, [3, 5])])
def test_seed_linear_systems_have_their_solutions(n, solution):
    """Do the seed systems come as float64 and solve to the stated x?"""
    A, b, x = seed_linear_system(n=n)
    assert A.shape == (n, n) and b.shape == x.shape == (n,)
    assert A.dtype == b.dtype == x.dtype == np.float64
    np.testing.assert_array_equal(x, solution)
    np.testing.assert_allclose(np.linalg.solve(A, b), solution)
    np.testing.assert_array_equal(A @ x, b)


def test_seed_linear_system_rejects_other_sizes():
    """Does asking for a 3x3 seed system say which sizes exist?"""
    with pytest.raises(ValueError, match="2 or 4"):
        seed_linear_system(n=3)


def test_study_hours():
    """Are the study hours 1..5 and the marks 15, 30, 40, 55, 65?"""
    x, y = study_hours()
    np.testing.assert_array_equal(x, [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(y, [15, 30, 40, 55, 65])
    assert x.dtype == y.dtype == np.float64


def test_celsius_fahrenheit():
    """Is celsius 0..99 and fahrenheit 1.8 c + 32, both (100,) float64?"""
    c, f = celsius_fahrenheit()
    assert c.shape == f.shape == (100,) and f.dtype == np.float64
    assert c[0] == 0 and c[-1] == 99
    np.testing.assert_allclose(f, 1.8 * c + 32)


def test_xnor_truth_table():
    """Is y 1 exactly where both inputs agree?"""
    X, y = xnor()
    assert X.shape == (4, 2) and X.dtype == np.float64
    assert y.shape == (4,) and y.dtype == np.int64
    np.testing.assert_array_equal(y, (X[:, 0] == X[:, 1]).astype(int))


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 50), seed=st.integers(0, 2**32 - 1))
def test_blobs_shapes_and_labels(n, seed):
    """Do blobs give X (3n, 2) float64 and labels 0, 1, 2, n of each?"""
    X, y = blobs(n_per_class=n, seed=seed)
    assert X.shape == (3 * n, 2) and X.dtype == np.float64
    assert y.shape == (3 * n,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [n, n, n])


def test_blobs_centres_spread_and_seed():
    """Are the blob means near their centres, spread 1, and the draw
    repeatable by seed?"""
    X, y = blobs()
    centres = np.array([[0, -2], [2, 2], [-2, 2]])
    for label, centre in enumerate(centres):
        points = X[y == label]
        np.testing.assert_allclose(points.mean(axis=0), centre, atol=0.15)
        np.testing.assert_allclose(points.std(axis=0), 1.0, atol=0.1)
    np.testing.assert_array_equal(blobs()[0], X)
    assert not np.array_equal(blobs(seed=1)[0], X)


def test_digits_split():
    """Does digits give 1797 images of 64 pixels in [0, 1], split 80/20
    by class, as float64 / int64?"""
    X_train, X_test, y_train, y_test = digits()
    assert X_train.shape[1] == X_test.shape[1] == 64
    assert len(X_train) + len(X_test) == 1797
    assert len(X_test) == 360
    assert X_train.dtype == X_test.dtype == np.float64
    assert y_train.dtype == y_test.dtype == np.int64
    assert 0.0 <= X_train.min() and X_train.max() == 1.0
    train_share = np.bincount(y_train) / len(y_train)
    test_share = np.bincount(y_test) / len(y_test)
    np.testing.assert_allclose(train_share, test_share, atol=0.01)
    np.testing.assert_array_equal(digits()[3], y_test)


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.2])
def test_digits_rejects_bad_test_size(test_size):
    """Does a test_size outside (0, 1) raise a clear ValueError?"""
    with pytest.raises(ValueError, match="test_size"):
        digits(test_size=test_size)


@pytest.mark.parametrize("n, cond", [(200, 1e3), (10, 50.0), (2, 1.0)])
def test_spd_system_has_the_asked_condition_number(n, cond):
    """Is A (n, n) exactly symmetric, positive definite, with cond(A)
    as asked, and b (n,)?"""
    A, b = spd_system(n=n, cond=cond)
    assert A.shape == (n, n) and b.shape == (n,)
    assert A.dtype == b.dtype == np.float64
    np.testing.assert_array_equal(A, A.T)
    eig = np.linalg.eigvalsh(A)
    assert eig[0] > 0
    np.testing.assert_allclose(eig[-1] / eig[0], cond, rtol=1e-8)


@pytest.mark.parametrize(
    "kwargs, error",
    [(dict(cond=0.5), ValueError), (dict(n=0), ValueError),
     (dict(n=2.0), TypeError), (dict(cond=float("inf")), ValueError)],
)
def test_spd_system_rejects_bad_arguments(kwargs, error):
    """Do impossible sizes and condition numbers raise clear errors?"""
    with pytest.raises(error):
        spd_system(**kwargs)
