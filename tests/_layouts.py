"""Hyperparameter layouts of the smooth-loss tests: one penalty for all
features, two groups, or one per feature."""

import numpy as np

from skhypergrad._core.layout import PenaltyLayout

LOG_BOUNDS = np.log([1e-6, 1e6])


def layout_for(parametrisation, p, *, power, scale=1.0):
    """A layout of ``p`` features: ``"scalar"``, ``"groups"`` (even and odd
    features) or ``"each"``; ``power`` -1 for C, 1 for a penalty."""
    index = {
        "scalar": np.zeros(p, dtype=int),
        "groups": np.arange(p) % 2,
        "each": np.arange(p),
    }[parametrisation]
    return PenaltyLayout(index, int(index.max()) + 1, LOG_BOUNDS, scale, power)
