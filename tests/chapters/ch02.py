"""Chapter 02, gradient descent: its grading batch as data.

The wrong students carry one plausible mistake in every exercise (the
k-th wrong version of each); "alt" students answer correctly in another
style (loops, columns, other formulas, sets for lists) and keep full
marks.  Wrong students get a gradient_descent_bb that does not call
their bb_step, so one exercise's mistake costs no other's.  See
tests/chapters/__init__.py for the fields.
"""
import numpy as np
import pytest

from chapter_grading import wrong_students

ASSIGNMENT = "02_gradient_descent"
POINTS = 20

# Exercise -> its graded cells and their points.
EXERCISES = {
    "lls_objective": {"test_lls_objective_values": 1,
                      "test_lls_objective_shapes": 1},
    "lls_gradient": {"test_lls_gradient_values": 2,
                     "test_lls_gradient_shapes": 2},
    "gradient_descent": {"test_gradient_descent_solves": 2,
                         "test_gradient_descent_counts": 2,
                         "test_gradient_descent_diverges": 1},
    "max_stable_lr": {"test_max_stable_lr_values": 1,
                      "test_max_stable_lr_rectangular": 1},
    "theory": {"test_theory_iterations": 1, "test_theory_diverging": 1},
    "bb_step": {"test_bb_step_values": 1, "test_bb_step_any_shape": 1},
    "gradient_descent_bb": {"test_gradient_descent_bb_solves": 2,
                            "test_gradient_descent_bb_rules": 1},
}

# A correct gradient_descent_bb that does not call bb_step, for students
# whose bb_step is wrong (one exercise's mistake must not cost another's).
RIGHT_GD_BB = """
def gradient_descent_bb(grad, x0, lr0, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    x_prev = g_prev = None
    lr = lr0
    g0 = None
    for k in range(max_iter + 1):
        g = np.asarray(grad(x), dtype=float)
        norm = np.linalg.norm(g)
        if g0 is None:
            g0 = norm
        if not np.isfinite(norm) or norm > 1e12 * g0:
            raise ValueError(f"diverged at step {k} with lr = {lr}")
        if norm <= tol or k == max_iter:
            return x, k
        if x_prev is not None:
            s, y = x - x_prev, g - g_prev
            lr = np.sum(s * s) / np.sum(s * y)
        x_prev, g_prev = x, g
        x = x - lr * g
"""

# A gradient-descent loop body the wrong variants below share, with one
# line changed in each; {update}, {count}, {start}, {check} are filled in.
_GD = """
def gradient_descent(grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = {start}
    g0 = None
    for k in range(max_iter + 1):
        g = grad(x)
        norm = np.linalg.norm(g)
        if g0 is None:
            g0 = norm
{check}        if norm <= tol:
            return x, {count}
        if k == max_iter:
            return x, max_iter
        {update}
"""
_CHECK = """        if not np.isfinite(norm) or norm > 1e12 * g0:
            raise ValueError(f"diverged: lr = {lr} is too large")
"""


def _gd(update="x = x - lr * g", count="k", start="np.array(x0, "
        "dtype=float)", check=_CHECK):
    return _GD.format(update=update, count=count, start=start, check=check)


# Plausible wrong answers: (what it is, solution cell source, expected
# score of the exercise).  A score of 0 means every cell of the exercise
# fails; a partial score means the mistake only breaks one behaviour.
WRONG = {
    "lls_objective": [
        ("the norm, not its square", """
def lls_objective(A, b, x):
    return float(np.linalg.norm(A @ np.ravel(x) - np.ravel(b)))
""", 0),
        ("the mean of the squares instead of their sum", """
def lls_objective(A, b, x):
    r = A @ np.ravel(x) - np.ravel(b)
    return float(np.mean(r**2))
""", 0),
        ("A x + b instead of A x - b", """
def lls_objective(A, b, x):
    r = A @ np.ravel(x) + np.ravel(b)
    return float(r @ r)
""", 0),
        ("a column minus a vector broadcasts to a matrix", """
def lls_objective(A, b, x):
    r = A @ x - b
    return float(np.sum(r**2))
""", 1),
        ("returns a (1, 1) array, not a number", """
def lls_objective(A, b, x):
    r = A @ np.reshape(x, (-1, 1)) - np.reshape(b, (-1, 1))
    return r.T @ r
""", 0),
        ("delegates to course_utils.descent", """
from course_utils.descent import lls_objective as _lls

def lls_objective(A, b, x):
    return _lls(A, np.ravel(b), np.ravel(x))
""", 0),
    ],
    "lls_gradient": [
        ("missing factor 2", """
def lls_gradient(A, b, x):
    x = np.asarray(x, dtype=float)
    r = A @ x.ravel() - np.ravel(b)
    return (A.T @ r).reshape(x.shape)
""", 0),
        ("missing transpose", """
def lls_gradient(A, b, x):
    x = np.asarray(x, dtype=float)
    r = A @ x.ravel() - np.ravel(b)
    return (2 * A @ r).reshape(x.shape)
""", 0),
        ("sign flipped (the ascent direction)", """
def lls_gradient(A, b, x):
    x = np.asarray(x, dtype=float)
    r = np.ravel(b) - A @ x.ravel()
    return (2 * A.T @ r).reshape(x.shape)
""", 0),
        ("a column x minus a vector b broadcasts", """
def lls_gradient(A, b, x):
    return 2 * A.T @ (A @ x - b)
""", 2),
        ("always returns a vector, whatever the shape of x", """
def lls_gradient(A, b, x):
    r = A @ np.ravel(x) - np.ravel(b)
    return 2 * A.T @ r
""", 2),
        ("delegates to course_utils.descent", """
def lls_gradient(A, b, x):
    x = np.asarray(x, dtype=float)
    return cd.lls_gradient(A, np.ravel(b), x.ravel()).reshape(x.shape)
""", 0),
        ("a numerical gradient instead of the formula", """
def lls_gradient(A, b, x):
    x = np.asarray(x, dtype=float)
    f = lambda v: float(np.sum((A @ v.ravel() - np.ravel(b))**2))
    return numerical_gradient(f, x)
""", 0),
    ],
    "gradient_descent": [
        ("a fixed number of steps, ignoring tol", _gd().replace(
            "        if norm <= tol:\n            return x, k\n", ""), 3),
        ("gradient ascent (x + lr g)", _gd(update="x = x + lr * g"), 1),
        ("counts gradient evaluations, one too many", _gd(count="k + 1"),
         3),
        ("modifies x0 in place", _gd(start="x0", update="x -= lr * g"), 0),
        ("returns nan instead of raising on divergence", _gd(check=""), 4),
        ("checks tol after the update", """
def gradient_descent(grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    g0 = np.linalg.norm(grad(x))
    for k in range(1, max_iter + 1):
        x = x - lr * grad(x)
        norm = np.linalg.norm(grad(x))
        if not np.isfinite(norm) or norm > 1e12 * g0:
            raise ValueError(f"diverged with lr = {lr}")
        if norm <= tol:
            return x, k
    return x, max_iter
""", 3),
        ("delegates to course_utils.descent", """
def gradient_descent(grad, x0, lr, tol=1e-8, max_iter=10_000):
    run = cd.gradient_descent(grad, x0, lr=lr, tol=tol, max_iter=max_iter)
    return run.x, run.n_iter
""", 0),
        ("returns (num_iters, x): the pair in the wrong order",
         _gd().replace("return x, k", "return k, x").replace(
             "return x, max_iter", "return max_iter, x"), 1),
    ],
    "max_stable_lr": [
        ("the eigenvalues of A instead of 2 A^T A", """
def max_stable_lr(A):
    return float(2 / (2 * np.max(np.abs(np.linalg.eigvals(A)))))
""", 0),
        ("1 / L instead of 2 / L", """
def max_stable_lr(A):
    return float(1 / np.linalg.eigvalsh(2 * A.T @ A)[-1])
""", 0),
        ("the Hessian without its factor 2 (A^T A)", """
def max_stable_lr(A):
    return float(2 / np.linalg.eigvalsh(A.T @ A)[-1])
""", 0),
        ("the smallest eigenvalue", """
def max_stable_lr(A):
    eig = np.linalg.eigvalsh(2 * A.T @ A)
    return float(2 / eig[eig > 1e-12][0])
""", 0),
        ("squares the eigenvalues of A (right only for symmetric A)", """
def max_stable_lr(A):
    return float(1 / np.max(np.abs(np.linalg.eigvals(A)))**2)
""", 0),
    ],
    "theory": [
        ("rounds the step count down", """
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
rho = 99 / 101
iterations_needed = int(np.log(1e-6) / np.log(rho))
diverging_lrs = [0.012, 0.02, 0.1]
""", 1),
        ("the rate of the step 1/L, 1 - 1/kappa", """
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
iterations_needed = int(np.ceil(np.log(1e-6) / np.log(1 - 1 / 100)))
diverging_lrs = [0.012, 0.02, 0.1]
""", 1),
        ("the lr bound from the eigenvalues of A", """
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
iterations_needed = 691
L_A = np.max(np.abs(np.linalg.eigvals(np.array([[4.0, 2.0], [3.0, 8.0]]))))
diverging_lrs = [lr for lr in candidate_lrs if lr > 2 / L_A]
""", 1),
        ("the optimal step 2/(L + mu) taken as the bound", """
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
iterations_needed = 691
eig = np.linalg.eigvalsh(2 * np.array([[25.0, 32.0], [32.0, 68.0]]))
diverging_lrs = [lr for lr in candidate_lrs if lr > 2 / (eig[0] + eig[1])]
""", 1),
        ("the step count as a string, and lr above 1/L", """
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
iterations_needed = "691"
diverging_lrs = [0.01, 0.011, 0.012, 0.02, 0.1]
""", 0),
        ("no candidate diverges (an empty list)", """
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
iterations_needed = 691
diverging_lrs = []
""", 1),
    ],
    "bb_step": [
        ("BB2 (s.y / y.y) where BB1 is asked", """
def bb_step(s, y):
    s, y = np.ravel(s), np.ravel(y)
    return float(s @ y / (y @ y))
""", 0),
        ("the reciprocal s.y / s.s", """
def bb_step(s, y):
    s, y = np.ravel(s), np.ravel(y)
    return float(s @ y / (s @ s))
""", 0),
        ("works for vectors only", """
def bb_step(s, y):
    return float(s @ s / (s @ y))
""", 1),
        ("elementwise ratios, averaged", """
def bb_step(s, y):
    return float(np.mean((s * s) / (s * y)))
""", 0),
        ("matrix products: an array for columns and matrices", """
def bb_step(s, y):
    return (s.T @ s) / (s.T @ y)
""", 1),
    ],
    "gradient_descent_bb": [
        ("BB2 steps where BB1 is asked", RIGHT_GD_BB.replace(
            "np.sum(s * s) / np.sum(s * y)", "np.sum(s * y) / np.sum(y * y)"),
         1),
        ("lr0 throughout (never a BB step)", RIGHT_GD_BB.replace(
            "lr = np.sum(s * s) / np.sum(s * y)", "lr = lr0"), 0),
        ("modifies x0 in place", RIGHT_GD_BB.replace(
            "x = np.array(x0, dtype=float)", "x = x0").replace(
            "x_prev, g_prev = x, g\n        x = x - lr * g",
            "x_prev, g_prev = x.copy(), g\n        x -= lr * g"), 0),
        ("counts one update too many", RIGHT_GD_BB.replace(
            "return x, k", "return x, k + 1"), 2),
        ("no divergence check", RIGHT_GD_BB.replace(
            "if not np.isfinite(norm) or norm > 1e12 * g0:",
            "if False:"), 2),
        ("delegates to course_utils.descent", """
def gradient_descent_bb(grad, x0, lr0, tol=1e-8, max_iter=10_000):
    run = cd.gradient_descent(grad, x0, lr=lr0, method="bb", tol=tol,
                              max_iter=max_iter)
    return run.x, run.n_iter
""", 0),
        ("returns (num_iters, x): the pair in the wrong order",
         RIGHT_GD_BB.replace("return x, k", "return k, x"), 0),
    ],
}

# Correct answers in other styles: every student here keeps full marks.
ALT = [
    {  # columns, norms, SVD, a while loop, vdot
        "lls_objective": """
def lls_objective(A, b, x):
    r = np.asarray(A) @ np.reshape(x, (-1, 1)) - np.reshape(b, (-1, 1))
    return float((r.T @ r)[0, 0])
""",
        "lls_gradient": """
def lls_gradient(A, b, x):
    x = np.asarray(x, dtype=float)
    r = A @ x.reshape(-1, 1) - np.reshape(b, (-1, 1))
    return (2 * A.T @ r).reshape(x.shape)
""",
        "gradient_descent": """
def gradient_descent(grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = x0.astype(float)  # astype copies
    num_iters = 0
    g = grad(x)
    first = np.sqrt(np.sum(g * g))
    while True:
        size = np.sqrt(np.sum(g * g))
        if not np.isfinite(size) or size > 1e12 * first:
            raise ValueError(f"Diverged! Learning rate {lr} too big.")
        if size <= tol or num_iters == max_iter:
            return x, num_iters
        x -= lr * g
        num_iters += 1
        g = grad(x)
""",
        "max_stable_lr": """
def max_stable_lr(A):
    return 1.0 / np.linalg.norm(A, 2) ** 2
""",
        "theory": """
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
rho = (100 - 1) / (100 + 1)
iterations_needed = 0
while rho ** iterations_needed > 1e-6:
    iterations_needed += 1
H = 2 * np.array([[4.0, 2.0], [3.0, 8.0]]).T @ np.array([[4.0, 2.0],
                                                         [3.0, 8.0]])
diverging_lrs = np.array([lr for lr in candidate_lrs
                          if lr * np.max(np.linalg.eigvals(H)) > 2])
""",
        "bb_step": """
def bb_step(s, y):
    return np.vdot(s, s) / np.vdot(s, y)
""",
        "gradient_descent_bb": RIGHT_GD_BB,
    },
    {  # loops over entries, A A^T, hard-coded answers, bb_step reused
        "lls_objective": """
def lls_objective(A, b, x):
    x = np.ravel(x)
    b = np.ravel(b)
    total = 0.0
    for i in range(A.shape[0]):
        r_i = sum(A[i, j] * x[j] for j in range(A.shape[1])) - b[i]
        total += r_i ** 2
    return total
""",
        "lls_gradient": """
def lls_gradient(A, b, x):
    N, D = A.shape
    xv, bv = np.ravel(x), np.ravel(b)
    grad = np.zeros(D)
    for i in range(N):
        r_i = A[i] @ xv - bv[i]
        for j in range(D):
            grad[j] += 2 * A[i, j] * r_i
    return grad.reshape(np.shape(x))
""",
        "gradient_descent": """
def gradient_descent(grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.copy(x0).astype(np.float64)
    start = None
    for step in range(max_iter):
        g = grad(x)
        n = np.linalg.norm(g)
        start = n if start is None else start
        if np.isnan(n) or np.isinf(n) or n > 1e12 * start:
            raise ValueError("iterates diverged; reduce the lr")
        if n <= tol:
            return x, step
        x -= lr * g
    g = grad(x)
    n = np.linalg.norm(g)
    if start is not None and (not np.isfinite(n) or n > 1e12 * start):
        raise ValueError("iterates diverged; reduce the lr")
    return x, max_iter
""",
        "max_stable_lr": """
def max_stable_lr(A):
    A = np.asarray(A, dtype=float)
    return 2 / max(np.linalg.eigvalsh(2 * A @ A.T))
""",
        "theory": """
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
iterations_needed = 691.0
diverging_lrs = (0.1, 0.02, 0.012)
""",
        "bb_step": """
def bb_step(s, y):
    ss = sy = 0.0
    for idx in np.ndindex(np.shape(s)):
        ss += s[idx] * s[idx]
        sy += s[idx] * y[idx]
    return ss / sy
""",
        "gradient_descent_bb": """
def gradient_descent_bb(grad, x0, lr0, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    g = grad(x)
    first = np.linalg.norm(g)
    lr, count = lr0, 0
    while np.linalg.norm(g) > tol and count < max_iter:
        x_new = x - lr * g
        g_new = grad(x_new)
        size = np.linalg.norm(g_new)
        if not np.isfinite(size) or size > 1e12 * first:
            raise ValueError(f"diverged (learning rate {lr})")
        lr = bb_step(x_new - x, g_new - g)
        x, g = x_new, g_new
        count += 1
    return x, count
""",
    },
    {  # other names, lists for pairs, a set, SVD, sums over products
        "lls_objective": """
def lls_objective(A, b, x):
    residual = np.dot(A, np.ravel(x)) - np.ravel(b)
    return float(np.sum(residual * residual))
""",
        "lls_gradient": """
def lls_gradient(A, b, x):
    shape = np.shape(x)
    residual = np.dot(A, np.ravel(x)) - np.ravel(b)
    return np.reshape(2.0 * np.dot(residual, A), shape)
""",
        "gradient_descent": """
def gradient_descent(grad, x0, lr, tol=1e-8, max_iter=10_000):
    point = x0.copy().astype(float)
    steps = 0
    norms = []
    while True:
        direction = np.asarray(grad(point))
        norms.append(np.linalg.norm(direction))
        if not np.isfinite(norms[-1]) or norms[-1] > 1e12 * norms[0]:
            raise ValueError("Gradient descent diverged with learning "
                             "rate " + str(lr))
        if norms[-1] <= tol or steps >= max_iter:
            return [point, steps]
        point = point - lr * direction
        steps = steps + 1
""",
        "max_stable_lr": """
def max_stable_lr(A):
    sigma = np.linalg.svd(np.asarray(A, dtype=float), compute_uv=False)
    L = 2 * sigma[0] ** 2  # the top eigenvalue of 2 A^T A
    return 2 / L
""",
        "theory": """
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
kappa = 100
iterations_needed = np.int64(np.ceil(np.log(1e6) * 1 /
                                     np.log((kappa + 1) / (kappa - 1))))
H = 2 * np.array([[4.0, 2.0], [3.0, 8.0]]).T @ np.array([[4.0, 2.0],
                                                         [3.0, 8.0]])
limit = 2 / np.linalg.eigvalsh(H).max()
diverging_lrs = {lr for lr in candidate_lrs if lr > limit}
""",
        "bb_step": """
def bb_step(s, y):
    return float(np.sum(s * s) / np.sum(s * y))
""",
        "gradient_descent_bb": """
def gradient_descent_bb(grad, x0, lr0, tol=1e-8, max_iter=10_000):
    point = np.array(x0, dtype=np.float64)
    direction = np.asarray(grad(point), dtype=np.float64)
    first = np.linalg.norm(direction)
    step = lr0
    for n in range(max_iter + 1):
        size = np.linalg.norm(direction)
        if not np.isfinite(size) or size > 1e12 * first:
            raise ValueError(f"diverged; learning rate was {step}")
        if size <= tol or n == max_iter:
            return [point, n]
        new_point = point - step * direction
        new_direction = np.asarray(grad(new_point), dtype=np.float64)
        step = bb_step(new_point - point, new_direction - direction)
        point, direction = new_point, new_direction
""",
    },
    {  # a frozenset and an array of rates, a tuple of numbers, einsum
        "lls_objective": """
def lls_objective(A, b, x):
    r = np.einsum("ij,j->i", A, np.ravel(x)) - np.ravel(b)
    return np.einsum("i,i->", r, r).item()
""",
        "lls_gradient": """
def lls_gradient(A, b, x):
    r = np.einsum("ij,j->i", A, np.ravel(x)) - np.ravel(b)
    return (2 * np.einsum("ij,i->j", A, r)).reshape(np.shape(x))
""",
        "gradient_descent": """
def gradient_descent(grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = 1.0 * np.asarray(x0)  # a new float array
    g = grad(x)
    limit = 1e12 * np.linalg.norm(g)
    for num_iters in range(max_iter):
        if np.linalg.norm(g) <= tol:
            break
        x = x - lr * g
        g = grad(x)
        norm = np.linalg.norm(g)
        if np.isnan(norm) or np.isinf(norm) or norm > limit:
            raise ValueError(f"diverged after {num_iters + 1} steps, "
                             f"lr={lr} is too large")
    else:
        num_iters = max_iter
    return x, num_iters
""",
        "max_stable_lr": """
def max_stable_lr(A):
    H = 2 * np.asarray(A, dtype=float).T @ np.asarray(A, dtype=float)
    return float(2 / np.linalg.eigvalsh(H)[-1])
""",
        "theory": """
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
iterations_needed = int(np.ceil(-6 * np.log(10) / np.log(99 / 101)))
diverging_lrs = frozenset(np.array(candidate_lrs)[
    np.array(candidate_lrs) > 2 / 170.10382610480494])
""",
        "bb_step": """
def bb_step(s, y):
    s, y = np.asarray(s, dtype=float), np.asarray(y, dtype=float)
    return np.tensordot(s, s, axes=s.ndim) / np.tensordot(s, y, axes=s.ndim)
""",
        "gradient_descent_bb": RIGHT_GD_BB.replace(
            "return x, k", "return (x, k)"),
    },
]
# Cells holding the exercise code (solution cells' grade ids).
SOLUTION_CELL = {ex: ex for ex in EXERCISES}
N_WRONG = max(len(v) for v in WRONG.values())
# Messages a student sees for a few mistakes: (student, cell, words).
SAID = [
    ("wrong0", "test_lls_objective_values", "the wrong value"),
    ("wrong3", "test_gradient_descent_counts", "changed its input `x0`"),
    ("wrong4", "test_gradient_descent_diverges", "returned normally"),
    ("wrong6", "test_gradient_descent_solves", "cd.gradient_descent"),
    ("wrong0", "test_max_stable_lr_values", "max_stable_lr"),
    ("wrong4", "test_bb_step_any_shape", "one number"),
    ("wrong1", "test_gradient_descent_bb_rules", "num_iters should be 2"),
    ("wrong5", "test_gradient_descent_counts", "tolerance before updating"),
    # the pair returned the wrong way round is named as such
    ("wrong7", "test_gradient_descent_solves",
     "returned its values in the wrong order: it should return (x, "
     "num_iters)"),
    ("wrong7", "test_gradient_descent_counts", "in the wrong order"),
    ("wrong6", "test_gradient_descent_bb_solves",
     "returned its values in the wrong order: it should return (x, "
     "num_iters)"),
    # x0 changed in place is caught around a run that returns normally
    ("wrong3", "test_gradient_descent_diverges", "changed its input `x0`"),
    ("wrong2", "test_gradient_descent_bb_rules", "changed its input `x0`"),
    # the theory answers: what exactly is wrong with the value
    ("wrong0", "test_theory_iterations", "round up, not down"),
    ("wrong1", "test_theory_iterations", "the rate 1 - 1/kappa"),
    ("wrong5", "test_theory_diverging", "diverging_lrs is empty"),
    ("wrong3", "test_theory_diverging", "and also some that converge"),
    ("wrong2", "test_theory_diverging", "eigenvalues of A itself"),
    # broadcasting is named where it happened, and only there
    ("wrong3", "test_lls_objective_shapes", "broadcasts to a matrix"),
    ("wrong3", "test_lls_gradient_shapes", "broadcasts to a matrix"),
    ("wrong4", "test_lls_gradient_shapes", "the shape of x, e.g. with "
     ".reshape"),
    ("wrong4", "test_lls_objective_shapes", "return it as a float"),
    # a mean over the N equations: N is the number of entries of b
    ("wrong1", "test_lls_objective_shapes",
     "3 times too small, and 3 is the number of entries in `b`: a mean"),
    ("wrong1", "test_lls_gradient_values", "the transpose is missing"),
]
# Words a message must not say for a mistake (it would point elsewhere).
NOT_SAID = [
    ("wrong4", "test_lls_gradient_shapes", "broadcast"),
    ("wrong4", "test_lls_objective_shapes", "broadcast"),
    ("wrong3", "test_max_stable_lr_rectangular", "number of"),
    ("wrong1", "test_lls_objective_shapes", "entries in `A`"),
]




def students(right):
    """Wrong students, then the other correct styles."""
    alts = [(f"alt{k}", dict(right, **{
        SOLUTION_CELL[ex]: code.strip() + "\n"
        for ex, code in alt.items()})) for k, alt in enumerate(ALT)]
    return wrong_students(
        right, WRONG, N_WRONG,
        base={"gradient_descent_bb": RIGHT_GD_BB.strip() + "\n"},
        cells=lambda ex, code: {SOLUTION_CELL[ex]: code.strip() + "\n"}
    ) + alts


RIGHT = [f"alt{k}" for k in range(len(ALT))]
MESSAGES = ([(student, cell, words, ()) for student, cell, words in SAID]
            + [(student, cell, (), words)
               for student, cell, words in NOT_SAID])
BLOCKS = True
FEEDBACK = ("wrong0", ("lls_objective", "Test failed"), ())
VALIDATE_AGREES = True


def check_unpack_in_order_names_a_swapped_pair():
    """Are the right values in the wrong order named as such?"""
    from course_utils.checks import CheckFailed, unpack_in_order
    pair = ("x", "num_iters"), ("array", "number")
    x = np.array([3.0, 5.0])
    assert unpack_in_order((x, 12), *pair)[1] == 12
    assert unpack_in_order([x, np.int64(12)], *pair)[1] == 12
    with pytest.raises(CheckFailed) as info:
        unpack_in_order((12, x), *pair, call="gradient_descent(...)")
    text = str(info.value)
    assert "wrong order" in text and "(x, num_iters)" in text, text
    # chapter 03's fit_w: (w, costs), a number and a list of costs
    with pytest.raises(CheckFailed) as info:
        unpack_in_order(([4.0, 2.5, 2.1], 0.7), ("w", "costs"),
                        ("number", "array"), call="fit_w(x, y, ...)")
    text = str(info.value)
    assert "wrong order" in text and "`return w, costs`" in text, text
    assert unpack_in_order((0.7, [4.0, 2.5]), ("w", "costs"),
                           ("number", "array"))[0] == 0.7
    # wrong kinds that are not a swap are left to the value checks
    assert unpack_in_order((x, x), *pair)[0] is x
    with pytest.raises(CheckFailed, match="should return 2 values"):
        unpack_in_order(np.zeros(3), *pair)


CHECKS = [check_unpack_in_order_names_a_swapped_pair]
