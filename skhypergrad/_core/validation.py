"""Checks of user input shared by the estimators, with messages naming the parameter."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import check_cv


def check_scalar_param(value, name, kind, low=None):
    """Validate an integer (``kind="int"``) or real parameter.

    Raises ``TypeError`` for a wrong type and ``ValueError`` below ``low``.
    """
    types = Integral if kind == "int" else Real
    if isinstance(value, bool) or not isinstance(value, types):
        raise TypeError(f"{name} must be {kind}, got {type(value).__name__}.")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}.")
    return value


# Data beyond these magnitudes leave no room in float64 for what skhypergrad
# reports in the user's units (internally the data are rescaled, see
# check_magnitude): penalties of the order of X's square times the bounds'
# factor of 1e6, scores of the order of y's square.
MAX_MAGNITUDE = {"X": 1e151, "y": 1e153}
# Data within these magnitudes are used as they are.
_UNSCALED = (2.0**-64, 2.0**64)
# Rows per block of the search for the largest magnitude.
_MAGNITUDE_ROWS = 2048


def check_magnitude(array, name):
    """Refuse data whose squares would overflow (or underflow) float64 in the
    penalties and scores, with a message that says so; return the power of
    two by which to divide data of extreme magnitude.

    Dividing by a power of two is exact, so a fit on the rescaled data is the
    fit on the data in other units, without the overflow of their squares
    (the Gram matrix of features of magnitude 1e150 overflows). NaN and
    infinite values are refused with scikit-learn's messages: the same pass
    over the data finds them (the largest magnitude is then not finite), so
    a caller may skip scikit-learn's own check.

    Parameters
    ----------
    array : ndarray or sparse matrix
    name : {"X", "y"}

    Returns
    -------
    float
        1.0 when the data's magnitude is between 2^-64 and 2^64.
    """
    values = array.data if sp.issparse(array) else np.asarray(array)
    if values.size == 0:
        return 1.0
    largest = largest_magnitude(values)
    if np.isnan(largest):
        raise ValueError(f"Input {name} contains NaN.")
    if np.isinf(largest):
        raise ValueError(
            f"Input {name} contains infinity or a value too large for {values.dtype!r}."
        )
    limit = MAX_MAGNITUDE[name]
    if largest > limit or 0 < largest < 1.0 / limit:
        raise ValueError(
            f"{name} has values of magnitude {largest:.3g}: the penalties and "
            f"scores it gives are of the order of its square, which float64 "
            f"cannot hold beyond a magnitude of {limit:.0e} (or below "
            f"{1 / limit:.0e}). Rescale {name}, e.g. with StandardScaler."
        )
    if largest == 0.0 or _UNSCALED[0] <= largest <= _UNSCALED[1]:
        return 1.0
    return 2.0 ** np.round(np.log2(largest))


def largest_magnitude(values):
    """``max |values|`` without a temporary, in one pass over the memory:
    block by block of rows, whose minimum is read from cache (0 for no
    values; NaN if there is one)."""
    if values.size == 0:
        return 0.0
    blocks = (
        [values]
        if values.ndim < 2 or not values.flags.c_contiguous
        else (
            values[s : s + _MAGNITUDE_ROWS]
            for s in range(0, len(values), _MAGNITUDE_ROWS)
        )
    )
    return max(max(float(b.max()), -float(b.min())) for b in blocks)


def check_regression_target(y):
    """A regressor's ``y`` must hold numbers, not strings."""
    array = np.asarray(y)
    numbers = array.dtype.kind not in "OUSV"
    if array.dtype == object:
        try:
            array.astype(np.float64)
            numbers = True
        except (TypeError, ValueError):
            numbers = False
    if not numbers:
        raise ValueError(
            "y must hold numbers for a regressor, got values of type "
            f"{array.dtype}; for class labels use a classifier."
        )


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


def resolve_cv(cv, X, y, allowed_strings, classifier=False, split_params=None):
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
    split_params : dict or None
        Passed to the splitter's ``split`` (e.g. ``groups``).

    Returns
    -------
    kind : str
        ``"loo"``, one of ``allowed_strings``, or ``"splits"``.
    splits : list of (ndarray, ndarray) or None
    """
    split_params = {} if split_params is None else split_params
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
    splits = [
        (_check_indices(train, X.shape[0]), _check_indices(test, X.shape[0]))
        for train, test in splitter.split(X, y, **split_params)
    ]
    if not splits:
        raise ValueError("cv produced no (train, test) split.")
    return "splits", splits


def _check_indices(indices, n_samples):
    """One side of a split as an array of row indices within the data."""
    indices = np.asarray(indices)
    if indices.dtype == bool and indices.shape == (n_samples,):
        indices = np.flatnonzero(indices)
    if indices.ndim != 1 or indices.size < 1:
        raise ValueError("cv produced a split with an empty train or test set.")
    if indices.dtype.kind not in "iu":
        raise ValueError(
            f"cv must give integer row indices, got an array of {indices.dtype}."
        )
    if indices.min() < 0 or indices.max() >= n_samples:
        raise ValueError(
            f"cv produced row indices outside 0..{n_samples - 1} "
            f"(from {indices.min()} to {indices.max()})."
        )
    return indices


def check_criterion_weights(kind, splits, sample_weight):
    """Every criterion needs samples with positive weight where it measures.

    Parameters
    ----------
    kind : str
        ``"loo"``, ``"gcv"`` or ``"splits"`` (see :func:`resolve_cv`).
    splits : list of (train, test) or None
    sample_weight : ndarray of shape (n_samples,)
    """
    if kind == "splits" and sample_weight.min() > 0:
        return  # every split has weight wherever it has rows
    if kind != "splits":
        if np.count_nonzero(sample_weight) < 2:
            raise ValueError(
                "Leave-one-out, GCV and approximate leave-one-out need at least "
                "2 samples with positive "
                f"weight, got n_samples = {np.count_nonzero(sample_weight)}."
            )
        return
    for train, _ in splits:
        if not np.any(sample_weight[train] > 0):
            raise ValueError("cv produced a train split whose weights are all zero.")
    if not sum(sample_weight[test].sum() for _, test in splits) > 0:
        raise ValueError("cv produced test splits whose weights are all zero.")
