"""Wiring of GradientRidgeCV: which criterion, which search, which refit.

- One alpha: scan along the eigendecomposition path, then a bracketed secant
  search on the derivative (or the user's optimiser).
- One alpha per target: the same path and search, vectorised over targets.
- Groups of features: the one-alpha searches (on the raw and on the
  group-standardised features) give the start, then L-BFGS-B on the Cholesky
  criterion (per target, in parallel, with ``alpha_per_target``).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils.parallel import Parallel, delayed

from .._core.layout import PenaltyLayout
from .._core.optimize import SearchRecord, minimize_criterion, scan, scan_grid
from .._core.search1d import minimize_per_target
from .._ridge.criteria import (
    KFoldCriterion,
    LeaveOneOutCriterion,
    SharedAlphaCriterion,
    make_folds,
)
from .._ridge.design import CentredDesign
from .._ridge.solver import RidgeSolver
from .._ridge.spectral import SpectralBasis, SpectralKFold, SpectralLeaveOneOut


@dataclass
class RidgeOutcome:
    """Result of the search and the refit at its optimum.

    ``theta`` is ``log(alpha_)`` (shape (1,), (n_groups,), (n_targets,) or
    (n_targets, n_groups)), ``value`` the criterion there, ``coef`` of shape
    (n_features, n_targets).
    """

    theta: np.ndarray
    value: object
    coef: np.ndarray
    n_iter: object
    history: dict


class RidgeProblem:
    """The training data of one fit, and the criteria and solvers built on it.

    Parameters
    ----------
    X, y, sample_weight, fit_intercept
        Validated training data (``y`` 2-D).
    kind : {"loo", "gcv", "splits"}
    splits : list of (train, test) or None
    layout : PenaltyLayout
    """

    def __init__(self, X, y, sample_weight, fit_intercept, kind, splits, layout):
        self._data = (X, y, sample_weight, fit_intercept, kind, splits)
        self.design = CentredDesign(X, y, sample_weight, fit_intercept)
        self.kind = kind
        self.layout = layout
        self.folds = None
        if kind == "splits":
            self.folds = make_folds(X, y, sample_weight, splits, fit_intercept)
        self._basis = None
        self._solver = None
        self._fold_solvers = None

    def search(self, theta0, *, per_target, options, n_jobs):
        """Run the search that fits the layout, and refit at its optimum."""
        if self.layout.n_groups == 1 and not per_target:
            return self._shared_scalar(theta0, options)
        if self.layout.n_groups == 1:
            return self._per_target_scalar(theta0, options)
        return self._groups(theta0, options, per_target, n_jobs)

    def _spectral(self):
        if self.kind == "splits":
            return SpectralKFold(self.folds)
        return SpectralLeaveOneOut(self._spectral_basis(), gcv=self.kind == "gcv")

    def _spectral_basis(self):
        if self._basis is None:
            self._basis = SpectralBasis(self.design)
        return self._basis

    def _full_solver(self):
        if self._solver is None:
            self._solver = RidgeSolver(self.design)
        return self._solver

    def _criterion(self, columns=None):
        """Cholesky criterion for penalties per group, on some target columns."""
        if self.kind == "splits":
            if self._fold_solvers is None:
                self._fold_solvers = [RidgeSolver(f.design) for f in self.folds]
            folds, solvers = self.folds, self._fold_solvers
            if columns is not None:
                folds = [fold.with_targets(columns) for fold in folds]
                solvers = [solver.with_targets(columns) for solver in solvers]
            return KFoldCriterion(folds, self.layout, solvers)
        solver = self._full_solver()
        if columns is not None:
            solver = solver.with_targets(columns)
        return LeaveOneOutCriterion(
            solver.design, self.layout, gcv=self.kind == "gcv", solver=solver
        )

    def _shared_scalar(self, theta0, options):
        criterion = SharedAlphaCriterion(self._spectral())
        # One pass over the eigenvectors evaluates the whole grid: scan it finely.
        grid = scan_grid(self.layout.log_bounds, 2, extra=np.mean(theta0))
        if callable(options["optimizer"]):
            record = SearchRecord()
            start = scan(criterion.grid_values, grid, record)
            result = minimize_criterion(
                criterion, start, self.layout.bounds[:1], record=record, **options
            )
        else:
            result = minimize_per_target(
                criterion.as_one_target,
                lambda points: criterion.grid_values(points)[:, None],
                grid,
                max_iter=options["max_iter"],
                xtol=options["tol"],
                verbose=options["verbose"],
            )
        coef = self._spectral_basis().coef(np.exp(result.theta))
        return RidgeOutcome(
            theta=np.atleast_1d(result.theta),
            value=float(np.squeeze(result.value)),
            coef=coef,
            n_iter=result.n_iter,
            history=_history(result.record),
        )

    def _per_target_scalar(self, theta0, options):
        spectral = self._spectral()

        def grid_values(points):
            return np.array(
                [spectral(np.array([p]), with_grad=False)[0] for p in points]
            )

        result = minimize_per_target(
            spectral,
            grid_values,
            # Each point costs a product with every target: scan coarsely.
            scan_grid(self.layout.log_bounds, 1, extra=np.mean(theta0)),
            max_iter=options["max_iter"],
            xtol=options["tol"],
            verbose=options["verbose"],
        )
        coef = self._spectral_basis().coef(np.exp(result.theta))
        return RidgeOutcome(
            theta=result.theta,
            value=result.value,
            coef=coef,
            n_iter=result.n_iter,
            history=_history(result.record, per_target=True),
        )

    def _standardised_scalar(self, theta0, options, per_target):
        """Best single alpha on groups rescaled to unit mean squared column norm.

        Returns the log-penalties it gives each group, shape (n_targets,
        n_groups) or (1, n_groups), and the number of iterations. With features
        on different scales, this start puts every group where its penalty
        matters; a single alpha on the raw scale may leave some groups where the
        criterion is flat.
        """
        X, y, sample_weight, fit_intercept, kind, splits = self._data
        index = self.layout.group_index
        norms = self.design.column_norms_squared() / self.design.weight_sum
        counts = np.bincount(index, minlength=self.layout.n_groups)
        group_scale = np.bincount(index, weights=norms) / counts
        group_scale = np.where(group_scale > 0, group_scale, 1.0)
        column_scale = 1.0 / np.sqrt(group_scale[index])
        X_scaled = X @ sp.diags(column_scale) if sp.issparse(X) else X * column_scale
        scalar_layout = PenaltyLayout(np.zeros_like(index), 1, self.layout.log_bounds)
        problem = RidgeProblem(
            X_scaled, y, sample_weight, fit_intercept, kind, splits, scalar_layout
        )
        theta0 = np.atleast_1d(np.mean(theta0))
        search = problem._per_target_scalar if per_target else problem._shared_scalar
        outcome = search(theta0, options)
        theta = np.reshape(outcome.theta, (-1, 1)) + np.log(group_scale)
        return np.clip(theta, *self.layout.log_bounds), outcome.n_iter

    def _groups(self, theta0, options, per_target, n_jobs):
        """L-BFGS-B over group penalties (per target in parallel, if asked)."""
        search_scalar = self._per_target_scalar if per_target else self._shared_scalar
        scalar = search_scalar(theta0, options)
        standardised, n_iter = self._standardised_scalar(theta0, options, per_target)
        n_iter += scalar.n_iter
        n_targets = self.design.y.shape[1] if per_target else 1
        histories = [
            _target_rows(scalar.history, j) if per_target else scalar.history
            for j in range(n_targets)
        ]
        results = Parallel(n_jobs=n_jobs)(
            delayed(_search_groups)(
                self._criterion([j] if per_target else None),
                [theta0, standardised[j]],
                histories[j],
                bounds=self.layout.bounds,
                options=options,
            )
            for j in range(n_targets)
        )
        solver = self._full_solver()
        coef = np.column_stack(
            [
                (solver.with_targets([j]) if per_target else solver)
                .solve(self.layout.feature_penalties(result.theta))
                .coef
                for j, result in enumerate(results)
            ]
        )
        if not per_target:
            result = results[0]
            return RidgeOutcome(
                theta=result.theta,
                value=result.value,
                coef=coef,
                n_iter=n_iter + result.n_iter,
                history=_history(result.record),
            )
        histories = [_history(result.record) for result in results]
        history = {
            key: np.concatenate([h[key] for h in histories]) for key in histories[0]
        }
        history["target"] = np.concatenate(
            [np.full(len(h["score"]), j) for j, h in enumerate(histories)]
        )
        return RidgeOutcome(
            theta=np.array([result.theta for result in results]),
            value=np.array([result.value for result in results]),
            coef=coef,
            n_iter=np.array([result.n_iter for result in results]) + n_iter,
            history=history,
        )


def _search_groups(criterion, starts, scalar_history, *, bounds, options):
    """L-BFGS-B over group penalties from the best candidate start.

    The candidates are ``starts`` and the single-alpha search's evaluations,
    which join the record: the result is never worse than the best single alpha.
    """
    n_groups = bounds.shape[0]
    record = SearchRecord()
    for alpha, score in zip(
        scalar_history["alpha"], scalar_history["score"], strict=True
    ):
        record.add(np.full(n_groups, np.log(alpha)), -score)
    for start in starts:
        value, _ = criterion(start)
        record.add(start, value)
    best_start, _ = record.best()
    return minimize_criterion(criterion, best_start, bounds, record=record, **options)


def _history(record, per_target=False):
    """The record as a dict of 1-D arrays, one row per criterion evaluation.

    ``"alpha"`` holds floats for one alpha, arrays (objects) for several;
    ``"score"`` is minus the criterion. With ``per_target``, the record has one
    column per target (NaN where not evaluated) and the rows become one per
    evaluated (evaluation, target) pair, with a ``"target"`` column.
    """
    thetas = np.array(record.thetas)
    scores = -np.array(record.values).reshape(len(thetas), -1)
    if per_target:
        rows, targets = np.nonzero(~np.isnan(scores))
        return {
            "alpha": np.exp(thetas[rows, targets]),
            "score": scores[rows, targets],
            "target": targets,
        }
    if thetas.shape[1] == 1:
        evaluated = ~np.isnan(scores[:, 0])
        return {"alpha": np.exp(thetas[evaluated, 0]), "score": scores[evaluated, 0]}
    alpha = np.empty(thetas.shape[0], dtype=object)
    alpha[:] = list(np.exp(thetas))
    return {"alpha": alpha, "score": scores[:, 0]}


def _target_rows(history, target):
    """The rows of a per-target history that belong to one target."""
    rows = history["target"] == target
    return {key: value[rows] for key, value in history.items() if key != "target"}
