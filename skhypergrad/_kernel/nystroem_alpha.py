"""The best alpha of Nystroem kernel ridge on fixed splits, at a fixed kernel.

With k-fold and held-out criteria the search profiles alpha out: at each
kernel it evaluates the criterion at its best alpha, so that the search moves
the kernel's hyperparameters only. Alpha is often nearly flat against the
kernel (with a few centres for many rows, the model wants almost no penalty),
and a joint search spends many evaluations drifting along it.

On one split, with the training rows' weighted moments of the features
``Phi`` centred at their weighted means ``mu`` (features) and ``ybar``
(targets), ``G = Phi_t^T S_t Phi_t - W_t mu mu^T = Q diag(sigma) Q^T`` and
``b = Phi_t^T S_t y_t - W_t mu ybar^T``, the coefficients are
``theta(alpha) = Q (sigma + alpha)^{-1} Q^T b`` and the test rows' squared
error is

    E(alpha) = c - 2 <theta, d> + <theta, T theta>,

with the test rows' moments centred at the *training* means:
``T = sum_v s (phi - mu)(phi - mu)^T``, ``d = sum_v s (phi - mu)(y - ybar)^T``
and ``c = sum_v s (y - ybar)^2``. Its derivative is
``dE/dalpha = 2 <dtheta, T theta - d>`` with
``dtheta = -Q (sigma + alpha)^{-2} Q^T b``. After one eigendecomposition per
split every alpha costs ``O(r^2)``: a scan over the bounds, then the root of
``dE/dalpha`` next to the scan's best point (Brent's method).

By the envelope theorem, the gradient of ``min_alpha E(alpha, kernel)`` in
the kernel's hyperparameters is the partial gradient at the best alpha
(``dE/dalpha = 0`` there, or alpha sits on a bound it does not leave).
"""

import functools
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

from .._core.search import scan_grid

_SCAN_PER_DECADE = 2
# The root of the derivative in log(alpha) to this width: the kernel's
# gradient at that alpha is then the profile's to rounding.
_XTOL = 1e-12


@dataclass
class RowMoments:
    """Weighted moments of a set of rows: ``Phi^T S Phi``, ``s^T Phi``,
    ``sum s``, ``Phi^T S y``, ``s^T y`` and ``s^T y^2`` (per target)."""

    gram: np.ndarray
    phi_sum: np.ndarray
    weight: float
    cross: np.ndarray
    y_sum: np.ndarray
    y_squares: np.ndarray


class _SplitPath:
    """One split's test error as a function of alpha."""

    def __init__(self, train, test, fit_intercept):
        r, n_targets = train.cross.shape
        mu, ybar = np.zeros(r), np.zeros(n_targets)
        if fit_intercept:
            mu, ybar = train.phi_sum / train.weight, train.y_sum / train.weight
        G = train.gram - train.weight * np.outer(mu, mu)
        b = train.cross - train.weight * np.outer(mu, ybar)
        sigma, self.Q = linalg.eigh(G, overwrite_a=True, check_finite=False)
        # G is positive semi-definite: negative eigenvalues are rounding.
        self.sigma = np.maximum(sigma, 0.0)
        self.b = self.Q.T @ b
        self.T = (
            test.gram
            - np.outer(mu, test.phi_sum)
            - np.outer(test.phi_sum, mu)
            + test.weight * np.outer(mu, mu)
        )
        self.d = (
            test.cross
            - np.outer(mu, test.y_sum)
            - np.outer(test.phi_sum, ybar)
            + test.weight * np.outer(mu, ybar)
        )
        self.c = float(
            np.sum(test.y_squares - 2.0 * ybar * test.y_sum + test.weight * ybar**2)
        )

    def value_and_derivative(self, alpha):
        """``E(alpha)`` summed over targets and ``dE/dalpha``."""
        inverse = 1.0 / (self.sigma + alpha)[:, None]
        theta = self.Q @ (inverse * self.b)
        dtheta = -(self.Q @ (inverse**2 * self.b))
        T_theta = self.T @ theta
        value = self.c - 2.0 * np.sum(theta * self.d) + np.sum(theta * T_theta)
        return value, 2.0 * np.sum(dtheta * (T_theta - self.d))


class SplitAlphaProfile:
    """The summed test error of every split as a function of ``log(alpha)``.

    Parameters
    ----------
    moments : list of (RowMoments, RowMoments)
        Each split's training and test moments.
    fit_intercept : bool
    """

    def __init__(self, moments, fit_intercept):
        self._paths = [
            _SplitPath(train, test, fit_intercept) for train, test in moments
        ]

    def value_and_derivative(self, log_alpha):
        """The summed error and its derivative in ``log(alpha)``."""
        alpha = float(np.exp(log_alpha))
        value, derivative = 0.0, 0.0
        for path in self._paths:
            v, g = path.value_and_derivative(alpha)
            value, derivative = value + v, derivative + g
        return value, alpha * derivative

    def scan(self, points):
        """The summed error at each ``log(alpha)`` of ``points``."""
        return np.array([self.value_and_derivative(x)[0] for x in points])


def best_log_alpha(path, log_bounds):
    """The ``log(alpha)`` within ``log_bounds`` where ``path`` is lowest: the
    best point of a scan (two points per decade), then the root of the
    derivative between its neighbours (Brent's method), or the bound it sits
    on.

    Parameters
    ----------
    path : object
        With ``scan(points) -> values`` and ``value_and_derivative(x) ->
        (value, derivative in log(alpha))``.
    log_bounds : ndarray of shape (2,)
    """
    grid = scan_grid(log_bounds, _SCAN_PER_DECADE)
    values = path.scan(grid)
    best = int(np.argmin(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]

    # Brent's method evaluates the ends again: remember them.
    @functools.cache
    def derivative(x):
        return path.value_and_derivative(x)[1]

    slope_low, slope_high = derivative(low), derivative(high)
    if slope_low >= 0.0 and best == 0:
        return float(grid[0])
    if slope_high <= 0.0 and best == grid.size - 1:
        return float(grid[-1])
    if not slope_low < 0.0 < slope_high:
        # A scan too coarse for a wiggle of the criterion: its best point.
        return float(grid[best])
    root = optimize.brentq(derivative, low, high, xtol=_XTOL)
    if path.value_and_derivative(root)[0] > values[best]:
        return float(grid[best])
    return float(root)
