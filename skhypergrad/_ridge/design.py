"""Weighted centring and row rescaling of a linear least-squares problem.

With sample weights ``s`` and an unpenalised intercept, ridge regression on
``(X, y)`` is ridge regression without intercept on the centred, rescaled data

    X~ = diag(sqrt(s)) (X - 1 x_offset^T),   y~ = diag(sqrt(s)) (y - 1 y_offset^T),

where the offsets are the ``s``-weighted means (as scikit-learn does; the
maths page, "The ridge model"). The hat matrix of the full problem is
``q q^T + H~`` with the unit vector ``q = sqrt(s) / ||sqrt(s)||``, orthogonal
to the columns of ``X~``.

Sparse ``X`` is never densified: ``X~`` stays implicit and only its products are
formed. Dense float32 ``X`` is not copied either: its products are formed in
float64 block by block (:mod:`skhypergrad._ridge.rows`), and neither is tall
dense ``X`` given with its sufficient statistics
(:mod:`skhypergrad._ridge.statistics`), whose Gram matrix and offsets come
from them.
"""

import copy

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs import mean_variance_axis

from .moment_design import MomentDesign
from .rows import BlockRows, centred_rows, weighted_column_sum


class CentredDesign:
    """The centred, rescaled design ``X~`` and targets ``y~``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,)
    fit_intercept : bool
    moments : Moments or None
        The sufficient statistics of all the rows of dense ``X``: the
        offsets and the Gram matrix come from them, and the rows are centred
        block by block when a product needs them, never copied.
    """

    def __init__(self, X, y, sample_weight, fit_intercept, moments=None):
        self.sparse = sp.issparse(X)
        self.n_samples, self.n_features = X.shape
        self.sample_weight = sample_weight
        self.weight_sum = float(sample_weight.sum())
        self.n_effective = int(np.count_nonzero(sample_weight))
        self.sqrt_sw = np.sqrt(sample_weight)
        self.fit_intercept = fit_intercept
        self._gram = self._cross = None
        self.from_moments = moments is not None
        if self.from_moments:
            statistics = MomentDesign(moments, fit_intercept)
            self.x_offset, self.y_offset = statistics.x_offset, statistics.y_offset
            self._gram, self._cross = statistics.gram(), statistics.cross()
            self.q = self.sqrt_sw / np.sqrt(self.weight_sum) * fit_intercept
        elif fit_intercept:
            column_sum = (
                np.asarray(X.T @ sample_weight).ravel()
                if self.sparse
                else weighted_column_sum(X, sample_weight)
            )
            self.x_offset = column_sum / self.weight_sum
            self.y_offset = sample_weight @ y / self.weight_sum
            self.q = self.sqrt_sw / np.sqrt(self.weight_sum)
        else:
            self.x_offset = np.zeros(self.n_features)
            self.y_offset = np.zeros(y.shape[1])
            self.q = np.zeros(self.n_samples)
        self.y = self.sqrt_sw[:, None] * (y - self.y_offset)
        unit_weights = bool(np.all(sample_weight == 1.0))
        if self.sparse:  # float64: its products take float64 weights
            self._X = sp.csr_matrix(X, dtype=np.float64)
        else:
            rows = centred_rows if moments is None else BlockRows
            self._X = rows(
                X,
                self.x_offset if fit_intercept else None,
                None if unit_weights else self.sqrt_sw,
            )

    @property
    def primal(self):
        """Whether to solve in feature space (``p x p``) rather than sample
        space: when the features are no more than the rank the rows can
        have, ``n_eff - 1`` with an intercept (centring removes one). A
        square design with an intercept is rank-deficient in feature space,
        where tiny penalties would make the primal system singular."""
        return self.n_features <= self.n_effective - int(self.fit_intercept)

    @property
    def n_targets(self):
        return self.y.shape[1]

    def with_targets(self, columns):
        """Return a shallow copy restricted to some target columns."""
        view = copy.copy(self)
        view.y = self.y[:, columns]
        view.y_offset = self.y_offset[columns]
        if self._cross is not None:
            view._cross = self._cross[:, columns]
        return view

    def cross(self):
        """Return ``X~.T @ y~``, of shape (n_features, n_targets) (made once)."""
        if self._cross is None:
            self._cross = self.rmatmul(self.y)
        return self._cross

    def target_squares(self):
        """Return ``y~.T @ y~`` of each target."""
        return np.einsum("ij,ij->j", self.y, self.y)

    def matmul(self, V):
        """Return ``X~ @ V`` for a dense ``V`` of shape (n_features, k)."""
        if not self.sparse:
            return self._X.matmul(V)
        XV = np.asarray(self._X @ V) - self.x_offset @ V
        return self.sqrt_sw.reshape(-1, *([1] * (XV.ndim - 1))) * XV

    def rmatmul(self, U):
        """Return ``X~.T @ U`` for a dense ``U`` of shape (n_samples, k)."""
        if not self.sparse:
            return self._X.rmatmul(U)
        scaled = self.sqrt_sw.reshape(-1, *([1] * (U.ndim - 1))) * U
        XtU = np.asarray(self._X.T @ scaled)
        return XtU - np.multiply.outer(self.x_offset, scaled.sum(axis=0))

    def gram(self):
        """Return ``X~.T @ X~``, of shape (n_features, n_features).

        Computed once: the eigen path and the Cholesky path share it. Callers
        must not modify it.
        """
        if self._gram is None:
            if not self.sparse:
                self._gram = self._X.gram()
            else:
                XtSX = (self._X.T @ sp.diags(self.sample_weight) @ self._X).toarray()
                outer = np.outer(self.x_offset, self.x_offset)
                self._gram = XtSX - self.weight_sum * outer
        return self._gram

    def kernel(self, feature_scale=None):
        """Return ``X~ diag(feature_scale) X~.T``, of shape (n_samples, n_samples)."""
        if not self.sparse:
            return self._X.outer(feature_scale)
        scale = np.ones(self.n_features) if feature_scale is None else feature_scale
        scaled = self._X @ sp.diags(scale)
        K = (scaled @ self._X.T).toarray()
        u = np.asarray(scaled @ self.x_offset).ravel()
        c = self.x_offset @ (scale * self.x_offset)
        K += c - u[:, None] - u[None, :]
        return self.sqrt_sw[:, None] * K * self.sqrt_sw[None, :]

    def column_norms_squared(self):
        """Return the squared norm of each column of ``X~``."""
        if isinstance(self._X, BlockRows) and self._gram is not None:
            return np.diag(self._gram).copy()
        if not self.sparse:
            return self._X.column_squares()
        if self.fit_intercept:  # centred per column: no cancellation
            _, variance = mean_variance_axis(self._X, 0, weights=self.sample_weight)
            return variance * self.weight_sum
        return np.asarray(self._X.multiply(self._X).T @ self.sample_weight).ravel()

    def mean_square(self):
        """The mean over features of ``||X~_j||^2 / sum(s)``: the (weighted)
        variance of the features, or their mean square without an intercept;
        the scale of alpha."""
        if self.sparse or self._gram is not None:
            total = self.column_norms_squared().sum()
        else:
            total = self._X.column_squares().sum()
        return float(total) / (self.weight_sum * self.n_features)

    def row_dots(self, B):
        """Return ``rowsum(X~ * B)`` for a dense ``B`` of the shape of ``X``."""
        if not self.sparse:
            return self._X.row_dots(B)
        XB = np.asarray(self._X.multiply(B).sum(axis=1)).ravel()
        return self.sqrt_sw * (XB - B @ self.x_offset)

    def centre(self, X):
        """Return new rows centred with the training offsets (not rescaled)."""
        return CentredRows(X, self.x_offset)


class CentredRows:
    """Rows ``X - 1 offset^T`` kept implicit, so that sparse ``X`` stays sparse.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_rows, n_features)
    offset : ndarray of shape (n_features,)
    """

    def __init__(self, X, offset):
        self.sparse = sp.issparse(X)
        self._X = sp.csr_matrix(X) if self.sparse else centred_rows(X, offset)
        self.offset = offset

    def matmul(self, V):
        """Return ``(X - 1 offset^T) @ V``."""
        if not self.sparse:
            return self._X.matmul(V)
        return np.asarray(self._X @ V) - self.offset @ V

    def rmatmul(self, U):
        """Return ``(X - 1 offset^T).T @ U``."""
        if not self.sparse:
            return self._X.rmatmul(U)
        return np.asarray(self._X.T @ U) - np.multiply.outer(self.offset, U.sum(axis=0))
