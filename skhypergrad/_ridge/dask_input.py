"""GradientRidgeCV on dask arrays: the sufficient statistics of every fold in
one pass over the row chunks, wherever dask runs them.

Each chunk of rows is summed into per-atom moments on the worker that holds
it (:class:`~skhypergrad._ridge.statistics.MomentAccumulator`); the partial
sums are added pairwise, and only ``n_folds`` sets of ``p x p`` sums reach
this process. The folds are assigned from the rows' positions, chunk by
chunk: no array of ``n_samples`` is ever built here. With
``KFold(shuffle=False)`` (and an int ``cv``) they are
:class:`~sklearn.model_selection.KFold`'s folds exactly. With
``shuffle=True``, each chunk's rows are dealt to the folds in turn, in an
order drawn from ``random_state`` and the chunk's index: every fold gets
the same share of each chunk, to one row, but not the rows KFold's
permutation of all ``n_samples`` would give.
"""

from dataclasses import dataclass, replace
from numbers import Integral

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight

from .statistics import BLOCK_ROWS, MomentAccumulator
from .tall import TallStatistics


def is_dask_collection(obj):
    """Whether ``obj`` is a dask array, data frame or series (False when dask
    is not installed)."""
    module = type(obj).__module__
    if not module.startswith("dask"):
        return False
    import dask

    return dask.is_dask_collection(obj)


def as_row_chunks(data, name, ndim=(1, 2), numeric=True):
    """A dask array chunked by rows only, with known chunk sizes.

    Parameters
    ----------
    data : dask array, data frame or series
    name : str
        The parameter, for the error messages.
    ndim : tuple of int
        Accepted numbers of dimensions.
    numeric : bool, default=True
        Refuse other dtypes than numbers (not for class labels).

    Returns
    -------
    dask.array.Array
    """
    if hasattr(data, "to_dask_array"):  # dask DataFrame or Series
        data = data.to_dask_array(lengths=True)
    if data.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimensions.")
    if any(np.isnan(size) for size in data.chunks[0]):
        raise ValueError(
            f"{name} has unknown chunk sizes: call {name}.compute_chunk_sizes() "
            "(or to_dask_array(lengths=True) for a data frame) first."
        )
    if data.ndim == 2 and len(data.chunks[1]) > 1:
        raise ValueError(
            f"{name} must be chunked by rows only (every column in each chunk): "
            f"rechunk it with {name}.rechunk({{1: -1}})."
        )
    if numeric and not np.issubdtype(data.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got dtype {data.dtype}.")
    return data


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
    fraction = test_size / n_samples if test_size >= 1 else float(test_size)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"test_size={test_size!r} leaves no test or training rows.")
    seed = int(check_random_state(cv.random_state).randint(2**31 - 1))
    return ChunkHoldout(fraction, seed)


def dask_statistics(X, y, sample_weight, folds):
    """The moments of every fold, and the largest absolute values of ``X``
    and ``y``, in one pass over the chunks.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features), chunked by rows
    y : dask array of shape (n_samples, n_targets), the same row chunks
    sample_weight : dask array of shape (n_samples,) or None
    folds : ChunkFolds or AllRows

    Returns
    -------
    statistics : TallStatistics
    largest : tuple of float
        ``max |X|`` and ``max |y|``.
    """
    import dask

    x_shift, y_shift = _reference_shift(X, y, sample_weight)
    x_blocks = X.to_delayed().ravel()
    y_blocks = y.to_delayed().ravel()
    w_blocks = (
        [None] * len(x_blocks)
        if sample_weight is None
        else sample_weight.to_delayed().ravel()
    )
    starts = np.concatenate([[0], np.cumsum(X.chunks[0])])
    partial = [
        dask.delayed(_chunk_moments)(
            xb, yb, wb, int(starts[c]), c, folds, x_shift, y_shift
        )
        for c, (xb, yb, wb) in enumerate(zip(x_blocks, y_blocks, w_blocks, strict=True))
    ]
    while len(partial) > 1:  # pairwise sums: no worker holds them all
        pairs = [partial[i : i + 2] for i in range(0, len(partial), 2)]
        partial = [
            dask.delayed(_merge)(*pair) if len(pair) == 2 else pair[0] for pair in pairs
        ]
    (accumulator, x_max, y_max) = dask.compute(partial[0])[0]
    return TallStatistics(accumulator.atoms(), folds.patterns()), (x_max, y_max)


def _reference_shift(X, y, sample_weight):
    """Shifts close to the means, from the first chunk (a reference for the
    sums, see :mod:`~skhypergrad._ridge.statistics`; any value is exact)."""
    import dask

    rows = slice(0, X.chunks[0][0])
    first = dask.compute(
        X[rows], y[rows], None if sample_weight is None else sample_weight[rows]
    )
    x, target = (np.asarray(a, dtype=np.float64) for a in first[:2])
    weight = np.ones(x.shape[0]) if first[2] is None else np.asarray(first[2], float)
    if not weight.sum() > 0:
        weight = np.ones(x.shape[0])
    return weight @ x / weight.sum(), weight @ target / weight.sum()


def _chunk_moments(X, y, sample_weight, start, chunk_index, folds, x_shift, y_shift):
    """The per-fold moments of one chunk (run where the chunk is), and the
    largest absolute values of its ``X`` and ``y``."""
    accumulator = MomentAccumulator(folds.n_atoms, x_shift, y_shift, X.shape[1])
    labels = folds.labels(start, start + X.shape[0], chunk_index)
    y = np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1)
    x_max = 0.0
    for low in range(0, X.shape[0], BLOCK_ROWS):
        rows = slice(low, low + BLOCK_ROWS)
        block = X[rows]
        x_max = max(x_max, _largest(block))
        weight = None if sample_weight is None else np.asarray(sample_weight[rows])
        atom = labels if np.ndim(labels) == 0 else labels[rows]
        accumulator.add(block, y[rows], weight, atom)
    return accumulator, x_max, _largest(y)


def _largest(values):
    """``max |values|`` without a temporary (0 for no values)."""
    return max(float(values.max(initial=0.0)), -float(values.min(initial=0.0)))


def _merge(first, second):
    """The sums and largest values of two parts of the rows."""
    return first[0].merge(second[0]), max(first[1], second[1]), max(first[2], second[2])


def rescaled(statistics, x_factor, y_factor):
    """The statistics of the rows with ``X`` times ``x_factor`` and ``y``
    times ``y_factor`` (powers of two: exact)."""
    atoms = [
        atom.scale_features(np.full(atom.x.shape[0], x_factor)).scale_targets(
            np.full(atom.n_targets, y_factor)
        )
        for atom in statistics.atoms
    ]
    return replace(statistics, atoms=atoms)


def predict_chunks(X, coef, intercept, n_features):
    """``X @ coef.T + intercept`` chunk by chunk: a dask array of the rows'
    predictions, ``(n_samples,)`` for a 1-D ``coef``, else
    ``(n_samples, n_targets)``."""
    X = as_row_chunks(X, "X", (2,))
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model was fitted on {n_features}."
        )
    dtype = np.result_type(X.dtype, coef.dtype)
    if coef.ndim == 1:
        return X.map_blocks(_linear, coef, intercept, dtype=dtype, drop_axis=1)
    chunks = (X.chunks[0], (coef.shape[0],))
    return X.map_blocks(_linear, coef, intercept, dtype=dtype, chunks=chunks)


def _linear(block, coef, intercept):
    return block @ coef.T + intercept


def dask_class_targets(y, class_weight):
    """The classes of dask labels, their +1/-1 target columns (one for two
    classes) and the class weights of the rows, chunk by chunk.

    Parameters
    ----------
    y : dask array of shape (n_samples,)
    class_weight : None, "balanced" or dict

    Returns
    -------
    classes : ndarray
    Y : dask array of shape (n_samples, 1) or (n_samples, n_classes)
    row_weight : dask array of shape (n_samples,) or None
    """
    import dask.array as da

    y = as_row_chunks(y, "y", (1,), numeric=False)
    classes, counts = (
        np.asarray(a) for a in da.compute(*da.unique(y, return_counts=True))
    )
    if classes.size < 2:
        raise ValueError(
            f"y has only one class ({classes[0]!r}): a classifier needs at least "
            "2 classes."
        )
    n_columns = 1 if classes.size == 2 else classes.size
    Y = y.map_blocks(
        _plus_minus_one,
        classes,
        new_axis=1,
        chunks=(y.chunks[0], (n_columns,)),
        dtype=np.float64,
    )
    if not class_weight:
        return classes, Y, None
    if class_weight == "balanced":  # scikit-learn's n / (n_classes * count)
        weights = counts.sum() / (classes.size * counts)
    else:
        weights = compute_class_weight(class_weight, classes=classes, y=classes)
    row_weight = y.map_blocks(_class_of, classes, weights, dtype=np.float64)
    return classes, Y, row_weight


def _plus_minus_one(labels, classes):
    """+1 in the column of each row's class, -1 elsewhere (the positive class's
    column only, for two classes)."""
    index = np.searchsorted(classes, labels)
    columns = np.where(np.arange(classes.size) == index[:, None], 1.0, -1.0)
    return columns[:, 1:] if classes.size == 2 else columns


def _class_of(labels, classes, values):
    return values[np.searchsorted(classes, labels)]
