"""k-fold and held-out ridge criteria with tuned sample weights.

On each split the training weights are ``w_i = s_i d_i(phi)``, the user's
``s`` times a scheme's factors (:mod:`skhypergrad._core.weighting`), and the
coefficients ``beta = (w, b)`` solve

    A beta = X1^T W y,     A = X1^T W X1 + diag(lam, 0),    X1 = [X, 1].

The criterion ``E`` is the pooled, sample-weighted squared error of the
validation rows. With ``v = A^{-1} grad_beta E`` (one solve with the factor in
hand) the implicit function theorem gives

    dE/dlam_j = -v_j beta_j,      dE/dw_i = (x1_i^T v) r_i,

``r_i = y_i - x1_i^T beta`` the training residual (summed over targets), which
the scheme's derivatives ``dw_i/dphi = s_i dd_i/dphi`` chain to its
hyperparameters (the maths page, "Tuned sample weights").
"""

import numpy as np
import scipy.sparse as sp

from .._core.cholesky import cholesky_solve, cholesky_with_jitter
from .._core.criterion import Criterion


class WeightedSplitsCriterion(Criterion):
    """Pooled validation squared error of ridge with tuned training weights.

    ``theta`` is the log-penalties of ``layout`` followed by the scheme's
    log-hyperparameters.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,)
        The user's weights, of training (times the scheme's factors).
    criterion_weight : ndarray of shape (n_samples,)
        The weights of the validation rows in the criterion.
    splits : list of (train, test)
    fit_intercept : bool
    layout : PenaltyLayout
    scheme : TimeDecay or GroupWeights
    """

    def __init__(
        self,
        X,
        y,
        sample_weight,
        criterion_weight,
        splits,
        fit_intercept,
        layout,
        scheme,
    ):
        X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
        # A fixed shift of the features leaves the model unchanged (the
        # intercept absorbs it) and keeps A well conditioned.
        self.X1 = augmented(X, fit_intercept)
        self.y = y
        self.sample_weight = sample_weight
        self.criterion_weight = criterion_weight
        self.splits = splits
        self.layout = layout
        self.scheme = scheme
        self.n_features = X.shape[1]
        self._references = [scheme.reference_time(train) for train, _ in splits]
        n_targets = y.shape[1]
        self._weight_sum = n_targets * sum(
            criterion_weight[test].sum() for _, test in splits
        )
        if not self._weight_sum > 0:
            raise ValueError(
                "The validation rows of the splits have no weight in the criterion "
                "(with target_group, no validation sample of that group)."
            )

    def value_and_grad(self, theta):
        """The pooled validation error and its gradient in ``theta``."""
        n_penalties = self.layout.n_groups
        lam = self.layout.feature_penalties(theta[:n_penalties])
        phi = theta[n_penalties:]
        value = 0.0
        grad_lam = np.zeros(self.n_features)
        grad_phi = np.zeros(phi.size)
        for (train, test), reference in zip(self.splits, self._references, strict=True):
            factors, derivatives = self.scheme.factors(phi, train, reference)
            split = self._split(train, test, lam, self.sample_weight[train] * factors)
            value += split["value"]
            grad_lam += split["grad_lam"]
            # dE/dphi = sum_i dE/dw_i s_i dd_i/dphi.
            grad_phi += (split["grad_weight"] * self.sample_weight[train]) @ derivatives
        grad = np.concatenate([self.layout.theta_gradient(grad_lam, lam), grad_phi])
        return value / self._weight_sum, grad / self._weight_sum

    def _split(self, train, test, lam, weight):
        """One split's (unnormalised) error and its gradients in ``lam`` and
        in the training weights."""
        X_train, y_train = self.X1[train], self.y[train]
        beta, factor = weighted_ridge(X_train, y_train, weight, lam)
        residual = self.y[test] - self.X1[test] @ beta
        val_weight = self.criterion_weight[test][:, None]
        value = np.sum(val_weight * residual**2)
        v = cholesky_solve(factor, -2.0 * self.X1[test].T @ (val_weight * residual))
        p = self.n_features
        grad_lam = -np.sum(v[:p] * beta[:p], axis=1)
        train_residual = y_train - X_train @ beta
        grad_weight = np.sum((X_train @ v) * train_residual, axis=1)
        return {"value": value, "grad_lam": grad_lam, "grad_weight": grad_weight}


class WeightedLeaveOneOut(Criterion):
    """Exact leave-one-out squared error of ridge with tuned training weights.

    On all the data (a time decay from the latest time of all of it), with
    ``B = A^{-1}``, ``M = X1 B X1^T`` and ``h_i = w_i M_ii``, the left-out
    residual is ``e_i = r_i / (1 - h_i)``. With ``a_i = c_i e_i / (1 - h_i)``
    (``c`` the criterion's weights), ``g_i = w_i a_i e_i`` and
    ``G = X1^T diag(g) X1``, the gradients are (times ``2 / Z``, summed over
    targets)

        dE/dlam_k = beta_k (B X1^T a)_k - (B G B)_kk,
        dE/dw_j = -r_j (M a)_j + a_j e_j M_jj - (X1 B G B X1^T)_jj,

    in ``O(n q^2)`` (the maths page, "Tuned sample weights").

    Parameters
    ----------
    X, y, sample_weight, criterion_weight, fit_intercept, layout, scheme
        As :class:`WeightedSplitsCriterion`.
    """

    def __init__(
        self, X, y, sample_weight, criterion_weight, fit_intercept, layout, scheme
    ):
        X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
        self.X1 = augmented(X, fit_intercept)
        self.y = y
        self.sample_weight = sample_weight
        self.criterion_weight = criterion_weight
        self.layout = layout
        self.scheme = scheme
        self.n_features = X.shape[1]
        self._rows = np.arange(X.shape[0])
        self._reference = scheme.reference_time(self._rows)
        self._weight_sum = y.shape[1] * criterion_weight.sum()

    def value_and_grad(self, theta):
        """The leave-one-out error and its gradient in ``theta``."""
        n_penalties, p = self.layout.n_groups, self.n_features
        lam = self.layout.feature_penalties(theta[:n_penalties])
        factors, derivatives = self.scheme.factors(
            theta[n_penalties:], self._rows, self._reference
        )
        weight = self.sample_weight * factors
        X1, y = self.X1, self.y
        beta, factor = weighted_ridge(X1, y, weight, lam)
        residual = y - X1 @ beta
        XB = cholesky_solve(factor, X1.T).T  # X1 B
        m = np.einsum("ij,ij->i", X1, XB)  # M_ii
        shrink = 1.0 - weight * m
        loo = residual / shrink[:, None]
        c = self.criterion_weight[:, None]
        value = np.sum(c * loo**2)
        a = c * loo / shrink[:, None]
        g = weight * np.sum(a * loo, axis=1)
        BXa = cholesky_solve(factor, X1.T @ a)
        BGB = cholesky_solve(factor, cholesky_solve(factor, X1.T @ (g[:, None] * X1)).T)
        grad_lam = np.sum(beta[:p] * BXa[:p], axis=1) - np.diag(BGB)[:p]
        grad_weight = (
            -np.sum(residual * (X1 @ BXa), axis=1)
            + m * np.sum(a * loo, axis=1)
            - np.einsum("ij,ij->i", X1 @ BGB, X1)
        )
        scale = 2.0 / self._weight_sum
        grad_phi = (grad_weight * self.sample_weight) @ derivatives
        grad = np.concatenate(
            [self.layout.theta_gradient(scale * grad_lam, lam), scale * grad_phi]
        )
        return value / self._weight_sum, grad


def weighted_ridge(X1, y, weight, lam):
    """The ridge solution on rows ``X1`` with weights ``weight`` and
    penalties ``lam`` (the intercept column, if any, unpenalised), and the
    Cholesky factor of ``A``."""
    penalty = np.zeros(X1.shape[1])
    penalty[: lam.size] = lam
    gram = X1.T @ (weight[:, None] * X1)
    gram[np.diag_indices_from(gram)] += penalty
    factor = cholesky_with_jitter(gram)
    return cholesky_solve(factor, X1.T @ (weight[:, None] * y)), factor


def augmented(X, fit_intercept):
    """``[X - mean, 1]`` with an intercept, else ``X``."""
    if not fit_intercept:
        return X
    return np.hstack([X - X.mean(axis=0), np.ones((X.shape[0], 1))])
