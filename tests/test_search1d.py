"""The one-dimensional searches on functions with known minima."""

import numpy as np
import pytest

from skhypergrad._core.criterion import Criterion, PerTargetCriterion
from skhypergrad._core.search import Search, SearchOptions
from skhypergrad._core.space import Hyperparameter, SearchSpace

BOUNDS = np.log([1e-6, 1e6])
SPACE = SearchSpace((Hyperparameter("x", BOUNDS[None, :], "x_bounds"),))


class Function(Criterion):
    """A ``theta -> (value, grad)`` function as a criterion."""

    def __init__(self, fun):
        self.fun = fun

    def value_and_grad(self, theta):
        return self.fun(theta)


def minimize_by_bracketing(fun, start, log_bounds, *, max_iter, xtol):
    """The driver's one-dimensional search of ``fun`` from ``start``."""
    search = Search(SPACE, SearchOptions(max_iter=max_iter, tol=xtol))
    return search.minimize(Function(fun), np.array([start]))


def smooth_bowl(center):
    """A non-quadratic bowl in log-space with its minimum at ``center``."""

    def fun(theta):
        d = np.asarray(theta, dtype=float) - center
        return np.cosh(d) + 0.1 * d**2, np.sinh(d) + 0.2 * d

    return fun


@pytest.mark.parametrize("center, start", [(2.3, 0.0), (-9.0, 0.0), (5.0, 12.0)])
def test_bracketing_finds_an_interior_minimum(center, start):
    fun = smooth_bowl(center)

    def criterion(theta):
        value, grad = fun(theta)
        return float(value[0]), grad

    xtol = 1e-8
    result = minimize_by_bracketing(criterion, start, BOUNDS, max_iter=100, xtol=xtol)
    # The search stops when a further step is predicted to gain less than
    # xtol (relative): the criterion is within that of its minimum (1.0), and
    # theta within sqrt(2 xtol / f'') of the centre (f'' = 1.2 there).
    assert 0.0 <= result.value - 1.0 <= xtol
    assert result.theta[0] == pytest.approx(center, abs=np.sqrt(2 * xtol / 1.2))
    assert result.n_evaluations < 25


def test_bracketing_stops_on_the_bound():
    def criterion(theta):  # decreasing everywhere: the minimum is the upper bound
        return float(-theta[0]), np.array([-1.0])

    result = minimize_by_bracketing(criterion, 0.0, BOUNDS, max_iter=100, xtol=1e-8)
    assert result.theta[0] == pytest.approx(BOUNDS[1])


class Bowls(PerTargetCriterion):
    """One bowl per target, centred at ``centers``."""

    def __init__(self, centers):
        self.centers = centers
        self.n_targets = centers.size

    def values_and_grads(self, log_alpha, columns=None, with_grad=True):
        c = self.centers if columns is None else self.centers[columns]
        return smooth_bowl(c)(np.broadcast_to(log_alpha, c.shape))

    def scan(self, points):
        return np.array(
            [smooth_bowl(self.centers)(np.full(self.n_targets, p))[0] for p in points]
        )


def test_per_target_search_finds_each_targets_minimum():
    centers = np.array([-10.0, -1.0, 0.3, 4.0, 13.0, 20.0])  # the last on the bound
    grid = np.linspace(*BOUNDS, 13)
    # tol is relative to the criterion (about 1 here), and theta's error is
    # about sqrt(2 tol / f''): 1e-12 locates each minimum to ~1e-6.
    search = Search(SPACE, SearchOptions(max_iter=100, tol=1e-12))
    result = search.minimize_per_target(Bowls(centers), grid)
    expected = np.clip(centers, *BOUNDS)
    np.testing.assert_allclose(result.theta, expected, atol=1e-6)


def test_bracketing_is_fast_when_the_minimum_is_next_to_a_bracket_end():
    # Steps from 0 go to -log(10), then -2 log(10): the minimum at -2.4 sits
    # just past the first of them, where the cubic through the bracket's ends
    # predicts it. A search that bisects whenever the cubic step lands near an
    # end halves the bracket once per evaluation (17 evaluations here).
    center = -2.4

    def criterion(theta):
        d = float(theta[0]) - center
        return np.exp(3.0 * d) - 3.0 * d, np.array([3.0 * np.exp(3.0 * d) - 3.0])

    xtol = 1e-6
    result = minimize_by_bracketing(criterion, 0.0, BOUNDS, max_iter=100, xtol=xtol)
    # Minimum 1.0 with f'' = 9: see test_bracketing_finds_an_interior_minimum.
    assert 0.0 <= result.value - 1.0 <= xtol
    assert result.theta[0] == pytest.approx(center, abs=np.sqrt(2 * xtol / 9.0))
    assert result.n_evaluations <= 6


def test_without_a_cubic_to_follow_the_search_doubles_its_distance_from_the_start():
    """Downhill steps where the cubic through the last two points has no
    minimiser ahead (the criterion ``exp(-x)``, which falls ever more slowly
    towards its infimum) put the points 1, 2, 4, 8, ... first steps from the start:
    an optimum one to two steps away is bracketed by the second step, one far
    away reached in as many steps, plus one, as by doubling each step."""
    criterion, calls = counting(lambda theta: (np.exp(-theta), -np.exp(-theta)))
    first_step = np.log(10.0)
    minimize_by_bracketing(criterion, 0.0, BOUNDS, max_iter=5, xtol=1e-6)
    distances = np.array(calls[:5]) / first_step
    np.testing.assert_allclose(distances, [0.0, 1.0, 2.0, 4.0, 6.0])  # 8: the bound


def counting(fun):
    """``fun`` as a criterion that keeps every point it is called at."""
    calls = []

    def criterion(theta):
        calls.append(float(theta[0]))
        value, grad = fun(theta)
        return float(value[0]), grad

    return criterion, calls


@pytest.mark.parametrize("start, center", [(BOUNDS[0], -13.0), (BOUNDS[1], 13.0)])
def test_a_start_on_a_bound_is_evaluated_once(start, center):
    # A start on a bound is first checked against a coarse scan of the bounds
    # (every two decades), which evaluates it. The minimum is next to the
    # start, the best point of the scan: the search from there reuses the
    # scan's evaluation.
    criterion, calls = counting(smooth_bowl(center))
    result = minimize_by_bracketing(criterion, start, BOUNDS, max_iter=100, xtol=1e-8)
    assert result.theta[0] == pytest.approx(center, abs=1e-3)
    assert calls.count(start) == 1
    assert len(calls) == result.n_evaluations


@pytest.mark.parametrize("start", [0.0, BOUNDS[0]])
def test_a_constant_criterion_stalls(start):
    def constant(theta):
        return np.array([2.0]), np.array([0.0])

    criterion, calls = counting(constant)
    result = minimize_by_bracketing(criterion, start, BOUNDS, max_iter=100, xtol=1e-8)
    assert result.stalled
    assert result.theta[0] == start
    # It looked across the bounds (the coarse scan, every two decades)
    # before concluding so.
    assert min(calls) == BOUNDS[0] and max(calls) == BOUNDS[1]


def test_a_criterion_flat_to_rounding_stalls_at_its_start():
    # Flat to 1e-13 (relative; far below tol), lowest at the lower bound: the
    # differences are rounding, and the search keeps its start, as the
    # warning of a stalled search says.
    def rounding(theta):
        return np.array([2.0 + 1e-13 * np.tanh(theta[0])]), np.array([0.0])

    criterion, _ = counting(rounding)
    result = minimize_by_bracketing(criterion, 1.0, BOUNDS, max_iter=100, xtol=1e-8)
    assert result.stalled
    assert result.theta[0] == 1.0
    assert result.value == 2.0 + 1e-13 * np.tanh(1.0)


def test_a_criterion_flat_only_at_its_start_does_not_stall():
    # Flat to 1e-14 around the start -13, a bowl at 5 beyond -8: the coarse
    # scan finds the bowl, and the search goes on from there.
    def plateau(theta):
        x = float(theta[0])
        gate = 1.0 / (1.0 + np.exp(-10.0 * (x + 8.0)))
        bowl = np.cosh(x - 5.0) - 2.0
        grad = 10.0 * gate * (1.0 - gate) * bowl + gate * np.sinh(x - 5.0)
        return 1.0 + gate * bowl, np.array([grad])

    result = minimize_by_bracketing(plateau, -13.0, BOUNDS, max_iter=100, xtol=1e-8)
    assert not result.stalled
    assert result.theta[0] == pytest.approx(5.0, abs=1e-3)


def test_a_start_within_tol_of_the_minimum_is_kept():
    # From 1e-4 off the minimum of a bowl (f'' = 1.2), the criterion there
    # is 6e-9 above it: below tol = 1e-8 (relative), the search keeps its
    # start; with tol = 1e-10 it moves to the minimum.
    def criterion(theta):
        value, grad = smooth_bowl(2.0)(theta)
        return float(value[0]), grad

    for tol, kept in ((1e-8, True), (1e-10, False)):
        result = minimize_by_bracketing(
            criterion, 2.0 + 1e-4, BOUNDS, max_iter=100, xtol=tol
        )
        assert (result.theta[0] == 2.0 + 1e-4) == kept
        assert result.value - 1.0 <= tol
