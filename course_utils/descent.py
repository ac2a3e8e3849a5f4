"""Gradient descent for linear least squares (chapter 02).

Solve A x = b by minimising F(x) = ||A x - b||_2^2, whose gradient is
2 A^T (A x - b).  Shapes: A is (N, D), b is (N,), x is (D,), all float64.

Every iterative solver here stops on the gradient norm, ||grad F(x)|| <=
tol, and returns a :class:`DescentResult` holding the answer and the
history that the chapter plots (iterate path, objective, gradient norm).

Divergence is never silent: when the iterates blow up (a non-finite value,
or a gradient norm 1e10 times its starting value) the solver raises
:class:`DivergenceError`, whose ``result`` attribute keeps the partial
history so that a plot can still show the escaping path.

Step-size methods of :func:`gradient_descent` and what each needs to know
about the objective (L: largest, mu: smallest eigenvalue of the Hessian;
for F above, of 2 A^T A, see :func:`lls_constants`):

=============  ===========================================  ==============
method         step                                         lr=None uses
=============  ===========================================  ==============
"fixed"        x <- x - lr g                                1 / L
"optimal"      fixed lr = 2 / (L + mu)                      L and mu
"bb"           Barzilai-Borwein lr = s.s / s.y              1 / L first
"line_search"  backtracking Armijo (needs f)                first try 1.0
"momentum"     heavy ball: + beta (x_k - x_{k-1})           Polyak's L, mu
"nesterov"     gradient at the look-ahead point             1 / L (and mu)
=============  ===========================================  ==============

:func:`conjugate_gradient` is the yardstick: for an SPD (D, D) matrix it
needs at most D iterations in exact arithmetic.
"""

from dataclasses import dataclass, field
import math

import numpy as np

__all__ = [
    "DescentResult",
    "DivergenceError",
    "METHODS",
    "conjugate_gradient",
    "gradient_descent",
    "lls_constants",
    "lls_gradient",
    "lls_objective",
    "max_stable_lr",
    "quadratic_gradient",
    "quadratic_objective",
    "solve_lls",
]

METHODS = ("fixed", "optimal", "bb", "line_search", "momentum", "nesterov")

# Growth of ||grad|| over its first value that we call divergence.
_BLOW_UP = 1e10
# Backtracking line search: sufficient-decrease factor and shrink factor
# (Boyd & Vandenberghe, section 9.2, suggest alpha in (0, 0.5)).
_ARMIJO_ALPHA = 0.3
_ARMIJO_BETA = 0.5
# Relative change of f below which f differences are round-off noise.
_F_NOISE = 1e-10


class DivergenceError(ValueError):
    """The iterates blew up: the step size is too large for the problem.

    ``result`` holds the :class:`DescentResult` up to the blow-up (its
    ``path`` shows the escaping iterates), or None.
    """

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result


@dataclass
class DescentResult:
    """What an iterative solver returns.

    x: (D,) float64, the last iterate.
    n_iter: number of steps taken (gradient evaluations minus one).
    converged: True when ||grad|| <= tol was reached.
    path: (n_iter + 1, D) float64, every iterate, x0 first.
    grad_norm: (n_iter + 1,) float64, ||grad|| at every iterate.
    objective: (n_iter + 1,) float64 values of f, or None without f.
    lrs: the step sizes used, one per step (a list of floats; for CG
        the step lengths alpha_k).
    method: the method's name; message: why it stopped, in words.
    """

    x: np.ndarray
    n_iter: int
    converged: bool
    path: np.ndarray
    grad_norm: np.ndarray
    objective: np.ndarray | None = None
    lrs: list = field(default_factory=list)
    method: str = ""
    message: str = ""


# ---------------------------------------------------------------- checks
def _as_finite(name, value):
    """Return value as a float64 array, refusing non-numbers, NaN and inf."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be an array of numbers, got {type(value).__name__}"
        ) from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; clean the data first")
    return arr


def _as_float_array(name, value, ndim):
    """Return value as a finite float64 array with ndim axes."""
    arr = _as_finite(name, value)
    if arr.ndim != ndim:
        want = {1: "a vector of shape (D,)", 2: "a matrix of shape (N, D)"}
        raise ValueError(
            f"{name} must be {want[ndim]}, but it has shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    return arr


def _check_system(A, b):
    """Validate A (N, D) and b (N,); return both as float64."""
    A = _as_float_array("A", A, 2)
    b = _as_float_array("b", b, 1)
    if b.shape[0] != A.shape[0]:
        raise ValueError(
            f"A has {A.shape[0]} rows but b has {b.shape[0]} entries; "
            "they must match (A: (N, D), b: (N,))"
        )
    return A, b


def _check_x(A, x, name="x"):
    x = _as_float_array(name, x, 1)
    if x.shape[0] != A.shape[1]:
        raise ValueError(
            f"A has {A.shape[1]} columns but {name} has {x.shape[0]} "
            "entries; they must match (A: (N, D), x: (D,))"
        )
    return x


def _check_positive(name, value, allow_zero=False):
    if isinstance(value, bool) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be a number, got {value!r}")
    ok = value >= 0 if allow_zero else value > 0
    if not (math.isfinite(value) and ok):
        sign = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {sign}, got {value}")
    return float(value)


# ------------------------------------------------------ the LLS objective
def lls_objective(A, b, x):
    """F(x) = ||A x - b||_2^2.

    A: (N, D) float64, b: (N,), x: (D,)
    Returns a Python float.
    """
    A, b = _check_system(A, b)
    x = _check_x(A, x)
    r = A @ x - b
    return float(r @ r)


def lls_gradient(A, b, x):
    """Gradient of F(x) = ||A x - b||^2, that is 2 A^T (A x - b).

    A: (N, D) float64, b: (N,), x: (D,)
    Returns dx: (D,) float64.
    """
    A, b = _check_system(A, b)
    x = _check_x(A, x)
    return 2.0 * (A.T @ (A @ x - b))


def lls_constants(A):
    """Curvature bounds (L, mu) of F(x) = ||A x - b||^2.

    L and mu are the largest and smallest eigenvalues of the Hessian
    2 A^T A.  mu is 0.0 when A has dependent columns.
    A: (N, D) float64.  Returns (L, mu) as Python floats.
    """
    A = _as_float_array("A", A, 2)
    eig = np.linalg.eigvalsh(2.0 * (A.T @ A))
    L = float(eig[-1])
    if L <= 0.0:
        raise ValueError("A is all zeros: F(x) is flat, nothing to solve")
    mu = float(eig[0])
    if mu <= L * A.shape[1] * np.finfo(np.float64).eps:
        mu = 0.0
    return L, mu


def max_stable_lr(A):
    """Largest stable fixed step for F(x) = ||A x - b||^2: 2 / L.

    L is the largest eigenvalue of 2 A^T A.  Fixed-step descent converges
    for 0 < lr < 2 / L and diverges for lr > 2 / L.
    A: (N, D) float64.  Returns a Python float.
    """
    L, _ = lls_constants(A)
    return 2.0 / L


# -------------------------------------- the SPD quadratic (CG's objective)
def _check_spd_shapes(A, b):
    A, b = _check_system(A, b)
    if A.shape[0] != A.shape[1]:
        raise ValueError(
            f"A must be square (D, D) here, but it has shape {A.shape}; "
            "for a rectangular A minimise ||Ax - b||^2 (see solve_lls)"
        )
    return A, b


def quadratic_objective(A, b, x):
    """f(x) = 1/2 x^T A x - b^T x; for SPD A its minimiser solves Ax = b.

    A: (D, D) float64, symmetric; b: (D,); x: (D,).
    Returns a Python float.
    """
    A, b = _check_spd_shapes(A, b)
    x = _check_x(A, x)
    return float(0.5 * x @ (A @ x) - b @ x)


def quadratic_gradient(A, b, x):
    """Gradient of f(x) = 1/2 x^T A x - b^T x for symmetric A: A x - b.

    A: (D, D) float64, symmetric; b: (D,); x: (D,).
    Returns dx: (D,) float64 (minus the residual b - A x).
    """
    A, b = _check_spd_shapes(A, b)
    x = _check_x(A, x)
    return A @ x - b


# ------------------------------------------------------ step-size rules
def _fixed(lr):
    def step(k, x, g):
        return x - lr * g, lr
    return step


def _bb(lr0):
    """Barzilai-Borwein (long) step lr_k = s.s / s.y after a first lr0."""
    prev = {}

    def step(k, x, g):
        lr = lr0
        if prev:
            s, y = x - prev["x"], g - prev["g"]
            sy = float(s @ y)
            # s.y <= 0 means no positive curvature along s: keep old step.
            lr = float(s @ s) / sy if sy > 0 else prev["lr"]
        prev.update(x=x, g=g, lr=lr)
        return x - lr * g, lr
    return step


def _line_search(f, grad, lr0):
    """Backtracking Armijo search from twice the last accepted step.

    Accept lr when f(x - lr g) <= f(x) - alpha lr ||g||^2.  Near the
    minimum that difference of f values drowns in round-off; then the
    slope test of Hager and Zhang (2005) decides instead:
    g(x - lr g) . g >= (1 - 2 alpha) ||g||^2.
    """
    state = {"lr": lr0 / 2.0}

    def accept(x_new, lr, fx, g, gg):
        f_new = f(x_new)
        if f_new <= fx - _ARMIJO_ALPHA * lr * gg:
            return True
        if f_new - fx <= _F_NOISE * abs(fx):
            slope = float(_call_grad(grad, x_new) @ g)
            return slope >= (1.0 - 2.0 * _ARMIJO_ALPHA) * gg
        return False

    def step(k, x, g):
        fx, gg = float(f(x)), float(g @ g)
        lr = 2.0 * state["lr"]
        while not accept(x - lr * g, lr, fx, g, gg):
            lr *= _ARMIJO_BETA
            if lr < 1e-300:
                raise ValueError(
                    "line search found no decrease along -grad: is grad "
                    "really the gradient of f?"
                )
        state["lr"] = lr
        return x - lr * g, lr
    return step


def _heavy_ball(lr, beta):
    prev = {}

    def step(k, x, g):
        x_new = x - lr * g
        if prev:
            x_new = x_new + beta * (x - prev["x"])
        prev["x"] = x
        return x_new, lr
    return step


def _nesterov(lr, beta):
    """Nesterov in the look-ahead form: x is the point where g is taken.

    z_{k+1} = x_k - lr g(x_k);  x_{k+1} = z_{k+1} + b_k (z_{k+1} - z_k).
    b_k = beta when given, else the convex schedule k / (k + 3).
    """
    prev = {}

    def step(k, x, g):
        z = x - lr * g
        b = beta if beta is not None else k / (k + 3.0)
        x_new = z + b * (z - prev.get("z", x))
        prev["z"] = z
        return x_new, lr
    return step


def _need(what, method, hint):
    return ValueError(
        f"method={method!r} needs {what}; {hint} "
        "(for ||Ax - b||^2: L, mu = lls_constants(A))"
    )


def _make_step(method, lr, L, mu, momentum, f, grad):
    """Build step(k, x, g) -> (x_new, lr_used) for the chosen method."""
    if method == "fixed":
        if lr is None and L is None:
            raise _need("a step size", method, "pass lr=... or L=...")
        return _fixed(lr if lr is not None else 1.0 / L)
    if method == "optimal":
        if lr is not None:
            raise ValueError(
                "method='optimal' sets lr = 2 / (L + mu) itself; "
                "drop lr=... or use method='fixed'"
            )
        if L is None or not mu:
            raise _need("L and mu > 0", method, "pass L=... and mu=...")
        return _fixed(2.0 / (L + mu))
    if method == "bb":
        if lr is None and L is None:
            raise _need("a first step", method, "pass lr=... or L=...")
        return _bb(lr if lr is not None else 1.0 / L)
    if method == "line_search":
        if f is None:
            raise _need("the objective", method, "pass f=...")
        return _line_search(f, grad, lr if lr is not None else 1.0)
    if method == "momentum":
        if lr is None and momentum is None and L is not None and mu:
            # Polyak's optimal heavy-ball parameters for quadratics.
            lr = 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2
            root_kappa = math.sqrt(L / mu)
            momentum = ((root_kappa - 1.0) / (root_kappa + 1.0)) ** 2
        if lr is None and L is not None:
            lr = 1.0 / L
        if lr is None:
            raise _need("a step size", method, "pass lr=... or L=...")
        return _heavy_ball(lr, 0.9 if momentum is None else momentum)
    if method == "nesterov":
        if lr is None and L is None:
            raise _need("a step size", method, "pass lr=... or L=...")
        if momentum is None and lr is None and mu:
            root_kappa = math.sqrt(L / mu)
            momentum = (root_kappa - 1.0) / (root_kappa + 1.0)
        return _nesterov(lr if lr is not None else 1.0 / L, momentum)
    raise ValueError(
        f"unknown method {method!r}; choose one of {', '.join(METHODS)}"
    )


# ------------------------------------------------------ the driver loop
def _check_options(lr, tol, max_iter, L, mu, momentum):
    if lr is not None:
        _check_positive("lr", lr)
    _check_positive("tol", tol, allow_zero=True)
    if isinstance(max_iter, bool) or not isinstance(
        max_iter, (int, np.integer)
    ):
        raise TypeError(f"max_iter must be an int, got {max_iter!r}")
    if max_iter < 0:
        raise ValueError(f"max_iter must be >= 0, got {max_iter}")
    if L is not None:
        _check_positive("L", L)
    if mu is not None:
        _check_positive("mu", mu, allow_zero=True)
        if L is not None and mu > L:
            raise ValueError(f"mu = {mu} is larger than L = {L}; swapped?")
    if momentum is not None:
        _check_positive("momentum", momentum, allow_zero=True)
        if momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")


def _call_grad(grad, x):
    g = np.asarray(grad(x), dtype=np.float64)
    if g.shape != x.shape:
        raise ValueError(
            f"grad(x) returned shape {g.shape} but x has shape {x.shape}; "
            "the gradient must have the same shape as x"
        )
    return g


def _result(method, path, grad_norm, objective, lrs, converged, message):
    return DescentResult(
        x=path[-1].copy(),
        n_iter=len(path) - 1,
        converged=converged,
        path=np.array(path),
        grad_norm=np.array(grad_norm),
        objective=None if objective is None else np.array(objective),
        lrs=lrs,
        method=method,
        message=message,
    )


def gradient_descent(grad, x0, *, lr=None, method="fixed", tol=1e-8,
                     max_iter=10_000, f=None, callback=None, L=None,
                     mu=None, momentum=None):
    """Minimise a smooth function by gradient descent.

    grad: callable, grad(x) -> (D,) float64, the gradient at x.
    x0: (D,) float64, the start.
    lr: step size (> 0); None picks a safe one from L (see the module
        table) or raises ValueError when the method cannot.
    method: "fixed", "optimal", "bb", "line_search", "momentum" or
        "nesterov" (see the module docstring).
    tol: stop when ||grad(x)||_2 <= tol (tol=0 runs all max_iter steps).
    max_iter: the most steps to take; hitting it sets converged=False.
    f: callable, f(x) -> float; needed by "line_search", and recorded in
        ``objective`` when given.
    callback: callable(k, x, g) called at each iterate before the
        stopping test; returning True stops the run (converged=False).
    L, mu: largest and smallest Hessian eigenvalues (curvature bounds);
        needed by "optimal", used by the lr=None defaults.  For
        ||Ax - b||^2 get them from ``lls_constants(A)``.
    momentum: beta for "momentum" and "nesterov".  With lr, momentum
        both None and L, mu > 0 given, both use their optimal quadratic
        parameters (Polyak: lr = 4 / (sqrt(L) + sqrt(mu))^2, beta =
        rho^2; Nesterov: lr = 1 / L, beta = rho, where rho =
        (sqrt(kappa) - 1) / (sqrt(kappa) + 1), kappa = L / mu).
        Otherwise beta defaults to 0.9 (momentum) or the schedule
        k / (k + 3) (nesterov).

    For "nesterov" the recorded iterates are the look-ahead points, where
    the gradient is evaluated; the returned x satisfies ||grad(x)|| <= tol.

    Returns a DescentResult.  Raises DivergenceError (a ValueError) when
    the iterates blow up; its ``result`` keeps the path so far.
    """
    if not callable(grad):
        raise TypeError(
            f"grad must be a function x -> gradient, got "
            f"{type(grad).__name__}; did you pass grad(x) instead of grad?"
        )
    for name, fn in (("f", f), ("callback", callback)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function or None")
    x = _as_float_array("x0", x0, 1).copy()
    _check_options(lr, tol, max_iter, L, mu, momentum)
    step = _make_step(method, lr, L, mu, momentum, f, grad)

    path, grad_norm, lrs = [x], [], []
    objective = [] if f is not None else None
    converged, message = False, ""
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(max_iter + 1):
            g = _call_grad(grad, x)
            g_norm = float(np.linalg.norm(g))
            grad_norm.append(g_norm)
            if objective is not None:
                objective.append(float(f(x)))
            if not np.isfinite(g_norm) or g_norm > _BLOW_UP * max(
                grad_norm[0], np.finfo(np.float64).tiny
            ):
                _diverged(method, k, grad_norm, lrs, path, objective)
            if callback is not None and callback(k, x, g):
                message = f"stopped by the callback at step {k}"
                break
            if g_norm <= tol:
                converged = True
                message = f"||grad|| = {g_norm:.3g} <= tol after {k} steps"
                break
            if k == max_iter:
                message = (
                    f"not converged: ||grad|| = {g_norm:.3g} > tol = "
                    f"{tol:g} after max_iter = {max_iter} steps"
                )
                break
            x, lr_k = step(k, x, g)
            path.append(x)
            lrs.append(float(lr_k))
    return _result(method, path, grad_norm, objective, lrs, converged,
                   message)


def _diverged(method, k, grad_norm, lrs, path, objective):
    lr_text = f"lr = {lrs[-1]:.3g}" if lrs else "the step size"
    message = (
        f"gradient descent ({method!r}) diverged at step {k}: ||grad|| "
        f"grew from {grad_norm[0]:.3g} to {grad_norm[-1]:.3g}. "
        f"{lr_text} is too large; try a smaller lr "
        "(for ||Ax - b||^2 any lr < max_stable_lr(A) is stable)."
    )
    result = _result(method, path, grad_norm, objective, lrs, False,
                     message)
    raise DivergenceError(message, result)


# ------------------------------------------------- the CG yardstick
def conjugate_gradient(A, b, x0=None, tol=1e-8, max_iter=None):
    """Solve A x = b for symmetric positive definite A by conjugate
    gradients, i.e. minimise f(x) = 1/2 x^T A x - b^T x.

    A: (D, D) float64, SPD.  b: (D,).  x0: (D,), default zeros.
    tol: stop when the residual ||b - A x||_2 (= ||grad f||) <= tol.
    max_iter: default 10 * D (exact arithmetic needs at most D).
    Returns a DescentResult (objective holds f at every iterate).
    Raises ValueError when A is not square, symmetric or positive
    definite.
    """
    A, b = _check_spd_shapes(A, b)
    if not np.allclose(A, A.T, rtol=1e-10, atol=0.0):
        raise ValueError(
            "A is not symmetric, and CG needs a symmetric positive definite "
            "A; for a general A solve the normal equations A^T A x = A^T b "
            "(solve_lls(A, b, method='cg') does that)"
        )
    D = A.shape[0]
    x = np.zeros(D) if x0 is None else _check_x(A, x0, "x0").copy()
    max_iter = 10 * D if max_iter is None else max_iter
    _check_options(None, tol, max_iter, None, None, None)

    r = b - A @ x
    p = r.copy()
    rr = float(r @ r)
    path, grad_norm, objective, lrs = [x], [math.sqrt(rr)], [], []
    objective.append(float(0.5 * x @ (A @ x) - b @ x))
    converged = math.sqrt(rr) <= tol
    while not converged and len(lrs) < max_iter:
        Ap = A @ p
        pAp = float(p @ Ap)
        if pAp <= 0.0:
            raise ValueError(
                "A is not positive definite (found p with p^T A p <= 0); "
                "CG needs a symmetric positive definite A"
            )
        alpha = rr / pAp
        x = x + alpha * p
        r = r - alpha * Ap
        rr_new = float(r @ r)
        p = r + (rr_new / rr) * p
        rr = rr_new
        path.append(x)
        lrs.append(alpha)
        grad_norm.append(math.sqrt(rr))
        objective.append(float(0.5 * x @ (A @ x) - b @ x))
        converged = math.sqrt(rr) <= tol
    n = len(lrs)
    message = (
        f"||b - Ax|| = {math.sqrt(rr):.3g} <= tol after {n} steps"
        if converged
        else f"not converged after max_iter = {max_iter} steps"
    )
    return _result("cg", path, grad_norm, objective, lrs, converged,
                   message)


def solve_lls(A, b, *, method="cg", x0=None, tol=1e-8, max_iter=10_000,
              **options):
    """Minimise F(x) = ||A x - b||^2 with one of the descent methods.

    A: (N, D) float64, b: (N,), x0: (D,) (default zeros).
    method: "cg" (conjugate gradients on the normal equations
        2 A^T A x = 2 A^T b) or any method of gradient_descent, run with
        f = F, grad = 2 A^T (A x - b) and L, mu = lls_constants(A).
    tol: stop when ||grad F(x)|| <= tol.
    options: passed on to gradient_descent (lr, momentum, callback).
    Returns a DescentResult; its x is the least-squares solution.
    """
    A, b = _check_system(A, b)
    x0 = np.zeros(A.shape[1]) if x0 is None else _check_x(A, x0, "x0")
    if method == "cg":
        if options:
            raise TypeError(
                f"method='cg' takes no options {sorted(options)}"
            )
        return conjugate_gradient(2.0 * (A.T @ A), 2.0 * (A.T @ b), x0,
                                  tol=tol, max_iter=max_iter)
    if method not in METHODS:
        raise ValueError(
            f"unknown method {method!r}; choose 'cg' or one of "
            f"{', '.join(METHODS)}"
        )
    L, mu = lls_constants(A)
    if method == "optimal" and mu == 0.0:
        raise ValueError(
            "A has dependent columns, so mu = 0 and the 'optimal' step "
            "2 / (L + mu) is not safe; use method='cg' or 'bb'"
        )
    AtA2, Atb2 = 2.0 * (A.T @ A), 2.0 * (A.T @ b)

    def f(x):
        r = A @ x - b
        return float(r @ r)

    def grad(x):
        return AtA2 @ x - Atb2

    return gradient_descent(grad, x0, method=method, tol=tol,
                            max_iter=max_iter, f=f, L=L, mu=mu, **options)
