"""The hyperparameters an estimator searches: names, bounds, labels.

Every search runs over ``theta``, the logs of the hyperparameters in the units
the user sees (``alpha``, ``C``, a kernel's ``length_scale``), concatenated in
a fixed order. A :class:`SearchSpace` knows which slice of ``theta`` is which
public hyperparameter, its log-bounds, and what each entry stands for (a
feature, a group of features, a target), so that ``history_``, ``verbose``
lines and warnings speak the user's names.
"""

from dataclasses import dataclass

import numpy as np

# theta within this distance of a log-bound counts as on it.
_ON_BOUND = 1e-6


@dataclass(frozen=True)
class Hyperparameter:
    """One public hyperparameter, possibly with several entries.

    Parameters
    ----------
    name : str
        Its public name: the fitted attribute's stem (``"alpha"``) or a kernel
        hyperparameter's ``set_params`` name (``"k1__length_scale"``).
    log_bounds : ndarray of shape (size, 2)
        Log of the (low, high) bounds of each entry.
    bounds_parameter : str
        The parameter that sets the bounds, for warnings (``"alpha_bounds"``).
    labels : ndarray of shape (size,) or None
        What each entry stands for (feature names, group labels, target
        indices), for warnings; None for a single entry.
    label_kind : str, default="value"
        The noun for the entries: ``"feature"``, ``"group"``, ``"target"``...
    members : tuple of arrays of str or None, default=None
        For groups of features, the names of each entry's features, which
        warnings list after its label.
    off_side : {"upper", "lower"} or None, default=None
        The bound at which an entry switches its features off (a penalty's
        upper bound, ``C``'s lower one), where a warning says so.
    offset : float, default=0.0
        The log of the user's units over the search's: an estimator that
        rescales its data internally (by a power of two, see
        :func:`~skhypergrad._core.validation.check_magnitude`) searches
        ``theta`` and shows ``exp(theta + offset)``.
    """

    name: str
    log_bounds: np.ndarray
    bounds_parameter: str
    labels: np.ndarray = None
    label_kind: str = "value"
    members: tuple = None
    off_side: str = None
    offset: float = 0.0

    @property
    def size(self):
        """Number of entries in ``theta``."""
        return self.log_bounds.shape[0]


@dataclass(frozen=True)
class SearchSpace:
    """The concatenation of some hyperparameters into ``theta``.

    ``value_scale`` turns the criterion the search sees into the user's
    units (the square of ``y``'s internal rescaling for a squared error).
    """

    hyperparameters: tuple
    value_scale: float = 1.0

    @property
    def bounds(self):
        """Log-bounds of every entry of ``theta``, shape (size, 2)."""
        return np.vstack([h.log_bounds for h in self.hyperparameters])

    @property
    def size(self):
        """Number of entries of ``theta``."""
        return sum(h.size for h in self.hyperparameters)

    def blocks(self):
        """Each hyperparameter with its slice of ``theta``."""
        start = 0
        for hyper in self.hyperparameters:
            yield hyper, slice(start, start + hyper.size)
            start += hyper.size

    def clip(self, theta):
        """``theta`` clipped into the bounds."""
        bounds = self.bounds
        return np.clip(np.asarray(theta, dtype=float), bounds[:, 0], bounds[:, 1])

    @property
    def offsets(self):
        """The offset of every entry of ``theta``."""
        return np.concatenate([np.full(h.size, h.offset) for h in self.hyperparameters])

    def values(self, theta):
        """The hyperparameters in the user's units, within the bounds.

        Parameters
        ----------
        theta : ndarray of shape (..., size), or (n_targets,) for one
            hyperparameter per target

        Returns
        -------
        ndarray of the shape of ``theta``
        """
        theta = np.asarray(theta, dtype=float)
        flat = theta.reshape(-1, self.size)
        bounds = self.bounds
        # exp(log(bound)) may miss the bound by an ulp: clip in log space.
        clipped = np.clip(flat, bounds[:, 0], bounds[:, 1]) + self.offsets
        return np.exp(clipped).reshape(theta.shape)

    def columns(self, thetas):
        """One ``history_`` column per hyperparameter, in its own units.

        Parameters
        ----------
        thetas : ndarray of shape (n_rows, size)

        Returns
        -------
        dict of ndarray
            A float column for a single entry, an object column of arrays
            for several.
        """
        thetas = np.asarray(thetas, dtype=float).reshape(-1, self.size)
        out = {}
        for hyper, block in self.blocks():
            values = np.exp(thetas[:, block] + hyper.offset)
            if hyper.size == 1:
                out[hyper.name] = values[:, 0]
            else:
                out[hyper.name] = np.empty(len(values), dtype=object)
                out[hyper.name][:] = list(values)
        return out

    def describe(self, theta):
        """``name=value`` for each hyperparameter (a summary for many entries)."""
        theta = np.asarray(theta, dtype=float).ravel()
        return "  ".join(
            f"{hyper.name}={summarize(np.exp(theta[block] + hyper.offset))}"
            for hyper, block in self.blocks()
        )

    def bound_messages(self, theta):
        """One sentence per hyperparameter and bound that ``theta`` sits on.

        Parameters
        ----------
        theta : ndarray of shape (size,) or (n_targets, size)
            (``(n_targets,)`` for one hyperparameter per target).

        Returns
        -------
        list of str
        """
        theta = np.asarray(theta, dtype=float).reshape(-1, self.size)
        sentences = []
        for hyper, block in self.blocks():
            values = theta[:, block]
            if np.all(hyper.log_bounds[:, 0] == hyper.log_bounds[:, 1]):
                continue
            for side, column, advice in (
                ("lower", 0, "decreasing"),
                ("upper", 1, "increasing"),
            ):
                hits = np.abs(values - hyper.log_bounds[:, column]) <= _ON_BOUND
                if hits.any():
                    sentences.append(
                        _bound_sentence(hyper, side, advice, hits, values.shape[0])
                    )
        return sentences


def _bound_sentence(hyper, side, advice, hits, n_rows):
    """``The optimal alpha sits on its upper bound 1e+06 for 2 of 10 features:
    'x3', 'x7'. Consider increasing the upper bound of alpha_bounds.``, and
    for groups ``... for 1 of 3 groups: 'cat' (features cat__a, cat__b)``."""
    column = 0 if side == "lower" else 1
    bound = np.exp(hyper.log_bounds[hits.any(axis=0).argmax(), column] + hyper.offset)
    kind, entries = _entries(hyper, n_rows)
    which = ""
    if hits.size > 1:
        where = np.flatnonzero(hits.ravel())
        shown = ", ".join(entries[k] for k in where[:_SHOWN_ENTRIES])
        more = f", ... ({where.size} in all)" if where.size > _SHOWN_ENTRIES else ""
        which = f" for {where.size} of {hits.size} {kind}s: {shown}{more}"
    elif hyper.labels is not None and n_rows == 1:
        which = f" for the {kind} {entries[0]}"
    sentence = (
        f"The optimal {hyper.name} sits on its {side} bound {bound:.3g}{which}. "
        f"Consider {advice} the {side} bound of {hyper.bounds_parameter}"
    )
    if side == hyper.off_side and hits.size > 1:
        return f"{sentence}; a {kind} at the {side} bound may simply be irrelevant."
    return sentence + "."


# Entries, and features of a group, named in a warning before "...".
_SHOWN_ENTRIES, _SHOWN_MEMBERS = 10, 5


def _entries(hyper, n_rows):
    """The noun and the description of every entry of ``theta`` rows (one
    row per target when the search ran per target): its label, and for a
    group its features."""
    labels = range(hyper.size) if hyper.labels is None else hyper.labels
    entries = [repr(_plain(label)) for label in labels]
    if hyper.members is not None:
        entries = [
            f"{entry} ({_features(names)})"
            for entry, names in zip(entries, hyper.members, strict=True)
        ]
    if n_rows == 1:
        return hyper.label_kind, entries
    if hyper.size == 1:
        return "target", [str(target) for target in range(n_rows)]
    pairs = [f"({target}, {entry})" for target in range(n_rows) for entry in entries]
    return f"(target, {hyper.label_kind}) pair", pairs


def _features(names):
    """``features a, b`` or ``features a, b, c, d, e and 7 more``."""
    shown = ", ".join(str(name) for name in names[:_SHOWN_MEMBERS])
    more = len(names) - _SHOWN_MEMBERS
    noun = "feature" if len(names) == 1 else "features"
    return f"{noun} {shown}" + (f" and {more} more" if more > 0 else "")


def _plain(label):
    """A NumPy scalar as the Python value it holds, for a readable list."""
    return label.item() if isinstance(label, np.generic) else label


def summarize(values):
    """Short text for one value or a vector of them."""
    values = np.atleast_1d(values)
    if values.size == 1:
        return f"{values[0]:.4g}"
    return (
        f"[{values.size} values, median {np.median(values):.3g}, "
        f"{values.min():.3g} .. {values.max():.3g}]"
    )
