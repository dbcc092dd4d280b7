"""Selection criteria for smooth losses, with implicit-function-theorem gradients.

Each criterion is a callable ``theta -> (value, grad)`` like those of
:mod:`skhypergrad._criteria`: ``value`` is the sample-weighted mean of the loss's
selection criterion on out-of-sample predictions, ``grad`` its gradient in
``theta`` (MATH.md sections 1, 5 and 6).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import linalg

from ._smooth import NewtonSolver, augment, weighted_gram


@dataclass
class SmoothFold:
    """One (train, validation) split: the training solver and validation rows."""

    solver: NewtonSolver
    val_X1: object
    val_y: np.ndarray
    val_weight: np.ndarray


def make_smooth_folds(
    X, y, sample_weight, splits, fit_intercept, loss, scale_by_weight=False
):
    """A Newton solver on each training set, and the matching validation rows.

    With ``scale_by_weight``, each fold's penalty is multiplied by the sum of
    its training weights (:class:`~sklearn.linear_model.PoissonRegressor`).
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
            ),
            val_X1=augment(X[test], fit_intercept),
            val_y=y[test],
            val_weight=sample_weight[test],
        )
        for train, test in splits
    ]


class SmoothKFoldCriterion:
    """Held-out / k-fold criterion of a smooth loss.

    Per fold, ``dE/dlam_j = -(H^{-1} X1_v^T S_v c'_v)_j w_j``: one solve with
    the Hessian factor that Newton's method left (MATH.md sections 1 and 5).

    Parameters
    ----------
    folds : list of SmoothFold
    layout : PenaltyLayout
    """

    def __init__(self, folds, layout):
        self.folds = folds
        self.layout = layout
        self._weight_sum = sum(fold.val_weight.sum() for fold in folds)

    def __call__(self, theta):
        lam = self.layout.feature_penalties(theta)
        p = lam.shape[0]
        value = 0.0
        grad_lam = np.zeros(p)
        for fold in self.folds:
            solver = fold.solver
            state = solver.solve(lam)
            z = solver.predictor(fold.val_X1, state.coef)
            criterion, slope = solver.loss.criterion(fold.val_y, z)
            value += fold.val_weight @ criterion
            weighted = fold.val_weight[:, None] * slope.reshape(len(criterion), -1)
            g = solver.input_gradient(fold.val_X1, weighted)
            # dE/dlam_j = -scale * sum over outputs of u_kj W_kj (u = H^{-1} g).
            u = state.solve(g).reshape(solver.n_outputs, -1)[:, :p]
            W = state.coef.reshape(solver.n_outputs, -1)[:, :p]
            grad_lam -= solver.penalty_scale * np.sum(u * W, axis=0)
        value /= self._weight_sum
        grad_lam /= self._weight_sum
        return value, self.layout.theta_gradient(grad_lam, lam)


class ApproximateLeaveOneOut:
    """Approximate leave-one-out (ALO) criterion of a smooth loss.

    One Newton step from the full-data optimum on each leave-one-out problem,
    with Sherman-Morrison (MATH.md section 6, Rad & Maleki 2020):
    ``z_{-i} = z_i + s_i l'_i h_i / (1 - s_i l''_i h_i)``, ``h_i = x_i^T H^{-1} x_i``.
    Exact for the squared loss. Its gradient differentiates ``z``, ``l'``,
    ``l''`` and ``h`` through the implicit function theorem; ``h`` moves with
    ``lam`` directly and through ``l''(z)``.

    Parameters
    ----------
    solver : NewtonSolver
        On the full training data.
    layout : PenaltyLayout
    """

    def __init__(self, solver, layout):
        self.solver = solver
        self.layout = layout

    def __call__(self, theta):
        lam = self.layout.feature_penalties(theta)
        solver = self.solver
        state = solver.solve(lam)
        X1, s = solver.X1, solver.sample_weight
        _, d1, d2, d3 = solver.loss.derivatives(solver.y, state.z)
        X1t = X1.T.toarray() if sp.issparse(X1) else X1.T
        B = linalg.cho_solve(state.factor, X1t, check_finite=False).T  # X1 H^{-1}
        h = (
            np.asarray(X1.multiply(B).sum(axis=1)).ravel()
            if sp.issparse(X1)
            else np.einsum("ij,ij->i", X1, B)
        )
        a, k = s * d1, s * d2
        denom = 1.0 - k * h
        z_loo = state.z + a * h / denom
        criterion, slope = solver.loss.criterion(solver.y, z_loo)
        weight_sum = s.sum()
        value = s @ criterion / weight_sum
        # Partial derivatives of E through z (with l'(z), l''(z)) and through h.
        dE = s * slope / weight_sum
        E_z = dE * (1.0 + k * h / denom + a * h * s * d3 * h / denom**2)
        E_h = dE * a / denom**2
        # dz/dlam_j = -B_j w_j and, with t = l''' (third derivative),
        # dh_i/dlam_j = -B_ij^2 + w_j sum_k Hm_ik^2 s_k t_k B_kj, where
        # Hm = X1 H^{-1} X1^T; v_k = sum_i E_h_i Hm_ik^2 = rowsum((B M) * B),
        # M = X1^T diag(E_h) X1.
        v = np.einsum("ij,ij->i", B @ weighted_gram(X1, E_h), B)
        p = lam.shape[0]
        w = state.coef[:p]
        grad_pen = (
            -w * (B.T @ E_z)[:p] - ((B * B).T @ E_h)[:p] + w * (B.T @ (v * s * d3))[:p]
        )
        grad_lam = solver.penalty_scale * grad_pen
        return value, self.layout.theta_gradient(grad_lam, lam)
