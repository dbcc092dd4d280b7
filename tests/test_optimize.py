"""The outer L-BFGS-B loop: it finds the minimum and spends no evaluation twice."""

import numpy as np
import pytest

from skhypergrad._core.optimize import SearchRecord, minimize_criterion

BOUNDS = np.log([[1e-6, 1e6], [1e-6, 1e6]])
CENTER = np.array([1.5, -2.0])


def counted_bowl():
    calls = []

    def fun(theta):
        calls.append(np.array(theta, dtype=float))
        d = theta - CENTER
        return float(np.sum(np.cosh(d))), np.sinh(d)

    return fun, calls


@pytest.mark.parametrize("recorded", [False, True])
def test_start_taken_from_the_record_is_not_evaluated_again(recorded):
    fun, calls = counted_bowl()
    start = np.array([0.0, 0.0])
    record = SearchRecord()
    if recorded:  # e.g. the best point of a scan
        record.add(start, fun(start)[0])
        calls.clear()
    result = minimize_criterion(fun, start, BOUNDS, tol=1e-10, record=record)
    np.testing.assert_allclose(result.theta, CENTER, atol=1e-4)
    at_start = sum(np.array_equal(theta, start) for theta in calls)
    # The scale (the criterion at the start) comes from the record, or from the
    # evaluation that L-BFGS-B then reuses: the start costs one evaluation
    # (the record holds no gradient), not one for the scale and one more.
    assert at_start == 1
