"""Finite differences, gradients and Jacobians (chapter 01).

The reference kernels for chapter 01, "Numerical derivatives".  Later
chapters use them to check analytic gradients (gradient checking).

Step sizes follow the error analysis of the chapter.  A forward difference
has truncation error O(h) and round-off error O(eps / h), so the best step
is about sqrt(eps) * max(1, |x|); a central difference has truncation
error O(h**2), so its best step is about eps**(1/3) * max(1, |x|).
The complex step has no subtractive cancellation at all, so h can be tiny.

Shapes: scalars are Python floats; ``x`` in the array functions may have
any shape, written (...) below.  Every result is float64.
"""
import numbers

import numpy as np

__all__ = [
    "forward_difference",
    "central_difference",
    "complex_step",
    "numerical_gradient",
    "numerical_jacobian",
    "directional_derivative",
    "gradient_check",
    "relative_error",
]

EPS = np.finfo(np.float64).eps
# Smallest denominator in relative errors: keeps 0 / 0 at 0, not NaN.
TINY = np.finfo(np.float64).tiny


# --------------------------------------------------------------------------
# Input checks, with messages written for a student
# --------------------------------------------------------------------------
def _check_callable(f):
    if not callable(f):
        raise TypeError(
            f"f must be a function (something you can call as f(x)), "
            f"but got {type(f).__name__}. Pass the function itself, "
            f"e.g. np.sin, not np.sin(x)."
        )


def _check_h(h):
    if isinstance(h, (bool, np.bool_)) or not isinstance(
        h, (numbers.Real, np.ndarray)
    ):
        raise TypeError(f"h must be a positive number, but got {h!r}.")
    h_arr = np.asarray(h, dtype=np.float64)
    if not np.all(np.isfinite(h_arr)) or np.any(h_arr <= 0):
        raise ValueError(
            f"h must be a positive, finite step size, but got {h!r}. "
            f"A step of 0 divides by zero; a negative step changes which "
            f"side of x the difference looks at."
        )
    return h


def _check_scalar_h(h):
    _check_h(h)
    if np.ndim(h) != 0:
        raise TypeError(
            f"h must be a single positive number here, not an array of "
            f"shape {np.shape(h)}."
        )
    return float(h)


def _as_float_array(x, name="x"):
    """x as a float64 array (a copy), with a clear error for bad input."""
    try:
        arr = np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be a number or an array of numbers, but got "
            f"{type(x).__name__}: {err}"
        ) from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} contains NaN or infinity; a derivative is only "
            f"defined at finite points."
        )
    return arr


def _as_scalar(value, what="f(x)"):
    """A function value as a Python float; raise if it is not one number."""
    arr = np.asarray(value)
    if arr.dtype == object or arr.size != 1:
        raise TypeError(
            f"{what} must return a single number (a scalar), but it "
            f"returned {type(value).__name__} with shape {arr.shape}. "
            f"For a vector-valued function use numerical_jacobian."
        )
    if np.iscomplexobj(arr):
        raise TypeError(
            f"{what} returned a complex number; a real function was "
            f"expected here (only complex_step evaluates f at complex x)."
        )
    return float(arr.reshape(()))


def _default_step(x, power):
    """eps**power * max(1, |x|), elementwise."""
    return EPS**power * np.maximum(1.0, np.abs(x))


def _pointwise(f, x, h, power):
    """Shared set-up of the scalar differences: (x, h, x_arr).

    For a single number x, x and h are Python floats (f may be written
    with the math module); for an array x they are float64 arrays.
    """
    _check_callable(f)
    x_arr = _as_float_array(x)
    if h is None:
        h = _default_step(x_arr, power)
        # Make x + h exactly representable so the step really is h.
        h = (x_arr + h) - x_arr
    else:
        _check_h(h)
    h = np.asarray(h, dtype=np.float64)
    if x_arr.ndim == 0 and h.ndim == 0:
        return float(x_arr), float(h), x_arr
    return x_arr, h, x_arr


def _finish(fx_diff, x_arr, what):
    out = np.asarray(fx_diff)
    if np.iscomplexobj(out):
        raise TypeError(f"{what} returned complex values; use a real f.")
    if out.dtype == object:
        raise TypeError(f"{what}: f(x) must return numbers.")
    out = out.astype(np.float64)
    if x_arr.ndim == 0:
        return _as_scalar(out, "f(x), for a single number x,")
    if out.shape != x_arr.shape:
        raise TypeError(
            f"{what}: for an array x, f must act elementwise and return an "
            f"array of the same shape {x_arr.shape}, but it returned shape "
            f"{out.shape}. For a function of a whole vector use "
            f"numerical_gradient."
        )
    return out


# --------------------------------------------------------------------------
# Derivatives of a function of one variable
# --------------------------------------------------------------------------
def forward_difference(f, x, h=None):
    """Forward difference (f(x + h) - f(x)) / h, an O(h) estimate of f'(x).

    f: a function of one real variable; for an array x it must act
       elementwise (like np.sin).
    x: float, or an array (...) float64 of points.
    h: step > 0 (float or array broadcastable to x).  Default
       sqrt(eps) * max(1, |x|), the step that balances truncation and
       round-off error.
    Returns a float for scalar x, else an array (...) float64.
    """
    x, h, x_arr = _pointwise(f, x, h, 1 / 2)
    diff = (np.asarray(f(x + h)) - np.asarray(f(x))) / h
    return _finish(diff, x_arr, "forward_difference")


def central_difference(f, x, h=None):
    """Central difference (f(x + h) - f(x - h)) / (2h), an O(h**2) estimate.

    f: a function of one real variable (elementwise for an array x).
    x: float, or an array (...) float64 of points.
    h: step > 0.  Default eps**(1/3) * max(1, |x|).
    Returns a float for scalar x, else an array (...) float64.
    """
    x, h, x_arr = _pointwise(f, x, h, 1 / 3)
    diff = (np.asarray(f(x + h)) - np.asarray(f(x - h))) / (2 * h)
    return _finish(diff, x_arr, "central_difference")


def complex_step(f, x, h=1e-20):
    """Complex-step derivative Im(f(x + ih)) / h, exact to round-off.

    There is no subtraction, so no cancellation: h can be 1e-20.  f must
    be real-analytic and written with operations that accept complex
    numbers (np.sin, **, *, +; not abs, not comparisons).
    x: float, or an array (...) float64.  h: step > 0 (default 1e-20).
    Returns a float for scalar x, else an array (...) float64.
    """
    _check_callable(f)
    h = _check_scalar_h(h)
    x_arr = _as_float_array(x)
    z = complex(float(x_arr), h) if x_arr.ndim == 0 else x_arr + 1j * h
    fx = np.asarray(f(z))
    if not np.iscomplexobj(fx):
        raise TypeError(
            "complex_step: f returned real values for a complex input; "
            "it must keep the imaginary part (avoid float(), abs(), "
            "math.sin: use np.sin and arithmetic instead)."
        )
    diff = fx.imag / h
    return _finish(diff, x_arr, "complex_step")


# --------------------------------------------------------------------------
# Functions of many variables
# --------------------------------------------------------------------------
def _perturbed_values(f, x, h, read):
    """Yield (index, read(f(x + h e_i)), read(f(x - h e_i))) for each entry.

    x is perturbed in place, one entry at a time, and every entry is
    restored before the next: f always sees x with one entry moved.
    """
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = read(f(x))
        x[idx] = old - h
        f_minus = read(f(x))
        x[idx] = old
        yield idx, f_plus, f_minus


def numerical_gradient(f, x, h=1e-5):
    """Gradient of a scalar function by central differences, entry by entry.

    f: takes an array shaped like x and returns one number (a loss).
    x: array (...) of any shape (a scalar, a vector (D,), a weight matrix
       (D, H), ...); it is not modified.
    h: step > 0 used for every entry (absolute, not scaled by x).
    Returns grad: (...) float64, the same shape as x, with
    grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h).
    """
    _check_callable(f)
    h = _check_scalar_h(h)
    x_work = _as_float_array(x)
    # f sees a float64 working copy: the caller's x is never touched.
    grad = np.zeros_like(x_work)
    for idx, f_plus, f_minus in _perturbed_values(
        f, x_work, h, lambda v: _as_scalar(v, "f(x)")
    ):
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_jacobian(f, x, h=1e-5):
    """Jacobian of f: R^n -> R^m by central differences, numerator layout.

    f: takes an array shaped like x and returns an array of m numbers.
    x: array of n numbers (shape (n,); other shapes are flattened in
       row-major order, and so is f's output).
    h: step > 0.
    Returns J: (m, n) float64 with J[i, j] = d f_i / d x_j: row i is the
    gradient of output i.  (Denominator layout would be J.T, shape (n, m).)
    """
    _check_callable(f)
    h = _check_scalar_h(h)
    x_work = _as_float_array(x)

    def read(value):
        arr = np.asarray(value)
        if np.iscomplexobj(arr) or arr.dtype == object:
            raise TypeError("f(x) must return real numbers.")
        return arr.astype(np.float64).ravel()

    m = read(f(x_work.copy())).size
    jac = np.zeros((m, x_work.size))
    for col, (_, f_plus, f_minus) in enumerate(
        _perturbed_values(f, x_work, h, read)
    ):
        if f_plus.size != m or f_minus.size != m:
            raise TypeError(
                "f(x) returned outputs of different sizes for different x."
            )
        jac[:, col] = (f_plus - f_minus) / (2 * h)
    return jac


def directional_derivative(f, x, v, h=None):
    """Derivative of f at x along the vector v, as given (not normalised).

    D_v f(x) = lim_{t -> 0} (f(x + t v) - f(x)) / t = grad f(x) . v,
    estimated by the central difference (f(x + t v) - f(x - t v)) / (2t).
    v is used as given: doubling v doubles the result.  Normalise v
    yourself (v / np.linalg.norm(v)) for the slope per unit distance;
    e.g. f(x, y) = x**2 - x*y at (2, -3) along the unit vector (0.6, 0.8)
    has gradient (7, -2) and directional derivative 7*0.6 - 2*0.8 = 2.6.

    f: takes an array shaped like x and returns one number.
    x: array (...) float64; v: array of the same shape (the direction).
    h: step > 0 in the units of x: the point moves to x +- t v with
       t = h / max|v|, so no coordinate moves by more than h.  Default
       eps**(1/3) * max(1, max|x|).
    Returns a float.
    """
    _check_callable(f)
    x_arr = _as_float_array(x)
    v_arr = _as_float_array(v, "v")
    if v_arr.shape != x_arr.shape:
        raise ValueError(
            f"v must have the same shape as x: x has shape {x_arr.shape} "
            f"but v has shape {v_arr.shape}."
        )
    if h is None:
        h = EPS ** (1 / 3) * max(1.0, float(np.max(np.abs(x_arr), initial=0)))
    else:
        h = _check_scalar_h(h)
    v_size = float(np.max(np.abs(v_arr), initial=0))
    if v_size == 0.0:
        return 0.0
    t = float(h) / v_size  # so that the point x + t v moves by about h
    f_plus = _as_scalar(f(x_arr + t * v_arr), "f(x)")
    f_minus = _as_scalar(f(x_arr - t * v_arr), "f(x)")
    return (f_plus - f_minus) / (2 * t)


def difference_errors(f, df, x0, hs):
    """Absolute errors of forward and central differences for each step.

    f: function of one variable (elementwise on arrays is not needed).
    df: its exact derivative.  x0: float.  hs: (S,) steps > 0.
    Returns (err_forward, err_central): two (S,) float64 arrays of
    |estimate - df(x0)|.  Zeros (lucky exact hits) are replaced by eps so
    that they can be drawn on a log scale (``plotting.plot_error_vs_h``).
    It computes both differences, so it lives here with the reference
    kernels: while an exercise's references are not available, neither
    is this.
    """
    hs = np.asarray(hs, dtype=np.float64)
    x0 = float(x0)
    exact = float(df(x0))
    fx = float(f(x0))
    forward = np.array([(float(f(x0 + h)) - fx) / h for h in hs])
    central = np.array(
        [(float(f(x0 + h)) - float(f(x0 - h))) / (2 * h) for h in hs]
    )
    err_f = np.maximum(np.abs(forward - exact), EPS)
    err_c = np.maximum(np.abs(central - exact), EPS)
    return err_f, err_c


# --------------------------------------------------------------------------
# Gradient checking
# --------------------------------------------------------------------------
def relative_error(a, b):
    """Elementwise |a - b| / max(|a| + |b|, tiny): 0 when equal, 1 at most.

    Symmetric in a and b, and finite when both are 0 (then it is 0).
    a, b: arrays of the same shape (...).  Returns (...) float64.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), TINY)


def gradient_check(f, x, analytic_grad, h=1e-5):
    """Largest relative error between an analytic gradient and a numerical one.

    f: takes an array shaped like x and returns one number.
    x: array (...); analytic_grad: array (...) (same shape), your gradient
       of f at x.
    h: central-difference step.
    Returns max_i |a_i - n_i| / max(|a_i| + |n_i|, tiny), a float in [0, 1]:
    about 1e-7 or less means the gradient is right; 1e-2 or more means it
    is wrong.
    """
    numeric = numerical_gradient(f, x, h)
    analytic = np.asarray(analytic_grad, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(
            f"analytic_grad has shape {analytic.shape} but x has shape "
            f"{numeric.shape}: a gradient has the shape of the variable."
        )
    if not np.all(np.isfinite(analytic)):
        raise ValueError("analytic_grad contains NaN or infinity.")
    if numeric.size == 0:
        return 0.0
    return float(np.max(relative_error(analytic, numeric)))
