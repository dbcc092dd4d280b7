"""The one-dimensional search: a bracket that always holds a minimum, refined
by cubic interpolation.

In one dimension a bracket is faster and more precise than L-BFGS-B, whose
first step on a very flat criterion can be too small to make progress. The
search steps downhill from its start, by ``first_step`` and then by steps
that grow, until the derivative changes sign or the criterion rises (a
bracket), or a bound is reached; it then shrinks the bracket by the cubic
through the two most recent points (Nocedal and Wright, eq. 3.59), with
Brent's safeguard. It stops when a further step is predicted to lower the
criterion by less than ``tol`` times its value, when the derivative is below
``tol`` relative to the criterion, or when the bracket is narrower than
``tol`` (in the log of the hyperparameter).
"""

from dataclasses import dataclass

import numpy as np

DECADE = np.log(10.0)


@dataclass(frozen=True)
class LineOutcome:
    """How a one-dimensional search ended: ``"converged"``, ``"bound"``
    (the minimum sits on a bound) or ``"max_iter"``; and whether it never
    moved because the criterion is flat at the start."""

    reason: str
    flat_start: bool = False


def minimize_on_line(evaluate, start, log_bounds, *, max_iter, tol, first_step=DECADE):
    """Minimise a criterion of one variable from ``start``.

    Parameters
    ----------
    evaluate : callable
        ``x -> (x, f, g)``: the criterion and its derivative at ``x``.
    start : float
    log_bounds : ndarray of shape (2,)
    max_iter : int
        Maximum number of evaluations after the first.
    tol : float
    first_step : float, default=log(10)
        Length of the first step downhill.

    Returns
    -------
    LineOutcome
    """
    low, high = log_bounds
    count = [0]

    def counted(x):
        count[0] += 1
        return evaluate(x)

    before, last = None, counted(start)
    if _stationary(last, tol):
        return LineOutcome("converged", flat_start=True)
    length = first_step
    while count[0] <= max_iter:
        direction = -np.sign(last[2])
        if before is not None:
            length = _expansion_length(before, last, direction)
        x = float(np.clip(last[0] + direction * length, low, high))
        if x == last[0]:  # downhill leaves the bounds: the optimum is on one
            return LineOutcome("bound")
        point = counted(x)
        if np.sign(point[2]) != np.sign(last[2]) or point[1] > last[1]:
            return _refine_bracket(counted, count, last, point, tol, max_iter)
        if _stationary(point, tol):
            return LineOutcome("converged")
        before, last = last, point
    return LineOutcome("max_iter")


def _stationary(point, tol):
    """Whether the derivative at ``point`` is zero to ``tol`` relative to
    the criterion."""
    return abs(point[2]) <= tol * abs(point[1])


def _expansion_length(before, last, direction):
    """Length of the next downhill step after ``before`` and ``last``: to the
    cubic's minimiser when it lies downhill of ``last``, kept between half and
    four times the last step; else twice the last step."""
    previous = abs(last[0] - before[0])
    target = _cubic_minimizer(before, last)
    if target is None or (target - last[0]) * direction <= 0:
        return 2.0 * previous
    return float(np.clip(abs(target - last[0]), 0.5 * previous, 4.0 * previous))


def _refine_bracket(evaluate, count, first, second, tol, max_iter):
    """Shrink the bracket of ``first`` and ``second``, each ``(x, f, g)``.

    Each step goes to the minimiser of the cubic through the two most recent
    points, which is accurate once they are close, when it lies inside the
    bracket and moves less than half the step before last (Brent's
    safeguard); otherwise to the safeguarded minimiser of the cubic through
    the bracket's ends (:func:`_cubic_step`). Near the minimum the criterion
    changes with the square of the error in ``x``: the predicted-gain rule
    (:func:`_predicted_gain`) usually stops the search first, long before the
    bracket is ``tol`` wide.
    """
    lo, hi = sorted([first, second], key=lambda end: end[0])
    before, last = first, second
    step_before_last = hi[0] - lo[0]
    target = _cubic_minimizer(before, last)
    while hi[0] - lo[0] > tol:
        if count[0] > max_iter:
            return LineOutcome("max_iter")
        margin = 1e-3 * (hi[0] - lo[0])
        if (
            target is None
            or not lo[0] + margin < target < hi[0] - margin
            or abs(target - last[0]) >= 0.5 * step_before_last
        ):
            target = _cubic_step(lo, hi)
        step_before_last = abs(last[0] - before[0])
        point = evaluate(target)
        # A minimum stays between a downhill end (g < 0) and an uphill one.
        if point[2] < 0 and point[1] <= lo[1]:
            lo = point
        else:
            hi = point
        before, last = last, point
        target = _cubic_minimizer(before, last)
        if _stationary(point, tol) or _predicted_gain(target, last, lo, hi) <= (
            tol * abs(point[1])
        ):
            break
    return LineOutcome("converged")


def _predicted_gain(target, last, lo, hi):
    """How much lower than at ``last`` the criterion is at ``target``, the
    minimiser of the cubic through ``last`` and the point before, to second
    order (``|g| |step| / 2``); infinite when ``target`` is None or outside
    the bracket ``(lo, hi)``, where the cubic is not to be trusted."""
    if target is None or not lo[0] <= target <= hi[0]:
        return np.inf
    return 0.5 * abs(last[2]) * abs(target - last[0])


def _cubic_minimizer(first, second):
    """Minimiser of the cubic through two points ``(x, f, g)`` (Nocedal and
    Wright, eq. 3.59), inside or outside them; None when it has none."""
    (a, fa, ga), (b, fb, gb) = first, second
    if a == b or not np.isfinite(fa) or not np.isfinite(fb):
        return None
    d1 = ga + gb - 3.0 * (fa - fb) / (a - b)
    radicand = d1 * d1 - ga * gb
    if radicand < 0:
        return None
    d2 = np.copysign(np.sqrt(radicand), b - a)
    denominator = gb - ga + 2.0 * d2
    if denominator == 0:
        return None
    x = b - (b - a) * (gb + d2 - d1) / denominator
    return float(x) if np.isfinite(x) else None


def _cubic_step(lo, hi):
    """Minimiser of the cubic through ``lo`` and ``hi``, safeguarded.

    A minimiser close to an end is moved to 5% of the bracket's width from it,
    so that the next bracket is at most 20 times narrower (falling back to the
    midpoint there would halve the bracket once per evaluation while the
    minimum sits next to an end); without a minimiser inside, the midpoint.
    """
    a, b = lo[0], hi[0]
    x = _cubic_minimizer(lo, hi)
    if x is not None and a < x < b:
        margin = 0.05 * (b - a)
        return float(np.clip(x, a + margin, b - margin))
    return 0.5 * (a + b)
