"""One-dimensional searches: one hyperparameter, or one per target at once.

In one dimension a bracket that always contains a minimum, refined by secant
steps on the derivative, is faster and more precise than L-BFGS-B, whose first
step on a very flat criterion can be too small to make progress. MATH.md
section 7.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._optimize import SearchRecord, SearchResult


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
    record, columns, (x_prev, g_prev), (x, f, g) = _scan_and_bracket(
        fun, grid_values, grid
    )
    n_targets = record.n_targets
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


def _scan_and_bracket(fun, grid_values, grid):
    """Scan the grid, then evaluate each target's best point and its downhill
    neighbour: the first two points of the secant search.

    Returns the record, the targets still to refine (those whose minimum is not
    on a bound), and ``(x_prev, g_prev)``, ``(x, f, g)`` for them.
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
    # Downhill leaving the grid means the minimum sits on a bound: done.
    neighbour = np.clip(best + np.where(g_prev < 0, 1, -1), 0, grid.size - 1)
    columns = np.flatnonzero(neighbour != best)
    x_prev, g_prev = x_prev[columns], g_prev[columns]
    x = grid[neighbour[columns]]
    f, g = np.empty(0), np.empty(0)
    if columns.size:
        f, g = fun(x, with_grad=True, columns=columns)
        record.add(columns, x, f)
    return record, columns, (x_prev, g_prev), (x, f, g)


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


def minimize_by_bracketing(fun, theta0, log_bounds, *, max_iter, xtol, verbose):
    """Minimise one expensive 1-D criterion from a starting point, no scan.

    Steps downhill from ``theta0`` by one decade, doubling the step, until the
    derivative changes sign or the criterion rises (a bracket), or a bound is
    reached; then refines the bracket by safeguarded secant steps on the
    derivative until it is narrower than ``xtol``.

    Parameters
    ----------
    fun : callable
        ``theta -> (value, grad)`` with ``theta`` and ``grad`` of shape (1,).
    theta0 : float
    log_bounds : ndarray of shape (2,)
    max_iter : int
        Maximum number of evaluations after the first.
    xtol : float
        Width of the final bracket in log(hyperparameter).
    verbose : int

    Returns
    -------
    SearchResult
    """
    record = SearchRecord()

    def evaluate(theta):
        value, grad = fun(np.array([theta]))
        record.add([theta], value)
        if verbose > 0:
            print(
                f"[skhypergrad] iter {len(record.values):3d}  criterion "
                f"{value:.10g}  hyperparameter {np.exp(theta):.4g}"
            )
        return value, float(grad[0])

    low, high = log_bounds
    x_prev, (f_prev, g_prev) = theta0, evaluate(theta0)
    step = np.log(10.0)
    while len(record.values) <= max_iter and g_prev != 0.0:
        x = float(np.clip(x_prev - np.sign(g_prev) * step, low, high))
        if x == x_prev:  # downhill leaves the bounds: the optimum is on one
            break
        f, g = evaluate(x)
        if np.sign(g) != np.sign(g_prev) or f > f_prev:
            return _refine_bracket(
                evaluate, record, (x_prev, f_prev, g_prev), (x, f, g), xtol, max_iter
            )
        x_prev, f_prev, g_prev = x, f, g
        step *= 2.0
    theta, value = record.best()
    return SearchResult(
        theta=theta, value=value, n_iter=len(record.values), record=record
    )


def _refine_bracket(evaluate, record, first, second, xtol, max_iter):
    """Shrink the bracket of ``first`` and ``second``, each ``(x, f, g)``.

    Each step goes to the minimiser of the cubic that interpolates the values
    and derivatives at the bracket's ends (Nocedal and Wright, eq. 3.59), or to
    the midpoint when that leaves the bracket's inner 90%. Stops when the
    bracket is narrower than ``xtol`` or the derivative is below ``xtol``
    relative to the criterion.
    """
    lo, hi = sorted([first, second], key=lambda end: end[0])
    while len(record.values) <= max_iter and hi[0] - lo[0] > xtol:
        x = _cubic_step(lo, hi)
        f, g = evaluate(x)
        if abs(g) <= xtol * abs(f):
            break
        # A minimum stays between a downhill end (g < 0) and an uphill one.
        if g < 0 and f <= lo[1]:
            lo = (x, f, g)
        else:
            hi = (x, f, g)
    theta, value = record.best()
    return SearchResult(
        theta=theta, value=value, n_iter=len(record.values), record=record
    )


def _cubic_step(lo, hi):
    """Minimiser of the cubic through ``lo`` and ``hi``, safeguarded.

    A minimiser close to an end is moved to 5% of the bracket's width from it,
    so that the next bracket is at most 20 times narrower (falling back to the
    midpoint there would halve the bracket once per evaluation while the
    minimum sits next to an end); without a minimiser inside, the midpoint.
    """
    (a, fa, ga), (b, fb, gb) = lo, hi
    d1 = ga + gb - 3.0 * (fa - fb) / (a - b)
    radicand = d1 * d1 - ga * gb
    if radicand >= 0:
        d2 = np.copysign(np.sqrt(radicand), b - a)
        denominator = gb - ga + 2.0 * d2
        if denominator != 0:
            x = b - (b - a) * (gb + d2 - d1) / denominator
            margin = 0.05 * (b - a)
            if a < x < b:
                return float(np.clip(x, a + margin, b - margin))
    return 0.5 * (a + b)
