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

While it expands, the search needs the derivative's sign and rough size only:
it asks the start for a derivative accurate to ``tol`` (relative to the
criterion: what its stopping test can tell) and each new point for one
accurate to ``COARSE_SHARE`` of the last one's (a criterion may then stop its
inner solves earlier), and asks again, accurately, when that is not enough to
tell its sign, or to stop.
"""

from dataclasses import dataclass

import numpy as np

DECADE = np.log(10.0)
# While the search expands, the derivative at a new point may err by this
# share of the derivative at the last point.
COARSE_SHARE = 0.1


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
        ``(x, gradient_error=None) -> (x, f, g)``: the criterion and its
        derivative at ``x``; with ``gradient_error``, the derivative may err
        by up to that times ``|f|`` (a coarse evaluation, which a later call
        without it makes accurate).
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

    def counted(x, gradient_error=None):
        count[0] += 1
        return evaluate(x, gradient_error)

    before, last = None, counted(start, tol if tol > 0 else None)
    if abs(last[2]) <= tol * abs(last[1]):  # stationary, or in doubt
        last = evaluate(start)
    if _stationary(last, tol):
        return LineOutcome("converged", flat_start=True)
    length = first_step
    while count[0] <= max_iter:
        direction = -np.sign(last[2])
        if before is not None:
            length = _expansion_length(before, last, direction, start)
        x = float(np.clip(last[0] + direction * length, low, high))
        if x == last[0]:  # downhill leaves the bounds: the optimum is on one
            return LineOutcome("bound")
        error = _coarse_error(last, tol)
        point = counted(x, error)
        if error is not None and abs(point[2]) <= error * abs(point[1]):
            # Its sign, or whether the search stops there, is in doubt.
            point = evaluate(x)
        if np.sign(point[2]) != np.sign(last[2]) or point[1] > last[1]:
            return _refine_bracket(counted, count, last, point, tol, max_iter)
        if _stationary(point, tol):
            return LineOutcome("converged")
        before, last = last, point
    return LineOutcome("max_iter")


def _coarse_error(last, tol):
    """The error allowed in the derivative at the next point of the
    expansion, relative to the criterion: ``COARSE_SHARE`` of the last
    derivative; None when that is not looser than ``tol``."""
    if last[1] == 0:
        return None
    error = COARSE_SHARE * abs(last[2]) / abs(last[1])
    return error if error > tol else None


def _stationary(point, tol):
    """Whether the derivative at ``point`` is zero to ``tol`` relative to
    the criterion."""
    return abs(point[2]) <= tol * abs(point[1])


def _expansion_length(before, last, direction, start):
    """Length of the next downhill step after ``before`` and ``last``: to the
    cubic's minimiser when it lies downhill of ``last``, kept between half and
    four times the last step; else the distance from ``start`` travelled so
    far (the search goes twice as far from the start: 1, 2, 4, ... first
    steps)."""
    previous = abs(last[0] - before[0])
    target = _cubic_minimizer(before, last)
    if target is None or (target - last[0]) * direction <= 0:
        return abs(last[0] - start)
    return float(np.clip(abs(target - last[0]), 0.5 * previous, 4.0 * previous))


def _refine_bracket(evaluate, count, first, second, tol, max_iter):
    """Shrink the bracket of ``first`` and ``second``, each ``(x, f, g)``
    (:func:`refine_brackets` for one problem)."""

    def evaluate_one(index, x):
        _, f, g = evaluate(float(x[0]))
        return np.array([f]), np.array([g])

    as_arrays = [np.array([value], dtype=float) for value in (*first, *second)]
    _, unconverged = refine_brackets(
        evaluate_one,
        tuple(as_arrays[:3]),
        tuple(as_arrays[3:]),
        tol=tol,
        max_steps=max_iter + 1 - count[0],
    )
    return LineOutcome("max_iter" if unconverged.any() else "converged")


def refine_brackets(evaluate, first, second, *, tol, max_steps):
    """Shrink brackets of a minimum, several independent problems at once.

    Each problem's bracket holds ``first`` and ``second``, each ``(x, f, g)``
    (arrays, one entry per problem): the criterion falls from one towards the
    other. Each step goes to the minimiser of the cubic through the two most
    recent points (Nocedal and Wright, eq. 3.59), which is accurate once they
    are close, when it lies inside the bracket and moves less than half the
    step before last (Brent's safeguard); otherwise to the safeguarded
    minimiser of the cubic through the bracket's ends (:func:`_cubic_steps`).
    A problem stops when its bracket is narrower than ``tol``, its derivative
    is below ``tol`` relative to the criterion, or its next step is predicted
    to lower the criterion by less than ``tol`` times its value: near the
    minimum the criterion changes with the square of the error in ``x``, so
    this last rule usually stops the search long before the bracket is
    ``tol`` wide.

    Parameters
    ----------
    evaluate : callable
        ``(index, x) -> (f, g)``: the criterion and derivative of the
        problems ``index`` at ``x``.
    first, second : tuple of three ndarray of shape (m,)
    tol : float
    max_steps : int

    Returns
    -------
    steps : int
        Steps taken (each evaluates the problems still refining).
    unconverged : ndarray of bool, shape (m,)
        The problems still refining when ``max_steps`` ran out.
    """
    first = tuple(np.array(a, dtype=float) for a in first)
    second = tuple(np.array(a, dtype=float) for a in second)
    swap = first[0] > second[0]
    lo = tuple(np.where(swap, b, a) for a, b in zip(first, second, strict=True))
    hi = tuple(np.where(swap, a, b) for a, b in zip(first, second, strict=True))
    before, last = first, second
    step_before_last = hi[0] - lo[0]
    target = _cubic_minimizers(before, last)
    active = hi[0] - lo[0] > tol
    steps = 0
    while active.any() and steps < max_steps:
        width = hi[0] - lo[0]
        margin = 1e-3 * width
        unsafe = (
            np.isnan(target)
            | ~((lo[0] + margin < target) & (target < hi[0] - margin))
            | (np.abs(target - last[0]) >= 0.5 * step_before_last)
        )
        target = np.where(unsafe, _cubic_steps(lo, hi), target)
        step_before_last = np.abs(last[0] - before[0])
        index = np.flatnonzero(active)
        f, g = (np.full(target.shape, np.nan) for _ in range(2))
        f[index], g[index] = evaluate(index, target[index])
        steps += 1
        point = (target.copy(), f, g)
        # A minimum stays between a downhill end (g < 0) and an uphill one.
        downhill = active & (g < 0) & (f <= lo[1])
        uphill = active & ~downhill
        lo = tuple(np.where(downhill, p, q) for p, q in zip(point, lo, strict=True))
        hi = tuple(np.where(uphill, p, q) for p, q in zip(point, hi, strict=True))
        before = tuple(
            np.where(active, p, q) for p, q in zip(last, before, strict=True)
        )
        last = tuple(np.where(active, p, q) for p, q in zip(point, last, strict=True))
        target = _cubic_minimizers(before, last)
        with np.errstate(invalid="ignore"):
            small = tol * np.abs(last[1])
            done = (
                (np.abs(last[2]) <= small)
                | (_predicted_gains(target, last, lo, hi) <= small)
                | (hi[0] - lo[0] <= tol)
            )
        active &= ~done
    return steps, active


def _predicted_gains(target, last, lo, hi):
    """How much lower than at ``last`` the criterion is at ``target``, the
    minimiser of the cubic through ``last`` and the point before, to second
    order (``|g| |step| / 2``); infinite where ``target`` is missing or
    outside the bracket ``(lo, hi)``, where the cubic is not to be trusted."""
    inside = (lo[0] <= target) & (target <= hi[0])
    gain = 0.5 * np.abs(last[2]) * np.abs(target - last[0])
    return np.where(inside, gain, np.inf)


def _cubic_minimizer(first, second):
    """Minimiser of the cubic through two points ``(x, f, g)`` (Nocedal and
    Wright, eq. 3.59), inside or outside them; None when it has none."""
    x = _cubic_minimizers(
        tuple(np.array([value], dtype=float) for value in first),
        tuple(np.array([value], dtype=float) for value in second),
    )
    return None if np.isnan(x[0]) else float(x[0])


def _cubic_minimizers(first, second):
    """:func:`_cubic_minimizer` of arrays of points, NaN where there is
    none."""
    (a, fa, ga), (b, fb, gb) = first, second
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = ga + gb - 3.0 * (fa - fb) / (a - b)
        radicand = d1 * d1 - ga * gb
        d2 = np.copysign(np.sqrt(radicand), b - a)
        denominator = gb - ga + 2.0 * d2
        x = b - (b - a) * (gb + d2 - d1) / denominator
    valid = (a != b) & np.isfinite(fa) & np.isfinite(fb) & (radicand >= 0)
    valid &= (denominator != 0) & np.isfinite(x)
    return np.where(valid, x, np.nan)


def _cubic_steps(lo, hi):
    """Minimiser of the cubic through ``lo`` and ``hi``, safeguarded.

    A minimiser close to an end is moved to 5% of the bracket's width from it,
    so that the next bracket is at most 20 times narrower (falling back to the
    midpoint there would halve the bracket once per evaluation while the
    minimum sits next to an end); without a minimiser inside, the midpoint.
    """
    a, b = lo[0], hi[0]
    x = _cubic_minimizers(lo, hi)
    inside = (a < x) & (x < b)
    margin = 0.05 * (b - a)
    return np.where(inside, np.clip(x, a + margin, b - margin), 0.5 * (a + b))
