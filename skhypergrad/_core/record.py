"""Every criterion evaluation of a search, and the ``history_`` made from it."""

import numpy as np

PHASES = ("scan", "search")


def restart_phase(k, n):
    """The phase name of the ``k``-th of ``n`` restarts (from 1)."""
    return f"restart {k} of {n}"


class SearchRecord:
    """The evaluations of one search: ``theta``, criterion, phase, time, the
    gradient when the evaluation computed it, and whether that gradient was
    coarse (:meth:`~skhypergrad._core.criterion.Criterion.coarse_value_and_grad`).

    ``values`` may hold one value per target (NaN where a target was not
    evaluated, in a vectorised per-target search); the best point is then
    chosen for each target.
    """

    def __init__(self):
        self.thetas = []
        self.values = []
        self.phases = []
        self.times = []
        self.grads = []
        self.coarse = []

    def __len__(self):
        return len(self.values)

    def add(self, theta, value, phase, time, grad=None, coarse=False):
        """Store one evaluation (copies its arguments)."""
        self.thetas.append(np.array(theta, dtype=float, copy=True))
        self.values.append(np.array(value, dtype=float, copy=True))
        self.phases.append(phase)
        self.times.append(float(time))
        self.grads.append(None if grad is None else np.array(grad, dtype=float))
        self.coarse.append(bool(coarse))

    def refine(self, theta, value, time, grad):
        """Replace the coarse evaluation at ``theta`` by an accurate one (the
        same point of the search: its phase and place are kept)."""
        k = self._index(theta, with_gradient=True)
        self.values[k] = np.array(value, dtype=float, copy=True)
        self.times[k] = float(time)
        self.grads[k] = np.array(grad, dtype=float)
        self.coarse[k] = False

    def is_coarse(self, theta):
        """Whether the evaluation at exactly ``theta`` has a coarse gradient."""
        k = self._index(theta, with_gradient=True)
        return k is not None and self.coarse[k]

    def value_at(self, theta):
        """The criterion recorded at exactly ``theta``, or None."""
        k = self._index(theta)
        return None if k is None else float(np.sum(self.values[k]))

    def find(self, theta):
        """``(value, grad)`` of an evaluation at exactly ``theta`` that
        computed the gradient, or None."""
        k = self._index(theta, with_gradient=True)
        return None if k is None else (float(self.values[k]), self.grads[k])

    def _index(self, theta, with_gradient=False):
        theta = np.asarray(theta, dtype=float)
        for k, seen in enumerate(self.thetas):
            if with_gradient and self.grads[k] is None:
                continue
            if seen.shape == theta.shape and np.array_equal(seen, theta):
                return k
        return None

    def best(self):
        """The ``(theta, value)`` with the smallest criterion (per target
        when the values have one entry per target)."""
        values = np.array(self.values, dtype=float)
        if values.ndim == 1:
            k = int(np.argmin(values))
            return self.thetas[k], float(values[k])
        rows = np.nanargmin(values, axis=0)
        columns = np.arange(values.shape[1])
        return np.array(self.thetas)[rows, columns], values[rows, columns]

    def best_over_searches(self, tol, start=None):
        """The best point of the first search (its scans included), replaced
        by a restart's best, in the restarts' order, only when it is lower
        than the point kept by more than ``tol`` times its value (one
        criterion, not one per target). With ``start`` (evaluated), the first
        search's best replaces it on the same condition: below ``tol`` the
        differences are the criterion's rounding or a valley flatter than
        the search resolves, and a search from its own optimum (a warm start
        on the same data) keeps it."""
        values = np.array(self.values, dtype=float)
        searches = {}  # phase of each search -> its evaluations, in order
        for k, phase in enumerate(self.phases):
            key = phase if phase.startswith("restart") else ""
            searches.setdefault(key, []).append(k)
        kept = None if start is None else self._index(start)
        for rows in searches.values():
            k = rows[int(np.argmin(values[rows]))]
            if kept is None or values[k] < values[kept] - tol * abs(values[kept]):
                kept = k
        return self.thetas[kept], float(values[kept])

    def gradient_at(self, theta):
        """The gradient at ``theta``, when one evaluation there computed it
        (one criterion, not one per target); else None."""
        if np.ndim(self.values[0]) != 0:
            return None
        found = self.find(theta)
        return None if found is None else found[1]


def history(record, space, per_target=False):
    """``history_``: one row per criterion evaluation, ready for
    ``pandas.DataFrame``.

    The columns are one per hyperparameter (:meth:`SearchSpace.columns`),
    ``"score"`` (minus the criterion), ``"phase"`` (``"scan"``, ``"search"``
    or ``"restart k of n"``) and ``"time"`` (seconds since the fit started).
    With ``per_target`` (a vectorised search over one hyperparameter per
    target) a row is an evaluated (evaluation, target) pair, with a
    ``"target"`` column.
    """
    thetas = np.array(record.thetas, dtype=float)
    values = np.array(record.values, dtype=float)
    phases = np.array(record.phases, dtype=object)
    times = np.array(record.times, dtype=float)
    if per_target:
        rows, targets = np.nonzero(~np.isnan(values))
        thetas, values = thetas[rows, targets], values[rows, targets]
        phases, times = phases[rows], times[rows]
    out = space.columns(thetas.reshape(len(values), -1))
    out["score"] = -space.value_scale * values.reshape(len(values))
    out["phase"] = phases
    out["time"] = times
    if per_target:
        out["target"] = targets
    return out


def stack_histories(histories):
    """One ``history_`` from several searches (one per target), with a
    ``"target"`` column."""
    out = {key: np.concatenate([h[key] for h in histories]) for key in histories[0]}
    out["target"] = np.concatenate(
        [np.full(len(h["score"]), j) for j, h in enumerate(histories)]
    )
    return out
