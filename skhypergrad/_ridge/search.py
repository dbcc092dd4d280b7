"""How GradientRidgeCV searches: which criterion, which start, which refit.

- One alpha: a scan along the eigendecomposition path (two points per
  decade, plus the start), then the one-dimensional search from its best
  point, or the user's optimiser.
- One alpha per target: the same path and scan, vectorised over targets.
- Groups of features: the one-alpha searches, on the raw features and on the
  features of each group rescaled to unit mean square, give candidate starts
  (their evaluations are the group criterion at equal penalties, and join its
  record); L-BFGS-B then runs on the Cholesky criterion (per target, in
  parallel, with ``alpha_per_target``).
"""

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from .._core.layout import PenaltyLayout
from .._core.parallel import parallel_map
from .._core.report import current_report, reporting_into
from .._core.search import Search, scan_grid, stack_results
from .._core.space import Hyperparameter, SearchSpace
from .criteria import KFoldCriterion, LeaveOneOutCriterion, make_folds
from .design import CentredDesign
from .solver import RidgeSolver
from .spectral import (
    SharedAlphaCriterion,
    SpectralBasis,
    SpectralKFold,
    SpectralLeaveOneOut,
)
from .tall import tall_problem, tall_statistics

# Scan points per decade of one shared alpha (one pass over the eigenvectors
# evaluates the whole grid), and of one alpha per target (a product with
# every target per point).
_SHARED_SCAN_PER_DECADE = 2
_PER_TARGET_SCAN_PER_DECADE = 1


@dataclass(frozen=True)
class RidgeFit:
    """A search's result and the coefficients refit at its optimum, shape
    (n_features, n_targets), on the centred design ``design``."""

    result: object
    coef: np.ndarray
    design: CentredDesign


class RidgeProblem:
    """The training data of one fit, and the criteria and solvers built on it.

    Parameters
    ----------
    X, y, sample_weight, fit_intercept
        Validated training data (``y`` 2-D).
    kind : {"loo", "gcv", "splits"}
    splits : list of (train, test) or None
    split_scales : ndarray of shape (n_splits, n_targets) or None
        Multipliers of each split's targets (:func:`make_folds`).
    scan_points : ndarray or None
        The log-alphas of the one-alpha scan (default: a grid over the
        bounds).
    statistics : TallStatistics or None
        Sufficient statistics of the rows, already made (default: made here
        when they pay, :mod:`skhypergrad._ridge.tall`).
    """

    def __init__(
        self,
        X,
        y,
        sample_weight,
        fit_intercept,
        kind,
        splits,
        split_scales=None,
        scan_points=None,
        statistics=None,
    ):
        self._data = (
            X,
            y,
            sample_weight,
            fit_intercept,
            kind,
            splits,
            split_scales,
            scan_points,
        )
        self.search_targets = y
        self.kind = kind
        self.scan_points = scan_points
        self.layout = None
        self.space = None
        if statistics is None:
            statistics = tall_statistics(X, y, sample_weight, kind, splits)
        built = statistics and tall_problem(
            statistics, X, y, sample_weight, fit_intercept, kind, split_scales
        )
        self.statistics = statistics if built else None
        if built:
            self.design, self.folds = built
        elif X is None:  # rows out of reach (dask): the statistics must serve
            raise ValueError(
                "The sums of squares of these data cannot give the criterion "
                "to working precision (the fit leaves a residual below 1e-6 of "
                "the variance, or a fold has fewer rows than features): fit "
                "them in memory."
            )
        else:
            self.design = CentredDesign(X, y, sample_weight, fit_intercept)
            self.folds = None
            if kind == "splits":
                self.folds = make_folds(
                    X, y, sample_weight, splits, fit_intercept, split_scales
                )
        self._basis = None
        self._spectral_loo = None
        self._solver = None
        self._fold_solvers = None

    def alpha_unit(self):
        """The scale of alpha on this data, so that default bounds and start
        follow the units of X: the mean (weighted) variance of the features,
        or their mean square without an intercept (1.0 for constant ones)."""
        unit = self.design.mean_square()
        return unit if np.isfinite(unit) and unit > 0 else 1.0

    def search(self, layout, space, theta0, *, per_target, options):
        """Run the search that fits the layout (penalties ``space``, starting
        at ``theta0``), and refit at its optimum.

        Returns
        -------
        RidgeFit
        """
        self.layout, self.space = layout, space
        if self.layout.n_groups > 1:
            return self._groups(theta0, options, per_target)
        search = self._per_target_scalar if per_target else self._shared_scalar
        result = search(theta0, options, self.space)
        alphas = np.exp(result.theta if per_target else result.theta[:1])
        return RidgeFit(result, self.spectral_basis().coef(alphas), self.design)

    # -- the criteria, built here and only here -----------------------------
    def _spectral(self):
        if self.kind == "splits":
            return SpectralKFold(self.folds)
        if self._spectral_loo is None:
            self._spectral_loo = SpectralLeaveOneOut(
                self.spectral_basis(), gcv=self.kind == "gcv"
            )
        return self._spectral_loo

    def spectral_path(self):
        """The leave-one-out path along alpha (``kind`` "loo" or "gcv")."""
        return self._spectral().path

    def spectral_basis(self):
        """The eigendecomposition of the centred design (made once)."""
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

    # -- the searches --------------------------------------------------------
    def _scalar_space(self):
        """One alpha for every group (the searches that give the start)."""
        (alpha,) = self.space.hyperparameters
        return SearchSpace(
            (Hyperparameter("alpha", alpha.log_bounds[:1], alpha.bounds_parameter),)
        )

    def _shared_scalar(self, theta0, options, space, phase="search", report=None):
        search = Search(space, options, report)
        criterion = SharedAlphaCriterion(self._spectral())
        grid = self._scan_grid(theta0, _SHARED_SCAN_PER_DECADE)
        start = search.scan(criterion, grid)
        step = grid[1] - grid[0] if grid.size > 1 else np.log(10.0)
        return search.minimize(criterion, start, first_step=step, phase=phase)

    def _scan_grid(self, theta0, per_decade):
        """The user's scan points (``alphas``) with the start, or a grid of
        ``per_decade`` points per decade over the bounds."""
        if self.scan_points is None:
            return scan_grid(self.layout.log_bounds, per_decade, extra=np.mean(theta0))
        return np.unique(np.append(self.scan_points, np.mean(theta0)))

    def _per_target_scalar(self, theta0, options, space, phase="search", report=None):
        search = Search(space, options, report)
        grid = self._scan_grid(theta0, _PER_TARGET_SCAN_PER_DECADE)
        return search.minimize_per_target(self._spectral(), grid, phase=phase)

    def _standardised_scalar(self, theta0, options, per_target):
        """Best single alpha on groups rescaled to unit mean squared column norm.

        Returns the log-penalties it gives each group, shape (n_targets,
        n_groups) or (1, n_groups), and the number of iterations. With features
        on different scales, this start puts every group where its penalty
        matters; a single alpha on the raw scale may leave some groups where the
        criterion is flat.
        """
        X, y, sample_weight, fit_intercept, kind, splits, scales, _ = self._data
        index = self.layout.group_index
        norms = self.design.column_norms_squared() / self.design.weight_sum
        counts = np.bincount(index, minlength=self.layout.n_groups)
        group_scale = np.bincount(index, weights=norms) / counts
        group_scale = np.where(group_scale > 0, group_scale, 1.0)
        column_scale = 1.0 / np.sqrt(group_scale[index])
        statistics = None
        if self.statistics is not None and kind == "splits":  # no rows needed
            statistics = self.statistics.scale_features(column_scale)
            X_scaled = X
        elif sp.issparse(X):
            X_scaled = X @ sp.diags(column_scale)
        else:
            X_scaled = X * column_scale.astype(X.dtype)
        scalar_layout = PenaltyLayout(np.zeros_like(index), 1, self.layout.log_bounds)
        space = self._scalar_space()
        # The user's scan points are alphas of the raw features: a grid here.
        problem = RidgeProblem(
            X_scaled,
            y,
            sample_weight,
            fit_intercept,
            kind,
            splits,
            scales,
            statistics=statistics,
        )
        problem.layout, problem.space = scalar_layout, space
        search = problem._per_target_scalar if per_target else problem._shared_scalar
        result = search(np.atleast_1d(np.mean(theta0)), options, space, report=False)
        theta = np.reshape(result.theta, (-1, 1)) + np.log(group_scale)
        return np.clip(theta, *self.layout.log_bounds), result.n_iter

    def _groups(self, theta0, options, per_target):
        """L-BFGS-B over group penalties (per target in parallel, if asked)."""
        search_scalar = self._per_target_scalar if per_target else self._shared_scalar
        scalar = search_scalar(theta0, options, self._scalar_space(), phase="scan")
        standardised, n_iter = self._standardised_scalar(theta0, options, per_target)
        n_iter += scalar.n_iter
        n_targets = self.design.n_targets if per_target else 1
        history = scalar.history
        report = current_report()
        results = parallel_map(
            _search_groups,
            [
                (
                    self._criterion([j] if per_target else None),
                    self.space,
                    options,
                    _seed_rows(history, j if per_target else None),
                    [theta0, standardised[j]],
                    report,
                )
                for j in range(n_targets)
            ],
            options.n_jobs,
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
        if per_target:
            result = stack_results(results, self.space, n_iter)
            return RidgeFit(result, coef, self.design)
        (result,) = results
        return RidgeFit(_add_iterations(result, n_iter), coef, self.design)


def _seed_rows(history, target):
    """``(log alpha, criterion)`` of the one-alpha search's evaluations (of
    one target's, for a per-target search)."""
    rows = slice(None) if target is None else history["target"] == target
    return list(
        zip(np.log(history["alpha"][rows]), -history["score"][rows], strict=True)
    )


def _search_groups(criterion, space, options, seeds, starts, report):
    """L-BFGS-B over group penalties from the best candidate start.

    The candidates are ``starts`` and the one-alpha search's evaluations,
    which join the record: the result is never worse than the best single
    alpha. A start with one alpha in every group lies on the one-alpha
    search's path, which that search has minimised: it is not evaluated.
    """
    with reporting_into(report):
        search = Search(space, options)
        for log_alpha, value in seeds:
            search.add(np.full(space.size, log_alpha), value, "scan", echo=False)
        for start in starts:
            if np.ptp(start) > 0:  # one alpha in every group: searched already
                search.evaluate(criterion, start, "scan")
        best, _ = search.record.best()
        return search.minimize(criterion, best)


def _add_iterations(result, n_iter):
    """The result with ``n_iter`` more iterations (those of the searches
    that gave its start)."""
    return replace(result, n_iter=result.n_iter + n_iter)
