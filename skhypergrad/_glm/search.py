"""How the smooth-loss estimators search: criterion, start and refit.

- One hyperparameter: the one-dimensional search from the initial value
  (each evaluation costs Newton solves, so there is no scan; a start where the
  criterion is flat is left by the driver's coarse scan).
- Several (feature groups): the one-hyperparameter search gives the start
  (its evaluations, the group criterion at equal penalties, join the record),
  then L-BFGS-B; with ``early_stopping`` and at least 3 splits, on two thirds
  of them, stopped and decided on the others
  (:mod:`skhypergrad._glm.early_stopping`).

Every criterion evaluation warm-starts Newton's method from the previous one.
"""

from dataclasses import dataclass, replace

import numpy as np

from .._core.bracket import DECADE
from .._core.layout import PenaltyLayout
from .._core.search import Search
from .._core.space import Hyperparameter, SearchSpace
from .alo import ApproximateLeaveOneOut
from .criteria import SmoothKFoldCriterion, make_smooth_folds
from .early_stopping import search_with_check
from .newton import NewtonSolver, choose_curvature


@dataclass(frozen=True)
class SmoothFit:
    """A search's result, the coefficients ``(w, b)`` (class-major for
    several outputs) refit on all the data at its optimum (None without a
    refit) and the Newton iterations of that refit, the Newton iterations of
    every fold (one per fold for ALO: the full data) at every evaluation of
    the criterion, of shape (n_folds, n_evaluations), and a function that
    returns the folds' coefficients at the optimum (k-fold criteria only,
    else None)."""

    result: object
    coef: np.ndarray
    refit_n_iter: int
    fold_iterations: np.ndarray
    fold_coefs: object


class SmoothProblem:
    """Training data, loss and criteria of one fit of a smooth-loss estimator.

    Parameters
    ----------
    X, y, sample_weight, fit_intercept
        Validated training data (``y`` 1-D, encoded for the loss).
    loss : Loss
    kind : {"alo", "splits"}
    splits : list of (train, test) or None
    layout : PenaltyLayout
    scale_by_weight : bool
        Scale each training set's penalty by the sum of its weights.
    max_iter, tol : int, float
        The inner solver's limits (:class:`NewtonSolver`).
    early_stopping : bool, default=False
    n_jobs : int or None, default=None
        Folds solved in parallel (:class:`SmoothKFoldCriterion`).
    search_tol : float, default=0.0
        The search's tolerance, which the k-fold criteria's adjoint solves
        follow (:class:`SmoothKFoldCriterion`; 0: to working precision).
    """

    def __init__(
        self,
        X,
        y,
        sample_weight,
        fit_intercept,
        loss,
        kind,
        splits,
        layout,
        scale_by_weight,
        max_iter=100,
        tol=1e-4,
        early_stopping=False,
        n_jobs=None,
        search_tol=0.0,
    ):
        limits = dict(max_iter=max_iter, tol=tol)
        self.early_stopping = early_stopping
        scale = sample_weight.sum() if scale_by_weight else 1.0
        n_params = loss.n_outputs * (X.shape[1] + fit_intercept)
        # ALO needs the Hessian at the solution as a matrix.
        curvature = choose_curvature(X.shape[0], n_params, kind == "alo")
        self.solver = NewtonSolver(
            X, y, sample_weight, fit_intercept, loss, scale, curvature, **limits
        )
        self.layout = layout
        self._folds = []  # the k-fold training sets (none for ALO)
        self._iterations = []  # Newton iterations of each fold, per evaluation
        log = self._iterations
        # The k-fold criteria stop Newton one step short of the rounding
        # floor (NewtonSolver.solve); the refit goes all the way. ALO's solver
        # is the refit's: its solves go all the way, and the refit reuses the
        # last (its Newton steps cost little next to the criterion).
        if kind == "alo":
            self._scalar = ApproximateLeaveOneOut(self.solver, _scalar(layout), log)
            self._groups = ApproximateLeaveOneOut(self.solver, layout, log)
        else:
            folds = make_smooth_folds(
                X,
                y,
                sample_weight,
                splits,
                fit_intercept,
                loss,
                scale_by_weight,
                **limits,
            )
            self._folds = folds
            self._scalar, self._groups = (
                SmoothKFoldCriterion(
                    folds,
                    searched,
                    log,
                    precise=False,
                    n_jobs=n_jobs,
                    search_tol=search_tol,
                )
                for searched in (_scalar(layout), layout)
            )

    def search(self, space, theta0, options, refit=True, first_step=DECADE):
        """Search the penalties of ``space`` from ``theta0`` (the
        one-hyperparameter search's first step ``first_step``), then refit on
        all the data unless ``refit`` is False (the fit's ``coef`` is then
        None, and its ``refit_n_iter`` 0).

        Returns
        -------
        SmoothFit
        """
        if self.layout.n_groups == 1:
            result = Search(space, options).minimize(
                self._scalar, theta0[:1], first_step
            )
        else:
            result = self._search_groups(space, theta0, options, first_step)
        lam = self.layout.feature_penalties(result.theta)
        coef, refit_n_iter = None, 0
        if refit:
            state = self.solver.solve(lam, guess=self._refit_guess())
            coef, refit_n_iter = state.coef, state.n_iter
        iterations = np.array(self._iterations, dtype=np.int32).reshape(
            -1, max(len(self._folds), 1)
        )
        fold_coefs = None
        if self._folds:
            folds = self._folds

            def fold_coefs():
                return [fold.solver.solve(lam).coef for fold in folds]

        return SmoothFit(result, coef, refit_n_iter, iterations.T, fold_coefs)

    def _search_groups(self, space, theta0, options, first_step):
        (hyper,) = space.hyperparameters
        scalar_space = SearchSpace(
            (Hyperparameter(hyper.name, hyper.log_bounds[:1], hyper.bounds_parameter),)
        )
        scalar = Search(scalar_space, options).minimize(
            self._scalar, np.atleast_1d(np.mean(theta0)), first_step, phase="scan"
        )
        search = Search(space, options)
        history = scalar.history
        for value, score in zip(history[hyper.name], history["score"], strict=True):
            theta = np.full(self.layout.n_groups, np.log(value))
            search.add(theta, -score, "scan", echo=False)
        if self.early_stopping and len(self._folds) >= 3:
            seeds = [
                (np.full(self.layout.n_groups, np.log(value)), -score)
                for value, score in zip(
                    history[hyper.name], history["score"], strict=True
                )
            ]
            best = min(seeds, key=lambda seed: seed[1])[0]
            result = search_with_check(
                self._folds,
                self.layout,
                space,
                options,
                seeds,
                theta0 if np.ptp(theta0) > 0 else best,
                self._iterations,
            )
            return replace(result, n_iter=result.n_iter + scalar.n_iter)
        if np.ptp(theta0) > 0:  # one penalty in every group: searched already
            search.evaluate(self._groups, theta0, "scan")
        start, _ = search.record.best()
        result = search.minimize(self._groups, start)
        return replace(result, n_iter=result.n_iter + scalar.n_iter)

    def _refit_guess(self):
        """A start for the full-data refit: the mean of the folds' last
        solutions, close to it when the search ended near its optimum (None
        for ALO, whose solver is already the full-data one)."""
        if not self._folds:
            return None
        return np.mean([fold.solver.last_solution for fold in self._folds], axis=0)


def _scalar(layout):
    """The same layout with one hyperparameter for all features."""
    return PenaltyLayout(
        np.zeros_like(layout.group_index),
        1,
        layout.log_bounds,
        layout.scale,
        layout.power,
    )
