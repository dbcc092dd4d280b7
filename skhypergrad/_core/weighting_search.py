"""The search of penalties jointly with a sample-weighting scheme.

First one penalty for every group at the scheme's start (the one-dimensional
search); then, for a time decay, a scan of the half-life at that penalty
(the forward-chaining criterion can have several valleys in it) and the
one-dimensional search again at the best half-life; then L-BFGS-B over every
penalty and the scheme's hyperparameters from the best point so far. Shared
by the ridge and smooth-loss estimators.
"""

from dataclasses import replace

import numpy as np

from .criterion import Criterion
from .search import Search
from .space import Hyperparameter, SearchSpace


def search_with_scheme(criterion, penalty_space, theta0, scheme, options):
    """Minimise a joint criterion over penalties and a scheme's hyperparameters.

    Parameters
    ----------
    criterion : Criterion
        Of ``theta = (log-penalties, scheme's log-hyperparameters)``.
    penalty_space : SearchSpace
        The penalties' space (one hyperparameter, ``alpha`` or ``C``).
    theta0 : ndarray of shape (n_groups,)
        The penalties' start.
    scheme : TimeDecay or GroupWeights
    options : SearchOptions

    Returns
    -------
    result : SearchResult
        Over the joint space.
    space : SearchSpace
        The penalties, then the scheme's hyperparameter.
    """
    (penalty,) = penalty_space.hyperparameters
    scale = penalty_space.value_scale
    space = SearchSpace((penalty, scheme.hyperparameter()), value_scale=scale)
    one = SearchSpace(
        (
            Hyperparameter(
                penalty.name,
                penalty.log_bounds[:1],
                penalty.bounds_parameter,
                offset=penalty.offset,
            ),
        ),
        value_scale=scale,
    )
    n_groups = penalty.size
    search = Search(space, options)
    at_start = _OnePenalty(criterion, n_groups, scheme.theta0)
    scalar = Search(one, options).minimize(
        at_start, np.atleast_1d(np.mean(theta0)), phase="scan"
    )
    n_iter = scalar.n_iter
    for theta, value in at_start.evaluated:
        search.add(theta, value, "scan", echo=False)
    log_penalty = scalar.theta[0]
    for phi in scheme.scan_points():
        search.evaluate(
            criterion, np.append(np.full(n_groups, log_penalty), phi), "scan"
        )
    best, _ = search.record.best()
    if not np.array_equal(best[n_groups:], scheme.theta0):
        at_best = _OnePenalty(criterion, n_groups, best[n_groups:])
        again = Search(one, options).minimize(at_best, best[:1], phase="scan")
        n_iter += again.n_iter
        for theta, value in at_best.evaluated:
            search.add(theta, value, "scan", echo=False)
    if np.ptp(theta0) > 0:  # penalties per group given: a start of their own
        search.evaluate(criterion, np.concatenate([theta0, scheme.theta0]), "scan")
    start, _ = search.record.best()
    result = search.minimize(criterion, start)
    return replace(result, n_iter=result.n_iter + n_iter), space


class _OnePenalty(Criterion):
    """The joint criterion along one penalty for every group, the scheme's
    hyperparameters fixed; keeps every evaluated point in the joint space."""

    def __init__(self, criterion, n_groups, phi):
        self.criterion = criterion
        self.n_groups = n_groups
        self.phi = phi
        self.evaluated = []

    def value_and_grad(self, theta):
        """The criterion at ``theta`` (one log-penalty) and its derivative."""
        full = np.concatenate([np.full(self.n_groups, theta[0]), self.phi])
        value, grad = self.criterion(full)
        self.evaluated.append((full, value))
        return value, np.array([grad[: self.n_groups].sum()])
