"""GradientRidgeCV on dask arrays: the sufficient statistics of every fold in
one pass over the row chunks, wherever dask runs them.

Each chunk of rows is summed into per-atom moments on the worker that holds
it (:class:`~skhypergrad._ridge.statistics.MomentAccumulator`), with the
folds of its rows (:mod:`skhypergrad._ridge.chunk_folds`); the partial sums
are added pairwise, and only ``n_folds`` sets of ``p x p`` sums reach this
process. Also here: the checks of dask input, the +1/-1 targets of dask
labels, and predictions chunk by chunk.
"""

from dataclasses import replace

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from .._core.validation import largest_magnitude
from .statistics import MomentAccumulator, accumulate, reference_shift
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


def dask_statistics(X, y, sample_weight, folds):
    """The moments of every fold, and the largest absolute values of ``X``
    and ``y``, in one pass over the chunks.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features), chunked by rows
    y : dask array of shape (n_samples, n_targets), the same row chunks
    sample_weight : dask array of shape (n_samples,) or None
    folds : ChunkFolds, ChunkHoldout or AllRows
        Of :mod:`skhypergrad._ridge.chunk_folds`.

    Returns
    -------
    statistics : TallStatistics
    largest : tuple of float
        ``max |X|`` and ``max |y|``.
    """
    import dask

    x_blocks = X.to_delayed().ravel()
    y_blocks = y.to_delayed().ravel()
    w_blocks = (
        [None] * len(x_blocks)
        if sample_weight is None
        else sample_weight.to_delayed().ravel()
    )
    # The reference comes from the first chunk, made once for both tasks.
    shift = dask.delayed(_reference_shift, nout=2)(
        x_blocks[0], y_blocks[0], w_blocks[0]
    )
    starts = np.concatenate([[0], np.cumsum(X.chunks[0])])
    partial = [
        dask.delayed(_chunk_moments)(xb, yb, wb, int(starts[c]), c, folds, *shift)
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
    """The reference of the sums (:func:`~skhypergrad._ridge.statistics.
    reference_shift`) from one chunk (the first); any value is exact, one
    close to the means keeps the digits."""
    weight = (
        np.ones(X.shape[0])
        if sample_weight is None
        else np.asarray(sample_weight, float)
    )
    y = np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1)
    return reference_shift(X, y, weight)


def _chunk_moments(X, y, sample_weight, start, chunk_index, folds, x_shift, y_shift):
    """The per-fold moments of one chunk (run where the chunk is), and the
    largest absolute values of its ``X`` and ``y``."""
    accumulator = MomentAccumulator(folds.n_atoms, x_shift, y_shift, X.shape[1])
    labels = folds.labels(start, start + X.shape[0], chunk_index)
    y = np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1)
    weight = None if sample_weight is None else np.asarray(sample_weight)
    x_max = accumulate(accumulator, X, y, weight, labels, largest=True)
    return accumulator, x_max, largest_magnitude(y)


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
