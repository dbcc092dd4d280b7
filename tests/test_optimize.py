"""The search driver's L-BFGS-B: it finds the minimum and spends no
evaluation twice."""

import numpy as np
import pytest

from skhypergrad._core.criterion import Criterion
from skhypergrad._core.record import SearchRecord
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


@pytest.mark.parametrize("recorded", ["nothing", "value", "value and gradient"])
def test_start_taken_from_the_record_is_not_evaluated_again(recorded):
    fun = CountedBowl()
    calls = fun.calls
    start = np.array([0.0, 0.0])
    search = Search(SPACE, SearchOptions(tol=1e-10))
    if recorded == "value":  # e.g. the best point of a scan
        search.add(start, fun(start)[0], "scan")
    elif recorded == "value and gradient":  # e.g. a candidate start
        search.evaluate(fun, start, "scan")
    n_before = len(calls)
    result = search.minimize(fun, start)
    np.testing.assert_allclose(result.theta, CENTER, atol=1e-4)
    at_start = sum(np.array_equal(theta, start) for theta in calls[n_before:])
    # The scale (the criterion at the start) comes from the record, or from the
    # evaluation that L-BFGS-B then reuses: the start costs one evaluation
    # when the record holds no gradient there, none when it does.
    assert at_start == (0 if recorded == "value and gradient" else 1)


def test_result_gives_the_gradient_and_the_bound_hit():
    # The second coordinate's minimum (-2) lies below its lower bound (-1).
    bounds = np.array([[-5.0, 5.0], [-1.0, 5.0]])
    space = SearchSpace((Hyperparameter("x", bounds, "x_bounds"),))
    result = Search(space, SearchOptions(tol=1e-12)).minimize(
        CountedBowl(), np.zeros(2)
    )
    np.testing.assert_allclose(result.theta, [CENTER[0], -1.0], atol=1e-5)
    np.testing.assert_allclose(result.grad, np.sinh(result.theta - CENTER))
    (sentence,) = result.bounds_hit
    assert "lower bound" in sentence and "1 of 2 values" in sentence
    assert result.converged and not result.stalled


class Constant(Criterion):
    def value_and_grad(self, theta):
        return 2.0, np.zeros_like(theta)


def test_a_constant_criterion_stalls():
    start = np.array([1.0, -1.0])
    result = Search(SPACE, SearchOptions(random_state=0)).minimize(Constant(), start)
    assert result.stalled
    np.testing.assert_array_equal(result.theta, start)
    # L-BFGS-B cannot leave a zero gradient: it tried two log-uniform starts
    # before concluding so.
    phases = list(result.history["phase"])
    assert phases == ["search", "restart 1 of 2", "restart 2 of 2"]


class FarBasin(Criterion):
    """``1 - exp(-|theta|^2 / 200)``: flat (to 1e-7) near the corners of
    [-40, 40]^2, a minimum 0 at the origin."""

    def value_and_grad(self, theta):
        bump = np.exp(-(theta @ theta) / 200.0)
        return 1.0 - bump, theta / 100.0 * bump


def test_lbfgs_leaves_a_flat_start_by_restarts():
    space = SearchSpace((Hyperparameter("x", np.full((2, 2), [-40.0, 40.0]), "x"),))
    start = np.array([40.0, 40.0])
    options = SearchOptions(tol=1e-6, random_state=0)
    result = Search(space, options).minimize(FarBasin(), start)
    assert not result.stalled
    np.testing.assert_allclose(result.theta, [0.0, 0.0], atol=0.05)
    phases = list(result.history["phase"])
    assert phases[0] == "search" and phases.count("search") == 1
    assert "restart 1 of 2" in phases


def test_a_restart_replaces_the_point_kept_only_beyond_tol():
    """Searches are compared in their order: a restart's best replaces the
    point kept only when lower by more than ``tol`` times its value, so that
    end points on a flat valley, equal but for rounding, do not decide."""
    tol = 1e-6
    record = SearchRecord()
    evaluations = [
        ("scan", 1.2),
        ("search", 1.0),
        ("restart 1 of 3", 1.0 - 1e-9),  # rounding: the first search's stays
        ("restart 2 of 3", 1.1),
        ("restart 2 of 3", 0.8),  # lower by far: kept
        ("restart 3 of 3", 0.8 - 1e-9),  # rounding again
    ]
    for k, (phase, value) in enumerate(evaluations):
        record.add([float(k)], value, phase, time=0.0)
    theta, value = record.best_over_searches(tol)
    assert (theta[0], value) == (4.0, 0.8)
    assert record.best()[1] == 0.8 - 1e-9  # the plain minimum differs
    # Without restarts, the first search's best, scans included.
    first = SearchRecord()
    for k, (phase, value) in enumerate(evaluations[:2]):
        first.add([float(k)], value, phase, time=0.0)
    theta, value = first.best_over_searches(tol)
    assert (theta[0], value) == (1.0, 1.0)


class Slope(Criterion):
    """``exp(theta)``: lowest on the lower bound of a one-dimensional space."""

    def value_and_grad(self, theta):
        return float(np.exp(theta[0])), np.exp(theta)


def test_restarts_of_a_line_search_do_not_scan_the_bounds_again():
    """A first search that ends on a bound checks it by a coarse scan of the
    bounds; the restarts, which start elsewhere at random, do not repeat it
    (they ran as their own searches, whose records hold no scan)."""
    bounds = np.log([[1e-6, 1e6]])
    space = SearchSpace((Hyperparameter("x", bounds, "x_bounds"),))
    options = SearchOptions(tol=1e-6, n_restarts=2, random_state=0)
    result = Search(space, options).minimize(Slope(), np.array([0.0]))
    np.testing.assert_allclose(result.theta, bounds[:, 0])
    history = result.history
    phases = np.asarray(history["phase"])
    scanned = {float(x) for x in np.asarray(history["x"])[phases == "scan"]}
    interior = scanned - set(np.exp(bounds[0]).tolist())  # not the bounds
    assert len(interior) >= 2  # the first search scanned the bounds
    for k in (1, 2):
        restart = np.asarray(history["x"])[phases == f"restart {k} of 2"]
        assert restart.size > 0
        assert not interior & set(restart.tolist()), (k, restart)
