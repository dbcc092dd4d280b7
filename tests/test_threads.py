"""BLAS thread limits during a fit: no oversubscription, restored afterwards."""

import pytest
from threadpoolctl import ThreadpoolController, threadpool_info

from skhypergrad._core.threads import shared_blas_threads, split_threads


@pytest.mark.parametrize(
    "n_threads, n_pools, expected",
    [(2, 2, [2, 1]), (32, 2, [17, 16]), (8, 3, [4, 3, 3]), (1, 2, [1, 1])],
)
def test_split_threads_fits_the_cores(n_threads, n_pools, expected):
    limits = split_threads(n_threads, n_pools)
    assert limits == expected
    # The caller's thread plus each pool's extra threads fit in the cores.
    assert 1 + sum(limit - 1 for limit in limits) <= max(n_threads, 1)


def blas_threads():
    return {
        info["filepath"]: info["num_threads"]
        for info in threadpool_info()
        if info["user_api"] == "blas"
    }


def test_shared_blas_threads_limits_and_restores():
    before = blas_threads()
    with shared_blas_threads():
        inside = blas_threads()
    assert blas_threads() == before
    if len(before) < 2:
        assert inside == before  # one BLAS library: nothing to share
    else:
        cores = max(before.values())
        assert 1 + sum(n - 1 for n in inside.values()) <= cores


def test_numpys_pool_gets_the_spare_threads():
    from skhypergrad._core.threads import _is_numpys

    controller = ThreadpoolController()
    pools = [lib for lib in controller.lib_controllers if lib.user_api == "blas"]
    numpys = [pool.filepath for pool in pools if _is_numpys(pool)]
    assert len(numpys) <= 1
    before = blas_threads()
    if len(before) < 2 or not numpys:
        pytest.skip("one BLAS library, or none of them NumPy's: nothing to order")
    with shared_blas_threads():
        inside = blas_threads()
    assert inside[numpys[0]] == max(inside.values())
    if max(before.values()) > 1:
        others = [n for path, n in inside.items() if path != numpys[0]]
        assert inside[numpys[0]] > max(others)
