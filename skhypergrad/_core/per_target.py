"""One hyperparameter per target, searched for all targets at once.

Along an eigendecomposition path every target's criterion costs a few matrix
products, and evaluating all targets together costs about as much as one: a
scan over the bounds finds each target's best grid point, which with its
downhill neighbour brackets the target's minimum; the brackets then shrink
together by the one-dimensional search's cubic steps and stopping rules
(:func:`~skhypergrad._core.bracket.refine_brackets`), each step evaluating
only the targets still refining.
"""

import numpy as np

from .bracket import refine_brackets
from .criterion import as_point


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
        Maximum number of steps, the scan and the first bracket counting as
        one.
    tol : float

    Returns
    -------
    n_iter : int
        Refinement steps, plus one for the scan and the first bracket.
    n_unconverged : int
        Targets still refining when ``max_iter`` ran out.
    """
    columns, first, second = _scan_and_bracket(criterion, grid, record)
    if not columns.size:
        return 1, 0

    def evaluate(index, log_alpha):
        values, grads = criterion.values_and_grads(log_alpha, columns=columns[index])
        record(columns[index], log_alpha, values, "search")
        return values, grads

    steps, unconverged = refine_brackets(
        evaluate, first, second, tol=tol, max_steps=max_iter - 1
    )
    return 1 + steps, int(np.count_nonzero(unconverged))


def _scan_and_bracket(criterion, grid, record):
    """Scan the grid, then evaluate each target's best point and its downhill
    neighbour: the ends of its bracket.

    Returns the targets still to refine (those whose minimum is not on a
    bound), and ``(x_prev, f_prev, g_prev)``, ``(x, f, g)`` for them.
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
    x_prev, f_prev, g_prev = x_prev[columns], f_prev[columns], g_prev[columns]
    x = grid[neighbour[columns]]
    f, g = np.empty(0), np.empty(0)
    if columns.size:
        f, g = criterion.values_and_grads(x, columns=columns)
        record(columns, x, f, "search")
    return columns, (x_prev, f_prev, g_prev), (x, f, g)


class TargetRecorder:
    """Stores vectorised evaluations of some targets in a search's record
    (NaN for the targets not evaluated) and prints them.

    Parameters
    ----------
    search : Search
    n_targets : int
    phase : str
        The phase of the refinement steps (the scan's is ``"scan"``).
    """

    def __init__(self, search, n_targets, phase):
        self.search = search
        self.n_targets = n_targets
        self.phase = phase

    def __call__(self, columns, log_alpha, values, step):
        """Store the evaluation of the targets ``columns`` (all when None)."""
        search = self.search
        step = self.phase if step == "search" else step
        full_theta = np.full(self.n_targets, np.nan)
        full_value = np.full(self.n_targets, np.nan)
        where = slice(None) if columns is None else columns
        full_theta[where] = log_alpha
        full_value[where] = values
        search.record.add(full_theta, full_value, step, search.now())
        if search.report is not None and search.report.verbose > 0:
            search.report.say(
                f"{len(search.record):4d} {step:<14} "
                f"{search.space.describe(log_alpha)}"
                f"  criterion={search.space.value_scale * np.mean(values):.10g}"
                f"  ({np.size(values)} targets)  {search.now():.2f} s"
            )


def optimize_each_target(criterion, grid, record, optimizer, bounds):
    """The user's optimizer on each target's criterion in turn, from the best
    point of a scan of ``grid``; returns the number of its evaluations."""
    scanned = criterion.scan(grid)
    for point, values in zip(grid, scanned, strict=True):
        record(None, np.full(criterion.n_targets, point), values, "scan")
    n_evaluations = 0
    for target in range(criterion.n_targets):
        one = _OneTarget(criterion, target, record)
        start = np.array([grid[int(np.argmin(scanned[:, target]))]])
        optimizer(_ScaledTarget(one, start), start, bounds)
        n_evaluations += one.count - 1
    return n_evaluations


class _OneTarget:
    """One target of a per-target criterion as a function of its own
    ``log(alpha)``, recording each evaluation."""

    def __init__(self, criterion, target, add):
        self.criterion = criterion
        self.columns = np.array([target])
        self.add = add
        self.count = 0

    def __call__(self, theta):
        self.count += 1
        values, grads = self.criterion.values_and_grads(
            as_point(theta)[:1], columns=self.columns
        )
        self.add(self.columns, as_point(theta)[:1], values, "search")
        return float(values[0]), np.asarray(grads[:1], dtype=float)


class _ScaledTarget:
    """``obj_func(theta, eval_gradient=True)`` of one target, divided by its
    value at the start."""

    def __init__(self, one, start):
        self.one = one
        value, _ = one(start)
        self.scale = abs(value) if value != 0 else 1.0

    def __call__(self, theta, eval_gradient=True):
        value, grad = self.one(theta)
        if eval_gradient:
            return value / self.scale, grad / self.scale
        return value / self.scale
