"""The small data sets every chapter uses, all offline.

Every loader returns plain NumPy arrays: features float64, class labels
int64.  Shapes use N samples, D features.  Loaders that draw random
numbers take ``seed`` and return the same arrays for the same seed.
"""

import math

import numpy as np

__all__ = [
    "blobs",
    "celsius_fahrenheit",
    "digits",
    "seed_linear_system",
    "spd_system",
    "study_hours",
    "xnor",
]

BLOB_CENTRES = ((0.0, -2.0), (2.0, 2.0), (-2.0, 2.0))


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def seed_linear_system(n=4):
    """The chapter-02 linear systems A x = b and their solutions.

    n=4: A = [[1, 3, 2, -1], [5, 2, 1, -2], [0, 1, 2, 4], [1, 1, -1, -3]],
         b = [9, 4, 24, -12], solution x = [1, 2, 3, 4].
    n=2: 4a + 2b = 22, 3a + 8b = 49, solution (a, b) = (3, 5).
    Returns (A, b, x): A (n, n) float64, b (n,), x (n,).
    """
    if n == 4:
        A = [[1, 3, 2, -1], [5, 2, 1, -2], [0, 1, 2, 4], [1, 1, -1, -3]]
        b, x = [9, 4, 24, -12], [1, 2, 3, 4]
    elif n == 2:
        A, b, x = [[4, 2], [3, 8]], [22, 49], [3, 5]
    else:
        raise ValueError(f"n must be 2 or 4 (the two seed systems), got {n}")
    return tuple(np.array(v, dtype=np.float64) for v in (A, b, x))


def study_hours():
    """Hours studied and marks obtained (chapter 03).

    Returns (x, y): x = [1, 2, 3, 4, 5] hours, y = [15, 30, 40, 55, 65]
    marks, both (5,) float64.
    """
    x = np.arange(1.0, 6.0)
    y = np.array([15.0, 30.0, 40.0, 55.0, 65.0])
    return x, y


def celsius_fahrenheit():
    """Celsius 0..99 and Fahrenheit = 1.8 c + 32 (chapter 03 homework).

    Returns (c, f): both (100,) float64.
    """
    c = np.arange(100, dtype=np.float64)
    return c, 1.8 * c + 32.0


def xnor():
    """The XNOR truth table (chapter 05).

    Returns (X, y): X (4, 2) float64 rows (0,0), (0,1), (1,0), (1,1);
    y (4,) int64 = [1, 0, 0, 1].  Use y.reshape(-1, 1).astype(float) for
    a (N, 1) sigmoid target.
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([1, 0, 0, 1], dtype=np.int64)
    return X, y


def blobs(n_per_class=500, seed=0):
    """Three Gaussian blobs in the plane (chapter 05).

    Centres (0, -2), (2, 2), (-2, 2) for labels 0, 1, 2; unit variance.
    Returns (X, y): X (3 n_per_class, 2) float64, y (3 n_per_class,)
    int64, in class order (all 0s, then 1s, then 2s); shuffle before
    mini-batch training.
    """
    n = _check_int("n_per_class", n_per_class, 1)
    rng = np.random.default_rng(seed)
    centres = np.array(BLOB_CENTRES)
    X = np.concatenate([c + rng.standard_normal((n, 2)) for c in centres])
    y = np.repeat(np.arange(len(centres), dtype=np.int64), n)
    return X, y


def digits(test_size=0.2, seed=0):
    """scikit-learn's bundled 8x8 handwritten digits (chapter 05).

    1797 images of the digits 0-9, each flattened to D = 64 pixels and
    scaled from 0..16 to [0, 1]; the split is stratified by class.
    test_size: fraction held out, in (0, 1).
    Returns (X_train, X_test, y_train, y_test): X_* (N_*, 64) float64,
    y_* (N_*,) int64 in 0..9.  No download: the data ship with sklearn.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if isinstance(test_size, bool) or not isinstance(
        test_size, (float, np.floating)
    ):
        raise TypeError(f"test_size must be a float, got {test_size!r}")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    data = load_digits()
    X = data.data.astype(np.float64) / 16.0
    y = data.target.astype(np.int64)
    return tuple(
        train_test_split(X, y, test_size=test_size, random_state=seed,
                         stratify=y)
    )


def spd_system(n=200, cond=1e3, seed=0):
    """A random symmetric positive definite system A x = b.

    A = Q diag(lam) Q^T with Q a random orthogonal matrix and lam evenly
    spaced from 1 to cond, so A's condition number is cond.
    Returns (A, b): A (n, n) float64, exactly symmetric; b (n,) float64
    with standard normal entries.
    """
    n = _check_int("n", n, 1)
    if not (isinstance(cond, (int, float, np.number))
            and math.isfinite(cond) and cond >= 1):
        raise ValueError(f"cond must be a finite number >= 1, got {cond}")
    if n == 1 and cond != 1:
        raise ValueError("a 1x1 matrix has condition number 1")
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    Q = Q * np.sign(np.diag(R))  # make Q uniformly (Haar) distributed
    lam = np.linspace(1.0, float(cond), n)
    A = (Q * lam) @ Q.T
    A = (A + A.T) / 2.0
    b = rng.standard_normal(n)
    return A, b
