"""When GradientRidgeCV works from sufficient statistics, and the designs and
folds it builds from them.

Dense data with many more rows than features are read once
(:mod:`skhypergrad._ridge.statistics`): k-fold, held-out and GCV criteria then
cost ``p x p`` operations per evaluation, and exact leave-one-out one more
product with the rows (its left singular vectors), never a centred copy of
``X``. Sparse data, wide data, splits of too many distinct row patterns and
fits whose expanded errors would lose digits
(:func:`~skhypergrad._ridge.moment_design.expansion_is_precise`) keep the
direct path, with the same results.
"""

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from .design import CentredDesign
from .moment_design import MomentDesign, expansion_is_precise, moment_folds
from .statistics import atom_moments, split_atoms, total_moments

# Rows per feature, and data size (rows x features), from which the
# statistics serve. Measured one-thread (best of 5, a shared machine), 5-fold:
# from 1e5 values on the statistics are as fast or faster (p = 100, n = 1000:
# 1.1x; p = 50, n = 2500: 2.1x; p = 100, n = 5000: 3.4x; n = 20000: 4.8x),
# below it both take a few milliseconds and the direct path sums the
# residuals of the rows, which keeps more digits; exact LOO costs the same on
# both paths there (within the noise) and saves a copy of X beyond it.
TALL_ROWS_PER_FEATURE = 4
TALL_MIN_SIZE = 100_000
# More splits than this, or more distinct row patterns (atoms), keep the
# direct path: their p x p sums would outweigh the pass they save.
MAX_SPLITS = 64
MAX_ATOMS = 256


@dataclass(frozen=True)
class TallStatistics:
    """The moments of every atom of the rows, and each atom's membership of
    each split (None: one atom, all the rows)."""

    atoms: list
    patterns: np.ndarray | None

    def total(self):
        """The moments of all the rows."""
        return total_moments(self.atoms)

    def scale_features(self, scale):
        """The statistics of the rows with feature ``j`` times ``scale[j]``."""
        return replace(self, atoms=[a.scale_features(scale) for a in self.atoms])


def tall_statistics(X, y, sample_weight, kind, splits):
    """The statistics of one pass over ``X``, or None where the direct path
    is kept (see the module docstring)."""
    n_samples, n_features = X.shape
    if (
        sp.issparse(X)
        or n_samples < TALL_ROWS_PER_FEATURE * n_features
        or n_samples * n_features < TALL_MIN_SIZE
    ):
        return None
    if kind != "splits":
        return TallStatistics(atom_moments(X, y, sample_weight, 0, 1), None)
    if len(splits) > MAX_SPLITS:
        return None
    atom, patterns = split_atoms(splits, n_samples)
    if atom is None or len(patterns) > MAX_ATOMS:
        return None
    return TallStatistics(
        atom_moments(X, y, sample_weight, atom, len(patterns)), patterns
    )


def tall_problem(statistics, X, y, sample_weight, fit_intercept, kind, scales):
    """The full design and the folds from the statistics, or None when they
    cannot serve (a fold too small for the primal form, or expanded errors
    that would lose digits).

    Returns
    -------
    design : CentredDesign or MomentDesign
        With rows (blocks of ``X``, centred on demand) for leave-one-out and
        GCV; only the statistics for splits.
    folds : list of MomentFold or None
    """
    total = statistics.total()
    if kind != "splits":
        if X is None:  # rows out of reach (dask): GCV from the statistics alone
            design = MomentDesign(total, fit_intercept)
        else:
            design = CentredDesign(X, y, sample_weight, fit_intercept, moments=total)
        if kind == "gcv" and not expansion_is_precise(design):
            return None
        return design, None
    design = MomentDesign(total, fit_intercept)
    folds = moment_folds(statistics.atoms, statistics.patterns, fit_intercept, scales)
    if not all(fold.design.primal for fold in folds):
        return None
    if not expansion_is_precise(design):
        return None
    return design, folds
