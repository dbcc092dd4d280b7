"""The search driver's L-BFGS-B: it finds the minimum and spends no
evaluation twice."""

import numpy as np
import pytest

from skhypergrad._core.criterion import Criterion
from skhypergrad._core.search import Search, SearchOptions
from skhypergrad._core.space import Hyperparameter, SearchSpace

BOUNDS = np.log([[1e-6, 1e6], [1e-6, 1e6]])
CENTER = np.array([1.5, -2.0])
SPACE = SearchSpace((Hyperparameter("x", BOUNDS, "x_bounds"),))


class CountedBowl(Criterion):
    def __init__(self):
        self.calls = []

    def value_and_grad(self, theta):
        self.calls.append(np.array(theta, dtype=float))
        d = theta - CENTER
        return float(np.sum(np.cosh(d))), np.sinh(d)


@pytest.mark.parametrize("recorded", [False, True])
def test_start_taken_from_the_record_is_not_evaluated_again(recorded):
    fun = CountedBowl()
    calls = fun.calls
    start = np.array([0.0, 0.0])
    search = Search(SPACE, SearchOptions(tol=1e-10))
    if recorded:  # e.g. the best point of a scan
        search.add(start, fun(start)[0], "scan")
        calls.clear()
    result = search.minimize(fun, start)
    np.testing.assert_allclose(result.theta, CENTER, atol=1e-4)
    at_start = sum(np.array_equal(theta, start) for theta in calls)
    # The scale (the criterion at the start) comes from the record, or from the
    # evaluation that L-BFGS-B then reuses: the start costs one evaluation
    # (the record holds no gradient), not one for the scale and one more.
    assert at_start == 1
