"""Smooth-loss inner solves: damped Newton, and the implicit-function adjoint.

The training criterion is ``F(beta) = sum_i s_i l(y_i, z_i) + 1/2 sum_j lam_j w_j^2``
with ``z = X w + b`` and ``beta = (w, b)`` (the intercept ``b`` unpenalised).
Newton's method minimises it; its Hessian ``H = X1^T diag(s l'') X1 + diag(lam, 0)``
(``X1 = [X, 1]``) is factored at the optimum and reused for the adjoint solve of
the implicit function theorem (MATH.md section 1):
``dE/dlam_j = -(H^{-1} grad_beta E)_j w_j``.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import linalg

from ._quadratic import cholesky_with_jitter

_MAX_NEWTON = 100
_MAX_HALVINGS = 50


def augment(X, fit_intercept):
    """Return ``[X, 1]`` (or ``X``), dense or CSR."""
    if not fit_intercept:
        return sp.csr_matrix(X) if sp.issparse(X) else X
    ones = np.ones((X.shape[0], 1))
    if sp.issparse(X):
        return sp.hstack([X, ones], format="csr")
    return np.hstack([X, ones])


def weighted_gram(X1, weights):
    """Return ``X1^T diag(weights) X1`` as a dense array."""
    if sp.issparse(X1):
        return np.asarray((X1.T @ X1.multiply(weights[:, None])).todense())
    if np.all(weights >= 0):
        # A.T @ A of one buffer is a symmetric rank-k update: half the work.
        scaled = X1 * np.sqrt(weights)[:, None]
        return scaled.T @ scaled
    return X1.T @ (X1 * weights[:, None])


@dataclass
class SmoothState:
    """The minimiser of the training criterion and what the gradients need."""

    coef: np.ndarray  # beta = (w, b), shape (n_params,)
    z: np.ndarray  # linear predictor on the training rows
    factor: tuple  # Cholesky factor of the Hessian at coef
    lam: np.ndarray  # penalty of each coefficient (0 for the intercept)

    def solve(self, g):
        """Return ``H^{-1} g``."""
        return linalg.cho_solve(self.factor, g, check_finite=False)


class NewtonSolver:
    """Damped Newton on one training set, warm-started from its last solution.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,)
    fit_intercept : bool
    loss : a loss of :mod:`skhypergrad._losses`
    penalty_scale : float, default=1.0
        Coefficient ``lam_j`` is penalised by ``penalty_scale * lam_j``: for
        :class:`~sklearn.linear_model.PoissonRegressor`'s convention the sum of
        the training weights, so that each fold is the estimator fitted on it.
    """

    def __init__(self, X, y, sample_weight, fit_intercept, loss, penalty_scale=1.0):
        self.X1 = augment(X, fit_intercept)
        self.y = y
        self.sample_weight = sample_weight
        self.loss = loss
        self.penalty_scale = penalty_scale
        self.n_features = X.shape[1]
        self.n_outputs = getattr(loss, "n_outputs", 1)
        # Softmax ignores a shift of all intercepts: a penalty on their sum
        # (zero at the centred solution) makes the Hessian definite.
        self._centre_intercepts = fit_intercept and self.n_outputs > 1
        self._coef = np.zeros(self.n_outputs * self.X1.shape[1])

    def full_penalty(self, lam):
        """Penalty of every coefficient (class-major for several outputs):
        ``penalty_scale * lam``, 0 for the intercept."""
        pen = np.zeros((self.n_outputs, self.X1.shape[1]))
        pen[:, : self.n_features] = self.penalty_scale * lam
        return pen.ravel()

    def predictor(self, X1, coef):
        """Linear predictor ``z`` of rows ``X1``: (n,) or (n, n_outputs)."""
        W = coef.reshape(self.n_outputs, -1)
        Z = np.asarray(X1 @ W.T)
        return Z[:, 0] if self.n_outputs == 1 else Z

    def input_gradient(self, X1, slope):
        """``X1^T slope`` flattened like the coefficients."""
        slope = slope.reshape(slope.shape[0], -1)
        return np.asarray(X1.T @ slope).T.ravel()

    def objective(self, coef, pen):
        value = (
            self.sample_weight
            @ self.loss.derivatives(self.y, self.predictor(self.X1, coef))[0]
        )
        return value + 0.5 * pen @ coef**2 + 0.5 * self._intercept_sum(coef) ** 2

    def _intercept_sum(self, coef):
        if not self._centre_intercepts:
            return 0.0
        return coef.reshape(self.n_outputs, -1)[:, -1].sum() / np.sqrt(self.n_outputs)

    def second_order(self, coef, pen):
        """Objective, predictor, gradient and Hessian at ``coef``."""
        z = self.predictor(self.X1, coef)
        value, d1, d2, _ = self.loss.derivatives(self.y, z)
        s = self.sample_weight
        objective = s @ value + 0.5 * pen @ coef**2
        grad = self.input_gradient(self.X1, s[:, None] * d1.reshape(len(s), -1))
        grad += pen * coef
        K, q = self.n_outputs, self.X1.shape[1]
        if K == 1:
            hessian = weighted_gram(self.X1, s * d2)
        elif hasattr(self.loss, "weighted_hessian") and not sp.issparse(self.X1):
            hessian = self.loss.weighted_hessian(self.X1, s, z)
        else:
            hessian = np.empty((K * q, K * q))
            for k in range(K):
                for m in range(k, K):
                    block = weighted_gram(self.X1, s * d2[:, k, m])
                    hessian[k * q : (k + 1) * q, m * q : (m + 1) * q] = block
                    hessian[m * q : (m + 1) * q, k * q : (k + 1) * q] = block.T
        hessian[np.diag_indices_from(hessian)] += pen
        if self._centre_intercepts:
            total = self._intercept_sum(coef)
            objective += 0.5 * total**2
            index = np.arange(K) * q + q - 1
            grad[index] += total / np.sqrt(K)
            hessian[np.ix_(index, index)] += 1.0 / K
        return objective, z, grad, hessian

    def solve(self, lam):
        """Minimise the training criterion at penalties ``lam``.

        Returns
        -------
        SmoothState
        """
        pen = self.full_penalty(lam)
        coef = self._coef.copy()
        stalled = False
        previous_decrement = np.inf
        for _ in range(_MAX_NEWTON):
            objective, z, grad, hessian = self.second_order(coef, pen)
            factor = cholesky_with_jitter(hessian)
            step = linalg.cho_solve(factor, grad, check_finite=False)
            decrement = grad @ step
            small_step = np.max(np.abs(step)) <= 1e-13 * (1.0 + np.max(np.abs(coef)))
            if stalled or small_step or decrement <= 1e-20 * max(1.0, abs(objective)):
                break
            if decrement <= 1e-8 * max(1.0, abs(objective)):
                # Close to the optimum the full Newton step is safe, and a line
                # search would compare objectives that differ by rounding only.
                # Newton converges quadratically there: a decrement that stops
                # falling has reached the rounding floor.
                if decrement >= 0.5 * previous_decrement:
                    break
                previous_decrement = decrement
                coef = coef - step
                continue
            trial = self._line_search(coef, step, objective, decrement, pen)
            if trial is None:  # no decrease left at working precision
                break
            # The objective no longer decreases at working precision: evaluate
            # the derivatives at the new point once more, then stop.
            stalled = self.objective(trial, pen) >= objective
            coef = trial
        else:
            raise FloatingPointError(
                f"Newton's method did not converge in {_MAX_NEWTON} iterations."
            )
        self._coef = coef
        return SmoothState(coef=coef, z=z, factor=factor, lam=pen)

    def _line_search(self, coef, step, objective, decrement, pen):
        """Backtracking (Armijo) line search along the Newton step; None when
        no step decreases the objective."""
        t = 1.0
        for _ in range(_MAX_HALVINGS):
            trial = coef - t * step
            if self.objective(trial, pen) <= objective - 1e-4 * t * decrement:
                return trial
            t *= 0.5
        return None
