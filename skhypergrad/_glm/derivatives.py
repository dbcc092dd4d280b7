"""The second and third derivatives of a loss with several outputs.

A loss with ``K`` outputs (the softmax of ``K`` classes) has, at every sample,
a ``K x K`` second derivative and a ``K x K x K`` third one. Newton's method
and approximate leave-one-out only ever need a few products with them, which
a loss can give far more cheaply than the dense arrays: :class:`SecondDerivative`
and :class:`ThirdDerivative` declare those products. :class:`DenseSecondDerivative`
and :class:`DenseThirdDerivative` hold the dense arrays (any loss can return
them); the softmax has its own ``O(K)`` and ``O(K^2)`` per sample forms.
"""

import numpy as np
import scipy.sparse as sp


def weighted_gram(X1, weights, dtype=np.float64):
    """Return ``X1^T diag(weights) X1`` as a dense array, computed in
    ``dtype`` (float32 for a preconditioner: half the time of float64)."""
    if sp.issparse(X1):
        gram = np.asarray((X1.T @ X1.multiply(weights[:, None])).todense())
        return gram.astype(dtype, copy=False)
    if np.all(weights >= 0):
        # A.T @ A of one buffer is a symmetric rank-k update: half the work.
        scaled = (X1 * np.sqrt(weights)[:, None]).astype(dtype, copy=False)
        return scaled.T @ scaled
    return X1.T @ (X1 * weights[:, None]).astype(dtype, copy=False)


class SecondDerivative:
    """Second derivative (``K x K``) of a loss at every sample.

    Subclasses implement :meth:`apply` and :meth:`__array__`; the other
    products have generic forms from those.
    """

    def apply(self, U):
        """The second derivative of sample ``i`` times ``u_i``, for every row
        ``u_i`` of ``U`` (n_samples, K)."""
        raise NotImplementedError

    def __array__(self, dtype=None, copy=None):
        """The ``(n_samples, K, K)`` array."""
        raise NotImplementedError

    def diagonal(self):
        """The diagonals of the ``K x K`` matrices, shape (n_samples, K)."""
        return np.einsum("ikk->ik", np.asarray(self))

    def take(self, rows):
        """The second derivative of the samples ``rows``."""
        return DenseSecondDerivative(np.asarray(self)[rows])

    def weighted(self, weights, dtype=np.float64):
        """The second derivative of every sample times its weight, whose
        :meth:`apply` is what a Hessian product needs (computed in ``dtype``
        where the loss can)."""
        return DenseSecondDerivative(weights[:, None, None] * np.asarray(self))

    def weighted_gram(self, X1, weights, dtype=np.float64):
        """``sum_i weights_i D_i kron x_i x_i^T`` (``D_i`` the second
        derivative of sample ``i``), class-major blocks of shape (K q, K q),
        from one weighted Gram matrix per pair of classes (in ``dtype``)."""
        dense = np.asarray(self)
        K, q = dense.shape[1], X1.shape[1]
        gram = np.empty((K * q, K * q), dtype=dtype)
        for k in range(K):
            for m in range(k, K):
                block = weighted_gram(X1, weights * dense[:, k, m], dtype)
                gram[k * q : (k + 1) * q, m * q : (m + 1) * q] = block
                gram[m * q : (m + 1) * q, k * q : (k + 1) * q] = block.T
        return gram


class DenseSecondDerivative(SecondDerivative):
    """A :class:`SecondDerivative` held as its ``(n_samples, K, K)`` array."""

    def __init__(self, array):
        self.array = np.asarray(array, dtype=float)

    def apply(self, U):
        """The second derivative of each sample times its row of ``U``."""
        return np.einsum("ikm,im->ik", self.array, U)

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)


class ThirdDerivative:
    """Third derivative (``K x K x K``, symmetric) of a loss at every sample."""

    def contract(self, C):
        """``sum_kl T_iklm C_ikl`` of every sample ``i`` (``T_i`` its third
        derivative), shape (n_samples, K)."""
        raise NotImplementedError

    def __array__(self, dtype=None, copy=None):
        """The ``(n_samples, K, K, K)`` array."""
        raise NotImplementedError


class DenseThirdDerivative(ThirdDerivative):
    """A :class:`ThirdDerivative` held as its ``(n_samples, K, K, K)`` array."""

    def __init__(self, array):
        self.array = np.asarray(array, dtype=float)

    def contract(self, C):
        """``sum_kl T_iklm C_ikl`` of every sample."""
        return np.einsum("iklm,ikl->im", self.array, C)

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)


class SoftmaxSecondDerivative(SecondDerivative):
    """Second derivative ``diag(p) - p p^T`` of the softmax log-loss of every
    sample, held as its probabilities ``P`` of shape (n_samples, K).

    What Newton's method needs of it costs ``O(K)`` per sample
    (:meth:`apply`, :meth:`diagonal`) or one symmetric product
    (:meth:`weighted_gram`); ``np.asarray`` builds the ``(n_samples, K, K)``
    array.

    Parameters
    ----------
    P : ndarray of shape (n_samples, K)
    """

    def __init__(self, P):
        self.P = P

    def apply(self, U):
        """``(diag(p_i) - p_i p_i^T) u_i`` of every row ``u_i`` of ``U``."""
        P = self.P
        return P * (U - np.einsum("ik,ik->i", P, U)[:, None])

    def diagonal(self):
        """``p_ik (1 - p_ik)``, of shape (n_samples, K)."""
        return self.P * (1.0 - self.P)

    def take(self, rows):
        """The second derivative of the samples ``rows``."""
        return SoftmaxSecondDerivative(self.P[rows])

    def weighted(self, weights, dtype=np.float64):
        """``weights_i (diag(p_i) - p_i p_i^T)`` of every sample, applied in
        ``dtype`` (float32 for the products of a loose solve: half the bytes
        to read)."""
        return WeightedSoftmaxSecondDerivative(self.P, weights, dtype)

    def weighted_gram(self, X1, weights, dtype=np.float64):
        """``sum_i weights_i (diag(p_i) - p_i p_i^T) kron x_i x_i^T``, class-major
        (by blocks for a sparse ``X1``), computed in ``dtype``.

        The ``diag(p)`` part is block diagonal (one weighted Gram matrix per
        class) and the ``p p^T`` part is ``V^T V`` with ``V = [sqrt(s) p_k x]_k``:
        one symmetric product instead of ``K (K + 1) / 2`` blocks.
        """
        if sp.issparse(X1):
            return super().weighted_gram(X1, weights, dtype)
        P = self.P
        n, q = X1.shape
        K = P.shape[1]
        X1 = X1.astype(dtype, copy=False)
        root = np.sqrt(weights)[:, None]
        V = ((root * P).astype(dtype)[:, :, None] * X1[:, None, :]).reshape(n, K * q)
        gram = V.T @ V
        gram *= -1.0
        for k in range(K):
            scaled = X1 * np.sqrt(weights * P[:, k]).astype(dtype)[:, None]
            gram[k * q : (k + 1) * q, k * q : (k + 1) * q] += scaled.T @ scaled
        return gram

    def __array__(self, dtype=None, copy=None):
        P = self.P
        dense = P[:, :, None] * (np.eye(P.shape[1]) - P[:, None, :])
        return dense if dtype is None else dense.astype(dtype)


class WeightedSoftmaxSecondDerivative:
    """``s_i (diag(p_i) - p_i p_i^T)`` of every sample, for its products:
    ``(s_i p_i) * (u_i - p_i^T u_i)``, with ``P`` and ``s P`` kept in
    ``dtype``.

    Parameters
    ----------
    P : ndarray of shape (n_samples, K)
    weights : ndarray of shape (n_samples,)
    dtype : numpy dtype
    """

    def __init__(self, P, weights, dtype):
        self.P = P.astype(dtype, copy=False)
        self.weighted_P = (weights[:, None] * P).astype(dtype)

    def apply(self, U):
        """``s_i (diag(p_i) - p_i p_i^T) u_i`` of every row ``u_i`` of ``U``."""
        return self.weighted_P * (U - np.einsum("ik,ik->i", self.P, U)[:, None])


class SoftmaxThirdDerivative(ThirdDerivative):
    """Third derivative of the softmax log-loss of every sample, held as its
    probabilities ``P`` of shape (n_samples, K).

    Differentiating ``l''_kl = [k=l] p_k - p_k p_l`` with
    ``dp_k / dz_m = p_k ([k=m] - p_m)`` gives the symmetric tensor
    ``T_klm = [k=l=m] p_k - [k=l] p_k p_m - [k=m] p_k p_l - [l=m] p_k p_l
    + 2 p_k p_l p_m``. :meth:`contract` applies it to a matrix in ``O(K^2)``
    per sample; ``np.asarray`` builds the ``(n_samples, K, K, K)`` tensor.

    Parameters
    ----------
    P : ndarray of shape (n_samples, K)
    """

    def __init__(self, P):
        self.P = P

    def contract(self, C):
        """``sum_kl T_klm C_kl`` of every sample.

        Parameters
        ----------
        C : ndarray of shape (n_samples, K, K)

        Returns
        -------
        ndarray of shape (n_samples, K)
        """
        P = self.P
        diagonal = np.einsum("ikk->ik", C)
        rows = np.einsum("ikl,il->ik", C, P)  # C p
        columns = np.einsum("ikl,ik->il", C, P)  # C^T p
        scalar = np.einsum("ik,ik->i", diagonal, P) - 2.0 * np.einsum(
            "ik,ik->i", rows, P
        )
        return P * (diagonal - rows - columns - scalar[:, None])

    def __array__(self, dtype=None, copy=None):
        P = self.P
        eye = np.eye(P.shape[1])
        outer = P[:, :, None] * P[:, None, :]
        T = 2.0 * outer[:, :, :, None] * P[:, None, None, :]
        T -= eye[None, :, :, None] * outer[:, :, None, :]  # [k=l] p_k p_m
        T -= eye[None, :, None, :] * outer[:, :, :, None]  # [k=m] p_k p_l
        T -= eye[None, None, :, :] * outer[:, :, :, None]  # [l=m] p_k p_l
        index = np.arange(P.shape[1])
        T[:, index, index, index] += P  # [k=l=m] p_k
        return T if dtype is None else T.astype(dtype)
