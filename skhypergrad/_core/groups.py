"""Feature groups: which penalty each feature gets.

``feature_groups`` is None (one group), ``"each"`` (one group per feature),
an array of one label per feature, a mapping from group label to columns
(names or indices), or a callable from feature name to group label. Names
are resolved at each fit against ``feature_names_in_`` (or scikit-learn's
default ``x0, x1, ...``), so groups follow encoders whose columns vary.
"""

import numbers
from collections.abc import Mapping

import numpy as np


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
