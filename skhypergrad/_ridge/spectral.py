"""The eigendecomposition path: criteria for one scalar alpha per target.

After one eigendecomposition of ``X~^T X~`` (when ``n >= p``) or of
``X~ X~^T`` restricted to the complement of the intercept direction (when
``p > n``), ridge quantities at any ``alpha`` are diagonal in the eigenbasis
(MATH.md section 3). With ``U`` an orthonormal basis of the range of ``X~``
and ``sigma`` the eigenvalues, write ``F = alpha / (sigma + alpha)``:

    r~      = y_perp + U diag(F) U^T y~           (residual, y_perp = y~ - U U^T y~)
    1 - h_i = base_i + sum_k U_ik^2 F_k           (base_i = 1 - q_i^2 - ||U_i||^2)
    tr H~   = sum_k (1 - F_k)

and ``dF/dlog(alpha) = F (1 - F)``. Each evaluation is a few ``n x r`` matrix
products, vectorised over targets that each have their own alpha.
"""

import numpy as np
from scipy import linalg

from .._ridge.design import CentredDesign


def _householder_complement(q):
    """Orthonormal basis of the complement of the unit vector ``q``.

    Returns ``(v, beta, k)`` with the reflector ``H = I - beta v v^T`` mapping
    ``q`` to a multiple of ``e_k``: the columns of ``H`` other than ``k`` span
    the complement of ``q``.
    """
    k = int(np.argmax(np.abs(q)))
    v = q.copy()
    v[k] += np.copysign(1.0, q[k])
    return v, 2.0 / (v @ v), k


def _dual_eigh(design):
    """Eigendecomposition of ``X~ X~^T`` on the complement of ``q``."""
    K = design.kernel()
    if not design.fit_intercept:
        sigma, U = linalg.eigh(K, check_finite=False, driver="evd")
        return np.clip(sigma, 0.0, None), U
    v, beta, k = _householder_complement(design.q)
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


def _primal_eigh(design):
    """Eigendecomposition of ``X~^T X~``, and the left vectors of ``X~``."""
    sigma, V = linalg.eigh(design.gram(), check_finite=False, driver="evd")
    sigma = np.clip(sigma, 0.0, None)
    tol = sigma.max(initial=0.0) * max(design.n_samples, design.n_features)
    keep = sigma > tol * np.finfo(float).eps
    # eigh returns ascending eigenvalues: the kept ones are the last columns.
    first = int(np.argmax(keep)) if keep.any() else sigma.size
    U = design.matmul(V[:, first:])
    U /= np.sqrt(sigma[first:])
    return sigma, V, keep, U


class SpectralBasis:
    """Eigenbasis of a centred design, and ridge solutions at any scalar alpha.

    Parameters
    ----------
    design : CentredDesign
    """

    def __init__(self, design: CentredDesign):
        self.design = design
        self.primal = design.n_features <= design.n_samples
        if self.primal:
            sigma_all, self._V, keep, self.U = _primal_eigh(design)
            self.sigma = sigma_all[keep]
            self._sigma_all = sigma_all
            self._VtXty = self._V.T @ design.rmatmul(design.y)
        else:
            self.sigma, self.U = _dual_eigh(design)
        self.Uty = self.U.T @ design.y

    def coef(self, alpha):
        """Ridge coefficients at ``alpha`` (scalar, or one per target).

        Parameters
        ----------
        alpha : ndarray of shape (1,) or (n_targets,)

        Returns
        -------
        coef : ndarray of shape (n_features, n_targets)
        """
        if self.primal:
            return self._V @ (self._VtXty / (self._sigma_all[:, None] + alpha))
        return self.design.rmatmul(self.U @ (self.Uty / (self.sigma[:, None] + alpha)))


class SpectralLeaveOneOut:
    """Exact leave-one-out (or GCV) error along the eigendecomposition path.

    Parameters
    ----------
    basis : SpectralBasis
    gcv : bool, default=False
        Generalised cross-validation instead of exact leave-one-out.
    """

    def __init__(self, basis: SpectralBasis, gcv=False):
        self.basis = basis
        self.gcv = gcv
        design = basis.design
        U = basis.U
        self._U2 = U * U
        self._base = np.clip(1.0 - design.q**2 - self._U2.sum(axis=1), 0.0, None)
        self._y_perp = design.y - U @ basis.Uty
        self._weight_sum = design.weight_sum

    def __call__(self, log_alpha, with_grad=True, columns=None):
        """Criterion of each target, and its derivative in ``log(alpha)``.

        Parameters
        ----------
        log_alpha : ndarray of shape (1,) or (n_targets,)
            One shared value, or one per target.
        with_grad : bool, default=True
        columns : ndarray of int or None
            Evaluate these targets only (``n_targets`` is then their number).

        Returns
        -------
        values : ndarray of shape (n_targets,)
            Mean (sample-weighted) squared out-of-sample error of each target.
        grads : ndarray of shape (1,) or (n_targets,)
            Derivative of ``values.sum()`` in the shared ``log(alpha)``, or of
            each target's value in its own ``log(alpha)``.
        """
        alpha = np.exp(np.asarray(log_alpha, dtype=float))
        F = alpha / (self.basis.sigma[:, None] + alpha)
        Uty, y_perp = self.basis.Uty, self._y_perp
        if columns is not None:
            Uty, y_perp = Uty[:, columns], y_perp[:, columns]
        if self.gcv:
            return self._gcv(F, Uty, y_perp, with_grad)
        return self._loo(F, Uty, y_perp, with_grad)

    def _loo(self, F, Uty, y_perp, with_grad):
        om = self._base[:, None] + self._U2 @ F
        np.maximum(om, 1e-12, out=om)
        e = self.basis.U @ (F * Uty)
        e += y_perp
        e /= om  # e_i = r_i / (1 - h_i), in place of the residual r
        values = np.einsum("ij,ij->j", e, e) / self._weight_sum
        if not with_grad:
            return values, None
        # de_i = dr_i / om_i - r_i dom_i / om_i^2 (MATH.md section 2).
        dF = F * (1.0 - F)
        u = e / om
        v = e * u
        if F.shape[1] == 1:
            drive = np.einsum("kj,kj->k", self.basis.U.T @ u, Uty)[:, None]
            damp = self._U2.T @ v.sum(axis=1, keepdims=True)
        else:
            drive = (self.basis.U.T @ u) * Uty
            damp = self._U2.T @ v
        grads = 2.0 / self._weight_sum * np.sum(dF * (drive - damp), axis=0)
        return values, grads

    def _gcv(self, F, Uty, y_perp, with_grad):
        design = self.basis.design
        n_eff = design.n_effective
        Uty2 = Uty**2
        rss = np.sum(y_perp**2, axis=0) + np.sum(F**2 * Uty2, axis=0)
        trace = n_eff - design.fit_intercept - np.sum(1.0 - F, axis=0)
        scale = n_eff**2 / self._weight_sum
        values = scale * rss / trace**2
        if not with_grad:
            return values, None
        dF = F * (1.0 - F)
        d_rss = 2.0 * np.sum(F * dF * Uty2, axis=0)
        d_trace = np.sum(dF, axis=0)
        grads = scale * (d_rss / trace**2 - 2.0 * rss * d_trace / trace**3)
        if F.shape[1] == 1:
            grads = np.atleast_1d(grads.sum())
        return values, grads


class SpectralKFold:
    """Held-out / k-fold error along each fold's eigendecomposition path.

    Parameters
    ----------
    folds : list of Fold
        Training design and centred validation data of each split.
    """

    def __init__(self, folds):
        self._parts = []
        self._weight_sum = sum(fold.val_weight.sum() for fold in folds)
        for fold in folds:
            basis = SpectralBasis(fold.design)
            # Validation predictions: y_offset + P diag(1 / (sigma + alpha)) U^T y~.
            P = fold.val_X.matmul(fold.design.rmatmul(basis.U))
            self._parts.append((basis.sigma, basis.Uty, P, fold))

    def __call__(self, log_alpha, with_grad=True, columns=None):
        """Criterion of each target and its derivative in ``log(alpha)``.

        Same conventions as :meth:`SpectralLeaveOneOut.__call__`.
        """
        alpha = np.exp(np.asarray(log_alpha, dtype=float))
        values = 0.0
        grads = 0.0
        for sigma, Uty, P, fold in self._parts:
            val_y = fold.val_y
            if columns is not None:
                Uty, val_y = Uty[:, columns], val_y[:, columns]
            D = 1.0 / (sigma[:, None] + alpha)
            residual = val_y - P @ (D * Uty)
            weighted = fold.val_weight[:, None] * residual
            values = values + np.einsum("ij,ij->j", weighted, residual)
            if with_grad:
                dD = -alpha * D**2
                drive = (P.T @ weighted) * Uty
                if alpha.shape[0] == 1:
                    drive = drive.sum(axis=1, keepdims=True)
                grads = grads - 2.0 * np.sum(dD * drive, axis=0)
        values = values / self._weight_sum
        if not with_grad:
            return values, None
        return values, grads / self._weight_sum
