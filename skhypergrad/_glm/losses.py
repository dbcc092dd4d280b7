"""Smooth per-sample losses in the linear predictor ``z``, with derivatives.

Every loss is a :class:`Loss`: per sample, the training loss ``l(y, z)`` and
its first three derivatives in ``z`` (the third for the gradient of
approximate leave-one-out), and the selection criterion ``c(y, z)`` with its
derivative. Training criteria are
``sum_i s_i l(y_i, z_i) + 1/2 sum_j lam_j w_j^2``.
"""

import numpy as np
from scipy.special import expit, xlogy

from .derivatives import SoftmaxSecondDerivative, SoftmaxThirdDerivative


class Loss:
    """What Newton's method and the criteria need of a loss.

    A loss has ``n_outputs`` outputs per sample: ``z`` is of shape
    (n_samples,) for one output, (n_samples, K) for ``K``. For one output
    every derivative is an array of shape (n_samples,); for several, the
    first derivative is (n_samples, K), the second a
    :class:`~skhypergrad._glm.derivatives.SecondDerivative` and the third a
    :class:`~skhypergrad._glm.derivatives.ThirdDerivative`.

    Attributes
    ----------
    name : str
        The selection criterion's name, for messages.
    n_outputs : int
        Outputs per sample (``K``).
    """

    name = "loss"
    n_outputs = 1

    def value(self, y, z):
        """The training loss of every sample."""
        raise NotImplementedError

    def derivatives(self, y, z):
        """The loss and its first three derivatives in ``z`` of every sample
        (see the class docstring)."""
        raise NotImplementedError

    def criterion(self, y, z):
        """The selection criterion of every sample and its derivative in
        ``z``."""
        raise NotImplementedError

    def baseline(self, y, sample_weight):
        """The intercept(s) of the best model without features, shape
        (n_outputs,): where Newton's method starts."""
        return np.zeros(self.n_outputs)

    def absent_outputs(self, y, sample_weight):
        """Which outputs have no finite best intercept on this data (a class
        without weight, counts all zero), shape (n_outputs,) of bool."""
        return np.zeros(self.n_outputs, dtype=bool)


class SquaredLoss(Loss):
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

    def baseline(self, y, sample_weight):
        """The weighted mean of ``y``."""
        return np.array([sample_weight @ y / sample_weight.sum()])


class BinaryLogLoss(Loss):
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

    def baseline(self, y, sample_weight):
        """The log-odds of the weighted share of ``y = 1``."""
        share = np.clip(sample_weight @ y / sample_weight.sum(), 1e-12, 1 - 1e-12)
        return np.array([np.log(share / (1.0 - share))])

    def absent_outputs(self, y, sample_weight):
        """Whether one of the two classes has no weight."""
        return np.array([sample_weight @ y <= 0 or sample_weight @ (1.0 - y) <= 0])


class PoissonLoss(Loss):
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

    def baseline(self, y, sample_weight):
        """The log of the weighted mean of ``y`` (0 when it is 0)."""
        mean = sample_weight @ y / sample_weight.sum()
        return np.array([np.log(mean) if mean > 0 else 0.0])

    def absent_outputs(self, y, sample_weight):
        """Whether every count with weight is zero."""
        return np.array([sample_weight @ y <= 0])


class MultinomialLogLoss(Loss):
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
        d2 : SoftmaxSecondDerivative
            The ``K x K`` matrices ``diag(p) - p p^T``, held as ``p``.
        d3 : SoftmaxThirdDerivative
            The ``(n_samples, K, K, K)`` tensor, held as ``p``.
        """
        value, P = self._value_and_proba(y, Z)
        d1 = P.copy()
        d1[np.arange(len(y)), y] -= 1.0
        return value, d1, SoftmaxSecondDerivative(P), SoftmaxThirdDerivative(P)

    def criterion(self, y, Z):
        """Selection criterion per sample and its derivative in ``Z``."""
        value, P = self._value_and_proba(y, Z)
        P[np.arange(len(y)), y] -= 1.0
        return value, P

    def baseline(self, y, sample_weight):
        """The centred log of each class's weighted share."""
        share = np.bincount(y, weights=sample_weight, minlength=self.n_outputs)
        logs = np.log(np.maximum(share / sample_weight.sum(), 1e-12))
        return logs - logs.mean()

    def absent_outputs(self, y, sample_weight):
        """The classes without weight."""
        share = np.bincount(y, weights=sample_weight, minlength=self.n_outputs)
        return share <= 0

    @staticmethod
    def _value_and_proba(y, Z):
        lse = _row_logsumexp(Z)
        return lse - Z[np.arange(len(y)), y], np.exp(Z - lse[:, None])


def _row_logsumexp(Z):
    """``log(sum(exp(Z), axis=1))`` without overflow: a plain NumPy version of
    :func:`scipy.special.logsumexp`, whose overhead shows in Newton's loops."""
    top = Z.max(axis=1)
    return top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
