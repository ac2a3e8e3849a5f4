"""Linear regression by gradient descent (chapter 03).

The model is y_hat = x w + b.  x is (N,) for one feature, with w a float,
or (N, D) for D features, with w of shape (D,); y is (N,); b is a float.
All arrays are float64.

Two cost conventions appear in the chapter, and every function that
needs one takes ``half=``:

- ``half=False`` (default): the mean squared error
  L = (1/N) sum (y - y_hat)^2, with dL/dw = (1/N) sum -2 x (y - y_hat).
  The w-only model y_hat = w x uses it (cost 1710 at w = 1 on
  study_hours()).
- ``half=True``: the half mean squared error
  L = (1/2N) sum (y - y_hat)^2, with gradient
  (mean(-x (y - y_hat)), mean(-(y - y_hat))).  The (w, b) model uses it
  (cost 855.0 at w = 1, b = 0).

Both have the same minimiser: :func:`least_squares`, the closed form.

Feature scaling: :func:`standardize` maps x to mean 0 and (population)
standard deviation 1, and :func:`unscale` turns parameters fitted on the
scaled x back into the original units.
"""

import math

import numpy as np

from course_utils.descent import DivergenceError, _as_finite

__all__ = [
    "fit_gd",
    "least_squares",
    "mse",
    "mse_gradient",
    "predict",
    "standardize",
    "unscale",
]


# ---------------------------------------------------------------- checks
def _check_x(x):
    """x as float64 of shape (N,) or (N, D), N >= 1."""
    x = _as_finite("x", x)
    if x.ndim not in (1, 2):
        raise ValueError(
            f"x must have shape (N,) or (N, D), but it has shape {x.shape}"
        )
    if x.shape[0] == 0 or x.size == 0:
        raise ValueError(f"x is empty (shape {x.shape}): no samples to fit")
    return x


def _check_xy(x, y):
    x = _check_x(x)
    y = _as_finite("y", y)
    if y.ndim != 1:
        raise ValueError(
            f"y must be a vector of shape (N,), but it has shape {y.shape}; "
            "flatten it with y.ravel() if it is a column"
        )
    if y.shape[0] != x.shape[0]:
        raise ValueError(
            f"x has {x.shape[0]} samples but y has {y.shape[0]}; "
            "they must match"
        )
    return x, y


def _check_w(x, w):
    """w as a float for x (N,), or as a (D,) array for x (N, D)."""
    w = _as_finite("w", w)
    if x.ndim == 1:
        if w.ndim != 0:
            raise ValueError(
                f"x has shape {x.shape} (one feature), so w must be a "
                f"number, but it has shape {w.shape}"
            )
        return float(w)
    if w.shape != (x.shape[1],):
        raise ValueError(
            f"x has shape {x.shape}, so w must have shape "
            f"({x.shape[1]},), but it has shape {w.shape}"
        )
    return w


def _check_b(b):
    b = _as_finite("b", b)
    if b.ndim != 0:
        raise ValueError(f"b must be a number, but it has shape {b.shape}")
    return float(b)


def _linear(x, w, b):
    return (x * w if x.ndim == 1 else x @ w) + b


# ------------------------------------------------------------ the kernels
def predict(x, w, b=0.0):
    """Predictions y_hat = x w + b.

    x: (N,) float64 with w a float, or (N, D) with w: (D,); b: float.
    Returns y_hat: (N,) float64.
    """
    x = _check_x(x)
    return _linear(x, _check_w(x, w), _check_b(b))


def mse(y, y_hat, *, half=False):
    """Mean squared error (1/N) sum (y - y_hat)^2; with half=True the
    half version (1/2N) sum (y - y_hat)^2.

    y: (N,) float64, y_hat: (N,) float64.  Returns a Python float.
    """
    y = _as_finite("y", y)
    y_hat = _as_finite("y_hat", y_hat)
    if y.shape != y_hat.shape:
        raise ValueError(
            f"y has shape {y.shape} but y_hat has shape {y_hat.shape}; "
            "they must match exactly ((N,) vs (N, 1) would broadcast to "
            "an (N, N) table)"
        )
    if y.size == 0:
        raise ValueError("y is empty: the mean of no errors is undefined")
    cost = float(np.mean((y - y_hat) ** 2))
    return cost / 2.0 if half else cost


def mse_gradient(x, y, w, b=0.0, *, half=False):
    """Gradient of mse(y, predict(x, w, b), half=half) in (w, b).

    x: (N,) float64 with w a float, or (N, D) with w: (D,); y: (N,);
    b: float.
    Returns (dw, db): dw a float for x (N,) or (D,) float64 for x (N, D),
    and db a float.  With half=False: dw = mean(-2 x (y - y_hat)),
    db = mean(-2 (y - y_hat)); half=True drops the 2.  The w-only model
    (b = 0) simply ignores db.
    """
    x, y = _check_xy(x, y)
    w, b = _check_w(x, w), _check_b(b)
    factor = 1.0 if half else 2.0
    err = y - _linear(x, w, b)
    if x.ndim == 1:
        dw = float(np.mean(-factor * x * err))
    else:
        dw = -factor * (x.T @ err) / x.shape[0]
    return dw, float(np.mean(-factor * err))


def least_squares(x, y, fit_intercept=True):
    """Closed-form least-squares fit of y_hat = x w + b.

    x: (N,) or (N, D) float64; y: (N,).
    Returns (w, b): w a float for x (N,) or (D,) float64 for x (N, D);
    b a float (0.0 when fit_intercept is False).  Without intercept and
    one feature this is w = sum(x y) / sum(x^2).
    """
    x, y = _check_xy(x, y)
    X = x.reshape(x.shape[0], -1)
    if fit_intercept:
        X = np.column_stack([X, np.ones(X.shape[0])])
    coef = np.linalg.lstsq(X, y, rcond=None)[0]
    b = float(coef[-1]) if fit_intercept else 0.0
    w = coef[:-1] if fit_intercept else coef
    return (float(w[0]) if x.ndim == 1 else w), b


def fit_gd(x, y, *, lr, num_epochs, fit_intercept=True, w0=None, b0=0.0,
           half=False):
    """Fit y_hat = x w + b by full-batch gradient descent on the MSE.

    x: (N,) or (N, D) float64; y: (N,).
    lr: step size > 0; num_epochs: number of steps (int >= 0).
    w0: start for w (default 0.0 or zeros (D,)); b0: start for b.
    fit_intercept: False fits y_hat = x w (b stays 0.0; b0 must be 0).
    half: the cost convention (see the module docstring).

    Returns (w, b, history), history a dict of arrays with one entry per
    epoch plus the start: "w" ((num_epochs + 1,) or (num_epochs + 1, D)),
    "b" and "cost" ((num_epochs + 1,)); history["cost"][0] is the cost at
    (w0, b0), before any step.
    Raises DivergenceError when the cost overflows to inf or NaN.
    """
    x, y = _check_xy(x, y)
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.number)):
        raise TypeError(f"lr must be a number, got {lr!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr}")
    if isinstance(num_epochs, bool) or not isinstance(
        num_epochs, (int, np.integer)
    ):
        raise TypeError(f"num_epochs must be an int, got {num_epochs!r}")
    if num_epochs < 0:
        raise ValueError(f"num_epochs must be >= 0, got {num_epochs}")
    if w0 is None:
        w0 = 0.0 if x.ndim == 1 else np.zeros(x.shape[1])
    w = _check_w(x, w0)
    w = w if x.ndim == 1 else w.copy()
    b = _check_b(b0)
    if not fit_intercept and b != 0.0:
        raise ValueError(
            "fit_intercept=False fits y_hat = x w with b = 0, "
            f"but b0 = {b}; drop b0 or set fit_intercept=True"
        )

    history = {"w": [w], "b": [b], "cost": [_cost(x, y, w, b, half)]}
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(num_epochs):
            dw, db = mse_gradient(x, y, w, b, half=half)
            w = w - lr * dw
            if fit_intercept:
                b = b - lr * db
            cost = _cost(x, y, w, b, half)
            history["w"].append(w)
            history["b"].append(b)
            history["cost"].append(cost)
            if not math.isfinite(cost):
                raise DivergenceError(
                    f"gradient descent diverged at epoch {epoch + 1}: the "
                    f"cost overflowed. lr = {lr:g} is too large; try a "
                    "smaller lr or scale the features",
                    {k: np.array(v) for k, v in history.items()},
                )
    return w, b, {k: np.array(v) for k, v in history.items()}


def _cost(x, y, w, b, half):
    err = y - _linear(x, w, b)
    cost = float(np.mean(err ** 2))
    return cost / 2.0 if half else cost


# ---------------------------------------------------------- feature scaling
def standardize(x):
    """Scale x to mean 0 and standard deviation 1, feature by feature.

    x: (N,) float64, or (N, D) with one feature per column.
    Returns (x_scaled, mean, std): x_scaled like x; mean and std floats
    for x (N,), (D,) float64 for x (N, D).  std is the population
    standard deviation (ddof = 0, np.std's default).
    Raises ValueError for a constant feature (std 0: nothing to scale).
    """
    x = _check_x(x)
    mean = np.mean(x, axis=0)
    std = np.std(x, axis=0)
    if np.any(std == 0):
        raise ValueError(
            "a feature of x is constant (standard deviation 0), so it "
            "cannot be standardized; drop it"
        )
    x_scaled = (x - mean) / std
    if x.ndim == 1:
        return x_scaled, float(mean), float(std)
    return x_scaled, mean, std


def unscale(w_s, b_s, mean, std):
    """Parameters fitted on standardized x, in the original units.

    y_hat = w_s (x - mean) / std + b_s = (w_s / std) x + b_s - w_s mean / std
    (summed over the D features for x (N, D)).
    w_s: float, or (D,) float64; b_s: float; mean, std: as
    :func:`standardize` returned them.
    Returns (w, b): w like w_s, b a float.
    """
    w_s = _as_finite("w_s", w_s)
    mean = _as_finite("mean", mean)
    std = _as_finite("std", std)
    b_s = _check_b(b_s)
    if not (w_s.shape == mean.shape == std.shape and w_s.ndim <= 1):
        raise ValueError(
            f"w_s, mean and std must have the same shape, () or (D,), but "
            f"they have {w_s.shape}, {mean.shape} and {std.shape}"
        )
    if np.any(std <= 0):
        raise ValueError("std must be > 0")
    w = w_s / std
    b = b_s - float(np.sum(w * mean))
    return (float(w) if w.ndim == 0 else w), b
