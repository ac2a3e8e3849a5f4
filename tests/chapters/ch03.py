"""Chapter 03, linear regression: its grading batch as data.

The wrong students carry one plausible mistake in every exercise (the
k-th wrong version of each); the other students answer right in another
style (loops and lists; functions that reuse each other, with
np.linalg.solve on the normal equations; sums multiplied out, dot
products and np.linalg.inv) and keep full marks.  See
tests/chapters/__init__.py for the fields.
"""
from chapter_grading import wrong_students

ASSIGNMENT = "03_regression"
POINTS = 23

# Exercise -> its graded cells and their points.
EXERCISES = {
    "mse": {"test_mse_values": 2, "test_mse_lists": 1},
    "mse_gradient_w": {"test_mse_gradient_w_values": 2,
                       "test_mse_gradient_w_numerical": 1},
    "fit_w": {"test_fit_w_seed_run": 2, "test_fit_w_costs": 1},
    "gradients_wb": {"test_gradients_wb_values": 2,
                     "test_gradients_wb_numerical": 1},
    "fit_wb": {"test_fit_wb_first_step": 2, "test_fit_wb_costs": 1},
    "least_squares_line": {"test_least_squares_line_values": 2,
                           "test_least_squares_line_normal_equations": 1},
    "scaling": {"test_standardize": 2, "test_unscale": 2,
                "test_celsius_recovered": 1},
}

# Plausible wrong answers: (what it is, {solution cell: source}, expected
# score of the exercise).  A plain string replaces the solution cell named
# like the exercise.  A partial score means the mistake breaks only some
# behaviours (e.g. the costs but not the fitted w).
WRONG = {
    "mse": [
        ("sum instead of mean", """
def mse(y, y_hat):
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    return float(np.sum((y - y_hat) ** 2))
""", 0),
        ("no conversion: breaks on lists", """
def mse(y, y_hat):
    return np.mean((y - y_hat) ** 2)
""", 2),
        ("half the mean (the 1/2N cost)", """
def mse(y, y_hat):
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    return float(np.mean((y - y_hat) ** 2) / 2)
""", 0),
        ("square of the mean error", """
def mse(y, y_hat):
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    return float(np.mean(y - y_hat) ** 2)
""", 0),
        ("squared errors, no mean", """
def mse(y, y_hat):
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    return (y - y_hat) ** 2
""", 0),
        ("delegates to scikit-learn", """
from sklearn.metrics import mean_squared_error

def mse(y, y_hat):
    return float(mean_squared_error(y, y_hat))
""", 0),
        ("root of the mean", """
def mse(y, y_hat):
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    return float(np.sqrt(np.mean((y - y_hat) ** 2)))
""", 0),
    ],
    "mse_gradient_w": [
        ("missing factor 2", """
def mse_gradient_w(x, y, w):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.mean(-x * (y - w * x)))
""", 0),
        ("sign flipped", """
def mse_gradient_w(x, y, w):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.mean(2 * x * (y - w * x)))
""", 0),
        ("sum instead of mean", """
def mse_gradient_w(x, y, w):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.sum(-2 * x * (y - w * x)))
""", 0),
        ("chain rule without the inner derivative x", """
def mse_gradient_w(x, y, w):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.mean(-2 * (y - w * x)))
""", 0),
        ("delegates to the reference kernel", """
def mse_gradient_w(x, y, w):
    return cur.mse_gradient(x, y, w)[0]
""", 0),
        ("w left out of the residual", """
def mse_gradient_w(x, y, w):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.mean(-2 * x * y))
""", 0),
        # A finite difference is numerically right to ~1e-9 but is not the
        # formula: it keeps only the point of the numerical-derivative test.
        # (The cost is written inline: this student's mse is wrong.)
        ("central difference of mse (course_utils)", """
def mse_gradient_w(x, y, w):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return cud.central_difference(lambda v: np.mean((y - v * x) ** 2), w)
""", 1),
        ("own central difference, h = 1e-6", """
def mse_gradient_w(x, y, w):
    h = 1e-6
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    def cost(v):
        return np.mean((y - v * x) ** 2)
    return (cost(w + h) - cost(w - h)) / (2 * h)
""", 1),
        ("complex step (course_utils)", """
def mse_gradient_w(x, y, w):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return cud.complex_step(lambda v: np.mean((y - v * x) ** 2), w)
""", 0),
    ],
    "fit_w": [
        ("cost recorded after the update", """
def fit_w(x, y, w0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, costs = float(w0), []
    for _ in range(num_epochs):
        w = w - lr * np.mean(-2 * x * (y - w * x))
        costs.append(np.mean((y - w * x) ** 2))
    return w, costs
""", 2),
        ("gradient ascent (w + lr * grad)", """
def fit_w(x, y, w0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, costs = float(w0), []
    for _ in range(num_epochs):
        costs.append(np.mean((y - w * x) ** 2))
        w = w + lr * np.mean(-2 * x * (y - w * x))
    return w, costs
""", 0),
        ("one update too many", """
def fit_w(x, y, w0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, costs = float(w0), []
    for _ in range(num_epochs + 1):
        costs.append(np.mean((y - w * x) ** 2))
        w = w - lr * np.mean(-2 * x * (y - w * x))
    return w, costs
""", 0),
        ("gradient without the factor 2", """
def fit_w(x, y, w0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, costs = float(w0), []
    for _ in range(num_epochs):
        costs.append(np.mean((y - w * x) ** 2))
        w = w - lr * np.mean(-x * (y - w * x))
    return w, costs
""", 0),
        ("ignores w0 (starts at 0)", """
def fit_w(x, y, w0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, costs = 0.0, []
    for _ in range(num_epochs):
        costs.append(np.mean((y - w * x) ** 2))
        w = w - lr * np.mean(-2 * x * (y - w * x))
    return w, costs
""", 0),
        ("costs as sums of squares", """
def fit_w(x, y, w0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, costs = float(w0), []
    for _ in range(num_epochs):
        costs.append(np.sum((y - w * x) ** 2))
        w = w - lr * np.mean(-2 * x * (y - w * x))
    return w, costs
""", 2),
        ("returns only w", """
def fit_w(x, y, w0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = float(w0)
    for _ in range(num_epochs):
        w = w - lr * np.mean(-2 * x * (y - w * x))
    return w
""", 0),
    ],
    "gradients_wb": [
        ("dw and db swapped", """
def gradients_wb(x, y, w, b):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    err = y - (w * x + b)
    return np.mean(-err), np.mean(-x * err)
""", 0),
        ("gradient of the plain MSE (factor 2)", """
def gradients_wb(x, y, w, b):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    err = y - (w * x + b)
    return np.mean(-2 * x * err), np.mean(-2 * err)
""", 0),
        ("sign flipped", """
def gradients_wb(x, y, w, b):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    err = y - (w * x + b)
    return np.mean(x * err), np.mean(err)
""", 0),
        ("b left out of the prediction", """
def gradients_wb(x, y, w, b):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    err = y - w * x
    return np.mean(-x * err), np.mean(-err)
""", 0),
        ("sums instead of means", """
def gradients_wb(x, y, w, b):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    err = y - (w * x + b)
    return np.sum(-x * err), np.sum(-err)
""", 0),
        ("db with the x of dw", """
def gradients_wb(x, y, w, b):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    err = y - (w * x + b)
    return np.mean(-x * err), np.mean(-x * err)
""", 0),
        ("central differences of J (course_utils)", """
def gradients_wb(x, y, w, b):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    cost = lambda p: np.mean((y - (p[0] * x + p[1])) ** 2) / 2
    dw, db = cud.numerical_gradient(cost, np.array([w, b], dtype=float))
    return dw, db
""", 1),
        ("own forward differences, h = 1e-6", """
def gradients_wb(x, y, w, b):
    h = 1e-6
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    def cost(w, b):
        return np.mean((y - (w * x + b)) ** 2) / 2
    return ((cost(w + h, b) - cost(w, b)) / h,
            (cost(w, b + h) - cost(w, b)) / h)
""", 0),
    ],
    "fit_wb": [
        ("sequential update: b's gradient at the new w", """
def fit_wb(x, y, w0, b0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, b, costs = float(w0), float(b0), []
    for _ in range(num_epochs):
        costs.append(np.mean((y - (w * x + b)) ** 2) / 2)
        w = w - lr * np.mean(-x * (y - (w * x + b)))
        b = b - lr * np.mean(-(y - (w * x + b)))
    return w, b, costs
""", 0),
        ("cost recorded after the update", """
def fit_wb(x, y, w0, b0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, b, costs = float(w0), float(b0), []
    for _ in range(num_epochs):
        err = y - (w * x + b)
        w, b = w - lr * np.mean(-x * err), b - lr * np.mean(-err)
        costs.append(np.mean((y - (w * x + b)) ** 2) / 2)
    return w, b, costs
""", 2),
        ("costs without the 1/2", """
def fit_wb(x, y, w0, b0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, b, costs = float(w0), float(b0), []
    for _ in range(num_epochs):
        err = y - (w * x + b)
        costs.append(np.mean(err ** 2))
        w, b = w - lr * np.mean(-x * err), b - lr * np.mean(-err)
    return w, b, costs
""", 2),
        ("b never updated", """
def fit_wb(x, y, w0, b0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, b, costs = float(w0), float(b0), []
    for _ in range(num_epochs):
        err = y - (w * x + b)
        costs.append(np.mean(err ** 2) / 2)
        w = w - lr * np.mean(-x * err)
    return w, b, costs
""", 0),
        ("gradient of the plain MSE (factor 2)", """
def fit_wb(x, y, w0, b0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, b, costs = float(w0), float(b0), []
    for _ in range(num_epochs):
        err = y - (w * x + b)
        costs.append(np.mean(err ** 2) / 2)
        w, b = w - lr * np.mean(-2 * x * err), b - lr * np.mean(-2 * err)
    return w, b, costs
""", 0),
        ("delegates to the reference kernel", """
def fit_wb(x, y, w0, b0, lr, num_epochs):
    w, b, hist = cur.fit_gd(x, y, lr=lr, num_epochs=num_epochs, w0=w0,
                            b0=b0, half=True)
    return w, b, hist["cost"][:-1]
""", 0),
        ("returns (w, b) without the costs", """
def fit_wb(x, y, w0, b0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, b = float(w0), float(b0)
    for _ in range(num_epochs):
        err = y - (w * x + b)
        w, b = w - lr * np.mean(-x * err), b - lr * np.mean(-err)
    return w, b
""", 0),
    ],
    "least_squares_line": [
        ("slope and intercept swapped", """
def least_squares_line(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
    return y.mean() - w * x.mean(), w
""", 0),
        ("slope of the line through the origin", """
def least_squares_line(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = np.sum(x * y) / np.sum(x ** 2)
    return w, y.mean() - w * x.mean()
""", 0),
        ("intercept with the wrong sign", """
def least_squares_line(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
    return w, y.mean() + w * x.mean()
""", 0),
        ("sample covariance over population variance", """
def least_squares_line(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = np.cov(x, y)[0, 1] / np.var(x)
    return w, y.mean() - w * x.mean()
""", 0),
        ("np.polyfit", """
def least_squares_line(x, y):
    w, b = np.polyfit(x, y, 1)
    return w, b
""", 0),
        ("scipy.stats.linregress", """
from scipy import stats

def least_squares_line(x, y):
    fit = stats.linregress(x, y)
    return fit.slope, fit.intercept
""", 0),
        ("pseudo-inverse of the design matrix", """
def least_squares_line(x, y):
    X = np.column_stack([x, np.ones(len(x))])
    w, b = np.linalg.pinv(X) @ np.asarray(y, dtype=float)
    return w, b
""", 0),
        ("np.linalg.lstsq", """
def least_squares_line(x, y):
    X = np.column_stack([x, np.ones(len(x))])
    (w, b), *_ = np.linalg.lstsq(X, y, rcond=None)
    return w, b
""", 0),
        ("scipy.linalg.lstsq, imported under another name", """
from scipy.linalg import lstsq as solve_ls

def least_squares_line(x, y):
    X = np.column_stack([x, np.ones(len(x))])
    coef = solve_ls(X, y)[0]
    return coef[0], coef[1]
""", 0),
    ],
    "scaling": [
        ("sample standard deviation (ddof = 1)", {"standardize": """
def standardize(x):
    x = np.asarray(x, dtype=float)
    mean, std = x.mean(), x.std(ddof=1)
    return (x - mean) / std, mean, std
"""}, 3),
        ("unscale multiplies by std", {"unscale": """
def unscale(w_s, b_s, mean, std):
    return w_s * std, b_s - w_s * mean / std
"""}, 2),
        ("unscale forgets the shift", {"unscale": """
def unscale(w_s, b_s, mean, std):
    return w_s / std, b_s
"""}, 2),
        ("standardize does not centre", {"standardize": """
def standardize(x):
    x = np.asarray(x, dtype=float)
    return x / np.std(x), np.mean(x), np.std(x)
"""}, 2),
        ("standardize returns (x_scaled, std, mean)", {"standardize": """
def standardize(x):
    x = np.asarray(x, dtype=float)
    return (x - x.mean()) / x.std(), x.std(), x.mean()
"""}, 2),
        ("standardize changes x in place", {"standardize": """
def standardize(x):
    x = np.asarray(x, dtype=float)
    mean, std = float(np.mean(x)), float(np.std(x))
    x -= mean
    x /= std
    return x, mean, std
"""}, 2),
        ("unscale with the shift's sign flipped", {"unscale": """
def unscale(w_s, b_s, mean, std):
    return w_s / std, b_s + w_s * mean / std
"""}, 2),
    ],
}
# The solution cells each exercise owns (grade ids).
SOLUTION_CELLS = {ex: (ex,) for ex in EXERCISES}
SOLUTION_CELLS["scaling"] = ("standardize", "unscale")
N_WRONG = max(len(v) for v in WRONG.values())

# Right answers in other styles: each student must keep full marks.
ALT = {
    "alt_loops": {  # plain Python loops, lists in and out
        "mse": """
def mse(y, y_hat):
    total = 0.0
    for target, guess in zip(y, y_hat):
        total += (target - guess) ** 2
    return total / len(y)
""",
        "mse_gradient_w": """
def mse_gradient_w(x, y, w):
    total = 0.0
    for xi, yi in zip(x, y):
        total += -2 * xi * (yi - w * xi)
    return total / len(x)
""",
        "fit_w": """
def fit_w(x, y, w0, lr, num_epochs):
    w, costs, n = w0, [], len(x)
    for epoch in range(num_epochs):
        cost, grad = 0.0, 0.0
        for xi, yi in zip(x, y):
            cost += (yi - w * xi) ** 2 / n
            grad += -2 * xi * (yi - w * xi) / n
        costs.append(cost)
        w -= lr * grad
    return w, costs
""",
        "gradients_wb": """
def gradients_wb(x, y, w, b):
    dw = db = 0.0
    for xi, yi in zip(x, y):
        err = yi - (w * xi + b)
        dw -= xi * err
        db -= err
    return [dw / len(x), db / len(x)]
""",
        "fit_wb": """
def fit_wb(x, y, w0, b0, lr, num_epochs):
    w, b, costs, n = w0, b0, [], len(x)
    for epoch in range(num_epochs):
        cost = dw = db = 0.0
        for xi, yi in zip(x, y):
            err = yi - (w * xi + b)
            cost += err ** 2 / (2 * n)
            dw -= xi * err / n
            db -= err / n
        costs.append(cost)
        w, b = w - lr * dw, b - lr * db
    return w, b, costs
""",
        "least_squares_line": """
def least_squares_line(x, y):
    n = len(x)
    x_mean, y_mean = sum(x) / n, sum(y) / n
    num = den = 0.0
    for xi, yi in zip(x, y):
        num += (xi - x_mean) * (yi - y_mean)
        den += (xi - x_mean) ** 2
    w = num / den
    return [w, y_mean - w * x_mean]
""",
        "standardize": """
def standardize(x):
    n = len(x)
    mean = sum(x) / n
    std = (sum((v - mean) ** 2 for v in x) / n) ** 0.5
    return [(v - mean) / std for v in x], mean, std
""",
        "unscale": """
def unscale(w_s, b_s, mean, std):
    return [w_s / std, b_s - w_s * mean / std]
""",
    },
    "alt_reuse": {  # functions built on each other, arrays, np.linalg.solve
        "mse": """
def mse(y, y_hat):
    errors = np.subtract(np.asarray(y, dtype=float), y_hat)
    return np.average(np.square(errors))
""",
        "mse_gradient_w": """
def residuals(x, y, w):
    return np.asarray(y, dtype=float) - w * np.asarray(x, dtype=float)


def mse_gradient_w(x, y, w):
    inputs = np.asarray(x, dtype=float)
    return -2.0 * np.mean(inputs * residuals(x, y, w))
""",
        "gradients_wb": """
def gradients_wb(x, y, w, b):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    miss = (w * x + b) - y
    return np.array([np.mean(miss * x), np.mean(miss)])
""",
        "fit_w": """
def fit_w(x, y, w0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, costs = w0, np.zeros(num_epochs)
    for k in range(num_epochs):
        costs[k] = mse(y, w * x)
        w = w - lr * mse_gradient_w(x, y, w)
    return w, costs
""",
        "fit_wb": """
def fit_wb(x, y, w0, b0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w, b, costs = w0, b0, []
    for _ in range(num_epochs):
        costs.append(mse(y, w * x + b) / 2)
        dw, db = gradients_wb(x, y, w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b, np.array(costs)
""",
        "least_squares_line": """
def least_squares_line(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    # The normal equations: the gradient of J set to zero.
    A = np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    rhs = np.array([np.mean(x * y), np.mean(y)])
    w, b = np.linalg.solve(A, rhs)
    return w, b
""",
        "standardize": """
def standardize(x):
    x = np.array(x, dtype=float)
    mean = x.mean()
    std = np.sqrt(np.mean((x - mean) ** 2))
    x -= mean  # on the copy made above
    x /= std
    return x, mean, std
""",
        "unscale": """
def unscale(w_s, b_s, mean, std):
    w = w_s / std
    return np.array([w, b_s - w * mean])
""",
    },
    "alt_algebra": {  # sums expanded, dot products, the normal equations
        "mse": """
def mse(targets, predictions):
    d = np.asarray(targets, dtype=float) - np.asarray(predictions, dtype=float)
    return d @ d / d.size
""",
        "mse_gradient_w": """
def mse_gradient_w(x, y, w):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    # dL/dw = (2/N) (w sum x^2 - sum x y), the sum multiplied out
    return 2 * (w * np.dot(x, x) - np.dot(x, y)) / len(x)
""",
        "fit_w": """
def fit_w(x, y, w0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = w0
    history = np.empty(num_epochs)
    for k in range(num_epochs):
        history[k] = np.mean((w * x - y) ** 2)
        w -= lr * 2 * np.dot(x, w * x - y) / len(x)
    return (w, history)
""",
        "gradients_wb": """
def gradients_wb(x, y, w, b):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    dw = w * np.mean(x * x) + b * np.mean(x) - np.mean(x * y)
    db = w * np.mean(x) + b - np.mean(y)
    return dw, db
""",
        "fit_wb": """
def fit_wb(x, y, w0, b0, lr, num_epochs):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    theta = np.array([w0, b0], dtype=float)
    X = np.column_stack([x, np.ones_like(x)])
    costs = []
    for _ in range(num_epochs):
        r = X @ theta - y
        costs.append(r @ r / (2 * len(y)))
        theta = theta - lr * X.T @ r / len(y)
    return theta[0], theta[1], costs
""",
        "least_squares_line": """
def least_squares_line(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    X = np.column_stack([x, np.ones_like(x)])
    w, b = np.linalg.inv(X.T @ X) @ (X.T @ y)  # the normal equations
    return float(w), float(b)
""",
        "standardize": """
def standardize(x):
    values = np.asarray(x, dtype=float)
    mu = values.mean()
    sigma = np.sqrt(np.var(values))
    return (values - mu) / sigma, mu, sigma
""",
        "unscale": """
def unscale(w_s, b_s, mean, std):
    # w_s (x - mean) / std + b_s, multiplied out
    return (w_s / std, b_s - mean * (w_s / std))
""",
    },
}

# Messages a student sees: (student, graded cell, words in the message).
SAID = [
    ("wrong0", "test_mse_values", "5 times too large"),
    ("wrong1", "test_mse_lists", "lists cannot be subtracted"),
    # A wrong formula is named as such, not blamed on the integer lists.
    ("wrong0", "test_mse_lists", "a sum where a mean (1/N) is wanted?"),
    ("wrong0", "test_mse_gradient_w_values", "half as large"),
    ("wrong0", "test_fit_w_costs", "costs after each update"),
    ("wrong6", "test_fit_w_seed_run", "should return 2 values, (w, costs)"),
    ("wrong1", "test_fit_w_seed_run", "w moved uphill: step against the "
     "derivative"),
    ("wrong2", "test_fit_w_seed_run", "that is the w after two updates"),
    ("wrong3", "test_fit_w_seed_run", "the step used half the derivative"),
    ("wrong4", "test_fit_w_seed_run", "that is one step from w = 0: start "
     "from w0"),
    ("wrong3", "test_fit_wb_first_step", "is still b0: update b too"),
    ("wrong4", "test_fit_wb_first_step", "took a step twice too long: that "
     "is the gradient of the plain MSE"),
    ("wrong0", "test_gradients_wb_values", "look swapped"),
    ("wrong0", "test_fit_wb_first_step", "computed with the updated w"),
    ("wrong1", "test_fit_wb_costs", "costs after each update"),
    ("wrong4", "test_least_squares_line_values", "uses numpy.polyfit"),
    ("wrong0", "test_standardize", "sample standard deviation"),
    ("wrong5", "test_standardize", "changed its input `x` in place"),
    ("wrong3", "test_celsius_recovered", "w in degrees Fahrenheit"),
    ("wrong1", "test_unscale", "looks multiplied by std"),
    ("wrong4", "test_standardize", "mean and std look swapped"),
    ("wrong6", "test_mse_gradient_w_values",
     "is close to the derivative but not exact"),
    ("wrong7", "test_mse_gradient_w_values",
     "A finite difference, (L(w + h) - L(w - h)) / (2h), does that here"),
    ("wrong8", "test_mse_gradient_w_values",
     "uses course_utils.derivatives.complex_step"),
    ("wrong6", "test_gradients_wb_values",
     "dw from gradients_wb(x, y, 2.0, 1.0) for x = [1, 2, 3, 4], "
     "y = [3e9, 5e9, 4e9, 8e9] is close to the partial derivative but not "
     "exact"),
    ("wrong6", "test_least_squares_line_values", "uses numpy.linalg.pinv"),
    ("wrong7", "test_least_squares_line_normal_equations",
     "uses numpy.linalg.lstsq"),
    ("wrong8", "test_least_squares_line_values", "uses scipy.linalg.lstsq"),
]




def _variant_sources(ex, variant):
    sources = variant if isinstance(variant, dict) else {ex: variant}
    assert set(sources) <= set(SOLUTION_CELLS[ex]), (ex, sorted(sources))
    return {cell: src.strip() + "\n" for cell, src in sources.items()}


def students(right):
    """Wrong students, then the other correct styles."""
    alts = [(name, dict(right, **{c: s.strip() + "\n"
                                  for c, s in cells.items()}))
            for name, cells in ALT.items()]
    return wrong_students(right, WRONG, N_WRONG,
                          cells=_variant_sources) + alts


RIGHT = list(ALT)
MESSAGES = [(student, cell, words, ()) for student, cell, words in SAID]
BLOCKS = True
FEEDBACK = ("wrong0", ("least_squares_line", "Test failed"), ())


def check_one_function_exercises_have_three_total_losses():
    """Does every exercise of one function have three mistakes that lose
    all of its points?"""
    for ex, variants in WRONG.items():
        if len(SOLUTION_CELLS[ex]) == 1:
            assert sum(score == 0 for _, _, score in variants) >= 3, ex


CHECKS = [check_one_function_exercises_have_three_total_losses]
