"""The search driver: one way to minimise a selection criterion over
``theta = log(hyperparameters)``, for every estimator.

A :class:`Search` belongs to one fit. It evaluates criteria
(:class:`~skhypergrad._core.criterion.Criterion`), records every evaluation
(``history_``), prints the ``verbose`` lines, and runs the steps an estimator
asks for:

- :meth:`Search.scan`: a criterion along a one-dimensional path, where one
  factorisation gives the whole path (the start of the search);
- :meth:`Search.minimize`: from a start, the one-dimensional bracket search
  (:mod:`~skhypergrad._core.bracket`) for a single hyperparameter, L-BFGS-B
  for several, or the user's ``optimizer``; then ``n_restarts`` log-uniform
  restarts. A start where the criterion is flat is left by a coarse scan
  (one hyperparameter) or by restarts (several) before the search concludes
  that it stalled;
- :meth:`Search.minimize_per_target`: one hyperparameter per target, all
  targets at once (:mod:`~skhypergrad._core.per_target`).

:meth:`Search.result` freezes the outcome in a :class:`SearchResult`; the
estimators set their fitted attributes from it and warn from it
(:mod:`skhypergrad._core.estimator`).

``tol`` means one thing everywhere: a search stops when it predicts that
further steps lower the criterion by less than ``tol`` times its value. In
one dimension the prediction is the cubic's through the last two points (the
secant's for the per-target search, which also asks the last step to have
gained less than that); for L-BFGS-B it is the projected
gradient of the criterion divided by its value at the start, below ``tol``
(``gtol``), with ``ftol = 1e-3 tol`` (an iteration's relative gain) as a
safeguard: early iterations of L-BFGS-B gain little even far from the
optimum, so ``ftol = tol`` would stop it there.

``max_iter`` bounds the iterations of each local search: L-BFGS-B iterations,
steps of the one-dimensional search (one evaluation each), refinement steps of
the per-target search, or evaluations of a callable ``optimizer``.
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize as scipy_minimize
from sklearn.utils import check_random_state

from .bracket import DECADE, minimize_on_line
from .criterion import as_point, require
from .parallel import parallel_map
from .per_target import TargetRecorder, minimize_per_target, optimize_each_target
from .record import SearchRecord, history, restart_phase, stack_histories
from .report import current_report

# A start or a result that needs checking is checked by a scan of this many
# points per decade.
_FLAT_SCAN_PER_DECADE = 0.5
# Extra L-BFGS-B starts tried when the first run does not leave a flat start.
_FLAT_RESTARTS = 2


def scan_grid(log_bounds, per_decade, extra=None):
    """``per_decade`` points per decade between the log-bounds, plus ``extra``
    (unless it is, to 1e-9, a point of the grid already)."""
    low, high = log_bounds
    n_points = max(int(np.ceil(per_decade * (high - low) / DECADE)) + 1, 2)
    grid = np.linspace(low, high, n_points)
    if extra is not None and np.min(np.abs(grid - extra)) > 1e-9:
        grid = np.sort(np.append(grid, extra))
    return grid


@dataclass(frozen=True)
class SearchOptions:
    """The user's settings of a search (see the module docstring), and two of
    L-BFGS-B's that a criterion may need changed: its limit of evaluations
    per line search, and ``ftol`` as a multiple of ``tol``."""

    max_iter: int = 100
    tol: float = 1e-6
    n_restarts: int = 0
    optimizer: object = "l-bfgs-b"
    random_state: object = None
    n_jobs: object = None
    max_line_search: int = 20
    ftol_factor: float = 1e-3


@dataclass(frozen=True)
class SearchResult:
    """The outcome of a search.

    Attributes
    ----------
    theta : ndarray
        The best point evaluated: shape (size,), or (n_targets,) for a
        per-target search.
    value : float or ndarray
        The criterion there (one per target for a per-target search).
    grad : ndarray or None
        The criterion's gradient there, when an evaluation computed it.
    n_iter : int
        Iterations of all local searches (see the module docstring).
    n_evaluations : int
        Criterion evaluations, scans included.
    converged : bool
        False when a local search ran out of ``max_iter`` (or L-BFGS-B
        stopped abnormally far from a stationary point).
    stalled : bool
        The criterion was flat wherever the search looked: it never moved
        from its start.
    message : str
        What stopped an unconverged search.
    bounds_hit : tuple of str
        One sentence per hyperparameter and bound that ``theta`` sits on
        (:meth:`~skhypergrad._core.space.SearchSpace.bound_messages`).
    history : dict of ndarray
        ``history_`` (:func:`skhypergrad._core.record.history`).
    """

    theta: np.ndarray
    value: object
    grad: object
    n_iter: int
    n_evaluations: int
    converged: bool
    stalled: bool
    message: str
    bounds_hit: tuple
    history: dict


class Search:
    """The search of one fit over a :class:`~skhypergrad._core.space.SearchSpace`.

    Parameters
    ----------
    space : SearchSpace
    options : SearchOptions
    report : FitReport or None, default=None
        Where to print and what clock to read; None takes the running fit's
        (:func:`~skhypergrad._core.report.current_report`). Pass ``False``
        for a quiet search whose evaluations are not shown.
    """

    def __init__(self, space, options, report=None):
        self.space = space
        self.options = options
        self.report = current_report() if report is None else report or None
        self.record = SearchRecord()
        self.n_iter = 0
        self.converged = True
        self.stalled = False
        self.message = ""
        self._per_target = False
        self._start = None  # where minimize started

    # -- evaluations --------------------------------------------------------
    def now(self):
        """Seconds since the fit started."""
        return self.report.elapsed() if self.report is not None else 0.0

    def evaluate(self, criterion, theta, phase="search", gradient_error=None):
        """The criterion and its gradient at ``theta``, recorded and printed.

        A search minimises one criterion: a point whose value and gradient
        are recorded already is not evaluated again, unless its gradient was
        coarse and this call asks for an accurate one (the point's record is
        then refined). With ``gradient_error`` (relative to the criterion), a
        criterion that can save work on a less accurate gradient is asked for
        one (:meth:`~skhypergrad._core.criterion.Criterion.coarse_value_and_grad`).
        """
        theta = as_point(theta)
        found = self.record.find(theta)
        refine = found is not None and self.record.is_coarse(theta)
        if found is not None and not (refine and gradient_error is None):
            return found
        coarse = gradient_error is not None and criterion.coarse
        if coarse:
            value, grad = criterion.coarse_value_and_grad(theta, gradient_error)
        else:
            value, grad = criterion.value_and_grad(theta)
        grad = np.asarray(grad, dtype=float)
        if refine:
            self.record.refine(theta, value, self.now(), grad)
            self._echo(theta, value, phase + " (refined)", grad, level=2)
        else:
            self.add(theta, value, phase, grad, coarse=coarse)
        return float(value), grad

    def add(self, theta, value, phase, grad=None, echo=True, coarse=False):
        """Record an evaluation made elsewhere (a scan, an earlier search);
        ``echo=False`` does not print it again."""
        self.record.add(theta, value, phase, self.now(), grad, coarse)
        if echo:
            self._echo(theta, value, phase, grad)

    def _echo(self, theta, value, phase, grad, level=1):
        """Print an evaluation (with ``verbose`` at least ``level``)."""
        if self.report is not None and self.report.verbose >= level:
            norm = "" if grad is None else f"  |grad|={np.linalg.norm(grad):.3g}"
            self.report.say(
                f"{len(self.record):4d} {phase:<14} {self.space.describe(theta)}"
                f"  criterion={self.space.value_scale * float(np.mean(value)):.10g}"
                f"{norm}"
                f"  {self.now():.2f} s"
            )

    def scan(self, criterion, points, embed=None):
        """Evaluate ``criterion.scan`` along a path and record every point.

        Parameters
        ----------
        criterion : Criterion
            Must implement ``scan``.
        points : ndarray of shape (n_points,)
        embed : callable or None
            Maps a point of the path to ``theta`` (None: ``theta = [point]``).

        Returns
        -------
        ndarray
            ``theta`` at the best point.
        """
        require(criterion, "scan", "a start scan")
        embed = (lambda point: [point]) if embed is None else embed
        values = np.asarray(criterion.scan(points), dtype=float)
        for point, value in zip(points, values, strict=True):
            self.add(embed(point), value, "scan")
        return as_point(embed(points[int(np.nanargmin(values))]))

    # -- local searches -----------------------------------------------------
    def minimize(self, criterion, start, first_step=DECADE, phase="search"):
        """Minimise ``criterion`` from ``start``, then from the restarts.

        Parameters
        ----------
        criterion : Criterion
        start : ndarray of shape (size,)
        first_step : float, default=log(10)
            First step of a one-dimensional search (the scan's spacing when
            a scan chose the start).
        phase : str, default="search"
            The phase of the first local search in ``history_``.

        Returns
        -------
        SearchResult
        """
        require(criterion, "value_and_grad", "a search")
        bounds = self.space.bounds
        start = self.space.clip(start)
        if np.all(bounds[:, 0] == bounds[:, 1]):
            if self.record.value_at(start) is None:
                self.evaluate(criterion, start)
            return self.result()
        rng = check_random_state(self.options.random_state)
        restarts = [rng.uniform(*bounds.T) for _ in range(self.options.n_restarts)]
        self._start = start
        self._local_search(criterion, start, phase, first_step)
        if restarts:
            self._restart(criterion, restarts, first_step)
        return self.result()

    def _restart(self, criterion, starts, first_step):
        """The restarts: independent local searches, each on its own copy of
        the criterion (:meth:`Criterion.restart_copy`), over ``n_jobs``
        joblib workers. They are recorded in their order when they return,
        so that the result does not depend on ``n_jobs`` or on the backend
        (their ``history_`` times are the times they returned)."""
        n = len(starts)
        options = replace(self.options, n_restarts=0)
        outcomes = parallel_map(
            _restart_search,
            [
                (criterion, self.space, options, point, restart_phase(k, n), first_step)
                for k, point in enumerate(starts, 1)
            ],
            self.options.n_jobs,
        )
        for k, (record, n_iter, message, log) in enumerate(outcomes, 1):
            phase = restart_phase(k, n)
            for theta, value, grad in zip(
                record.thetas, record.values, record.grads, strict=True
            ):
                self.add(theta, value, phase, grad)
            criterion.keep_restart_log(log, phase)
            self.n_iter += n_iter
            if message:
                self._not_converged(message)
        if self.stalled:
            self._check_stalled()

    def _local_search(self, criterion, start, phase, first_step):
        if callable(self.options.optimizer):
            self._run_optimizer(criterion, start, phase)
        elif self.space.size == 1:
            self._line_search(criterion, start, phase, first_step)
        else:
            self._lbfgs(criterion, start, phase)

    def _line_search(self, criterion, start, phase, first_step):
        """The one-dimensional search from ``start``. Without a scan before
        it, a start on a bound is first checked against a coarse scan of the
        bounds, and so is a result on a bound or a start where the criterion
        is flat: a search from a bound, or one that stops on a bound, has only
        looked one way."""
        # Restarts start from random points: the first search checked.
        unchecked = "scan" not in self.record.phases and not phase.startswith("restart")
        if unchecked and self._on_bound(start):
            start, first_step = self._coarse_scan(criterion, start)
            unchecked = False
        outcome, steps = self._run_line(criterion, start, phase, first_step)
        best, before = self.record.best()
        if unchecked and (outcome.flat_start or self._on_bound(best)):
            point, step = self._coarse_scan(criterion, best)
            if self.record.best()[1] < before - self.options.tol * abs(before):
                outcome, more = self._run_line(criterion, point, phase, step)
                steps += more
        if outcome.flat_start:
            self._check_stalled()
        self.n_iter += steps
        if outcome.reason == "max_iter":
            self._not_converged(
                f"the one-dimensional search used all its {self.options.max_iter} steps"
            )

    def _run_line(self, criterion, start, phase, first_step):
        """One run of the bracket search; returns its outcome and its steps
        (points after the start)."""
        n_points = []

        def evaluate(x, gradient_error=None):
            if not n_points or n_points[-1] != x:
                n_points.append(x)  # not a coarse point asked again
            value, grad = self.evaluate(criterion, [x], phase, gradient_error)
            return x, value, float(grad[0])

        outcome = minimize_on_line(
            evaluate,
            float(start[0]),
            self.space.bounds[0],
            max_iter=self.options.max_iter,
            tol=self.options.tol,
            first_step=first_step,
        )
        # The point kept must have its accurate value and gradient.
        best, _ = self.record.best()
        if self.record.is_coarse(best):
            self.evaluate(criterion, best, phase)
        return outcome, len(n_points) - 1

    def _on_bound(self, theta):
        low, high = self.space.bounds[0]
        return bool(np.min(np.abs(as_point(theta)[0] - [low, high])) <= 1e-6)

    def _coarse_scan(self, criterion, around):
        """Evaluate the criterion across the bounds, every two decades (phase
        ``"scan"``).

        Returns the best point seen (``around`` included, evaluated if it is
        not yet) and half the scan's spacing (the first step of a search from
        there).
        """
        low, high = self.space.bounds[0]
        n_points = max(int(np.ceil(_FLAT_SCAN_PER_DECADE * (high - low) / DECADE)), 1)
        points = np.linspace(low, high, n_points + 1)
        around = as_point(around)
        reference = self.record.value_at(around)
        if reference is None:
            reference = self.evaluate(criterion, around, "scan")[0]
        points = points[points != around[0]]
        values = [self.evaluate(criterion, [point], "scan")[0] for point in points]
        best = min([(reference, around[0]), *zip(values, points, strict=True)])
        spacing = (high - low) / n_points
        return np.array([best[1]]), 0.5 * spacing

    def _objective(self, criterion, start, phase):
        """The criterion divided by its value at ``start`` (so that ``tol`` is
        relative), as ``obj_func(theta, eval_gradient=True)``."""
        start = as_point(start)
        known = self.record.value_at(start)
        if known is None:
            known = self.evaluate(criterion, start, phase)[0]
        scale = abs(known) if known != 0 and np.isfinite(known) else 1.0

        def obj_func(theta, eval_gradient=True):
            value, grad = self.evaluate(criterion, theta, phase)
            if not np.isfinite(value) or not np.all(np.isfinite(grad)):
                raise FloatingPointError(
                    "the criterion is not finite at hyperparameters "
                    f"{self.space.describe(theta)}."
                )
            if eval_gradient:
                return value / scale, grad / scale
            return value / scale

        return obj_func

    def _run_optimizer(self, criterion, start, phase):
        n_before = len(self.record)
        obj_func = self._objective(criterion, start, phase)
        self.options.optimizer(obj_func, as_point(start), self.space.bounds)
        self.n_iter += len(self.record) - n_before

    def _lbfgs(self, criterion, start, phase):
        obj_func = self._objective(criterion, start, phase)
        tol = self.options.tol
        step = self._first_step_scale(obj_func, start)

        def scaled(theta):
            value, grad = obj_func(theta)
            return step * value, step * grad

        result = scipy_minimize(
            scaled,
            as_point(start),
            jac=True,
            method="L-BFGS-B",
            bounds=self.space.bounds,
            options={
                "maxiter": self.options.max_iter,
                "gtol": step * tol,
                "ftol": self.options.ftol_factor * tol,
                "maxls": self.options.max_line_search,
            },
        )
        self.n_iter += int(result.nit)
        projected = _projected_gradient(result.x, result.jac / step, self.space.bounds)
        if result.status == 1 or (result.status != 0 and projected > np.sqrt(tol)):
            self._not_converged(
                f"L-BFGS-B stopped without converging ({result.message}); the "
                f"largest projected gradient is {projected:.3g}"
            )
        if not phase.startswith("restart") and result.nit == 0 and projected <= tol:
            self._leave_flat_start(criterion, start)

    def _first_step_scale(self, obj_func, start):
        """The factor of the objective that makes L-BFGS-B's first step one
        unit of log-hyperparameter. With every variable bounded, its first
        step is minus the gradient itself: from a start near the optimum of
        a one-alpha search (small gradient) the step was too small to gain
        more than ``ftol``, and the search stopped there (three groups on
        5-fold diabetes: 0.1% of the criterion left). Scaling the objective
        by ``c`` scales the step and the gradient by ``c``; ``gtol`` follows."""
        _, grad = obj_func(as_point(start))
        largest = _projected_gradient(as_point(start), grad, self.space.bounds)
        return 1.0 / min(max(largest, self.options.tol), 1.0)

    def _leave_flat_start(self, criterion, start):
        """L-BFGS-B did not move from a start where the gradient is zero to
        ``tol``: try a few log-uniform starts before concluding it stalled."""
        rng = check_random_state(self.options.random_state)
        bounds = self.space.bounds
        for k in range(_FLAT_RESTARTS):
            phase = restart_phase(k + 1, _FLAT_RESTARTS)
            self._lbfgs(criterion, rng.uniform(*bounds.T), phase)
        self._check_stalled()

    def _check_stalled(self):
        """After a scan of the bounds, or a local search that did not leave a
        flat start: the search stalled if the criterion has one value (to
        ``tol``, relative) at every point evaluated, the scans and the tries
        to leave the start included (for every target, when each has its
        own hyperparameter)."""
        values = np.asarray(self.record.values, dtype=float)
        span = np.nanmax(values, axis=0) - np.nanmin(values, axis=0)
        scale = np.nanmax(np.abs(values), axis=0)
        self.stalled = bool(np.all(span <= self.options.tol * scale))

    def _not_converged(self, message):
        self.converged = False
        self.message = message

    # -- one hyperparameter per target --------------------------------------
    def minimize_per_target(self, criterion, grid, phase="search"):
        """One hyperparameter per target: scan ``grid``, then refine every
        target (:func:`~skhypergrad._core.per_target.minimize_per_target`).
        A callable ``optimizer`` is run on each target in turn instead."""
        self._per_target = True
        record = TargetRecorder(self, criterion.n_targets, phase)
        if callable(self.options.optimizer):
            self.n_iter += optimize_each_target(
                criterion, grid, record, self.options.optimizer, self.space.bounds
            )
            return self.result()
        n_iter, n_unconverged = minimize_per_target(
            criterion,
            grid,
            record,
            max_iter=self.options.max_iter,
            tol=self.options.tol,
            n_jobs=self.options.n_jobs,
        )
        self.n_iter += n_iter
        self._check_stalled()
        if n_unconverged:
            self._not_converged(
                f"the per-target search used all its {self.options.max_iter} "
                f"steps with {n_unconverged} target(s) still refining"
            )
        return self.result()

    def _chosen(self):
        """The best point evaluated; a restart's replaces the point kept only
        when it lowers the criterion by more than ``tol`` times its value.
        Below that, searches ending on a flat valley differ by the
        criterion's rounding (which changes with the memory alignment of the
        data), and the choice would follow it."""
        if np.ndim(self.record.values[0]) == 0:
            # A stalled search (flat to tol everywhere) keeps its start, as
            # its warning says.
            return self.record.best_over_searches(self.options.tol, self._start)
        return self.record.best()

    def result(self):
        """The frozen outcome of the search so far."""
        theta, value = self._chosen()
        return SearchResult(
            theta=np.asarray(theta, dtype=float),
            value=value,
            grad=self.record.gradient_at(theta),
            n_iter=self.n_iter,
            n_evaluations=len(self.record),
            converged=self.converged,
            stalled=self.stalled,
            message=self.message,
            bounds_hit=tuple(self.space.bound_messages(theta)),
            history=history(self.record, self.space, per_target=self._per_target),
        )


def _restart_search(criterion, space, options, start, phase, first_step):
    """One restart on a copy of ``criterion``, quiet: its record, its
    iterations, its message when it did not converge (else ""), and the
    copy's :meth:`~skhypergrad._core.criterion.Criterion.restart_log`."""
    copy = criterion.restart_copy()
    search = Search(space, options, report=False)
    search._local_search(copy, start, phase, first_step)
    message = "" if search.converged else search.message
    return search.record, search.n_iter, message, copy.restart_log()


def _projected_gradient(theta, grad, bounds):
    """Largest gradient component not blocked by an active bound."""
    blocked = ((theta <= bounds[:, 0]) & (grad > 0)) | (
        (theta >= bounds[:, 1]) & (grad < 0)
    )
    free = np.where(blocked, 0.0, grad)
    return float(np.max(np.abs(free), initial=0.0))


def stack_results(results, space, n_iter_before=0):
    """One result from independent searches, one per target: ``theta`` of
    shape (n_targets, size), one value and iteration count per target, and
    one ``history_`` with a ``"target"`` column."""
    theta = np.array([result.theta for result in results])
    return SearchResult(
        theta=theta,
        value=np.array([result.value for result in results]),
        grad=None,
        n_iter=np.array([result.n_iter for result in results]) + n_iter_before,
        n_evaluations=sum(result.n_evaluations for result in results),
        converged=all(result.converged for result in results),
        stalled=any(result.stalled for result in results),
        message="; ".join(r.message for r in results if not r.converged),
        bounds_hit=tuple(space.bound_messages(theta)),
        history=stack_histories([result.history for result in results]),
    )
