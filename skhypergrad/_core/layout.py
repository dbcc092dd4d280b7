"""Hyperparameter layout: validation, log-space bounds, penalties per feature.

Every estimator optimises ``theta = log(hyperparameters)``. This module turns the
user's ``alpha`` / ``alpha_bounds`` / ``feature_groups`` into a :class:`PenaltyLayout`
that maps ``theta`` to one penalty per feature and chains gradients back.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs import mean_variance_axis

from .groups import default_feature_names, resolve_groups
from .space import Hyperparameter, SearchSpace


def check_bounds(bounds, name):
    """Validate ``(low, high)`` bounds of a positive hyperparameter.

    Parameters
    ----------
    bounds : tuple of two floats
        The bounds, in the hyperparameter's own scale.
    name : str
        The parameter's name, for error messages.

    Returns
    -------
    log_bounds : ndarray of shape (2,)
        ``log(low), log(high)``.
    """
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (low, high) of positive floats, got {bounds!r}."
        ) from None
    if not (np.isfinite(low) and np.isfinite(high)) or low <= 0:
        raise ValueError(f"{name} must be finite and positive, got {bounds!r}.")
    if low > high:
        raise ValueError(f"{name} must satisfy low <= high, got {bounds!r}.")
    return np.log([low, high])


@dataclass(frozen=True)
class PenaltyLayout:
    """One log-penalty per group, expanded to one penalty per feature.

    Parameters
    ----------
    group_index : ndarray of shape (n_features,)
        Group of each feature.
    n_groups : int
        Number of hyperparameters.
    log_bounds : ndarray of shape (2,)
        Log of the (low, high) bounds shared by every group.
    scale, power : float, default=1.0
        The penalty of a feature is ``scale * exp(power * theta)`` of its group:
        ``power=-1`` for an inverse penalty such as logistic regression's ``C``.
    feature_names : ndarray of shape (n_features,) or None, default=None
        The name of each feature, for warnings.
    """

    group_index: np.ndarray
    n_groups: int
    log_bounds: np.ndarray
    scale: float = 1.0
    power: float = 1.0
    feature_names: np.ndarray = None

    def group_members(self):
        """The names of the features of each group (None without names)."""
        if self.feature_names is None:
            return None
        order = np.argsort(self.group_index, kind="stable")
        sizes = np.bincount(self.group_index, minlength=self.n_groups)
        names = np.asarray(self.feature_names, dtype=object)[order]
        return tuple(np.split(names, np.cumsum(sizes)[:-1]))

    def feature_penalties(self, theta):
        """Penalty of each feature, ``scale * exp(power * theta)[group_index]``."""
        theta = np.asarray(theta, dtype=float)
        return self.scale * np.exp(self.power * theta)[self.group_index]

    def theta_gradient(self, penalty_gradient, lam):
        """Chain a gradient in each feature's penalty ``lam`` to one in theta."""
        return self.group_gradient(penalty_gradient * self.power * lam)

    def group_gradient(self, feature_gradient):
        """Chain a gradient per feature penalty to a gradient per group."""
        return np.bincount(
            self.group_index, weights=feature_gradient, minlength=self.n_groups
        )

    @property
    def bounds(self):
        """Log-space bounds as an array of shape (n_groups, 2)."""
        return np.tile(self.log_bounds, (self.n_groups, 1))


def resolve_bounds(bounds, name, default, unit=1.0, offset=0.0):
    """Log-bounds of a hyperparameter: the user's, or ``default`` times the
    data's ``unit`` when ``bounds`` is None.

    Parameters
    ----------
    bounds : tuple of two floats or None
    name : str
        The bounds parameter, for error messages.
    default : tuple of two floats
        Bounds for data of unit scale.
    unit : float, default=1.0
        The hyperparameter's natural scale on this data (see each estimator's
        documentation), so that default bounds follow the units of X and y.
    offset : float, default=0.0
        The log of the user's units over the search's (data rescaled
        internally): user bounds are moved by ``-offset``.

    Returns
    -------
    log_bounds : ndarray of shape (2,)
        In the search's units.
    """
    if bounds is None:
        return np.log(default) + np.log(unit)
    return check_bounds(bounds, name) - offset


def initial_theta(value, n_groups, log_bounds, name, unit=1.0, offset=0.0):
    """Validate an initial hyperparameter value and return it in log space.

    Parameters
    ----------
    value : None, float or array-like of shape (n_groups,)
        Initial value, in the hyperparameter's own scale; None starts at
        ``unit``.
    n_groups : int
        Number of hyperparameters.
    log_bounds : ndarray of shape (2,)
        Log bounds; the initial value is clipped into them.
    name : str
        The parameter's name, for error messages.
    unit : float, default=1.0
    offset : float, default=0.0
        As for :func:`resolve_bounds`: a user's value is moved by ``-offset``.

    Returns
    -------
    theta0 : ndarray of shape (n_groups,)
    """
    values = np.asarray(1.0 if value is None else value, dtype=float)
    if values.ndim == 0:
        values = np.full(n_groups, float(values))
    if values.shape != (n_groups,):
        raise ValueError(
            f"{name} must be a scalar or have one value per group ({n_groups}), "
            f"got shape {values.shape}."
        )
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(
            f"{name} must be positive and finite (the search runs over its log), "
            f"got {value!r}."
        )
    shift = np.log(unit) if value is None else -offset
    return np.clip(np.log(values) + shift, *log_bounds)


def build_layout(
    feature_groups,
    n_features,
    value,
    bounds,
    name,
    *,
    default,
    unit=1.0,
    power=1.0,
    offset=0.0,
    feature_names=None,
):
    """Validate an estimator's hyperparameter settings and lay them out.

    Parameters
    ----------
    feature_groups : None, "each", array-like of shape (n_features,), \
            mapping or callable
        See :func:`~skhypergrad._core.groups.resolve_groups`.
    n_features : int
    value : None, float or array-like
        Initial value of the hyperparameter called ``name``.
    bounds : tuple or None
        Its bounds, the parameter ``name + "_bounds"``.
    name : str
    default : tuple of two floats
        The bounds on data of unit scale, used when ``bounds`` is None.
    unit : float, default=1.0
        The hyperparameter's scale on this data (:func:`resolve_bounds`).
    power : float, default=1.0
        -1 for an inverse penalty such as ``C``.
    offset : float, default=0.0
        The log of the user's units over the search's (:func:`resolve_bounds`).
    feature_names : ndarray of str or None, default=None
        ``feature_names_in_`` of the estimator, when ``X`` had column names:
        what a mapping or a callable ``feature_groups`` is resolved against
        (``x0, x1, ...`` when None), and the names warnings give.

    Returns
    -------
    layout : PenaltyLayout
    theta0 : ndarray of shape (n_groups,)
    labels : ndarray or None
        The group labels.
    """
    group_index, labels = resolve_groups(feature_groups, n_features, feature_names)
    log_bounds = resolve_bounds(bounds, f"{name}_bounds", default, unit, offset)
    if feature_names is None:
        feature_names = default_feature_names(n_features)
    layout = PenaltyLayout(
        group_index,
        int(group_index.max()) + 1,
        log_bounds,
        power=power,
        feature_names=np.asarray(feature_names, dtype=object),
    )
    theta0 = initial_theta(value, layout.n_groups, log_bounds, name, unit, offset)
    return layout, theta0, labels


def penalty_space(
    name, layout, labels, label_kind, off_side, offset=0.0, value_scale=1.0
):
    """The search space of one penalty per group of a layout.

    Parameters
    ----------
    name : str
        ``"alpha"`` or ``"C"``.
    layout : PenaltyLayout
    labels : ndarray or None
        What each group stands for (feature names for one group per feature).
    label_kind : str
        ``"feature"`` or ``"group"``; warnings also name the features of
        each group (from ``layout.feature_names``).
    off_side : {"upper", "lower"}
        The bound at which a group's features are switched off.
    offset, value_scale : float
        See :class:`~skhypergrad._core.space.Hyperparameter` and
        :class:`~skhypergrad._core.space.SearchSpace`.

    Returns
    -------
    SearchSpace
    """
    grouped = label_kind == "group" and labels is not None
    members = layout.group_members() if grouped else None
    return SearchSpace(
        (
            Hyperparameter(
                name,
                layout.bounds,
                f"{name}_bounds",
                labels=labels,
                label_kind=label_kind,
                members=members,
                off_side=off_side,
                offset=offset,
            ),
        ),
        value_scale=value_scale,
    )


def mean_column_variance(X, sample_weight):
    """The mean over features of each column's weighted variance: the scale
    of ``X`` that sets the units of the penalties (a penalty on ``w`` scales
    with the square of the features).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    float
        1.0 when every column is constant.
    """
    # Both ways centre before squaring: no cancellation for features far
    # from zero.
    if sp.issparse(X):
        variance = mean_variance_axis(X, axis=0, weights=sample_weight)[1].mean()
    else:
        weight_sum = sample_weight.sum()
        centred = X - sample_weight @ X / weight_sum
        if np.all(sample_weight == sample_weight[0]):
            squares = sample_weight[0] * np.vdot(centred, centred)
        else:
            squares = sample_weight @ np.einsum("ij,ij->i", centred, centred)
        variance = squares / weight_sum / X.shape[1]
    variance = float(variance)
    return variance if np.isfinite(variance) and variance > 0 else 1.0
