"""Ridge selection criteria with one penalty per feature group, by Cholesky
factorisation.

Each criterion is a :class:`~skhypergrad._core.criterion.Criterion` over
``theta``, the log of one penalty per group
(:class:`~skhypergrad._core.layout.PenaltyLayout`): the (sample-weighted) mean
squared out-of-sample error averaged over targets, and its gradient.
"""

from dataclasses import dataclass

import numpy as np

from .._core.criterion import Criterion
from .._core.selection import from_residuals, validation_squared_error
from .design import CentredDesign
from .rows import DenseRows
from .solver import RidgeSolver


class ValidationRows:
    """A split's validation rows, centred with the training offsets.

    Parameters
    ----------
    X : CentredRows or DenseRows
        The rows (or their coordinates in a basis, see :meth:`project`).
    y : ndarray of shape (n_validation, n_targets)
        Targets minus the training offsets.
    weight : ndarray of shape (n_validation,)
    """

    def __init__(self, X, y, weight):
        self.X = X
        self.y = y
        self.weight = weight
        self.weight_sum = float(weight.sum())

    @property
    def n_targets(self):
        return self.y.shape[1]

    def with_targets(self, columns):
        """The same rows, some target columns."""
        return ValidationRows(self.X, self.y[:, columns], self.weight)

    def project(self, M):
        """The same rows for coefficients ``w = M c``: their coordinates
        ``X M``."""
        return ValidationRows(DenseRows(self.X.matmul(M)), self.y, self.weight)

    def squared_error(self, coef):
        """Weighted squared validation error of each target at ``coef``, and
        ``X^T S r`` (minus half its gradient in ``coef``)."""
        values, weighted = validation_squared_error(
            self.y - self.X.matmul(coef), self.weight
        )
        return values, self.X.rmatmul(weighted)


@dataclass
class Fold:
    """One (train, validation) split: the centred training design and the
    validation rows (:class:`ValidationRows`, or their sums,
    :class:`~skhypergrad._ridge.moment_design.ValidationMoments`)."""

    design: CentredDesign
    validation: ValidationRows

    def with_targets(self, columns):
        """Return the same split restricted to some target columns."""
        return Fold(
            self.design.with_targets(columns), self.validation.with_targets(columns)
        )


def make_folds(X, y, sample_weight, splits, fit_intercept, scales=None):
    """Build the centred training design and validation data of each split.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,)
    splits : list of (train, test) index arrays
    fit_intercept : bool
    scales : ndarray of shape (n_splits, n_targets) or None
        Multipliers of each split's targets (a scorer's weights, see
        :mod:`skhypergrad._ridge.scoring`): ridge commutes with them.

    Returns
    -------
    folds : list of Fold
    """
    folds = []
    for k, (train, test) in enumerate(splits):
        y_split = y if scales is None else y * scales[k]
        design = CentredDesign(
            X[train], y_split[train], sample_weight[train], fit_intercept
        )
        validation = ValidationRows(
            design.centre(X[test]),
            y_split[test] - design.y_offset,
            sample_weight[test],
        )
        folds.append(Fold(design, validation))
    return folds


class LeaveOneOutCriterion(Criterion):
    """Exact leave-one-out error (or GCV) for penalties per feature group.

    The criteria are those of :mod:`skhypergrad._core.selection`, from the
    residual ``r`` and ``om = 1 - q^2 - h~``; a penalty moves them by
    ``dr_i/dlam_k = B_ik w_k`` and ``d om_i/dlam_k = B_ik^2`` with
    ``B = X~ A^{-1}``, since ``dw/dlam_k = -A^{-1} e_k w_k``.

    Parameters
    ----------
    design : CentredDesign
    layout : PenaltyLayout
    gcv : bool, default=False
    solver : RidgeSolver or None
        A solver already built on ``design`` (shares its Gram matrix).
    """

    def __init__(self, design, layout, gcv=False, solver=None):
        self.design = design
        self.layout = layout
        self.gcv = gcv
        self.solver = RidgeSolver(design) if solver is None else solver

    def value_and_grad(self, theta):
        """Mean criterion over targets, and its gradient in ``theta``."""
        lam = self.layout.feature_penalties(theta)
        factor = self.solver.solve(lam)
        B, hat = factor.hat_terms()
        design = self.design
        values, residual_bar, om_bar = from_residuals(
            self.gcv,
            factor.residual,
            (1.0 - design.q**2 - hat)[:, None],
            design.n_effective,
            design.weight_sum,
        )
        drive = np.einsum("kj,kj->k", factor.coef, B.T @ residual_bar)
        damp = (B * B).T @ om_bar.sum(axis=1)
        grad_lam = (drive + damp) / values.size
        return values.mean(), self.layout.theta_gradient(grad_lam, lam)


class KFoldCriterion(Criterion):
    """Held-out / k-fold error for penalties per feature group.

    The gradient uses one adjoint solve per fold with the fold's own factor:
    ``dE/dlam_k = 2 (A^{-1} g)_k w_k / S`` with ``g = X_v^T S_v r_v``
    (Bengio, 2000; the maths page, "k-fold and held-out error").

    Parameters
    ----------
    folds : list of Fold or MomentFold
    layout : PenaltyLayout
    solvers : list of RidgeSolver or None
        Solvers already built on each fold's design.
    """

    def __init__(self, folds, layout, solvers=None):
        self.folds = folds
        self.layout = layout
        if solvers is None:
            solvers = [RidgeSolver(fold.design) for fold in folds]
        self.solvers = solvers
        n_targets = folds[0].validation.n_targets
        self._scale = n_targets * sum(fold.validation.weight_sum for fold in folds)

    def value_and_grad(self, theta):
        """Pooled validation error, and its gradient in ``theta``."""
        lam = self.layout.feature_penalties(theta)
        value = 0.0
        grad_lam = np.zeros_like(lam)
        for fold, solver in zip(self.folds, self.solvers, strict=True):
            factor = solver.solve(lam)
            values, gradient = fold.validation.squared_error(factor.coef)
            value += values.sum()
            adjoint = factor.solve_adjoint(gradient)
            grad_lam += 2.0 * np.sum(adjoint * factor.coef, axis=1)
        value /= self._scale
        grad_lam /= self._scale
        return value, self.layout.theta_gradient(grad_lam, lam)
