"""Smooth per-sample losses in the linear predictor ``z``, with derivatives.

Each loss gives, per sample, the training loss ``l(y, z)`` and its first three
derivatives in ``z`` (the third for the gradient of approximate leave-one-out),
and the selection criterion ``c(y, z)`` with its derivative. MATH.md sections 1
and 6. Training criteria are ``sum_i s_i l(y_i, z_i) + 1/2 sum_j lam_j w_j^2``.
"""

import numpy as np
from scipy.special import expit, xlogy


class SquaredLoss:
    """``l = (y - z)^2``; criterion: squared error (ridge, ``lam = 2 alpha``)."""

    name = "squared error"

    def value(self, y, z):
        """Return ``l`` per sample."""
        return (z - y) ** 2

    def derivatives(self, y, z):
        """Return ``l, l', l'', l'''`` per sample."""
        r = z - y
        return r**2, 2.0 * r, np.full_like(z, 2.0), np.zeros_like(z)

    def criterion(self, y, z):
        """Selection criterion per sample and its derivative in ``z``."""
        r = z - y
        return r**2, 2.0 * r


class BinaryLogLoss:
    """``l = log(1 + exp(z)) - y z`` with ``y`` in {0, 1}; criterion: log-loss."""

    name = "log-loss"

    def value(self, y, z):
        """Return ``l`` per sample."""
        return np.logaddexp(0.0, z) - y * z

    def derivatives(self, y, z):
        """Return ``l, l', l'', l'''`` per sample."""
        p = expit(z)
        value = np.logaddexp(0.0, z) - y * z
        d2 = p * (1.0 - p)
        return value, p - y, d2, d2 * (1.0 - 2.0 * p)

    def criterion(self, y, z):
        """Selection criterion per sample and its derivative in ``z``."""
        return np.logaddexp(0.0, z) - y * z, expit(z) - y


class PoissonLoss:
    """``l = exp(z) - y z`` (log link); criterion: Poisson deviance.

    The deviance is ``2 (y log(y / mu) - y + mu)`` with ``mu = exp(z)``, as
    :func:`sklearn.metrics.mean_poisson_deviance`.
    """

    name = "Poisson deviance"

    def value(self, y, z):
        """Return ``l`` per sample."""
        return np.exp(z) - y * z

    def derivatives(self, y, z):
        """Return ``l, l', l'', l'''`` per sample."""
        mu = np.exp(z)
        return mu - y * z, mu - y, mu, mu

    def criterion(self, y, z):
        """Selection criterion per sample and its derivative in ``z``."""
        mu = np.exp(z)
        deviance = 2.0 * (xlogy(y, y) - y * z - y + mu)
        return deviance, 2.0 * (mu - y)


class MultinomialLogLoss:
    """``l = logsumexp(z) - z_y`` over ``K`` classes (softmax, symmetric
    parametrisation as scikit-learn); criterion: log-loss. ``y`` holds the
    class indices; the second derivative is the ``K x K`` matrix
    ``diag(p) - p p^T`` of each sample.

    Parameters
    ----------
    n_classes : int
    """

    name = "log-loss"

    def __init__(self, n_classes):
        self.n_outputs = n_classes

    def value(self, y, Z):
        """Return ``l`` per sample (no probabilities, no derivatives)."""
        return _row_logsumexp(Z) - Z[np.arange(len(y)), y]

    def derivatives(self, y, Z):
        """Return the loss and its first three derivatives per sample.

        Returns
        -------
        value : ndarray of shape (n_samples,)
        d1 : ndarray of shape (n_samples, K)
            ``p - e_y``.
        d2 : SoftmaxCurvature
            The ``K x K`` matrices ``diag(p) - p p^T``, held as ``p``.
        d3 : SoftmaxThirdDerivative
            The ``(n_samples, K, K, K)`` tensor, held as ``p``.
        """
        value, P = self._value_and_proba(y, Z)
        d1 = P.copy()
        d1[np.arange(len(y)), y] -= 1.0
        return value, d1, SoftmaxCurvature(P), SoftmaxThirdDerivative(P)

    def criterion(self, y, Z):
        """Selection criterion per sample and its derivative in ``Z``."""
        value, P = self._value_and_proba(y, Z)
        P[np.arange(len(y)), y] -= 1.0
        return value, P

    @staticmethod
    def _value_and_proba(y, Z):
        lse = _row_logsumexp(Z)
        return lse - Z[np.arange(len(y)), y], np.exp(Z - lse[:, None])


class SoftmaxCurvature:
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

    def weighted_gram(self, X1, weights):
        """``sum_i weights_i (diag(p_i) - p_i p_i^T) kron x_i x_i^T``, class-major,
        for a dense ``X1``.

        The ``diag(p)`` part is block diagonal (one weighted Gram matrix per
        class) and the ``p p^T`` part is ``V^T V`` with ``V = [sqrt(s) p_k x]_k``:
        one symmetric product instead of ``K (K + 1) / 2`` blocks.
        """
        P = self.P
        n, q = X1.shape
        K = P.shape[1]
        root = np.sqrt(weights)[:, None]
        V = ((root * P)[:, :, None] * X1[:, None, :]).reshape(n, K * q)
        gram = -(V.T @ V)
        for k in range(K):
            scaled = X1 * np.sqrt(weights * P[:, k])[:, None]
            gram[k * q : (k + 1) * q, k * q : (k + 1) * q] += scaled.T @ scaled
        return gram

    def __array__(self, dtype=None, copy=None):
        P = self.P
        dense = P[:, :, None] * (np.eye(P.shape[1]) - P[:, None, :])
        return dense if dtype is None else dense.astype(dtype)


class SoftmaxThirdDerivative:
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


def _row_logsumexp(Z):
    """``log(sum(exp(Z), axis=1))`` without overflow: a plain NumPy version of
    :func:`scipy.special.logsumexp`, whose overhead shows in Newton's loops."""
    top = Z.max(axis=1)
    return top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
