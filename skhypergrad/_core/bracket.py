"""One-dimensional searches: one hyperparameter, or one per target at once.

In one dimension a bracket that always contains a minimum, refined by secant
steps on the derivative, is faster and more precise than L-BFGS-B, whose first
step on a very flat criterion can be too small to make progress. MATH.md
section 7.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._core.optimize import SearchRecord, SearchResult


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

    Steps downhill from ``theta0``, first by one decade, then to the minimiser
    of the cubic through the last two points when it lies further downhill
    (the step at least half and at most four times the last one; twice the
    last one without such a minimiser), until the derivative changes sign or
    the criterion rises (a bracket), or a bound is reached; then shrinks the
    bracket by interpolation (:func:`_refine_bracket`). Stops when the bracket
    is narrower than ``xtol``, the derivative is below ``xtol`` relative to
    the criterion, or a further step is predicted to lower the criterion by
    less than ``xtol`` times its value.

    Parameters
    ----------
    fun : callable
        ``theta -> (value, grad)`` with ``theta`` and ``grad`` of shape (1,).
    theta0 : float
    log_bounds : ndarray of shape (2,)
    max_iter : int
        Maximum number of evaluations after the first.
    xtol : float
        Width of the final bracket in log(hyperparameter), and the relative
        change of the criterion below which the search stops.
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
        return theta, value, float(grad[0])

    low, high = log_bounds
    before, last = None, evaluate(theta0)
    length = np.log(10.0)
    while len(record.values) <= max_iter and not _stationary(last, xtol):
        direction = -np.sign(last[2])
        if before is not None:
            length = _expansion_length(before, last, direction)
        x = float(np.clip(last[0] + direction * length, low, high))
        if x == last[0]:  # downhill leaves the bounds: the optimum is on one
            break
        point = evaluate(x)
        if np.sign(point[2]) != np.sign(last[2]) or point[1] > last[1]:
            return _refine_bracket(evaluate, record, last, point, xtol, max_iter)
        before, last = last, point
    return _result(record)


def _stationary(point, xtol):
    """Whether the derivative at ``point`` is zero to ``xtol`` relative to
    the criterion."""
    return abs(point[2]) <= xtol * abs(point[1])


def _expansion_length(before, last, direction):
    """Length of the next downhill step after ``before`` and ``last``: to the
    cubic's minimiser when it lies downhill of ``last``, kept between half and
    four times the last step; else twice the last step."""
    previous = abs(last[0] - before[0])
    target = _cubic_minimizer(before, last)
    if target is None or (target - last[0]) * direction <= 0:
        return 2.0 * previous
    return float(np.clip(abs(target - last[0]), 0.5 * previous, 4.0 * previous))


def _refine_bracket(evaluate, record, first, second, xtol, max_iter):
    """Shrink the bracket of ``first`` and ``second``, each ``(x, f, g)``.

    Each step goes to the minimiser of the cubic through the two most recent
    points (Nocedal and Wright, eq. 3.59), which is accurate once they are
    close, when it lies inside the bracket and moves less than half the step
    before last (Brent's safeguard); otherwise to the safeguarded minimiser of
    the cubic through the bracket's ends (:func:`_cubic_step`). Stops when the
    bracket is narrower than ``xtol``, when the derivative is below ``xtol``
    relative to the criterion, or when the next step is predicted to lower the
    criterion by less than ``xtol`` times its value (:func:`_predicted_gain`).
    Near the minimum the criterion changes with the square of the error in
    ``x``: the last rule usually stops the search first, long before the
    bracket is ``xtol`` wide.
    """
    lo, hi = sorted([first, second], key=lambda end: end[0])
    before, last = first, second
    step_before_last = hi[0] - lo[0]
    target = _cubic_minimizer(before, last)
    while len(record.values) <= max_iter and hi[0] - lo[0] > xtol:
        margin = 1e-3 * (hi[0] - lo[0])
        if (
            target is None
            or not lo[0] + margin < target < hi[0] - margin
            or abs(target - last[0]) >= 0.5 * step_before_last
        ):
            target = _cubic_step(lo, hi)
        step_before_last = abs(last[0] - before[0])
        point = evaluate(target)
        # A minimum stays between a downhill end (g < 0) and an uphill one.
        if point[2] < 0 and point[1] <= lo[1]:
            lo = point
        else:
            hi = point
        before, last = last, point
        target = _cubic_minimizer(before, last)
        if _stationary(point, xtol) or _predicted_gain(target, last, lo, hi) <= (
            xtol * abs(point[1])
        ):
            break
    return _result(record)


def _predicted_gain(target, last, lo, hi):
    """How much lower than at ``last`` the criterion is at ``target``, the
    minimiser of the cubic through ``last`` and the point before, to second
    order (``|g| |step| / 2``); infinite when ``target`` is None or outside
    the bracket ``(lo, hi)``, where the cubic is not to be trusted."""
    if target is None or not lo[0] <= target <= hi[0]:
        return np.inf
    return 0.5 * abs(last[2]) * abs(target - last[0])


def _result(record):
    theta, value = record.best()
    return SearchResult(
        theta=theta, value=value, n_iter=len(record.values), record=record
    )


def _cubic_minimizer(first, second):
    """Minimiser of the cubic through two points ``(x, f, g)`` (Nocedal and
    Wright, eq. 3.59), inside or outside them; None when it has none."""
    (a, fa, ga), (b, fb, gb) = first, second
    if a == b:
        return None
    d1 = ga + gb - 3.0 * (fa - fb) / (a - b)
    radicand = d1 * d1 - ga * gb
    if radicand < 0:
        return None
    d2 = np.copysign(np.sqrt(radicand), b - a)
    denominator = gb - ga + 2.0 * d2
    if denominator == 0:
        return None
    x = b - (b - a) * (gb + d2 - d1) / denominator
    return float(x) if np.isfinite(x) else None


def _cubic_step(lo, hi):
    """Minimiser of the cubic through ``lo`` and ``hi``, safeguarded.

    A minimiser close to an end is moved to 5% of the bracket's width from it,
    so that the next bracket is at most 20 times narrower (falling back to the
    midpoint there would halve the bracket once per evaluation while the
    minimum sits next to an end); without a minimiser inside, the midpoint.
    """
    a, b = lo[0], hi[0]
    x = _cubic_minimizer(lo, hi)
    if x is not None and a < x < b:
        margin = 0.05 * (b - a)
        return float(np.clip(x, a + margin, b - margin))
    return 0.5 * (a + b)
