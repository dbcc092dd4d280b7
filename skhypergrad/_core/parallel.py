"""Parallel work with joblib, on any backend, with results that do not
depend on ``n_jobs`` or on the backend.

Two rules make that so. Work is split into batches that depend on the
problem only (:func:`batches`): matrix products on a different number of
columns may round differently. And work sent to other processes travels as
one pickled payload each way (:func:`parallel_map`): some backends (dask's)
deliver arrays in unaligned buffers, on which BLAS takes other code paths
and rounds differently; unpickled arrays are fresh, aligned copies.
"""

import pickle

import numpy as np
from joblib import effective_n_jobs
from joblib.parallel import get_active_backend
from sklearn.utils.parallel import Parallel, delayed


def batches(n_items, batch_size):
    """Split ``range(n_items)`` into contiguous batches of ``batch_size``
    items (the last one smaller), whatever the number of workers.

    Returns
    -------
    list of ndarray of int
    """
    n_batches = max(-(-n_items // batch_size), 1)
    return np.array_split(np.arange(n_items), n_batches)


def parallel_map(function, argument_lists, n_jobs):
    """``[function(*args) for args in argument_lists]``, in parallel.

    Joblib with threads preferred, under whatever backend the caller chose
    (``joblib.parallel_config``, e.g. dask's); in this process when
    ``n_jobs`` gives one worker. ``function`` must be importable (defined at
    a module's top level); the arguments and results must pickle when the
    backend runs other processes.
    """
    argument_lists = list(argument_lists)
    if effective_n_jobs(n_jobs) == 1 or len(argument_lists) < 2:
        return [function(*args) for args in argument_lists]
    parallel = Parallel(n_jobs=n_jobs, prefer="threads")
    backend, _ = get_active_backend(prefer="threads")  # the one Parallel uses
    if getattr(backend, "supports_sharedmem", False):  # threads: nothing copied
        return parallel(delayed(function)(*args) for args in argument_lists)
    packed = parallel(
        delayed(_call_packed)(pickle.dumps((function, args), protocol=5))
        for args in argument_lists
    )
    return [pickle.loads(result) for result in packed]


def _call_packed(payload):
    """Unpickle ``(function, args)``, call it, pickle the result."""
    function, args = pickle.loads(payload)
    return pickle.dumps(function(*args), protocol=5)
