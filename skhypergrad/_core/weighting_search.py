"""The search of penalties jointly with a sample-weighting scheme.

First one penalty for every group at the scheme's start (the one-dimensional
search); then, for a time decay, the same search at each half-life of a scan
(two per decade, each starting from the best penalty so far): the profile of
the criterion over the half-life, which a forward-chaining criterion can make
multimodal, with valleys at different penalties; then L-BFGS-B over every
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
    n_iter, log_penalty, profile = 0, np.mean(theta0), []
    for phi in (scheme.theta0, *scheme.scan_points()):
        at_phi = _OnePenalty(criterion, n_groups, phi)
        scalar = Search(one, options).minimize(
            at_phi, np.atleast_1d(log_penalty), phase="scan"
        )
        n_iter += scalar.n_iter
        for theta, value in at_phi.evaluated:
            search.add(theta, value, "scan", echo=False)
        profile.append((float(np.min(scalar.value)), at_phi.best()))
        log_penalty = search.record.best()[0][0]
    if np.ptp(theta0) > 0:  # penalties per group given: a start of their own
        search.evaluate(criterion, np.concatenate([theta0, scheme.theta0]), "scan")
        profile.append((search.record.best()[1], search.record.best()[0]))
    # L-BFGS-B from the two best points of the profile: the best scanned
    # half-life can sit on the slope of another valley than the optimum's.
    starts = [theta for _, theta in sorted(profile, key=lambda row: row[0])[:2]]
    for theta in starts:
        result = search.minimize(criterion, theta)
    return replace(result, n_iter=result.n_iter + n_iter), space


class _OnePenalty(Criterion):
    """The joint criterion along one penalty for every group, the scheme's
    hyperparameters fixed; keeps every evaluated point in the joint space."""

    def __init__(self, criterion, n_groups, phi):
        self.criterion = criterion
        self.n_groups = n_groups
        self.phi = phi
        self.evaluated = []

    def best(self):
        """The evaluated point (in the joint space) of lowest criterion."""
        return min(self.evaluated, key=lambda row: row[1])[0]

    def value_and_grad(self, theta):
        """The criterion at ``theta`` (one log-penalty) and its derivative."""
        full = np.concatenate([np.full(self.n_groups, theta[0]), self.phi])
        value, grad = self.criterion(full)
        self.evaluated.append((full, value))
        return value, np.array([grad[: self.n_groups].sum()])
