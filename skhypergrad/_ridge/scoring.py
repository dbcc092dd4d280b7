"""The ``scoring`` of GradientRidgeCV: which squared-error criterion, and the
score it reports.

Every supported scorer is a function of the (sample-weighted) squared
out-of-sample errors, so the criterion stays the exact, differentiable squared
error; a scorer only reweights it and maps it to the reported score:

- ``None`` and ``"neg_mean_squared_error"``: the mean squared error ``E``,
  score ``-E``;
- ``"r2"``: ``E_t / V_t`` with ``V_t`` the weighted variance of target ``t``,
  score ``1 - E_t / V_t`` (scikit-learn's ``r2_score``). The division is a
  rescaling of each target column, which ridge regression commutes with: the
  criterion on rescaled targets is the reweighted one, exactly;
- ``"neg_root_mean_squared_error"``: ``sqrt(E)``, a monotone map of ``E``
  where one error is ranked (one target, or one alpha per target, on one
  split).

With ``cv`` splits, a scorer other than None is averaged over the splits with
equal weights, as :class:`~sklearn.model_selection.GridSearchCV` averages
fold scores (the ``None`` criterion pools every validation sample): split
``k``'s rows are rescaled by ``sqrt(S / (K S_k))``, ``S_k`` their weight.
"""

import numpy as np

SCORINGS = (
    None,
    "neg_mean_squared_error",
    "neg_root_mean_squared_error",
    "r2",
)


def check_scoring(scoring):
    """Validate ``scoring``: a squared-error scorer that can be optimised.

    Raises
    ------
    ValueError
        For any other scorer (the criterion must be differentiable).
    """
    if scoring is None or (isinstance(scoring, str) and scoring in SCORINGS):
        return scoring
    raise ValueError(
        f"scoring={scoring!r} is not supported: GradientRidgeCV follows the "
        "gradient of the selection criterion, so the score must be a "
        "differentiable function of the squared errors. Use one of None (mean "
        "squared error), 'neg_mean_squared_error', "
        "'neg_root_mean_squared_error' or 'r2', and evaluate other metrics "
        "on the fitted model."
    )


def check_scoring_setting(scoring, kind, n_targets, per_target):
    """Refuse a root mean squared error whose mean is not a monotone map of
    one squared error: averaged over splits or over targets sharing alpha."""
    if scoring != "neg_root_mean_squared_error":
        return
    if kind == "splits" or (n_targets > 1 and not per_target):
        where = "cv splits" if kind == "splits" else "targets that share alpha"
        raise ValueError(
            "scoring='neg_root_mean_squared_error' averages square roots over "
            f"{where}, whose optimum is not that of a squared error; use "
            "'neg_mean_squared_error' (or alpha_per_target=True for several "
            "targets)."
        )


def target_scale(scoring, y, sample_weight, constant_scale=1.0):
    """Multipliers of the target columns that turn the squared error into the
    scorer's criterion: 1, except for ``"r2"``: ``1 / sqrt(V_t)``, and
    ``constant_scale`` for a constant target (whose ``r2_score`` does not
    follow its error; with an intercept, its leave-one-out error is 0).

    Parameters
    ----------
    scoring : str or None
    y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,)
    constant_scale : float, default=1.0

    Returns
    -------
    ndarray of shape (n_targets,)
    """
    if scoring != "r2":
        return np.ones(y.shape[1])
    variance = _weighted_variance(y, sample_weight)
    scale = np.full_like(variance, constant_scale)
    positive = variance > 0
    scale[positive] = 1.0 / np.sqrt(variance[positive])
    return scale


def split_scales(scoring, y, sample_weight, splits):
    """Multipliers of each split's target columns, shape (n_splits,
    n_targets): the equal split weights of a scorer (see the module
    docstring), times :func:`target_scale` of the split's validation rows
    (0 where they are constant); None for the pooled ``None`` criterion."""
    if scoring is None:
        return None
    total = sum(sample_weight[test].sum() for _, test in splits)
    scales = []
    for _, test in splits:
        weight = sample_weight[test]
        split_weight = np.sqrt(total / (len(splits) * weight.sum()))
        scales.append(split_weight * target_scale(scoring, y[test], weight, 0.0))
    return np.array(scales)


def constant_fraction(scoring, y, sample_weight, splits, fit_intercept):
    """For ``"r2"`` with ``cv`` splits: ``1 - r2`` of the constant cells,
    which their error does not give, shape (n_targets,). scikit-learn's
    ``r2_score`` of a constant target is 1 for a perfect prediction and 0
    otherwise: a split whose validation rows are constant counts 0, unless
    the target is constant everywhere and fitted with an intercept (then its
    predictions are exact)."""
    if scoring != "r2" or splits is None:
        return np.zeros(y.shape[1])
    exact = (_weighted_variance(y, sample_weight) <= 0) & fit_intercept
    constant = [
        _weighted_variance(y[test], sample_weight[test]) <= 0 for _, test in splits
    ]
    return np.mean(constant, axis=0) * ~exact


def check_constant_targets(scoring, y, sample_weight, kind, fit_intercept):
    """Refuse ``"r2"`` on leave-one-out or GCV for a constant target without
    an intercept: its score is 0 whatever alpha, and its error, which the
    rescaling of :func:`target_scale` cannot remove without losing its
    coefficients, would weigh in the criterion."""
    if scoring != "r2" or kind == "splits" or fit_intercept:
        return
    constant = np.flatnonzero(_weighted_variance(y, sample_weight) <= 0)
    if constant.size:
        raise ValueError(
            "scoring='r2' is undefined for a constant target without an "
            f"intercept (target columns {constant.tolist()}): fit them with "
            "fit_intercept=True, or use scoring='neg_mean_squared_error'."
        )


def scores_from_criterion(scoring, values, value_scale, constant=0.0):
    """The scorer's value(s) from the criterion the search minimised.

    Parameters
    ----------
    scoring : str or None
    values : float or ndarray
        The criterion, in the search's units.
    value_scale : float
        The squared unit of ``y`` in the search's units.
    constant : float or ndarray, default=0.0
        See :func:`constant_fraction` (its mean for targets sharing alpha).
    """
    values = np.asarray(values, dtype=float)
    if scoring == "r2":
        return 1.0 - values - constant
    if scoring == "neg_root_mean_squared_error":
        return -np.sqrt(value_scale * values)
    return -value_scale * values


def _weighted_variance(y, sample_weight):
    weight_sum = sample_weight.sum()
    centred = y - sample_weight @ y / weight_sum
    return sample_weight @ centred**2 / weight_sum
