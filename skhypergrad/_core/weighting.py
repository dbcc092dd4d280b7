"""Tuned sample weights: a time decay or one weight per group of samples.

Bengio's method tunes any hyperparameter that enters the training criterion
smoothly; the weights of the training samples are one (Bengio and Dugas,
1999). A scheme gives each training sample of a split a factor ``d_i(theta)``
that multiplies the user's ``sample_weight``, and its derivatives in
``theta`` (the log of the scheme's hyperparameters), which the criteria chain
with ``dE/dw_i``:

- :class:`TimeDecay`: ``d_i = 2 ** (-(t_ref - t_i) / h)``, the half-life
  ``h`` tuned, ``t_ref`` the latest time of the training set (each split
  discounts relative to its own "now");
- :class:`GroupWeights`: ``d_i = g_c`` for sample ``i`` of group ``c``, one
  group (the reference) fixed at 1.

The selection criterion keeps the user's weights: only training weights are
tuned.
"""

import numpy as np

from .layout import initial_theta, resolve_bounds
from .space import Hyperparameter

SCHEMES = (None, "time_decay", "group")
# Default upper bound of the half-life, in multiples of the span of the
# times (the lower one is the mean step between distinct times), and the
# of the group weights (unitless).
HALF_LIFE_UPPER = 1e2
# Half-lives scanned per decade before the joint search: the forward-chaining
# criterion can have several valleys in the half-life.
_HALF_LIFE_SCAN_PER_DECADE = 2
GROUP_WEIGHT_BOUNDS = (1e-3, 1e3)


class TimeDecay:
    """Weights ``2 ** (-(t_ref - t_i) / h)`` with the half-life ``h`` tuned.

    Parameters
    ----------
    times : ndarray of shape (n_samples,)
        Numeric times of the samples.
    start : float or None
        The half-life where the search starts (None: the span of the times).
        The joint search also scans two half-lives per decade over the
        bounds, at the best alpha of the start.
    bounds : tuple of (float, float) or None
        Bounds of the half-life (None: from the mean step between distinct
        times, below which a fit learns from about one sample, to 1e2 times
        the span).
    """

    name = "half_life"
    size = 1

    def __init__(self, times, start, bounds):
        self.times = times
        span = float(np.ptp(times))
        if not span > 0:
            raise ValueError(
                "sample_time must span a positive interval for a time decay; "
                "all samples have the same time."
            )
        step = span / (np.unique(times).size - 1)
        log_bounds = resolve_bounds(
            bounds, "half_life_bounds", (step, HALF_LIFE_UPPER * span)
        )
        self.log_bounds = log_bounds[None, :]
        self.theta0 = initial_theta(start, 1, log_bounds, "half_life", unit=span)

    def scan_points(self):
        """Log-half-lives scanned before the joint search (two per decade)."""
        low, high = self.log_bounds[0]
        n_points = int(np.ceil(_HALF_LIFE_SCAN_PER_DECADE * (high - low) / np.log(10)))
        return np.linspace(low, high, max(n_points, 1) + 1)[:, None]

    def hyperparameter(self):
        """The half-life as a hyperparameter of the search space."""
        return Hyperparameter(self.name, self.log_bounds, "half_life_bounds")

    def reference_time(self, rows):
        """``t_ref`` of a training set: its latest time."""
        return self.times[rows].max()

    def factors(self, theta, rows, reference):
        """The factors of the samples ``rows`` and their derivatives.

        Returns
        -------
        factors : ndarray of shape (n_rows,)
        derivatives : ndarray of shape (n_rows, 1)
            In ``theta = log(h)``: ``d_i ln(2) (t_ref - t_i) / h``.
        """
        rate = np.log(2.0) * np.exp(-theta[0])
        age = reference - self.times[rows]
        factors = np.exp(-rate * age)
        return factors, (factors * rate * age)[:, None]

    def describe(self, theta):
        """The fitted attributes: ``half_life_``."""
        return {"half_life_": float(np.exp(theta[0]))}


class GroupWeights:
    """One weight per group of samples, the reference group's fixed at 1.

    Parameters
    ----------
    groups : ndarray of shape (n_samples,)
        The group label of each sample.
    reference : object or None
        The label whose weight is 1 (None: the first label, sorted).
    start : None, float or dict
        Start of the other groups' weights (None: 1; a float for all; a dict
        from label to weight).
    bounds : tuple of (float, float) or None
        Bounds of every weight (None: ``(1e-3, 1e3)``).
    """

    name = "group_weight"

    def __init__(self, groups, reference, start, bounds):
        self.labels, self.codes = np.unique(groups, return_inverse=True)
        self.targeted = reference is not None
        if len(self.labels) < 2:
            raise ValueError(
                "sample_group must hold at least two groups for group weights; "
                f"got only {self.labels.tolist()}."
            )
        if reference is None:
            self.reference = 0
        else:
            found = np.flatnonzero(self.labels == reference)
            if found.size != 1:
                raise ValueError(
                    f"target_group={reference!r} is not a label of sample_group "
                    f"({self.labels.tolist()})."
                )
            self.reference = int(found[0])
        self.tuned = np.delete(np.arange(len(self.labels)), self.reference)
        self.size = self.tuned.size
        # Which tuned group each sample is in (no column for the reference).
        self._membership = (self.codes[:, None] == self.tuned).astype(float)
        log_bounds = resolve_bounds(bounds, "group_weight_bounds", GROUP_WEIGHT_BOUNDS)
        self.log_bounds = np.tile(log_bounds, (self.size, 1))
        self.theta0 = initial_theta(
            self._start(start), self.size, log_bounds, "group_weight"
        )

    def _start(self, start):
        """The tuned groups' starts: None, a float, or from a dict of labels."""
        if not isinstance(start, dict):
            return start
        unknown = set(start) - set(self.labels.tolist())
        if unknown:
            raise ValueError(
                f"group_weight names groups {sorted(unknown, key=str)} that "
                "are not in sample_group."
            )
        return [start.get(label, 1.0) for label in self.labels[self.tuned]]

    def scan_points(self):
        """No scan: one dimension per group."""
        return np.empty((0, self.size))

    def hyperparameter(self):
        """The tuned weights as a hyperparameter of the search space."""
        return Hyperparameter(
            self.name,
            self.log_bounds,
            "group_weight_bounds",
            labels=self.labels[self.tuned],
            label_kind="group",
        )

    def reference_mask(self):
        """The samples of the reference (target) group."""
        return self.codes == self.reference

    def reference_time(self, rows):
        """Group weights need no reference time."""
        return None

    def factors(self, theta, rows, reference):
        """The factors of the samples ``rows`` and their derivatives in
        ``theta`` (the log of the tuned weights), shape (n_rows, size)."""
        factors = self._weights(theta)[self.codes[rows]]
        # d g_c / d log g_c = g_c for the sample's own tuned group.
        return factors, self._membership[rows] * factors[:, None]

    def _weights(self, theta):
        """Every group's weight, the reference's 1."""
        weights = np.ones(len(self.labels))
        weights[self.tuned] = np.exp(theta)
        return weights

    def describe(self, theta):
        """The fitted attributes: ``group_weights_``, every group's weight."""
        weights = self._weights(theta)
        return {
            "group_weights_": {
                _plain(label): float(w)
                for label, w in zip(self.labels, weights, strict=True)
            }
        }


def refit_weights(scheme, theta, sample_weight):
    """The training weights of the final refit on all the data at the
    scheme's ``theta``: a time decay from the latest time of all of it."""
    everything = np.arange(sample_weight.shape[0])
    factors, _ = scheme.factors(theta, everything, scheme.reference_time(everything))
    return sample_weight * factors


def make_scheme(estimator, n_samples, sample_time, sample_group):
    """The estimator's weighting scheme for this fit, or None.

    Raises
    ------
    ValueError, TypeError
        For a bad ``sample_weighting`` or bad times or groups, naming the
        argument.
    """
    kind = estimator.sample_weighting
    if kind not in SCHEMES:
        raise ValueError(
            f"sample_weighting must be None, 'time_decay' or 'group', got {kind!r}."
        )
    if kind is None:
        for name, value in (
            ("sample_time", sample_time),
            ("sample_group", sample_group),
        ):
            if value is not None:
                raise ValueError(
                    f"{name} is used by sample_weighting, which is None; pass "
                    "sample_weighting='time_decay' or 'group'."
                )
        return None
    if kind == "time_decay":
        times = check_times(sample_time, n_samples)
        return TimeDecay(times, estimator.half_life, estimator.half_life_bounds)
    if sample_group is None:
        raise ValueError("sample_weighting='group' needs sample_group in fit.")
    groups = np.asarray(sample_group)
    if groups.ndim != 1 or groups.shape[0] != n_samples:
        raise ValueError(
            f"sample_group must have one label per sample ({n_samples}), got "
            f"shape {groups.shape}."
        )
    return GroupWeights(
        groups,
        estimator.target_group,
        estimator.group_weight,
        estimator.group_weight_bounds,
    )


def check_times(sample_time, n_samples):
    """Numeric times (row order when None); datetime64 becomes days."""
    if sample_time is None:
        return np.arange(n_samples, dtype=float)
    times = np.asarray(sample_time)
    if times.ndim != 1 or times.shape[0] != n_samples:
        raise ValueError(
            f"sample_time must have one time per sample ({n_samples}), got shape "
            f"{times.shape}."
        )
    if np.issubdtype(times.dtype, np.datetime64):
        times = (times - times.min()) / np.timedelta64(1, "D")
    elif not np.issubdtype(times.dtype, np.number) or times.dtype == bool:
        raise TypeError(
            "sample_time must be numeric or datetime64 (sortable times), got "
            f"dtype {times.dtype}."
        )
    times = times.astype(float)
    if not np.all(np.isfinite(times)):
        raise ValueError("sample_time must be finite.")
    return times


def criterion_weights(sample_weight, scheme):
    """The weights of the selection criterion: the user's, restricted to the
    target group when group weights have one."""
    if isinstance(scheme, GroupWeights) and scheme.targeted:
        return sample_weight * scheme.reference_mask()
    return sample_weight


def _plain(label):
    return label.item() if isinstance(label, np.generic) else label


_WEIGHTING_ATTRIBUTES = ("half_life_", "group_weights_")


def set_weighting_attributes(estimator, scheme, theta):
    """``half_life_`` or ``group_weights_`` at the search's optimum."""
    clear_weighting_attributes(estimator)
    for name, value in scheme.describe(theta).items():
        setattr(estimator, name, value)


def clear_weighting_attributes(estimator):
    """Remove the attributes of an earlier fit with tuned weights."""
    for name in _WEIGHTING_ATTRIBUTES:
        if hasattr(estimator, name):
            delattr(estimator, name)
