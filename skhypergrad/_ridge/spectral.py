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
from .._core.spectral import SpectralPath, eigh_on_complement


def _primal_eigh(gram, n_samples):
    """Eigendecomposition of ``X~^T X~``: the eigenvalues above rounding and
    their eigenvectors."""
    sigma, V = linalg.eigh(gram, check_finite=False, driver="evd")
    sigma = np.clip(sigma, 0.0, None)
    tol = sigma.max(initial=0.0) * max(n_samples, gram.shape[0])
    keep = sigma > tol * np.finfo(float).eps
    return sigma[keep], V[:, keep]


class SpectralBasis:
    """Eigenbasis of a centred design, and ridge solutions at any scalar alpha.

    The coefficients at ``alpha`` are ``M (t / (sigma + alpha))``: in the
    primal, ``M = V`` (the eigenvectors of ``X~^T X~`` above rounding) and
    ``t = V^T X~^T y~``, from the Gram matrix alone; in the dual, ``M = X~^T
    U`` and ``t = U^T y~``. The left vectors ``U = X~ V diag(sigma)^(-1/2)``
    that leave-one-out needs in the primal are one product with the rows,
    made when first asked for.

    Parameters
    ----------
    design : CentredDesign or MomentDesign
    """

    def __init__(self, design):
        self.design = design
        self.primal = design.primal
        self._U = None
        if self.primal:
            # The coefficients live in the kept eigenvectors: the dropped
            # ones are the null space of X~ (to rounding), where the ridge
            # solution has no component at any alpha.
            self.sigma, self._map = _primal_eigh(design.gram(), design.n_samples)
            self.projected = self._map.T @ design.cross()
        else:
            q = design.q if design.fit_intercept else None
            self.sigma, self._U = eigh_on_complement(design.kernel(), q)
            self.projected = self._U.T @ design.y
            self._map = None

    @property
    def U(self):
        """Orthonormal left vectors, of shape (n_samples, rank)."""
        if self._U is None:
            self._U = self.design.matmul(self._map / np.sqrt(self.sigma))
        return self._U

    @property
    def Uty(self):
        """``U^T y~``, of shape (rank, n_targets)."""
        if self.primal:
            return self.projected / np.sqrt(self.sigma)[:, None]
        return self.projected

    def coef_map(self):
        """``M``, of shape (n_features, rank): the coefficients are
        ``M (projected / (sigma + alpha))``."""
        if self._map is None:
            self._map = self.design.rmatmul(self._U)
        return self._map

    def coef(self, alpha):
        """Ridge coefficients at ``alpha`` (scalar, or one per target).

        Parameters
        ----------
        alpha : ndarray of shape (1,) or (n_targets,)

        Returns
        -------
        coef : ndarray of shape (n_features, n_targets)
        """
        return self.coef_map() @ (self.projected / (self.sigma[:, None] + alpha))


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
        self.n_targets = design.n_targets
        if gcv and basis.primal and design.from_moments:
            # GCV needs ||y_perp||^2 = ||y~||^2 - ||U^T y~||^2, not U.
            Uty = basis.Uty
            perp_squares = design.target_squares() - np.sum(Uty**2, axis=0)
            self.path = SpectralPath.from_projections(
                basis.sigma,
                Uty,
                np.maximum(perp_squares, 0.0),
                design.weight_sum,
                design.n_effective,
                design.fit_intercept,
            )
            return
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


class SpectralKFold(PerTargetCriterion):
    """Held-out / k-fold error along each fold's eigendecomposition path.

    Parameters
    ----------
    folds : list of Fold or MomentFold
        Training design and centred validation data (rows or sums) of each
        split.
    """

    def __init__(self, folds):
        self._parts = []
        self._weight_sum = sum(fold.validation.weight_sum for fold in folds)
        self.n_targets = folds[0].validation.n_targets
        for fold in folds:
            basis = SpectralBasis(fold.design)
            # Validation predictions: y_offset + P diag(1 / (sigma + alpha)) t,
            # with P the validation rows times the basis's map M.
            validation = fold.validation.project(basis.coef_map())
            self._parts.append((basis.sigma, basis.projected, validation))

    def values_and_grads(self, log_alpha, columns=None, with_grad=True):
        """Criterion of each target and its derivative in ``log(alpha)``.

        Same conventions as :meth:`SpectralLeaveOneOut.values_and_grads`.
        """
        alpha = np.exp(np.asarray(log_alpha, dtype=float))
        values = 0.0
        grads = 0.0
        for sigma, projected, validation in self._parts:
            if columns is not None:
                projected = projected[:, columns]
                validation = validation.with_targets(columns)
            D = 1.0 / (sigma[:, None] + alpha)
            split_values, gradient = validation.squared_error(D * projected)
            values = values + split_values
            if with_grad:
                dD = -alpha * D**2
                drive = gradient * projected
                if alpha.shape[0] == 1:
                    drive = drive.sum(axis=1, keepdims=True)
                grads = grads - 2.0 * np.sum(dD * drive, axis=0)
        values = values / self._weight_sum
        if not with_grad:
            return values, None
        return values, grads / self._weight_sum


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
        return self.spectral.scan(points).mean(axis=1)
