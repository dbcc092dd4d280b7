"""The outer loop: minimise a criterion over log-hyperparameters.

:func:`minimize_criterion` runs L-BFGS-B (or a user optimiser with the
:class:`~sklearn.gaussian_process.GaussianProcessRegressor` signature) from an
initial point and log-uniform restarts, keeps the best point seen, and records
every evaluation. :func:`minimize_per_target` minimises many independent 1-D
criteria at once (one alpha per target) by a grid scan followed by a vectorised
safeguarded secant search on the derivative. MATH.md section 7.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state


@dataclass
class SearchRecord:
    """Every criterion evaluation: log-hyperparameters and criterion values."""

    thetas: list = field(default_factory=list)
    values: list = field(default_factory=list)

    def add(self, theta, value):
        """Store one evaluation (copies its arguments)."""
        self.thetas.append(np.array(theta, dtype=float, copy=True))
        self.values.append(np.array(value, dtype=float, copy=True))

    def value_at(self, theta):
        """The criterion recorded at exactly ``theta``, or None."""
        theta = np.asarray(theta, dtype=float)
        for seen, value in zip(self.thetas, self.values, strict=True):
            if seen.shape == theta.shape and np.array_equal(seen, theta):
                return float(np.sum(value))
        return None

    def best(self):
        """Return the (theta, value) with the smallest criterion seen."""
        k = int(np.argmin([np.sum(v) for v in self.values]))
        return self.thetas[k], float(np.sum(self.values[k]))


@dataclass
class SearchResult:
    """Outcome of a search: best point, its criterion, iterations, record."""

    theta: np.ndarray
    value: float
    n_iter: int
    record: SearchRecord


def scan_grid(log_bounds, per_decade, extra=None):
    """``per_decade`` points per decade between the log-bounds, plus ``extra``."""
    low, high = log_bounds
    n_points = max(int(np.ceil(per_decade * (high - low) / np.log(10))) + 1, 2)
    grid = np.linspace(low, high, n_points)
    if extra is not None and np.min(np.abs(grid - extra)) > 1e-9:
        grid = np.sort(np.append(grid, extra))
    return grid


def scan(grid_values, grid, record):
    """Evaluate a scalar criterion on a 1-D grid and return its best point.

    Parameters
    ----------
    grid_values : callable
        ``grid -> values``, the criterion at each point of the grid.
    grid : ndarray of shape (n_points,)
    record : SearchRecord

    Returns
    -------
    best_theta : ndarray of shape (1,)
    """
    values = grid_values(grid)
    for point, value in zip(grid, values, strict=True):
        record.add([point], value)
    return np.array([grid[int(np.argmin(values))]])


def minimize_criterion(
    fun,
    theta0,
    bounds,
    *,
    scale=None,
    optimizer="l-bfgs-b",
    max_iter=100,
    tol=1e-6,
    n_restarts=0,
    random_state=None,
    verbose=0,
    record=None,
    ftol=None,
    max_line_search=20,
):
    """Minimise ``fun`` over ``theta`` within ``bounds``, with restarts.

    Parameters
    ----------
    fun : callable
        ``theta -> (value, grad)``.
    theta0 : ndarray of shape (n_params,)
        First starting point.
    bounds : ndarray of shape (n_params, 2)
        Bounds on theta.
    scale : float or None, default=None
        The criterion is divided by ``scale`` inside the optimiser so that
        ``tol`` does not depend on the units of ``y``; None takes the
        criterion's absolute value at ``theta0`` (from ``record`` when it holds
        that point).
    optimizer : "l-bfgs-b" or callable
        A callable is called as ``optimizer(obj_func, initial_theta, bounds)``
        and returns ``(theta_opt, func_min)``; ``obj_func(theta,
        eval_gradient=True)`` returns the criterion and its gradient.
    max_iter, tol : int, float
        L-BFGS-B's iteration limit and projected-gradient tolerance.
    n_restarts : int
        Number of extra starts drawn log-uniformly within the bounds.
    random_state : None, int or numpy.random.RandomState
    verbose : int
        Print one line per iteration when positive.
    record : SearchRecord or None
        Earlier evaluations (e.g. a scan) to keep in the record.
    ftol : float or None, default=None
        L-BFGS-B stops when an iteration gains less than ``ftol`` (relative);
        None means ``1e-3 * tol``. A criterion with rounding noise above that
        (kernel ridge near a tiny alpha) needs a larger one, or the line
        searches spend evaluations on the noise.
    max_line_search : int, default=20
        L-BFGS-B's limit of evaluations per line search (``maxls``).

    Returns
    -------
    SearchResult
    """
    record = SearchRecord() if record is None else record

    pending = {}  # the start's evaluation, made for the scale, kept for L-BFGS-B

    def evaluate(theta):
        value, grad = fun(theta)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            raise FloatingPointError(
                f"the criterion is not finite at log-hyperparameters {theta}."
            )
        record.add(theta, value)
        return value, grad

    def obj_func(theta, eval_gradient=True):
        key = np.asarray(theta, dtype=float).tobytes()
        value, grad = pending.pop(key) if key in pending else evaluate(theta)
        return (value / scale, grad / scale) if eval_gradient else value / scale

    if scale is None:
        # The criterion at the start sets the scale: taken from the record
        # when a scan already evaluated the start, else evaluated once and
        # handed to the optimiser's first call.
        start = np.asarray(theta0, dtype=float)
        scale = record.value_at(start)
        if scale is None:
            pending[start.tobytes()] = evaluate(start)
            scale = pending[start.tobytes()][0]
        scale = abs(scale) if scale != 0 else 1.0
    rng = check_random_state(random_state)
    starts = [np.asarray(theta0, dtype=float)]
    starts += [rng.uniform(bounds[:, 0], bounds[:, 1]) for _ in range(n_restarts)]
    n_iter = 0
    for start in starts:
        if callable(optimizer):
            optimizer(obj_func, start, bounds)
        else:
            n_iter += _run_lbfgs(
                obj_func,
                start,
                bounds,
                max_iter=max_iter,
                gtol=tol,
                ftol=1e-3 * tol if ftol is None else ftol,
                max_line_search=max_line_search,
                verbose=verbose,
            )
    theta, value = record.best()
    return SearchResult(theta=theta, value=value, n_iter=n_iter, record=record)


def _run_lbfgs(
    obj_func, start, bounds, *, max_iter, gtol, ftol, max_line_search, verbose
):
    """One L-BFGS-B run; warns when it stops without converging."""
    if np.all(bounds[:, 0] == bounds[:, 1]):
        obj_func(bounds[:, 0])
        return 0
    iteration = [0]

    def report(intermediate_result):
        iteration[0] += 1
        if verbose > 0:
            hyper = np.exp(intermediate_result.x)
            print(
                f"[skhypergrad] iter {iteration[0]:3d}  "
                f"criterion/start {intermediate_result.fun:.10g}  "
                f"hyperparameters {_summary(hyper)}"
            )

    result = minimize(
        obj_func,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        callback=report,
        options={
            "maxiter": max_iter,
            "gtol": gtol,
            "ftol": ftol,
            "maxls": max_line_search,
        },
    )
    projected = _projected_gradient(result.x, result.jac, bounds)
    if result.status == 1 or (result.status != 0 and projected > np.sqrt(gtol)):
        warnings.warn(
            f"L-BFGS-B stopped without converging ({result.message}); the "
            f"largest projected gradient is {projected:.3g}. Increase max_iter "
            "or check the data's scale.",
            ConvergenceWarning,
            stacklevel=4,
        )
    return int(result.nit)


def _projected_gradient(theta, grad, bounds):
    """Largest gradient component not blocked by an active bound."""
    blocked = ((theta <= bounds[:, 0]) & (grad > 0)) | (
        (theta >= bounds[:, 1]) & (grad < 0)
    )
    free = np.where(blocked, 0.0, grad)
    return float(np.max(np.abs(free), initial=0.0))


def _summary(values):
    """Short text for a vector of hyperparameters."""
    values = np.atleast_1d(values)
    if values.size == 1:
        return f"{values[0]:.4g}"
    return (
        f"{values.size} values, median {np.median(values):.3g} "
        f"[{values.min():.3g} .. {values.max():.3g}]"
    )


def warn_on_bounds(theta, bounds, name, labels=None, irrelevant_side="upper"):
    """Warn (``ConvergenceWarning``) about hyperparameters at a bound.

    Parameters
    ----------
    theta : ndarray
        Optimal log-hyperparameters, any shape whose last axis matches ``bounds``.
    bounds : ndarray of shape (2,)
        Log bounds shared by every hyperparameter.
    name : str
        Name of the hyperparameter and of its bounds parameter, e.g. "alpha".
    labels : array-like or None
        Names of the hyperparameters, for the message.
    irrelevant_side : {"upper", "lower"}, default="upper"
        The bound at which a group of features is switched off (the upper
        bound of a penalty or a length scale, the lower bound of ``C``).
    """
    theta = np.atleast_1d(theta)
    if bounds[0] == bounds[1]:
        return
    for side, bound, advice in (
        ("lower", bounds[0], "decreasing"),
        ("upper", bounds[1], "increasing"),
    ):
        hits = np.isclose(theta, bound, rtol=0.0, atol=1e-6)
        if not hits.any():
            continue
        which = ""
        if theta.size > 1:
            where = np.flatnonzero(hits.ravel()) % theta.shape[-1]
            shown = where if labels is None else np.asarray(labels)[where]
            which = f" for {hits.sum()} of {theta.size} values ({shown[:10].tolist()})"
        warnings.warn(
            f"The optimal {name} sits on its {side} bound {np.exp(bound):.3g}"
            f"{which}. Consider {advice} the {side} bound of {name}_bounds"
            + (
                f"; a group at the {side} bound may simply be irrelevant."
                if side == irrelevant_side and theta.size > 1
                else "."
            ),
            ConvergenceWarning,
            stacklevel=3,
        )
