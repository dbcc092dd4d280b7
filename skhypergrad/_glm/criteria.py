"""k-fold and held-out criteria for smooth losses, with implicit-function
gradients.

Each criterion is a :class:`~skhypergrad._core.criterion.Criterion`: the
sample-weighted mean of the loss's selection criterion on out-of-sample
predictions, and its gradient in ``theta``. Approximate leave-one-out is in
:mod:`skhypergrad._glm.alo`.
"""

from dataclasses import dataclass

import numpy as np

from .._core.criterion import Criterion
from .._core.parallel import parallel_map
from .newton import NewtonSolver, augment

# The share of the search's tolerance that the error of the gradient may take
# (see SmoothKFoldCriterion).
GRADIENT_SHARE = 0.1


@dataclass
class SmoothFold:
    """One (train, validation) split: the training solver and validation rows."""

    solver: NewtonSolver
    val_X1: object
    val_y: np.ndarray
    val_weight: np.ndarray


def make_smooth_folds(
    X,
    y,
    sample_weight,
    splits,
    fit_intercept,
    loss,
    scale_by_weight=False,
    curvature="auto",
    **limits,
):
    """A Newton solver on each training set, and the matching validation rows.

    With ``scale_by_weight``, each fold's penalty is multiplied by the sum of
    its training weights (:class:`~sklearn.linear_model.PoissonRegressor`).
    ``curvature`` and ``limits`` (``max_iter``, ``tol``) are passed to each
    :class:`NewtonSolver`.
    """
    return [
        SmoothFold(
            solver=NewtonSolver(
                X[train],
                y[train],
                sample_weight[train],
                fit_intercept,
                loss,
                sample_weight[train].sum() if scale_by_weight else 1.0,
                curvature,
                **limits,
            ),
            val_X1=augment(X[test], fit_intercept),
            val_y=y[test],
            val_weight=sample_weight[test],
        )
        for train, test in splits
    ]


class LoggedIterations:
    """Restarts of a criterion that logs the Newton iterations of every
    evaluation (``iterations``): a restart's copy logs its own, which the
    original then keeps, in the restarts' order."""

    def restart_copy(self):
        """A deep copy that remembers where its own log starts."""
        copy = super().restart_copy()
        copy._logged = 0 if self.iterations is None else len(self.iterations)
        return copy

    def restart_log(self):
        """The Newton iterations this copy logged."""
        return None if self.iterations is None else self.iterations[self._logged :]

    def keep_restart_log(self, log, phase):
        """Append a restart's Newton iterations to the log."""
        if log is not None and self.iterations is not None:
            self.iterations.extend(log)


class SmoothKFoldCriterion(LoggedIterations, Criterion):
    """Held-out / k-fold criterion of a smooth loss.

    Per fold, ``dE/dlam_j = -(H^{-1} X1_v^T S_v c'_v)_j w_j``: one solve with
    the Hessian factor that Newton's method left (Bengio, 2000; the maths
    page, "Smooth losses").

    The first fold is solved first; the others, started from its solution
    (the training sets overlap) or from their own earlier ones, are solved
    in parallel with ``n_jobs``
    (:func:`~skhypergrad._core.parallel.parallel_map`). Each fold's work
    depends only on the first fold's and its own: the result is the same for
    every ``n_jobs`` and joblib backend (workers in other processes send the
    fold's solver back, with its warm starts).

    Parameters
    ----------
    folds : list of SmoothFold
    layout : PenaltyLayout
    iterations : list or None, default=None
        If given, each evaluation appends to it the Newton iterations of
        every fold's solve.
    precise : bool, default=True
        Newton's method to its rounding floor, or one step less
        (:meth:`NewtonSolver.solve`; what the search uses).
    n_jobs : int or None, default=None
        Folds solved in parallel.
    search_tol : float, default=0.0
        The tolerance of the search that uses the criterion: each fold's
        adjoint solve stops once the error it leaves in the gradient is
        bounded by ``GRADIENT_SHARE * search_tol`` times the fold's share of
        the criterion (:func:`adjoint_error_tol`), which keeps the error of
        the whole gradient (Euclidean norm) below that fraction of the
        criterion. 0: the adjoint to a relative residual of 1e-10.
    """

    coarse = True  # coarse_value_and_grad stops the solves earlier

    def __init__(
        self,
        folds,
        layout,
        iterations=None,
        precise=True,
        n_jobs=None,
        search_tol=0.0,
    ):
        self.folds = folds
        self.layout = layout
        self.iterations = iterations
        self.precise = precise
        self.n_jobs = n_jobs
        self.search_tol = search_tol
        self._weight_sum = sum(fold.val_weight.sum() for fold in folds)
        self._coarse_rows = {}  # theta of a coarse evaluation -> its log entry

    def value_and_grad(self, theta):
        """Pooled validation criterion and its gradient in ``theta``."""
        return self._value_and_grad(theta, None)

    def coarse_value_and_grad(self, theta, gradient_error):
        """The criterion and its gradient, which may err by
        ``gradient_error`` times the criterion: each fold's adjoint stops at
        that accuracy (:func:`adjoint_error_tol`), and Newton's method a step
        short of its exact last steps (:meth:`NewtonSolver.solve` with
        ``coarse``), which moves the value by far less (up to about ``1e-7``
        of it). An accurate evaluation at the same ``theta`` later continues
        these solves, and its Newton iterations add to this one's."""
        return self._value_and_grad(theta, gradient_error)

    def _value_and_grad(self, theta, gradient_error):
        lam = self.layout.feature_penalties(theta)
        outcomes = self._fits(lam, with_grad=True, gradient_error=gradient_error)
        self._log(theta, outcomes, coarse=gradient_error is not None)
        value = sum(fold.val_weight @ o.losses for fold, o in self._pairs(outcomes))
        grad_lam = sum(o.grad_lam for o in outcomes)
        value /= self._weight_sum
        grad_lam /= self._weight_sum
        return value, self.layout.theta_gradient(grad_lam, lam)

    def sample_losses(self, theta):
        """The selection criterion of every validation sample, fold after
        fold, without the gradient (no adjoint solve).

        Returns
        -------
        ndarray of shape (n_validation_samples,)
            Their weighted mean is the criterion (weights: the folds'
            ``val_weight``, concatenated).
        """
        lam = self.layout.feature_penalties(theta)
        outcomes = self._fits(lam, with_grad=False)
        self._log(theta, outcomes)
        return np.concatenate([o.losses for o in outcomes])

    def _pairs(self, outcomes):
        return zip(self.folds, outcomes, strict=True)

    def _fits(self, lam, with_grad, gradient_error=None):
        """Solve every fold at ``lam``: the first, then the others from its
        solution, in parallel. Keeps each fold's solver (sent back by
        workers in other processes). With ``gradient_error``, coarsely
        (:meth:`coarse_value_and_grad`)."""
        error = None  # the relative error allowed in the gradient, if any
        if with_grad:
            error = max(GRADIENT_SHARE * self.search_tol, gradient_error or 0.0)
            error /= abs(self.layout.power)  # theta: power times log(lam)
        solve = dict(precise=self.precise, coarse=gradient_error is not None)
        first = _fit_fold(self.folds[0], lam, None, error, solve)
        rest = parallel_map(
            _fit_fold,
            [(f, lam, first.coef, error, solve) for f in self.folds[1:]],
            self.n_jobs,
        )
        outcomes = [first, *rest]
        for fold, outcome in self._pairs(outcomes):
            fold.solver = outcome.solver
        return outcomes

    def _log(self, theta, outcomes, coarse=False):
        """Log the folds' Newton iterations: a new entry, or, after a coarse
        evaluation at the same ``theta``, added to its entry."""
        if self.iterations is None:
            return
        counts = [outcome.n_iter for outcome in outcomes]
        key = tuple(np.asarray(theta, dtype=float).ravel())
        row = self._coarse_rows.pop(key, None)
        if row is not None:
            before = self.iterations[row]
            self.iterations[row] = [a + b for a, b in zip(before, counts, strict=True)]
        else:
            self.iterations.append(counts)
            row = len(self.iterations) - 1
        if coarse:
            self._coarse_rows[key] = row


@dataclass
class FoldOutcome:
    """One fold solved at some penalties: its solver (with the new warm
    start), the solution, the Newton iterations, the selection criterion of
    each validation sample and the fold's part of the gradient in ``lam``
    (unnormalised; None when not asked)."""

    solver: NewtonSolver
    coef: np.ndarray
    n_iter: int
    losses: np.ndarray
    grad_lam: object


def _fit_fold(fold, lam, guess, relative_error, solve):
    """Solve one fold at ``lam`` (``solve``: the keywords ``precise`` and
    ``coarse`` of :meth:`NewtonSolver.solve`); its validation losses, and
    unless ``relative_error`` is None its part of the criterion's gradient:
    ``dE/dpen_m = -u_m beta_m`` for each coefficient's penalty (``u = H^{-1}
    g``, ``g`` the gradient of the weighted validation losses), summed into
    ``lam``, with an error in ``log(lam)`` of at most ``relative_error``
    times the fold's weighted loss (:func:`adjoint_error_tol`)."""
    solver = fold.solver
    state = solver.solve(lam, guess, **solve)
    z = solver.predictor(fold.val_X1, state.coef)
    losses, slope = solver.loss.criterion(fold.val_y, z)
    grad_lam = None
    if relative_error is not None:
        weighted = fold.val_weight[:, None] * slope.reshape(len(losses), -1)
        g = solver.input_gradient(fold.val_X1, weighted)
        allowed = relative_error * abs(fold.val_weight @ losses)
        error_tol = adjoint_error_tol(state.pen, state.coef, allowed)
        grad_lam = solver.lam_gradient(-state.solve(g, error_tol) * state.coef)
    return FoldOutcome(solver, state.coef, state.n_iter, losses, grad_lam)


def adjoint_error_tol(pen, coef, allowed):
    """How far from ``H^{-1} g``, in the Hessian's norm, the adjoint ``u``
    may be for the gradient ``-pen * coef * u`` in ``log(pen)`` (summed over
    any groups of coefficients) to err by at most ``allowed`` (Euclidean
    norm).

    With ``e`` the error of ``u`` and ``a`` a group's ``pen * coef`` (zero
    outside it), ``|a^T e| <= sqrt(a^T H^{-1} a) ||e||_H`` (Cauchy-Schwarz in
    the ``H`` inner product), and ``H >= diag(pen)`` (the data's part of the
    Hessian is positive semi-definite) gives ``a^T H^{-1} a <= sum pen coef^2``
    over the group (``a`` is zero where ``pen`` is: the free intercepts). The
    groups' sum is ``coef^T diag(pen) coef``, so the error of the gradient is
    at most ``sqrt(coef^T diag(pen) coef) ||e||_H``.

    Returns
    -------
    float
        ``allowed / sqrt(coef^T diag(pen) coef)``; infinite when that is 0
        (the adjoint does not enter the gradient), 0 when ``allowed`` is.
    """
    penalty = pen @ coef**2
    return allowed / np.sqrt(penalty) if penalty > 0 else np.inf
