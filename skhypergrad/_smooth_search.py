"""Wiring of the smooth-loss estimators: criterion, search and refit.

- One hyperparameter: a coarse scan (one point per decade, plus the initial
  value), then the bracketed secant search of :func:`minimize_per_target`.
- Several (feature groups): the one-hyperparameter search gives the start, then
  L-BFGS-B (:func:`minimize_criterion`).
Every criterion evaluation warm-starts Newton's method from the previous one.
"""

from dataclasses import dataclass

import numpy as np

from ._optimize import SearchRecord, minimize_criterion, minimize_per_target
from ._params import PenaltyLayout
from ._ridge_search import scan_grid
from ._smooth import NewtonSolver
from ._smooth_criteria import (
    ApproximateLeaveOneOut,
    SmoothKFoldCriterion,
    make_smooth_folds,
)


@dataclass
class SmoothOutcome:
    """Result of the search, and the coefficients refit at its optimum."""

    theta: np.ndarray
    value: float
    coef: np.ndarray  # (w, b) of the full-data fit
    n_iter: int
    history: dict


class _OneTarget:
    """A scalar criterion seen as the single target of a per-target search."""

    def __init__(self, criterion):
        self.criterion = criterion

    def __call__(self, log_value, with_grad=True, columns=None):
        value, grad = self.criterion(np.atleast_1d(log_value)[:1])
        return np.atleast_1d(value), grad[:1]

    def grid_values(self, grid):
        return np.array([[self.criterion(np.array([point]))[0]] for point in grid])


class SmoothProblem:
    """Training data, loss and criterion of one fit of a smooth-loss estimator.

    Parameters
    ----------
    X, y, sample_weight, fit_intercept
        Validated training data (``y`` 1-D, encoded for the loss).
    loss : a loss of :mod:`skhypergrad._losses`
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
        self.solver = NewtonSolver(X, y, sample_weight, fit_intercept, loss, scale)
        self.layout = layout
        if kind == "alo":
            self._scalar = ApproximateLeaveOneOut(self.solver, _scalar(layout))
            self._groups = ApproximateLeaveOneOut(self.solver, layout)
        else:
            folds = make_smooth_folds(
                X, y, sample_weight, splits, fit_intercept, loss, scale_by_weight
            )
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
                    record.add(np.full(self.layout.n_groups, theta[0]), value[0])
            value0, _ = self._groups(theta0)
            record.add(theta0, value0)
            start, _ = record.best()
            result = minimize_criterion(
                self._groups, start, self.layout.bounds, record=record, **options
            )
            result.n_iter += scalar.n_iter
        theta = np.atleast_1d(result.theta)
        state = self.solver.solve(self.layout.feature_penalties(theta))
        return SmoothOutcome(
            theta=theta,
            value=float(np.squeeze(result.value)),
            coef=state.coef,
            n_iter=result.n_iter,
            history=_history(result.record, name),
        )

    def _search_scalar(self, theta0, options):
        one = _OneTarget(self._scalar)
        grid = scan_grid(self.layout.log_bounds, 1, extra=np.mean(theta0))
        if callable(options["optimizer"]):
            record = SearchRecord()
            for point, value in zip(grid, one.grid_values(grid)[:, 0], strict=True):
                record.add([point], value)
            start, _ = record.best()
            return minimize_criterion(
                self._scalar, start, self.layout.bounds[:1], record=record, **options
            )
        return minimize_per_target(
            one,
            one.grid_values,
            grid,
            max_iter=options["max_iter"],
            xtol=options["tol"],
            verbose=options["verbose"],
        )


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
