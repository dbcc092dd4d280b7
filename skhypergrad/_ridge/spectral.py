"""The eigendecomposition path: criteria for one scalar alpha per target.

After one eigendecomposition of ``X~^T X~`` (when ``n >= p``) or of
``X~ X~^T`` restricted to the complement of the intercept direction (when
``p > n``), ridge quantities at any ``alpha`` are diagonal in the eigenbasis;
the leave-one-out and GCV criteria along that path are
:class:`skhypergrad._core.spectral.SpectralPath`'s. Each evaluation is a few
``n x r`` matrix products, vectorised over targets that each have their own
alpha. k-fold and held-out errors diagonalise each training split in the same
way.
"""

import numpy as np
from scipy import linalg

from .._core.criterion import Criterion, PerTargetCriterion
from .._core.selection import validation_squared_error
from .._core.spectral import SpectralPath, eigh_on_complement
from .design import CentredDesign


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
        self.primal = design.primal
        if self.primal:
            sigma_all, V, keep, self.U = _primal_eigh(design)
            self.sigma = sigma_all[keep]
            # The coefficients live in the kept eigenvectors: the dropped
            # ones are the null space of X~ (to rounding), where the ridge
            # solution has no component at any alpha.
            self._V = V[:, keep]
            self._VtXty = self._V.T @ design.rmatmul(design.y)
        else:
            q = design.q if design.fit_intercept else None
            self.sigma, self.U = eigh_on_complement(design.kernel(), q)
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
            return self._V @ (self._VtXty / (self.sigma[:, None] + alpha))
        return self.design.rmatmul(self.U @ (self.Uty / (self.sigma[:, None] + alpha)))


class SpectralLeaveOneOut(PerTargetCriterion):
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
        self.n_targets = design.y.shape[1]
        self.path = SpectralPath(
            basis.U,
            basis.sigma,
            design.y,
            design.q,
            design.weight_sum,
            design.n_effective,
            design.fit_intercept,
        )

    def values_and_grads(self, log_alpha, columns=None, with_grad=True):
        """Criterion of each target, and its derivative in ``log(alpha)``.

        Parameters
        ----------
        log_alpha : ndarray of shape (1,) or (n_targets,)
            One shared value, or one per target.
        columns : ndarray of int or None
            Evaluate these targets only (``n_targets`` is then their number).
        with_grad : bool, default=True

        Returns
        -------
        values : ndarray of shape (n_targets,)
            Mean (sample-weighted) squared out-of-sample error of each target.
        grads : ndarray of shape (1,) or (n_targets,)
            Derivative of ``values.sum()`` in the shared ``log(alpha)``, or of
            each target's value in its own ``log(alpha)``.
        """
        path = self.path
        criterion = (
            path.generalized_cross_validation if self.gcv else path.leave_one_out
        )
        return criterion(log_alpha, columns, with_grad)

    def scan(self, points):
        """Every target's criterion at each shared alpha of ``points``."""
        return scan_shared(self, points)


class SpectralKFold(PerTargetCriterion):
    """Held-out / k-fold error along each fold's eigendecomposition path.

    Parameters
    ----------
    folds : list of Fold
        Training design and centred validation data of each split.
    """

    def __init__(self, folds):
        self._parts = []
        self._weight_sum = sum(fold.val_weight.sum() for fold in folds)
        self.n_targets = folds[0].val_y.shape[1]
        for fold in folds:
            basis = SpectralBasis(fold.design)
            # Validation predictions: y_offset + P diag(1 / (sigma + alpha)) U^T y~.
            P = fold.val_X.matmul(fold.design.rmatmul(basis.U))
            self._parts.append((basis.sigma, basis.Uty, P, fold))

    def values_and_grads(self, log_alpha, columns=None, with_grad=True):
        """Criterion of each target and its derivative in ``log(alpha)``.

        Same conventions as :meth:`SpectralLeaveOneOut.values_and_grads`.
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
            split_values, weighted = validation_squared_error(residual, fold.val_weight)
            values = values + split_values
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

    def scan(self, points):
        """Every target's criterion at each shared alpha of ``points``."""
        return scan_shared(self, points)


def scan_shared(criterion, points):
    """``(n_points, n_targets)`` values of a per-target criterion with all
    targets at the same ``log(alpha)``, one point after the other."""
    return np.array(
        [criterion.values_and_grads(np.array([p]), with_grad=False)[0] for p in points]
    )


class SharedAlphaCriterion(Criterion):
    """One alpha shared by all features and targets, on a spectral criterion:
    the mean over targets.

    Parameters
    ----------
    spectral : SpectralLeaveOneOut or SpectralKFold
    """

    def __init__(self, spectral):
        self.spectral = spectral

    def value_and_grad(self, theta):
        """Mean criterion over targets and its derivative in ``log(alpha)``."""
        values, grads = self.spectral.values_and_grads(np.atleast_1d(theta)[:1])
        n_targets = values.shape[0]
        return values.mean(), grads[:1] / n_targets

    def scan(self, points):
        """Criterion at each point of a 1-D grid of log-alphas.

        With one target, the spectral formulas take one alpha per column, so
        the whole grid costs one pass over the eigenvectors.
        """
        points = np.asarray(points, dtype=float)
        if self.spectral.n_targets == 1:
            return self.spectral.values_and_grads(points, with_grad=False)[0]
        return scan_shared(self.spectral, points).mean(axis=1)
