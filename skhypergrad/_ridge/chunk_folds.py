"""Folds of dask arrays, assigned chunk by chunk from the rows' positions.

No array of ``n_samples`` is ever built in the client: each chunk computes
its own rows' folds where it is. With ``KFold(shuffle=False)`` (and an int
``cv``) they are :class:`~sklearn.model_selection.KFold`'s folds exactly.
With ``shuffle=True``, each chunk's rows are dealt to the folds in turn, in
an order drawn from ``random_state`` and the chunk's index: every fold gets
the same share of each chunk, to one row, but not the rows KFold's
permutation of all ``n_samples`` would give. A one-split
:class:`~sklearn.model_selection.ShuffleSplit` holds out ``test_size`` of each
chunk's rows, drawn the same way; ``"gcv"`` puts every row in one atom.
"""

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit
from sklearn.utils import check_random_state


@dataclass(frozen=True)
class ChunkFolds:
    """The fold of every row, computed from its position.

    Parameters
    ----------
    n_samples : int
    n_splits : int
    shuffle : bool
    random_state : int or None
    """

    n_samples: int
    n_splits: int
    shuffle: bool = False
    random_state: object = None

    @property
    def n_atoms(self):
        return self.n_splits

    def patterns(self):
        """Atom ``k`` is fold ``k``: in the test rows of split ``k``, in the
        training rows of the others (the codes of ``split_atoms``)."""
        return np.where(np.eye(self.n_splits, dtype=bool), 2, 1).astype(np.int8)

    def labels(self, start, stop, chunk_index):
        """The folds of rows ``start .. stop - 1`` (chunk ``chunk_index``)."""
        if not self.shuffle:
            # KFold: the first n_samples % n_splits folds have one more row.
            sizes = np.full(self.n_splits, self.n_samples // self.n_splits)
            sizes[: self.n_samples % self.n_splits] += 1
            ends = np.cumsum(sizes)
            return np.searchsorted(ends, np.arange(start, stop), side="right")
        rng = np.random.default_rng([self.random_state or 0, chunk_index])
        return rng.permutation(np.arange(start, stop) % self.n_splits)


@dataclass(frozen=True)
class AllRows:
    """Every row in one atom: the statistics of GCV (no splits)."""

    n_atoms = 1

    def patterns(self):
        return None

    def labels(self, start, stop, chunk_index):
        return 0


@dataclass(frozen=True)
class ChunkHoldout:
    """One held-out split: in each chunk, ``test_fraction`` of its rows
    (rounded), drawn from ``random_state`` and the chunk's index, are the
    test rows (atom 0), the others the training rows (atom 1).

    Parameters
    ----------
    test_fraction : float
    random_state : int
    """

    test_fraction: float
    random_state: int
    n_atoms = 2

    def patterns(self):
        return np.array([[2], [1]], dtype=np.int8)

    def labels(self, start, stop, chunk_index):
        """1 for the training rows, 0 for the test rows of the chunk."""
        n_rows = stop - start
        n_test = int(round(self.test_fraction * n_rows))
        rng = np.random.default_rng([self.random_state, chunk_index])
        labels = np.ones(n_rows, dtype=np.int64)
        labels[rng.choice(n_rows, n_test, replace=False)] = 0
        return labels


def chunk_folds(cv, n_samples):
    """The folds of ``cv`` on dask input: an int or a
    :class:`~sklearn.model_selection.KFold`, or ``"gcv"`` (all rows in one
    atom); anything else raises."""
    if isinstance(cv, str) and cv == "gcv":
        return AllRows()
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv as an int is the number of folds, >= 2; got {cv}.")
        return ChunkFolds(n_samples, int(cv))
    if type(cv) is ShuffleSplit and cv.n_splits == 1:
        return _holdout(cv, n_samples)
    if type(cv) is KFold:
        if cv.n_splits > n_samples:
            raise ValueError(
                f"cv has n_splits={cv.n_splits} folds for {n_samples} samples."
            )
        seed = None
        if cv.shuffle:
            seed = int(check_random_state(cv.random_state).randint(2**31 - 1))
        return ChunkFolds(n_samples, cv.n_splits, cv.shuffle, seed)
    raise ValueError(
        "With dask arrays, cv must be an int or a KFold (folds assigned chunk by "
        "chunk from the rows' positions), a ShuffleSplit with n_splits=1 (a "
        f"held-out split) or 'gcv'; got cv={cv!r}. Exact leave-one-out "
        "(cv=None) needs the rows in memory: pass NumPy arrays."
    )


def _holdout(cv, n_samples):
    """The held-out split of a one-split ShuffleSplit, chunk by chunk."""
    if cv.train_size is not None:
        raise ValueError(
            "With dask arrays, a ShuffleSplit takes test_size only (the other "
            f"rows train); got train_size={cv.train_size!r}."
        )
    test_size = 0.1 if cv.test_size is None else cv.test_size
    # As ShuffleSplit: an int is a number of rows, a float a fraction.
    is_count = isinstance(test_size, Integral)
    fraction = test_size / n_samples if is_count else float(test_size)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"test_size={test_size!r} leaves no test or training rows.")
    seed = int(check_random_state(cv.random_state).randint(2**31 - 1))
    return ChunkHoldout(fraction, seed)
