"""Wiring of the smooth-loss estimators: criterion, search and refit.

- One hyperparameter: from the initial value, steps downhill of growing
  length until a bracket holds a minimum, then secant steps on the derivative
  (:func:`minimize_by_bracketing`); each evaluation costs Newton solves, so
  there is no scan.
- Several (feature groups): the one-hyperparameter search gives the start, then
  L-BFGS-B (:func:`minimize_criterion`).
Every criterion evaluation warm-starts Newton's method from the previous one.
"""

from dataclasses import dataclass

import numpy as np

from .._core.layout import PenaltyLayout, build_layout
from .._core.optimize import SearchRecord, minimize_criterion, warn_on_bounds
from .._core.search1d import minimize_by_bracketing
from .._core.threads import shared_blas_threads
from .._glm.alo import ApproximateLeaveOneOut
from .._glm.criteria import SmoothKFoldCriterion, make_smooth_folds
from .._glm.newton import NewtonSolver, choose_curvature


@dataclass
class SmoothOutcome:
    """Result of the search, and the coefficients refit at its optimum."""

    theta: np.ndarray
    value: float
    coef: np.ndarray  # (w, b) of the full-data fit
    n_iter: int
    history: dict


class SmoothProblem:
    """Training data, loss and criterion of one fit of a smooth-loss estimator.

    Parameters
    ----------
    X, y, sample_weight, fit_intercept
        Validated training data (``y`` 1-D, encoded for the loss).
    loss : a loss of :mod:`skhypergrad._glm.losses`
    kind : {"alo", "splits"}
    splits : list of (train, test) or None
    layout : PenaltyLayout
    scale_by_weight : bool
        Scale each training set's penalty by the sum of its weights.
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
    ):
        scale = sample_weight.sum() if scale_by_weight else 1.0
        n_params = getattr(loss, "n_outputs", 1) * (X.shape[1] + fit_intercept)
        # ALO needs the Hessian at the solution as a matrix.
        curvature = choose_curvature(X.shape[0], n_params, kind == "alo")
        self.solver = NewtonSolver(
            X, y, sample_weight, fit_intercept, loss, scale, curvature
        )
        self.layout = layout
        self._folds = []  # the k-fold training sets (none for ALO)
        if kind == "alo":
            self._scalar = ApproximateLeaveOneOut(self.solver, _scalar(layout))
            self._groups = ApproximateLeaveOneOut(self.solver, layout)
        else:
            folds = make_smooth_folds(
                X, y, sample_weight, splits, fit_intercept, loss, scale_by_weight
            )
            self._folds = folds
            self._scalar = SmoothKFoldCriterion(folds, _scalar(layout))
            self._groups = SmoothKFoldCriterion(folds, layout)

    def search(self, theta0, options, name):
        """Search the hyperparameters (called ``name`` in the history), then
        refit on all the data."""
        scalar = self._search_scalar(theta0, options)
        if self.layout.n_groups == 1:
            result = scalar
        else:
            record = SearchRecord()
            for theta, value in zip(
                scalar.record.thetas, scalar.record.values, strict=True
            ):
                if np.all(np.isfinite(value)):
                    record.add(np.full(self.layout.n_groups, theta[0]), value)
            value0, _ = self._groups(theta0)
            record.add(theta0, value0)
            start, _ = record.best()
            result = minimize_criterion(
                self._groups, start, self.layout.bounds, record=record, **options
            )
            result.n_iter += scalar.n_iter
        theta = np.atleast_1d(result.theta)
        state = self.solver.solve(
            self.layout.feature_penalties(theta), guess=self._refit_guess()
        )
        return SmoothOutcome(
            theta=theta,
            value=float(np.squeeze(result.value)),
            coef=state.coef,
            n_iter=result.n_iter,
            history=_history(result.record, name),
        )

    def _refit_guess(self):
        """A start for the full-data refit: the mean of the folds' last
        solutions, close to it when the search ended near its optimum (None
        for ALO, whose solver is already the full-data one)."""
        if not self._folds:
            return None
        return np.mean([fold.solver.last_solution for fold in self._folds], axis=0)

    def _search_scalar(self, theta0, options):
        start = float(np.mean(theta0))
        if callable(options["optimizer"]):
            return minimize_criterion(
                self._scalar, np.array([start]), self.layout.bounds[:1], **options
            )
        return minimize_by_bracketing(
            self._scalar,
            start,
            self.layout.log_bounds,
            max_iter=options["max_iter"],
            xtol=options["tol"],
            verbose=options["verbose"],
        )


def tune_penalties(
    estimator,
    X,
    y,
    sample_weight,
    loss,
    kind,
    splits,
    *,
    name,
    power,
    scale_by_weight,
    irrelevant_side,
):
    """The fit of a smooth-loss estimator after validation.

    Builds the layout of ``estimator``'s hyperparameter ``name`` (initial
    value ``estimator.<name>``, bounds ``estimator.<name>_bounds``, groups
    ``estimator.feature_groups``), searches it, warns about bounds, sets the
    fitted search attributes and returns the coefficients refit at the optimum
    (class-major ``(w, b)``).
    """
    layout, theta0, labels = build_layout(
        estimator.feature_groups,
        X.shape[1],
        getattr(estimator, name),
        getattr(estimator, f"{name}_bounds"),
        name,
        power=power,
    )
    with shared_blas_threads():
        problem = SmoothProblem(
            X,
            y,
            sample_weight,
            estimator.fit_intercept,
            loss,
            kind,
            splits,
            layout,
            scale_by_weight,
        )
        outcome = problem.search(theta0, estimator._search_options(), name)
    warn_on_bounds(
        outcome.theta, layout.log_bounds, name, labels, irrelevant_side=irrelevant_side
    )
    estimator._set_search_attributes(
        name,
        outcome,
        getattr(estimator, f"{name}_bounds"),
        labels,
        layout.n_groups == 1,
    )
    return outcome.coef


def _scalar(layout):
    """The same layout with one hyperparameter for all features."""
    return PenaltyLayout(
        np.zeros_like(layout.group_index),
        1,
        layout.log_bounds,
        layout.scale,
        layout.power,
    )


def _history(record, name):
    """The record as a dict of 1-D arrays (see ``_ridge_search._history``)."""
    thetas = np.array(record.thetas, dtype=float)
    values = np.array(record.values, dtype=float).reshape(len(thetas), -1)[:, 0]
    keep = np.isfinite(values)
    thetas, values = thetas[keep], values[keep]
    if thetas.shape[1] == 1:
        return {name: np.exp(thetas[:, 0]), "score": -values}
    column = np.empty(thetas.shape[0], dtype=object)
    column[:] = list(np.exp(thetas))
    return {name: column, "score": -values}
