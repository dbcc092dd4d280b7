"""BLAS thread limits that keep two BLAS libraries from oversubscribing the cores.

Wheels of NumPy and SciPy from PyPI each bundle their own OpenBLAS, each with a
pool of one thread per core. The searches alternate NumPy products with SciPy
factorisations, and a pool's idle threads keep spinning after each call, so the
two pools fight for the cores: on 2 cores a small fit ran 20x slower with both
pools at 2 threads than with one of them at 1 (``doc/benchmarks.rst``).

:func:`shared_blas_threads` caps the pools during a fit so that the calling
thread plus every pool's extra threads do not exceed the cores the pools were
given: with ``k`` pools and ``C`` threads each, every pool gets
``1 + (C - 1) // k`` threads and NumPy's pool the remainder: the products that
dominate the fits (Gram matrices, Hessian-vector products) run in NumPy, and
with threadpoolctl's order of the pools, which varies from one process to the
next, a 5000 x 200 logistic fit took 0.59 s or 0.92 s depending on which pool
got the second thread. With a single BLAS library (MKL, or one shared OpenBLAS)
nothing changes.
"""

import threading
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

_NUMPY_DIR = Path(np.__file__).resolve().parent


def _is_numpys(pool):
    """Whether a BLAS pool is the library NumPy ships (``numpy.libs``) or links."""
    path = Path(pool.filepath).resolve()
    return path.parent.name == "numpy.libs" or _NUMPY_DIR in path.parents


def split_threads(n_threads, n_pools):
    """Threads for each of ``n_pools`` pools sharing ``n_threads`` cores.

    Parameters
    ----------
    n_threads : int
        Threads each pool would use on its own.
    n_pools : int

    Returns
    -------
    list of int
        One limit per pool; their extra threads plus the caller's fit in
        ``n_threads``.
    """
    spare = n_threads - 1
    share, remainder = divmod(spare, n_pools)
    return [1 + share + (remainder if k == 0 else 0) for k in range(n_pools)]


class _SharedLimits:
    """The limits of the running fits. The first fit to start sets them and,
    when it ends, restores them, in its own thread: with OpenBLAS's own
    threads, threadpoolctl lets only the thread that set a limit change it
    again. Fits that run meanwhile in other threads share those limits and
    touch nothing. (Each fit saving and restoring limits on its own, fits in
    concurrent threads restored each other's limits in the wrong order and
    left a pool capped after every fit had ended.)"""

    def __init__(self):
        self.lock = threading.Lock()
        self.owner = None
        self.stack = None

    def enter(self):
        """Set the limits unless a fit in another thread holds them; return
        whether this fit owns them."""
        with self.lock:
            if self.owner is not None:
                return False
            self.owner = threading.get_ident()
            self.stack = _limit_pools()
            return True

    def leave(self, owned):
        """Restore the limits if this fit set them."""
        if not owned:
            return
        with self.lock:
            self.stack.close()
            self.stack = None
            self.owner = None


_SHARED = _SharedLimits()


_CONTROLLER = []


def _controller():
    """One :class:`~threadpoolctl.ThreadpoolController` for the process:
    finding the loaded libraries takes milliseconds, a fifth of a small fit.
    NumPy's and SciPy's BLAS are loaded when the package is imported, so the
    first fit sees every pool it caps; pools' thread counts are read live."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def _limit_pools():
    """Cap the BLAS pools (see the module docstring); the returned stack
    restores them when closed."""
    stack = ExitStack()
    controller = _controller()
    pools = [lib for lib in controller.lib_controllers if lib.user_api == "blas"]
    pools.sort(key=lambda pool: not _is_numpys(pool))  # NumPy's pool first
    if len(pools) < 2:
        return stack
    n_threads = max(pool.num_threads for pool in pools)
    limits = split_threads(n_threads, len(pools))
    for pool, limit in zip(pools, limits, strict=True):
        if limit < pool.num_threads:
            selected = controller.select(filepath=pool.filepath)
            stack.enter_context(selected.limit(limits=limit))
    return stack


@contextmanager
def shared_blas_threads():
    """Context in which several BLAS libraries share the cores without spinning
    against each other; concurrent fits share one set of limits."""
    owned = _SHARED.enter()
    try:
        yield
    finally:
        _SHARED.leave(owned)
