"""The search of ridge penalties jointly with tuned sample weights
(:func:`~skhypergrad._core.weighting_search.search_with_scheme`), and the
refit on all the data at the optimum, a time decay relative to the latest
time of all the data."""

from .._core.weighting import criterion_weights, refit_weights
from .._core.weighting_search import search_with_scheme
from .design import CentredDesign
from .search import RidgeFit
from .solver import RidgeSolver
from .weighted import WeightedLeaveOneOut, WeightedSplitsCriterion


def search_with_weights(data, layout, alpha_space, theta0, scheme, options):
    """Search alpha(s) and the scheme's hyperparameters; refit at the optimum.

    Parameters
    ----------
    data : tuple
        ``(X, y, sample_weight, splits, fit_intercept)`` in the search's units
        (``y`` 2-D; ``splits`` None for exact leave-one-out).
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
    scored = criterion_weights(sample_weight, scheme)
    if splits is None:  # exact leave-one-out
        criterion = WeightedLeaveOneOut(
            X, y, sample_weight, scored, fit_intercept, layout, scheme
        )
    else:
        criterion = WeightedSplitsCriterion(
            X, y, sample_weight, scored, splits, fit_intercept, layout, scheme
        )
    result, space = search_with_scheme(criterion, alpha_space, theta0, scheme, options)
    return _refit(data, layout, scheme, result), space


def _refit(data, layout, scheme, result):
    """The ridge model on all the data at the search's optimum, the training
    weights relative to the latest time of all the data."""
    X, y, sample_weight, _, fit_intercept = data
    n_penalties = layout.n_groups
    weight = refit_weights(scheme, result.theta[n_penalties:], sample_weight)
    design = CentredDesign(X, y, weight, fit_intercept)
    lam = layout.feature_penalties(result.theta[:n_penalties])
    return RidgeFit(result, RidgeSolver(design).solve(lam).coef, design)


def check_weighting_setting(estimator, kind, per_target):
    """Tuned sample weights need exact leave-one-out or splits, the squared
    error and one set of hyperparameters for all targets."""
    if kind == "gcv":
        raise ValueError(
            f"sample_weighting={estimator.sample_weighting!r} is not offered with "
            "cv='gcv'; use cv=None (exact leave-one-out), an int, a splitter "
            "(TimeSeriesSplit for a time decay) or an iterable of splits."
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
