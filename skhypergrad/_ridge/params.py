"""RidgeCV's constructor parameters that GradientRidgeCV takes as they are:
``alphas`` and ``gcv_mode``."""

import numpy as np

GCV_MODES = (None, "auto", "svd", "eigen")


def check_alphas(alphas):
    """Validate ``alphas``: positive, finite penalties.

    Parameters
    ----------
    alphas : None, float or array-like of shape (n_alphas,)

    Returns
    -------
    ndarray of shape (n_alphas,) or None
        The distinct values, sorted.
    """
    if alphas is None:
        return None
    try:
        values = np.asarray(alphas, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"alphas must be positive numbers, got {alphas!r}.") from None
    values = np.atleast_1d(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"alphas must be a number or a 1-D array of numbers, got shape "
            f"{np.shape(alphas)}."
        )
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(
            "alphas must be positive and finite (the search runs in "
            f"log(alpha)), got {alphas!r}."
        )
    return np.unique(values)


def check_gcv_mode(gcv_mode):
    """Validate ``gcv_mode`` (RidgeCV's choices)."""
    if gcv_mode not in GCV_MODES:
        raise ValueError(f"gcv_mode must be one of {GCV_MODES}, got {gcv_mode!r}.")
