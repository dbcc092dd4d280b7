"""Hyperparameter layout: validation, feature groups, log-space bounds.

Every estimator optimises ``theta = log(hyperparameters)``. This module turns the
user's ``alpha`` / ``alpha_bounds`` / ``feature_groups`` into a :class:`PenaltyLayout`
that maps ``theta`` to one penalty per feature and chains gradients back.
"""

import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs import mean_variance_axis

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


def default_feature_names(n_features):
    """scikit-learn's names of unnamed columns: ``x0, x1, ...``."""
    return np.array([f"x{j}" for j in range(n_features)], dtype=object)


def resolve_groups(feature_groups, n_features, feature_names=None):
    """Map ``feature_groups`` to one group index per feature.

    Parameters
    ----------
    feature_groups : None, "each", array-like of shape (n_features,), \
            mapping or callable
        None: one group; ``"each"``: one group per feature; labels: one group
        per distinct label, in sorted order; a mapping from group label to
        column names or indices: its groups, in its order; a callable from
        feature name to group label: one group per distinct label, sorted.
    n_features : int
        Number of features of the training data.
    feature_names : array-like of str or None, default=None
        The names of the features; None means ``x0, x1, ...``.

    Returns
    -------
    group_index : ndarray of shape (n_features,)
        Group of each feature, in ``0 .. n_groups - 1``.
    labels : ndarray of shape (n_groups,) or None
        Label of each group, None for a single group.
    """
    if feature_groups is None:
        return np.zeros(n_features, dtype=np.intp), None
    if isinstance(feature_groups, str):
        if feature_groups != "each":
            raise ValueError(
                "feature_groups must be None, 'each', an array of n_features "
                f"labels, a mapping or a callable, got {feature_groups!r}."
            )
        return np.arange(n_features), np.arange(n_features)
    named = feature_names is not None
    if not named:
        feature_names = default_feature_names(n_features)
    if isinstance(feature_groups, Mapping):
        names = [str(name) for name in feature_names]
        return _mapped_groups(feature_groups, names, named)
    if callable(feature_groups):
        labels_per_feature = _called_labels(feature_groups, feature_names, named)
    else:
        labels_per_feature = _check_label_types(feature_groups)
    if labels_per_feature.ndim != 1 or labels_per_feature.shape[0] != n_features:
        raise ValueError(
            f"feature_groups must have one label per feature ({n_features}), "
            f"got shape {labels_per_feature.shape}."
        )
    labels, group_index = np.unique(labels_per_feature, return_inverse=True)
    return group_index.ravel(), labels


def _check_label_types(feature_groups):
    """The labels as an array, refusing a mix of strings and numbers (whose
    order, hence the order of ``alpha_``, would be undefined)."""
    labels = np.asarray(feature_groups)
    listed = isinstance(feature_groups, list | tuple)
    elements = list(feature_groups) if listed else labels.ravel().tolist()
    if (listed or labels.dtype == object) and labels.ndim == 1:
        _check_one_kind(elements)
    return labels


def _check_one_kind(labels):
    """Refuse group labels of both kinds, strings and numbers."""
    kinds = {isinstance(label, str) for label in labels}
    if len(kinds) > 1:
        mixed = _listed([_first_of(labels, True), _first_of(labels, False)], repr)
        raise ValueError(
            "feature_groups labels must be all strings or all numbers, got a "
            f"mix of both ({mixed})."
        )


def _first_of(labels, is_str):
    return next(label for label in labels if isinstance(label, str) == is_str)


def _is_label(label):
    """A group label is a string or a number (and not NaN)."""
    if isinstance(label, np.generic):
        label = label.item()
    return isinstance(label, str) or (
        isinstance(label, numbers.Real) and label == label
    )


def _called_labels(function, feature_names, named):
    """The label the callable ``feature_groups`` gives each feature name."""
    labels, bad = [], []
    unnamed = "" if named else " (X has no column names: x0, x1, ... stand in)"
    for name in feature_names:
        try:
            label = function(str(name))
        except Exception as exc:
            raise ValueError(
                f"feature_groups raised {type(exc).__name__} on the feature "
                f"{str(name)!r}{unnamed}: {exc}"
            ) from exc
        if not _is_label(label):
            bad.append(f"{label!r} for {str(name)!r}")
        labels.append(label)
    if bad:
        raise TypeError(
            "feature_groups must map each feature name to a group label (a "
            f"string or a number); it returned {_listed(bad)}{unnamed}."
        )
    _check_one_kind(labels)
    return np.asarray(labels)


def _mapped_groups(mapping, names, named):
    """Group index and labels of a mapping from label to columns, checked:
    every column known, in one group, no group empty."""
    n_features, labels = len(names), list(mapping)
    bad_labels = [label for label in labels if not _is_label(label)]
    if bad_labels:
        raise TypeError(
            "feature_groups group labels must be strings or numbers, got "
            f"{_listed(bad_labels, repr)}."
        )
    _check_one_kind(labels)
    position = {name: j for j, name in enumerate(names)}
    members = [_columns(mapping[g], g, position, n_features) for g in labels]
    if unknown := _unknown(labels, members):
        raise ValueError(
            "feature_groups names columns that are not features of X: "
            f"{_listed(unknown)}. {_known_columns(names, named)}"
        )
    empty = [g for g, columns in zip(labels, members, strict=True) if not columns]
    if empty:
        raise ValueError(
            f"feature_groups has groups with no features: {_listed(empty, repr)}."
        )
    group_index = np.full(n_features, -1, dtype=np.intp)
    owners = [[] for _ in range(n_features)]
    for g, (label, columns) in enumerate(zip(labels, members, strict=True)):
        group_index[columns] = g
        for j in set(columns):
            owners[j].append(label)
    twice = [
        f"{names[j]} ({_listed(groups, repr)})"
        for j, groups in enumerate(owners)
        if len(groups) > 1
    ]
    if twice:
        raise ValueError(
            f"feature_groups puts features in more than one group: {_listed(twice)}."
        )
    if missing := [names[j] for j in np.flatnonzero(group_index < 0)]:
        raise ValueError(
            f"feature_groups leaves features in no group: {_listed(missing)}. "
            "Every feature needs a penalty: add them to a group."
        )
    return group_index, np.asarray(labels)


def _columns(spec, label, position, n_features):
    """Positions of the columns of one group, ``(None, item)`` for an unknown
    name or an index out of range."""
    items = [spec] if isinstance(spec, str | numbers.Integral) else spec
    try:
        items = list(items)
    except TypeError:
        raise TypeError(
            f"feature_groups[{label!r}] must be a list of column names or "
            f"indices, got {spec!r}."
        ) from None
    columns = []
    for item in items:
        if isinstance(item, str):
            columns.append(position.get(item, (None, item)))
        elif isinstance(item, numbers.Integral) and not isinstance(item, bool):
            inside = -n_features <= item < n_features
            columns.append(int(item) % n_features if inside else (None, item))
        else:
            raise TypeError(
                f"feature_groups[{label!r}] must list column names (strings) "
                f"or indices (integers), got {item!r}."
            )
    return columns


def _unknown(labels, members):
    """``'name' (group 'label')`` of every unknown column of a mapping."""
    return [
        f"{column[1]!r} (group {label!r})"
        for label, columns in zip(labels, members, strict=True)
        for column in columns
        if isinstance(column, tuple)
    ]


def _known_columns(names, named):
    where = (
        "The features are "
        if named
        else "X has no column names (fit on a DataFrame to name them), so its "
        "features are called "
    )
    return f"{where}{_listed(names)} (or use indices 0 .. {len(names) - 1})."


def _listed(items, show=str, limit=10):
    """``a, b, c`` or ``a, b, ... (25 in all)``."""
    items = list(items)
    text = ", ".join(show(item) for item in items[:limit])
    return text if len(items) <= limit else f"{text}, ... ({len(items)} in all)"


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
        raise ValueError(f"{name} must be positive and finite, got {value!r}.")
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
        See :func:`resolve_groups`.
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
