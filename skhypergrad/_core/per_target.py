"""One hyperparameter per target, searched for all targets at once.

Along an eigendecomposition path every target's criterion costs a few matrix
products, and evaluating all targets together costs about as much as one: a
scan over the bounds finds each target's best grid point, then a secant
search on the derivative, safeguarded by a bracket (bisection when the secant
step leaves it), refines each target. A target stops, as in
:mod:`skhypergrad._core.bracket`, when its next step is predicted to lower its
criterion by less than ``tol`` times its value, when its derivative is below
``tol`` relative to the criterion, or when its bracket is narrower than
``tol``; each step evaluates only the targets still refining.
"""

import numpy as np


def minimize_per_target(criterion, grid, record, *, max_iter, tol):
    """Scan ``grid`` for every target, then refine each target's minimum.

    Parameters
    ----------
    criterion : PerTargetCriterion
    grid : ndarray of shape (n_points,)
        Increasing scan points; the first and last are the bounds.
    record : callable
        ``(columns, log_alpha, values, phase)``: stores one vectorised
        evaluation of the targets ``columns`` (all when None).
    max_iter : int
        Maximum number of refinement steps.
    tol : float

    Returns
    -------
    n_iter : int
        Refinement steps, plus one for the scan and the first bracket.
    n_unconverged : int
        Targets still refining when ``max_iter`` ran out.
    """
    columns, (x_prev, g_prev), (x, f, g) = _scan_and_bracket(criterion, grid, record)
    lo, hi = np.minimum(x, x_prev), np.maximum(x, x_prev)
    n_iter = 1
    while columns.size:
        trial = _safeguarded_secant(x_prev, g_prev, x, g, lo, hi)
        gain = 0.5 * np.abs(g) * np.abs(trial - x)
        keep = (
            (hi - lo > tol) & (gain > tol * np.abs(f)) & (np.abs(g) > tol * np.abs(f))
        )
        columns, x, f, g, g_prev, lo, hi, trial = (
            a[keep] for a in (columns, x, f, g, g_prev, lo, hi, trial)
        )
        if not columns.size or n_iter >= max_iter:
            break
        n_iter += 1
        x_prev, g_prev = x, g
        x = trial
        f, g = criterion.values_and_grads(x, columns=columns)
        record(columns, x, f, "search")
        lo = np.where(g < 0, x, lo)
        hi = np.where(g < 0, hi, x)
    return n_iter, columns.size


def _scan_and_bracket(criterion, grid, record):
    """Scan the grid, then evaluate each target's best point and its downhill
    neighbour: the first two points of the secant search.

    Returns the targets still to refine (those whose minimum is not on a
    bound), and ``(x_prev, g_prev)``, ``(x, f, g)`` for them.
    """
    scanned = criterion.scan(grid)
    n_targets = scanned.shape[1]
    for point, values in zip(grid, scanned, strict=True):
        record(None, np.full(n_targets, point), values, "scan")
    best = np.argmin(scanned, axis=0)
    x_prev = grid[best]
    f_prev, g_prev = criterion.values_and_grads(x_prev)
    record(None, x_prev, f_prev, "search")
    # Downhill leaving the grid means the minimum sits on a bound: done.
    neighbour = np.clip(best + np.where(g_prev < 0, 1, -1), 0, grid.size - 1)
    columns = np.flatnonzero(neighbour != best)
    x_prev, g_prev = x_prev[columns], g_prev[columns]
    x = grid[neighbour[columns]]
    f, g = np.empty(0), np.empty(0)
    if columns.size:
        f, g = criterion.values_and_grads(x, columns=columns)
        record(columns, x, f, "search")
    return columns, (x_prev, g_prev), (x, f, g)


def _safeguarded_secant(x_prev, g_prev, x, g, lo, hi):
    """Secant step on the derivative, or the bracket's midpoint.

    The midpoint is taken when the secant step is not finite or leaves the
    bracket ``(lo, hi)``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        secant = x - g * (x - x_prev) / (g - g_prev)
    safe = np.isfinite(secant) & (secant > lo) & (secant < hi)
    return np.where(safe, secant, 0.5 * (lo + hi))
