"""Leave-one-out and GCV along ``alpha`` from one eigendecomposition.

For ridge regression (``K = X~ X~^T``) and kernel ridge (``K = W K W``) with
one scalar ``alpha``, let ``U diag(sigma) U^T`` be the eigendecomposition of
``K`` restricted to the complement of the intercept's direction ``q``
(:func:`eigh_on_complement`). With ``F = alpha / (sigma + alpha)``, the
residual and the diagonal of ``I - H`` at any ``alpha`` are

    r  = y_perp + U diag(F) U^T y,      (y_perp = y - U U^T y)
    om = base + (U * U) F,              (base_i = 1 - q_i^2 - ||U_i||^2)

and ``tr(I - H) = n - [intercept] - rank + sum(F)``, with
``dF / dlog(alpha) = F (1 - F)``: after the decomposition each evaluation
costs a few ``n x rank`` products, for one ``alpha`` or one per target, made
block by block of rows so that no ``n x rank`` array is created after ``U``.
GCV needs only ``U^T y`` and ``||y_perp||^2``, which sufficient statistics
give without ``U`` (:meth:`SpectralPath.from_projections`). The criteria
themselves are those of :mod:`skhypergrad._core.selection`.
"""

import numpy as np
from scipy import linalg

from .selection import generalized_cross_validation, leave_one_out

# Rows per block of a pass over the rows (an evaluation here, the sums of
# the statistics of tall data): a block of 100 float64 columns stays in
# cache; wide rows take fewer, so that a block stays within 32 MB.
_BLOCK_ROWS = 4096
_BLOCK_BYTES = 2**25


def rows_per_block(width):
    """Rows of a block of ``width`` float64 columns."""
    return int(np.clip(_BLOCK_BYTES // (8 * width), 256, _BLOCK_ROWS))


def eigh_on_complement(K, q):
    """Eigendecomposition of a symmetric ``K`` on the complement of ``q``.

    Parameters
    ----------
    K : ndarray of shape (n, n)
        Positive semi-definite; not modified.
    q : ndarray of shape (n,) or None
        A unit vector (None: the whole space).

    Returns
    -------
    sigma : ndarray of shape (m,)
        Eigenvalues, clipped at zero (``m = n - 1`` with ``q``).
    U : ndarray of shape (n, m)
        Orthonormal eigenvectors, orthogonal to ``q``.
    """
    if q is None:
        sigma, U = linalg.eigh(K, check_finite=False, driver="evd")
        return np.clip(sigma, 0.0, None), U
    # The Householder reflector H = I - beta v v^T maps q to a multiple of
    # e_k: the columns of H other than k span the complement of q.
    k = int(np.argmax(np.abs(q)))
    v = q.copy()
    v[k] += np.copysign(1.0, q[k])
    beta = 2.0 / (v @ v)
    # H K H in O(n^2) (H symmetric orthogonal), then drop row and column k.
    Kv = K @ v
    HKH = (
        K
        - beta * np.outer(v, Kv)
        - beta * np.outer(Kv, v)
        + beta**2 * (v @ Kv) * np.outer(v, v)
    )
    keep = np.arange(K.shape[0]) != k
    sigma, Q = linalg.eigh(HKH[np.ix_(keep, keep)], check_finite=False, driver="evd")
    # U = H[:, keep] @ Q.
    U = np.zeros((K.shape[0], Q.shape[1]))
    U[keep] = Q
    U -= beta * np.outer(v, v[keep] @ Q)
    return np.clip(sigma, 0.0, None), U


class SpectralPath:
    """Leave-one-out and GCV at any ``alpha`` from one eigendecomposition.

    Parameters
    ----------
    U : ndarray of shape (n_samples, rank)
        Orthonormal eigenvectors (of ``X~ X~^T``, or the left singular
        vectors of ``X~``), orthogonal to ``q``.
    sigma : ndarray of shape (rank,)
        Their eigenvalues.
    y : ndarray of shape (n_samples, n_targets)
        Rescaled targets, orthogonal to ``q`` (centred) with an intercept.
    q : ndarray of shape (n_samples,)
        The intercept's unit direction ``sqrt(s) / ||sqrt(s)||`` (zeros
        without intercept).
    weight_sum : float
    n_effective : int
        Samples of positive weight.
    fit_intercept : bool
    """

    def __init__(self, U, sigma, y, q, weight_sum, n_effective, fit_intercept):
        self.U = U
        self.sigma = sigma
        self.Uty = U.T @ y
        self.base = np.clip(1.0 - q**2 - np.einsum("ij,ij->i", U, U), 0.0, None)
        self.y_perp = y - U @ self.Uty
        self.perp_squares = np.einsum("ij,ij->j", self.y_perp, self.y_perp)
        self.weight_sum = weight_sum
        self.n_effective = n_effective
        self.fit_intercept = fit_intercept

    @classmethod
    def from_projections(
        cls, sigma, Uty, perp_squares, weight_sum, n_effective, fit_intercept
    ):
        """A path for GCV only, from ``U^T y`` and ``||y_perp||^2`` (of
        each target): no rows.

        Parameters
        ----------
        sigma : ndarray of shape (rank,)
        Uty : ndarray of shape (rank, n_targets)
        perp_squares : ndarray of shape (n_targets,)
        weight_sum, n_effective, fit_intercept
            As the class takes them.
        """
        path = cls.__new__(cls)
        path.U = None
        path.sigma = sigma
        path.Uty = Uty
        path.perp_squares = perp_squares
        path.weight_sum = weight_sum
        path.n_effective = n_effective
        path.fit_intercept = fit_intercept
        return path

    def _blocks(self):
        """Row slices of ``U``, a block at a time."""
        n, rank = self.U.shape
        step = rows_per_block(max(rank, 1))
        return (slice(s, s + step) for s in range(0, n, step))

    def _path(self, log_alpha, columns):
        alpha = np.exp(np.asarray(log_alpha, dtype=float))
        F = alpha / (self.sigma[:, None] + alpha)
        if columns is None:
            return F, self.Uty, self.y_perp
        return F, self.Uty[:, columns], self.y_perp[:, columns]

    def _path_squares(self, log_alpha, columns):
        alpha = np.exp(np.asarray(log_alpha, dtype=float))
        F = alpha / (self.sigma[:, None] + alpha)
        if columns is None:
            return F, self.Uty, self.perp_squares
        return F, self.Uty[:, columns], self.perp_squares[columns]

    def leave_one_out(self, log_alpha, columns=None, with_grad=True):
        """Leave-one-out error of each target and its derivative.

        Parameters
        ----------
        log_alpha : ndarray of shape (1,) or (n_columns,)
            One shared value, or one per target.
        columns : ndarray of int or None
            Evaluate these targets only.
        with_grad : bool, default=True

        Returns
        -------
        values : ndarray of shape (n_columns,)
        grads : ndarray of shape (1,) or (n_columns,), or None
            Derivative of ``values.sum()`` in a shared ``log(alpha)``, or of
            each target's value in its own.
        """
        F, Uty, y_perp = self._path(log_alpha, columns)
        FUty = F * Uty
        values = 0.0
        # dr = U (dF * U^T y), d om = (U * U) dF: the adjoints U^T r_bar and
        # (U * U)^T om_bar, summed block by block.
        drive = damp = 0.0
        for rows in self._blocks():
            U = self.U[rows]
            U2 = U * U
            residual = U @ FUty
            residual += y_perp[rows]
            om = self.base[rows, None] + U2 @ F
            block_values, residual_bar, om_bar = leave_one_out(
                residual, om, self.weight_sum, with_grad
            )
            values = values + block_values
            if with_grad:
                drive = drive + U.T @ residual_bar
                damp = damp + U2.T @ om_bar
        if not with_grad:
            return values, None
        return values, self._chain(F, drive * Uty + damp)

    def generalized_cross_validation(self, log_alpha, columns=None, with_grad=True):
        """GCV of each target and its derivative (as :meth:`leave_one_out`)."""
        F, Uty, perp_squares = self._path_squares(log_alpha, columns)
        Uty2 = Uty**2
        rss = perp_squares + np.sum(F**2 * Uty2, axis=0)
        constant = self.n_effective - self.fit_intercept - self.sigma.size
        trace = constant + np.sum(F, axis=0)
        values, rss_bar, trace_bar = generalized_cross_validation(
            rss, trace, self.n_effective, self.weight_sum
        )
        if not with_grad:
            return values, None
        # d rss = 2 sum_k F_k Uty_k^2 dF_k, dT = sum_k dF_k.
        return values, self._chain(F, 2.0 * rss_bar * F * Uty2 + trace_bar)

    def one_minus_hat(self, log_alpha):
        """``om = 1 - h`` of every sample at one alpha, shape (n_samples,)."""
        F, _, _ = self._path(np.atleast_1d(log_alpha), None)
        om = self.base.copy()
        for rows in self._blocks():
            om[rows] += (self.U[rows] ** 2) @ F[:, 0]
        return om

    @staticmethod
    def _chain(F, adjoint):
        """``sum_k dF_k / dlog(alpha) adjoint_k``, summed over targets when
        they share ``alpha``."""
        dF = F * (1.0 - F)
        if F.shape[1] == 1:
            return np.atleast_1d(np.sum(dF[:, 0] * adjoint.sum(axis=1)))
        return np.sum(dF * adjoint, axis=0)
