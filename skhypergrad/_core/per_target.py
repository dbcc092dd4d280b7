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
from .criterion import PerTargetCriterion, as_point
from .parallel import batches, parallel_map

# Targets per batch: large enough that a batch's matrix products run at
# full speed, small enough that its temporaries (n_samples x batch) stay
# in cache on small problems and that two workers share 1000 targets.
_BATCH_SIZE = 256


def minimize_per_target(criterion, grid, record, *, max_iter, tol, n_jobs=None):
    """Scan ``grid`` for every target, then refine each target's minimum.

    The targets are searched in contiguous batches of ``_BATCH_SIZE``, in
    parallel with ``n_jobs``
    (:func:`~skhypergrad._core.parallel.parallel_map`). Each target's search
    does not depend on the others', and the batches do not depend on
    ``n_jobs``: the result, the record included, is the same for every
    ``n_jobs`` and joblib backend.

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

    n_jobs : int or None, default=None

    Returns
    -------
    n_iter : int
        Refinement steps, plus one for the scan and the first bracket.
    n_unconverged : int
        Targets still refining when ``max_iter`` ran out.
    """
    parts = batches(criterion.n_targets, _BATCH_SIZE)
    if len(parts) == 1:
        return _minimize_all(criterion, grid, record, max_iter, tol)
    outcomes = parallel_map(
        _minimize_batch,
        [(TargetSubset(criterion, part), grid, max_iter, tol) for part in parts],
        n_jobs,
    )
    _replay(outcomes, parts, record)
    n_iter = max(outcome[0] for outcome in outcomes)
    return n_iter, sum(outcome[1] for outcome in outcomes)


def _minimize_batch(criterion, grid, max_iter, tol):
    """:func:`_minimize_all` on one batch, its record kept as a list of
    ``(columns, log_alpha, values, phase)`` (columns local to the batch)."""
    entries = []
    n_iter, n_unconverged = _minimize_all(
        criterion, grid, lambda *entry: entries.append(entry), max_iter, tol
    )
    return n_iter, n_unconverged, entries


def _replay(outcomes, parts, record):
    """Record the batches' evaluations as one search over all targets would.

    Every batch records the same sequence (one entry per scan point, the
    bracket's ends, one per refinement step) and stops when its own targets
    have converged: entry ``k`` of every batch that has one is step ``k`` of
    the search over all targets, whose targets still refining are theirs.
    """
    n_entries = max(len(outcome[2]) for outcome in outcomes)
    for k in range(n_entries):
        present = [
            (part, outcome[2][k])
            for part, outcome in zip(parts, outcomes, strict=True)
            if len(outcome[2]) > k
        ]
        columns = np.concatenate(
            [part if cols is None else part[cols] for part, (cols, *_) in present]
        )
        log_alpha = np.concatenate([entry[1] for _, entry in present])
        values = np.concatenate([entry[2] for _, entry in present])
        phase = present[0][1][3]
        record(columns, log_alpha, values, phase)


def _minimize_all(criterion, grid, record, max_iter, tol):
    """The search of every target of ``criterion``, in one process."""
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


class TargetSubset(PerTargetCriterion):
    """Some targets of a per-target criterion, as a criterion of its own.

    Parameters
    ----------
    criterion : PerTargetCriterion
    columns : ndarray of int
        The targets kept, in order.
    """

    def __init__(self, criterion, columns):
        self.criterion = criterion
        self.columns = columns
        self.n_targets = len(columns)

    def values_and_grads(self, log_alpha, columns=None, with_grad=True):
        """The wrapped criterion on the kept targets (``columns`` among them)."""
        chosen = self.columns if columns is None else self.columns[columns]
        return self.criterion.values_and_grads(
            log_alpha, columns=chosen, with_grad=with_grad
        )


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
