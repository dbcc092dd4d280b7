"""The search of ridge penalties jointly with tuned sample weights.

First one alpha at the scheme's start (the one-dimensional search), then
L-BFGS-B over every penalty and the scheme's hyperparameters from the best
point so far; the model is refit on all the data at the optimum, a time
decay relative to the latest time of all the data.
"""

from dataclasses import replace

import numpy as np

from .._core.criterion import Criterion
from .._core.search import Search
from .._core.space import Hyperparameter, SearchSpace
from .._core.weighting import criterion_weights
from .design import CentredDesign
from .search import RidgeFit
from .solver import RidgeSolver
from .weighted import WeightedSplitsCriterion


def search_with_weights(data, layout, alpha_space, theta0, scheme, options):
    """Search alpha(s) and the scheme's hyperparameters; refit at the optimum.

    Parameters
    ----------
    data : tuple
        ``(X, y, sample_weight, splits, fit_intercept)`` in the search's units
        (``y`` 2-D).
    layout : PenaltyLayout
    alpha_space : SearchSpace
        The penalties' space (:func:`~skhypergrad._core.layout.penalty_space`).
    theta0 : ndarray of shape (n_groups,)
        The penalties' start.
    scheme : TimeDecay or GroupWeights
    options : SearchOptions

    Returns
    -------
    fit : RidgeFit
    space : SearchSpace
        The joint space: the penalties, then the scheme's hyperparameter.
    """
    X, y, sample_weight, splits, fit_intercept = data
    criterion = WeightedSplitsCriterion(
        X,
        y,
        sample_weight,
        criterion_weights(sample_weight, scheme),
        splits,
        fit_intercept,
        layout,
        scheme,
    )
    (alpha,) = alpha_space.hyperparameters
    space = SearchSpace(
        (alpha, scheme.hyperparameter()), value_scale=alpha_space.value_scale
    )
    scalar_space = SearchSpace(
        (Hyperparameter("alpha", alpha.log_bounds[:1], alpha.bounds_parameter),),
        value_scale=alpha_space.value_scale,
    )
    at_start = _OneAlpha(criterion, layout.n_groups, scheme.theta0)
    scalar = Search(scalar_space, options).minimize(
        at_start, np.atleast_1d(np.mean(theta0)), phase="scan"
    )
    search = Search(space, options)
    for theta, value in at_start.evaluated:
        search.add(theta, value, "scan", echo=False)
    if np.ptp(theta0) > 0:  # penalties per group given: a start of their own
        search.evaluate(criterion, np.concatenate([theta0, scheme.theta0]), "scan")
    start, _ = search.record.best()
    result = search.minimize(criterion, start)
    result = replace(result, n_iter=result.n_iter + scalar.n_iter)
    return _refit(data, layout, scheme, result), space


def _refit(data, layout, scheme, result):
    """The ridge model on all the data at the search's optimum, the training
    weights relative to the latest time of all the data."""
    X, y, sample_weight, _, fit_intercept = data
    n_penalties = layout.n_groups
    everything = np.arange(X.shape[0])
    factors, _ = scheme.factors(
        result.theta[n_penalties:], everything, scheme.reference_time(everything)
    )
    design = CentredDesign(X, y, sample_weight * factors, fit_intercept)
    lam = layout.feature_penalties(result.theta[:n_penalties])
    return RidgeFit(result, RidgeSolver(design).solve(lam).coef, design)


class _OneAlpha(Criterion):
    """The joint criterion along one alpha for every group, the scheme's
    hyperparameters fixed; keeps every evaluated point in the joint space."""

    def __init__(self, criterion, n_groups, phi):
        self.criterion = criterion
        self.n_groups = n_groups
        self.phi = phi
        self.evaluated = []

    def value_and_grad(self, theta):
        """The criterion at ``theta`` (one log-alpha) and its derivative."""
        full = np.concatenate([np.full(self.n_groups, theta[0]), self.phi])
        value, grad = self.criterion(full)
        self.evaluated.append((full, value))
        return value, np.array([grad[: self.n_groups].sum()])


def check_weighting_setting(estimator, kind, per_target):
    """Tuned sample weights need splits and the squared error, one set of
    hyperparameters for all targets."""
    if kind != "splits":
        raise ValueError(
            f"sample_weighting={estimator.sample_weighting!r} needs cv splits: an "
            "int, a splitter (TimeSeriesSplit for a time decay) or an iterable "
            f"of (train, test) arrays; got cv={estimator.cv!r}. Leave-one-out and "
            "GCV with tuned weights are not offered."
        )
    if estimator.scoring not in (None, "neg_mean_squared_error"):
        raise ValueError(
            f"sample_weighting needs the squared error: scoring=None or "
            f"'neg_mean_squared_error', got scoring={estimator.scoring!r}."
        )
    if per_target:
        raise ValueError("sample_weighting does not combine with alpha_per_target.")
    if estimator.store_cv_results:
        raise ValueError("store_cv_results=True needs cv=None, not sample_weighting.")


_WEIGHTING_ATTRIBUTES = ("half_life_", "group_weights_")


def set_weighting_attributes(estimator, scheme, theta):
    """``half_life_`` or ``group_weights_`` at the search's optimum."""
    clear_weighting_attributes(estimator)
    for name, value in scheme.describe(theta).items():
        setattr(estimator, name, value)


def clear_weighting_attributes(estimator):
    """Remove the attributes of an earlier fit with tuned weights."""
    for name in _WEIGHTING_ATTRIBUTES:
        if hasattr(estimator, name):
            delattr(estimator, name)
