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


class CoarseBowl(Criterion):
    """A bowl whose coarse evaluations err by nearly all they may: the
    gradient is moved towards zero, and past it, by 0.95 of the allowed
    error; the value by a hair. Logs every call."""

    coarse = True

    def __init__(self, center):
        self.fun = smooth_bowl(center)
        self.calls = []  # (x, gradient_error or None)
        self.returned = []  # (value, derivative) of each call

    def value_and_grad(self, theta):
        self.calls.append((float(theta[0]), None))
        value, grad = self.fun(theta)
        self.returned.append((value[0], grad[0]))
        return float(value[0]), grad

    def coarse_value_and_grad(self, theta, gradient_error):
        self.calls.append((float(theta[0]), gradient_error))
        value, grad = self.fun(theta)
        shift = 0.95 * gradient_error * abs(value[0]) * np.sign(grad)
        self.returned.append((value[0] * (1 + 1e-12), grad[0] - shift[0]))
        return self.returned[-1][0], grad - shift


@pytest.mark.parametrize("center", [7.0, -11.0, 13.3])
def test_the_expansion_asks_coarse_points_and_the_result_is_accurate(center):
    criterion = CoarseBowl(center)
    tol = 1e-8
    search = Search(SPACE, SearchOptions(max_iter=100, tol=tol))
    result = search.minimize(criterion, np.array([0.0]))
    calls = criterion.calls
    assert calls[0] == (0.0, tol)  # the start: to what the stop can tell
    coarse = [(x, error) for x, error in calls[1:] if error is not None]
    assert len(coarse) >= 2  # the expansion's points
    # Each asks for 0.1 of the derivative the point before it returned.
    for k, (_, error) in enumerate(calls):
        if k > 0 and error is not None:
            value, derivative = criterion.returned[k - 1]
            assert error == pytest.approx(0.1 * abs(derivative) / value, rel=1e-12)
    # The minimum as without coarse points, and its record is accurate.
    assert 0.0 <= result.value - 1.0 <= tol
    assert result.theta[0] == pytest.approx(center, abs=np.sqrt(2 * tol / 1.2))
    assert not search.record.is_coarse(result.theta)
    value, grad = criterion.fun(result.theta)
    assert result.value == value[0]
    np.testing.assert_array_equal(result.grad, grad)
    # One row of history per point, refinements included in their point's row.
    assert len(result.history["x"]) == len({x for x, _ in calls})


def test_a_coarse_point_on_the_bound_is_refined():
    # Decreasing towards the upper bound: the search ends there, on a point
    # the expansion asked coarsely; the result's value is the accurate one.
    criterion = CoarseBowl(40.0)
    search = Search(SPACE, SearchOptions(max_iter=100, tol=1e-8))
    result = search.minimize(criterion, np.array([0.0]))
    assert result.theta[0] == BOUNDS[1]
    assert (BOUNDS[1], None) in criterion.calls
    assert any(x == BOUNDS[1] and error is not None for x, error in criterion.calls)
    value, _ = criterion.fun(result.theta)
    assert result.value == value[0]


def test_a_coarse_point_whose_sign_is_in_doubt_is_refined_at_once():
    # The expansion's second point, 2 decades from the start, lands 1e-3 from
    # the minimum: its derivative is below the error it was asked with, so
    # the search asks for it again, accurately, before deciding anything.
    second = 2 * np.log(10.0)
    criterion = CoarseBowl(second + 1e-3)
    search = Search(SPACE, SearchOptions(max_iter=100, tol=1e-8))
    result = search.minimize(criterion, np.array([0.0]))
    calls = criterion.calls
    assert calls[2] == (pytest.approx(second), calls[2][1]) and calls[2][1] > 0
    assert calls[3] == (calls[2][0], None)
    assert result.theta[0] == pytest.approx(second + 1e-3, abs=1e-4)


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


def test_a_coarse_start_within_tol_of_stationary_is_refined():
    # At the start the derivative is -1.5e-8, just above tol = 1e-8 (the
    # criterion is about 1); the coarse one, asked to within tol, is -5.5e-9:
    # the start would look stationary. The search asks again, accurately,
    # and steps on from the start (a decade), as without coarse points.
    criterion = CoarseBowl(1.25e-8)
    tol = 1e-8
    search = Search(SPACE, SearchOptions(max_iter=100, tol=tol))
    result = search.minimize(criterion, np.array([0.0]))
    assert abs(criterion.returned[0][1]) <= tol < abs(criterion.returned[1][1])
    assert criterion.calls[:2] == [(0.0, tol), (0.0, None)]
    assert criterion.calls[2][0] == pytest.approx(np.log(10.0))
    assert result.theta[0] == pytest.approx(1.25e-8, abs=1e-4)
    assert not search.record.is_coarse(result.theta)
