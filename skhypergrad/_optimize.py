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
        criterion's absolute value at ``theta0``.
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

    Returns
    -------
    SearchResult
    """
    record = SearchRecord() if record is None else record

    def obj_func(theta, eval_gradient=True):
        value, grad = fun(theta)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            raise FloatingPointError(
                f"the criterion is not finite at log-hyperparameters {theta}."
            )
        record.add(theta, value)
        return (value / scale, grad / scale) if eval_gradient else value / scale

    if scale is None:
        scale = 1.0
        scale = abs(obj_func(np.asarray(theta0, dtype=float), eval_gradient=False))
        scale = scale if scale > 0 else 1.0
    rng = check_random_state(random_state)
    starts = [np.asarray(theta0, dtype=float)]
    starts += [rng.uniform(bounds[:, 0], bounds[:, 1]) for _ in range(n_restarts)]
    n_iter = 0
    for start in starts:
        if callable(optimizer):
            optimizer(obj_func, start, bounds)
        else:
            n_iter += _run_lbfgs(obj_func, start, bounds, max_iter, tol, verbose)
    theta, value = record.best()
    return SearchResult(theta=theta, value=value, n_iter=n_iter, record=record)


def _run_lbfgs(obj_func, start, bounds, max_iter, tol, verbose):
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
        options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-3 * tol},
    )
    projected = _projected_gradient(result.x, result.jac, bounds)
    if result.status == 1 or (result.status != 0 and projected > np.sqrt(tol)):
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


def warn_on_bounds(theta, bounds, name, labels=None):
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
                "; a group at the upper bound may simply be irrelevant."
                if side == "upper" and theta.size > 1
                else "."
            ),
            ConvergenceWarning,
            stacklevel=3,
        )


def minimize_per_target(fun, grid_values, grid, *, max_iter, xtol, verbose):
    """Minimise independent 1-D criteria, one per target, all at once.

    A scan over ``grid`` finds each target's best grid point; a secant search on
    the derivative, safeguarded by a bracket (bisection when the secant step
    leaves it or shrinks it too little), then refines each target until its
    bracket is narrower than ``xtol``. Each step evaluates only the targets
    that have not converged yet.

    Parameters
    ----------
    fun : callable
        ``(log_alpha, with_grad, columns) -> (values, grads)``: the criteria
        of the targets ``columns`` (all when None) at ``log_alpha``, one value
        per target in ``columns``.
    grid_values : callable
        ``grid -> values`` of shape (n_points, n_targets).
    grid : ndarray of shape (n_points,)
        Increasing scan points; the first and last are the bounds.
    max_iter : int
        Maximum number of refinement steps.
    xtol : float
        Width of the final bracket in log(alpha).
    verbose : int

    Returns
    -------
    SearchResult
        ``theta`` and ``value`` per target (arrays of shape (n_targets,)); the
        record holds NaN for targets not evaluated at a step.
    """
    scanned = grid_values(grid)
    n_targets = scanned.shape[1]
    record = _TargetRecord(n_targets)
    for point, values in zip(grid, scanned, strict=True):
        record.add(None, np.full(n_targets, point), values)
    best = np.argmin(scanned, axis=0)
    x_prev = grid[best]
    f_prev, g_prev = fun(x_prev, with_grad=True)
    record.add(None, x_prev, f_prev)
    # The second point: the grid neighbour downhill. Targets whose minimum sits
    # on a bound (downhill leaves the grid) are done.
    neighbour = np.clip(best + np.where(g_prev < 0, 1, -1), 0, grid.size - 1)
    columns = np.flatnonzero(neighbour != best)
    x_prev, g_prev = x_prev[columns], g_prev[columns]
    x = grid[neighbour[columns]]
    f, g = np.empty(0), np.empty(0)
    if columns.size:
        f, g = fun(x, with_grad=True, columns=columns)
        record.add(columns, x, f)
    lo, hi = np.minimum(x, x_prev), np.maximum(x, x_prev)
    # The scan and the bracketing count as the first iteration.
    n_iter = 1
    if verbose > 0:
        print(
            f"[skhypergrad] iter {n_iter:3d}  scan of {grid.size} points, "
            f"{columns.size} of {n_targets} criteria to refine"
        )
    while columns.size and n_iter < max_iter:
        # Stop after a step or at a bracket narrower than xtol, or where the
        # derivative is zero to rounding.
        keep = (
            (hi - lo > xtol)
            & (np.abs(x - x_prev) > xtol)
            & (np.abs(g) > 1e-13 * np.abs(f))
        )
        if not keep.all():
            columns, x, f, g, x_prev, g_prev, lo, hi = (
                a[keep] for a in (columns, x, f, g, x_prev, g_prev, lo, hi)
            )
            if not columns.size:
                break
        n_iter += 1
        trial = _safeguarded_secant(x_prev, g_prev, x, g, lo, hi)
        x_prev, g_prev = x, g
        x = trial
        f, g = fun(x, with_grad=True, columns=columns)
        record.add(columns, x, f)
        lo = np.where(g < 0, x, lo)
        hi = np.where(g < 0, hi, x)
        if verbose > 0:
            print(
                f"[skhypergrad] iter {n_iter:3d}  {columns.size} of {n_targets} "
                f"criteria refining, bracket width <= {np.max(hi - lo):.3g}"
            )
    if columns.size:
        warnings.warn(
            f"The search stopped after max_iter={max_iter} iterations with "
            f"{columns.size} alpha(s) not located to tol={xtol:g}.",
            ConvergenceWarning,
            stacklevel=4,
        )
    theta, value = record.best()
    return SearchResult(theta=theta, value=value, n_iter=n_iter, record=record)


class _TargetRecord(SearchRecord):
    """A record of per-target evaluations, NaN where a target was not evaluated."""

    def __init__(self, n_targets):
        super().__init__()
        self.n_targets = n_targets

    def add(self, columns, theta, value):
        """Store the evaluation of the targets ``columns`` (all when None)."""
        if columns is None:
            super().add(theta, value)
            return
        full_theta = np.full(self.n_targets, np.nan)
        full_value = np.full(self.n_targets, np.nan)
        full_theta[columns] = theta
        full_value[columns] = value
        super().add(full_theta, full_value)

    def best(self):
        """Best log-alpha and criterion of each target."""
        values = np.array(self.values)
        pick = np.nanargmin(values, axis=0)
        columns = np.arange(self.n_targets)
        return np.array(self.thetas)[pick, columns], values[pick, columns]


def _safeguarded_secant(x_prev, g_prev, x, g, lo, hi):
    """Secant step on the derivative, or the bracket's midpoint.

    The midpoint is taken when the secant step is not finite or leaves the
    bracket ``(lo, hi)``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        secant = x - g * (x - x_prev) / (g - g_prev)
    safe = np.isfinite(secant) & (secant > lo) & (secant < hi)
    return np.where(safe, secant, 0.5 * (lo + hi))
