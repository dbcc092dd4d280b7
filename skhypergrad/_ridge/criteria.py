"""Selection criteria with one penalty per feature group, and their gradients.

Each criterion is a stateless-in-theta callable ``theta -> (value, grad)``:
``theta`` is the log of one penalty per group (:class:`~._params.PenaltyLayout`),
``value`` the (sample-weighted) mean squared out-of-sample error averaged over
targets, ``grad`` its gradient in ``theta``. Formulas: MATH.md sections 1, 2, 4, 5.
"""

from dataclasses import dataclass

import numpy as np

from .._ridge.design import CentredDesign, CentredRows
from .._ridge.solver import RidgeSolver


@dataclass
class Fold:
    """One (train, validation) split, centred with the training offsets."""

    design: CentredDesign
    val_X: CentredRows
    val_y: np.ndarray
    val_weight: np.ndarray

    def with_targets(self, columns):
        """Return the same split restricted to some target columns."""
        return Fold(
            design=self.design.with_targets(columns),
            val_X=self.val_X,
            val_y=self.val_y[:, columns],
            val_weight=self.val_weight,
        )


def make_folds(X, y, sample_weight, splits, fit_intercept):
    """Build the centred training design and validation data of each split.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,)
    splits : list of (train, test) index arrays
    fit_intercept : bool

    Returns
    -------
    folds : list of Fold
    """
    folds = []
    for train, test in splits:
        design = CentredDesign(X[train], y[train], sample_weight[train], fit_intercept)
        folds.append(
            Fold(
                design=design,
                val_X=design.centre(X[test]),
                val_y=y[test] - design.y_offset,
                val_weight=sample_weight[test],
            )
        )
    return folds


class LeaveOneOutCriterion:
    """Exact leave-one-out error (or GCV) for penalties per feature group.

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

    def __call__(self, theta):
        lam = self.layout.feature_penalties(theta)
        factor = self.solver.solve(lam)
        B, hat = factor.hat_terms()
        scale = self.design.weight_sum * self.design.y.shape[1]
        if self.gcv:
            value, grad_lam = _gcv(self.design, factor, B, hat, scale)
        else:
            value, grad_lam = _loo(self.design, factor, B, hat, scale)
        return value, self.layout.theta_gradient(grad_lam, lam)


def _loo(design, factor, B, hat, scale):
    """Mean squared LOO error and its gradient in each feature penalty.

    ``e_i = r_i / om_i`` with ``om_i = 1 - q_i^2 - h~_i``, and
    ``de_i/dlam_k = B_ik w_k / om_i - r_i B_ik^2 / om_i^2`` (MATH.md section 2).
    """
    om = np.maximum(1.0 - design.q**2 - hat, 1e-12)
    residual = factor.residual
    e = residual / om[:, None]
    u = e / om[:, None]
    v = np.sum(e * u, axis=1)
    value = np.sum(e * e) / scale
    drive = np.einsum("kj,kj->k", factor.coef, B.T @ u)
    damp = (B * B).T @ v
    return value, 2.0 / scale * (drive - damp)


def _gcv(design, factor, B, hat, scale):
    """GCV and its gradient in each feature penalty (MATH.md section 4).

    ``GCV = n_eff^2 RSS / (S T^2)``, ``T = n_eff - [intercept] - tr H~``,
    ``dT/dlam_k = ||B_k||^2``, ``dRSS/dlam_k = 2 w_k^T B_k^T r``.
    """
    n_eff = design.n_effective
    residual = factor.residual
    rss = np.sum(residual * residual)
    trace = n_eff - design.fit_intercept - hat.sum()
    value = n_eff**2 * rss / (scale * trace**2)
    d_rss = 2.0 * np.einsum("kj,kj->k", factor.coef, B.T @ residual)
    d_trace = np.einsum("ik,ik->k", B, B)
    grad = n_eff**2 / scale * (d_rss / trace**2 - 2.0 * rss * d_trace / trace**3)
    return value, grad


class KFoldCriterion:
    """Held-out / k-fold error for penalties per feature group.

    The gradient uses one adjoint solve per fold with the fold's own factor:
    ``dE/dlam_k = 2 (A^{-1} g)_k w_k / S`` with ``g = X_v^T S_v r_v``
    (MATH.md sections 1 and 5).

    Parameters
    ----------
    folds : list of Fold
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
        n_targets = folds[0].val_y.shape[1]
        self._scale = n_targets * sum(fold.val_weight.sum() for fold in folds)

    def __call__(self, theta):
        lam = self.layout.feature_penalties(theta)
        value = 0.0
        grad_lam = np.zeros_like(lam)
        for fold, solver in zip(self.folds, self.solvers, strict=True):
            factor = solver.solve(lam)
            residual = fold.val_y - fold.val_X.matmul(factor.coef)
            weighted = fold.val_weight[:, None] * residual
            value += np.sum(weighted * residual)
            adjoint = factor.solve_adjoint(fold.val_X.rmatmul(weighted))
            grad_lam += 2.0 * np.sum(adjoint * factor.coef, axis=1)
        value /= self._scale
        grad_lam /= self._scale
        return value, self.layout.theta_gradient(grad_lam, lam)


class SharedAlphaCriterion:
    """One alpha shared by all features and targets, on a spectral criterion.

    Adapts a :mod:`._spectral` criterion (values per target, gradient summed)
    to the ``theta -> (value, grad)`` interface of the outer optimiser.

    Parameters
    ----------
    spectral : SpectralLeaveOneOut or SpectralKFold
    """

    def __init__(self, spectral):
        self.spectral = spectral

    def __call__(self, theta):
        values, grads = self.spectral(np.atleast_1d(theta)[:1])
        n_targets = values.shape[0]
        return values.mean(), grads[:1] / n_targets

    def as_one_target(self, log_alpha, with_grad=True, columns=None):
        """The shared criterion as a single target of a per-target search."""
        values, grads = self.spectral(np.atleast_1d(log_alpha)[:1], with_grad)
        if grads is not None:
            grads = grads[:1] / values.shape[0]
        return np.atleast_1d(values.mean()), grads

    def grid_values(self, grid):
        """Criterion at each point of a 1-D grid of log-alphas.

        With one target, the spectral formulas take one alpha per column, so
        the whole grid costs one pass over the eigenvectors.
        """
        grid = np.asarray(grid, dtype=float)
        values, _ = self.spectral(grid[:1], with_grad=False)
        if values.shape[0] == 1:
            return self.spectral(grid, with_grad=False)[0]
        return np.array(
            [
                self.spectral(grid[[k]], with_grad=False)[0].mean()
                for k in range(grid.size)
            ]
        )
