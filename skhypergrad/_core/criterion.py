"""The interface every selection criterion implements.

A criterion is the model-selection error of one estimator on one training set
(leave-one-out, GCV, k-fold, held-out, approximate leave-one-out) as a function
of ``theta``, the log of the hyperparameters. The search driver
(:mod:`skhypergrad._core.search`) needs only :meth:`Criterion.value_and_grad`;
a criterion that evaluates a whole one-dimensional path for the price of one
factorisation also offers :meth:`Criterion.scan`, which the driver uses for
its start. A criterion with one hyperparameter per target, searched for all
targets at once, is a :class:`PerTargetCriterion`.
"""

import copy

import numpy as np


class Criterion:
    """A selection criterion ``E(theta)`` with its gradient.

    Subclasses implement :meth:`value_and_grad`, and :meth:`scan` when one
    factorisation gives the criterion along a whole path. Calling the
    criterion is the same as :meth:`value_and_grad`. A criterion whose cost
    falls when its gradient may be less accurate (inner solves stopped
    earlier) sets ``coarse = True`` and implements
    :meth:`coarse_value_and_grad`.
    """

    #: Whether :meth:`coarse_value_and_grad` saves work.
    coarse = False

    def value_and_grad(self, theta):
        """The criterion and its gradient at ``theta``.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Log-hyperparameters.

        Returns
        -------
        value : float
            The (sample-weighted) mean out-of-sample error.
        grad : ndarray of shape (n_params,)
            Its gradient in ``theta``.
        """
        raise NotImplementedError

    def coarse_value_and_grad(self, theta, gradient_error):
        """The criterion and a gradient whose error may reach
        ``gradient_error`` times the criterion (Euclidean norm), for a step of
        the search that needs only the gradient's direction and size. The
        value stays far more accurate than the search's tolerance. Exact by
        default.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
        gradient_error : float
            Relative to the criterion's value.

        Returns
        -------
        value : float
        grad : ndarray of shape (n_params,)
        """
        return self.value_and_grad(theta)

    def scan(self, points):
        """The criterion at each point of a path, for about one evaluation.

        Parameters
        ----------
        points : ndarray of shape (n_points,)
            Positions along the criterion's path (for a single
            hyperparameter, its log-values).

        Returns
        -------
        values : ndarray of shape (n_points,)
        """
        raise NotImplementedError

    def restart_copy(self):
        """An independent copy for one restart of the search (deep: a
        criterion may keep warm starts or work buffers between
        evaluations)."""
        return copy.deepcopy(self)

    def restart_log(self):
        """What this restart's copy logged that the fit reports (None)."""
        return None

    def keep_restart_log(self, log, phase):
        """Keep a restart's :meth:`restart_log` (called in the restarts'
        order; ``phase`` names the restart)."""

    def __call__(self, theta):
        return self.value_and_grad(theta)


class PerTargetCriterion:
    """Independent one-dimensional criteria, one per target, evaluated
    together (one ``alpha`` per target along an eigendecomposition path).
    """

    n_targets = 1

    def values_and_grads(self, log_alpha, columns=None, with_grad=True):
        """The criterion of each target and its derivative in its own
        ``log(alpha)``.

        Parameters
        ----------
        log_alpha : ndarray of shape (n_columns,)
            One value per evaluated target.
        columns : ndarray of int or None
            The targets to evaluate (all when None).
        with_grad : bool, default=True

        Returns
        -------
        values, grads : ndarray of shape (n_columns,)
            ``grads`` is None without ``with_grad``.
        """
        raise NotImplementedError

    def scan(self, points):
        """Every target's criterion at each point of ``points`` (log-alphas
        shared by all targets), shape (n_points, n_targets): one evaluation
        per point unless a subclass does better."""
        return np.array(
            [
                self.values_and_grads(np.array([point]), with_grad=False)[0]
                for point in points
            ]
        )

    def __call__(self, log_alpha, with_grad=True, columns=None):
        return self.values_and_grads(log_alpha, columns=columns, with_grad=with_grad)


def offers(criterion, method):
    """Whether ``criterion`` implements ``method`` of its interface (rather
    than inheriting the base class's ``NotImplementedError``)."""
    base = (
        PerTargetCriterion if isinstance(criterion, PerTargetCriterion) else Criterion
    )
    return getattr(type(criterion), method, None) is not getattr(base, method)


def require(criterion, method, purpose):
    """Fail clearly when a criterion lacks what a search needs."""
    if not offers(criterion, method):
        raise TypeError(
            f"{type(criterion).__name__} does not implement {method}(), which "
            f"{purpose} needs."
        )


def as_point(theta):
    """``theta`` as a float vector."""
    return np.atleast_1d(np.asarray(theta, dtype=float))
