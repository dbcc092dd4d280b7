"""Checks of user input shared by the estimators, with messages naming the parameter."""

from numbers import Integral, Real

import numpy as np
from sklearn.model_selection import check_cv


def check_scalar_param(value, name, kind, low=None):
    """Validate an integer (``kind="int"``) or real parameter.

    Raises ``TypeError`` for a wrong type and ``ValueError`` below ``low``.
    """
    types = Integral if kind == "int" else Real
    if isinstance(value, bool) or not isinstance(value, types):
        raise TypeError(f"{name} must be {kind}, got {type(value).__name__}.")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}.")
    return value


def check_sample_weight(sample_weight, n_samples):
    """Validate sample weights: finite, non-negative, not all zero.

    Parameters
    ----------
    sample_weight : None, float or array-like of shape (n_samples,)
    n_samples : int

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,), float64 (a new array)
    """
    if sample_weight is None:
        return np.ones(n_samples)
    try:
        weights = np.array(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("sample_weight must be an array of numbers.") from None
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.ndim != 1 or weights.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), got {weights.shape}."
        )
    if not np.all(np.isfinite(weights)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.any(weights < 0):
        raise ValueError("sample_weight must be non-negative.")
    if not np.any(weights > 0):
        raise ValueError(
            "sample_weight must not be all zero: at least one weight must be positive."
        )
    return weights


def resolve_cv(cv, X, y, allowed_strings, classifier=False):
    """Turn ``cv`` into a criterion name or a list of (train, test) splits.

    Parameters
    ----------
    cv : None, str, int, splitter or iterable of (train, test)
    X, y : arrays
        The training data, passed to the splitter.
    allowed_strings : tuple of str
        Criterion names accepted as strings (e.g. ``("gcv",)``).
    classifier : bool, default=False
        An int then means stratified k-fold.

    Returns
    -------
    kind : str
        ``"loo"``, one of ``allowed_strings``, or ``"splits"``.
    splits : list of (ndarray, ndarray) or None
    """
    if cv is None:
        return "loo", None
    if isinstance(cv, str):
        if cv not in allowed_strings:
            raise ValueError(
                f"cv must be None, one of {allowed_strings}, an int, a splitter "
                f"or an iterable of (train, test) splits; got {cv!r}."
            )
        return cv, None
    if isinstance(cv, Integral) and not isinstance(cv, bool) and cv < 2:
        raise ValueError(f"cv as an int is the number of folds, >= 2; got {cv}.")
    splitter = check_cv(cv, y, classifier=classifier)
    splits = []
    for train, test in splitter.split(X, y):
        train, test = np.asarray(train), np.asarray(test)
        if train.size < 1 or test.size < 1:
            raise ValueError("cv produced a split with an empty train or test set.")
        splits.append((train, test))
    if not splits:
        raise ValueError("cv produced no (train, test) split.")
    return "splits", splits


def check_criterion_weights(kind, splits, sample_weight):
    """Every criterion needs samples with positive weight where it measures.

    Parameters
    ----------
    kind : str
        ``"loo"``, ``"gcv"`` or ``"splits"`` (see :func:`resolve_cv`).
    splits : list of (train, test) or None
    sample_weight : ndarray of shape (n_samples,)
    """
    if kind != "splits":
        if np.count_nonzero(sample_weight) < 2:
            raise ValueError(
                "Leave-one-out and GCV need at least 2 samples with positive "
                f"weight, got n_samples = {np.count_nonzero(sample_weight)}."
            )
        return
    for train, _ in splits:
        if not np.any(sample_weight[train] > 0):
            raise ValueError("cv produced a train split whose weights are all zero.")
    if not sum(sample_weight[test].sum() for _, test in splits) > 0:
        raise ValueError("cv produced test splits whose weights are all zero.")
