"""Sufficient statistics of ridge regression, accumulated block by block of rows.

A ridge fit with an unpenalised intercept, and the squared error of its
predictions on any other rows, depend on the data only through weighted sums
over rows (the maths page, "Tall data: sufficient statistics"):

    W = sum s_i,   x = sum s_i x'_i,   y = sum s_i y'_i,
    xx = sum s_i x'_i x'_i^T,   xy = sum s_i x'_i y'_i^T,   yy = sum s_i y'_i^2,

with ``x' = x - x_shift`` and ``y' = y - y_shift``. Sums over disjoint sets of
rows add, so cross-validation needs them only per *atom*: the rows that share
their membership pattern across the splits (for ``KFold``, the ``K`` test
folds). One pass over the rows gives every split's training sums and its
validation sums, and every later evaluation works on ``p x p`` matrices.

The shift is a reference close to the (weighted) means of the data: it keeps
the centring of the sums, ``xx - x x^T / W``, free of cancellation when the
features are far from zero. :class:`MomentAccumulator` takes rows block by
block, in any order and from any source (it never sees more than one block);
:func:`atom_moments` drives it over an in-memory array.
"""

from dataclasses import dataclass, replace

import numpy as np

from .._core.spectral import rows_per_block
from .._core.validation import largest_magnitude

# A feature whose reference offset is within this many standard deviations of
# zero is summed unshifted: centring its sums then cancels no more than
# (1 + 4^2) ulps of them, and the pass saves a copy of every block.
_OFFSET_SPREADS = 4.0
# Up to this many targets, their sums come from one Gram matrix with the
# features' (the t x t block it also computes is small).
_FEW_TARGETS = 16
# Rows sampled (evenly spaced) to choose the shift.
_SHIFT_SAMPLE = 1024


@dataclass(frozen=True)
class Moments:
    """Weighted sums over a set of rows, about ``(x_shift, y_shift)``.

    Attributes
    ----------
    weight : float
        ``sum s_i``.
    count : int
        Rows of positive weight.
    n_rows : int
        Rows.
    x : ndarray of shape (n_features,)
    y : ndarray of shape (n_targets,)
    xx : ndarray of shape (n_features, n_features)
    xy : ndarray of shape (n_features, n_targets)
    yy : ndarray of shape (n_targets,)
    x_shift : ndarray of shape (n_features,)
    y_shift : ndarray of shape (n_targets,)
    """

    weight: float
    count: int
    n_rows: int
    x: np.ndarray
    y: np.ndarray
    xx: np.ndarray
    xy: np.ndarray
    yy: np.ndarray
    x_shift: np.ndarray
    y_shift: np.ndarray

    def __add__(self, other):
        return replace(
            self,
            weight=self.weight + other.weight,
            count=self.count + other.count,
            n_rows=self.n_rows + other.n_rows,
            x=self.x + other.x,
            y=self.y + other.y,
            xx=self.xx + other.xx,
            xy=self.xy + other.xy,
            yy=self.yy + other.yy,
        )

    @property
    def n_targets(self):
        return self.y.shape[0]

    def scale_targets(self, scale):
        """The sums of the same rows with target ``t`` multiplied by ``scale[t]``."""
        return replace(
            self,
            y=self.y * scale,
            xy=self.xy * scale,
            yy=self.yy * scale**2,
            y_shift=self.y_shift * scale,
        )

    def scale_features(self, scale):
        """The sums of the same rows with feature ``j`` multiplied by ``scale[j]``."""
        return replace(
            self,
            x=self.x * scale,
            xx=self.xx * np.outer(scale, scale),
            xy=self.xy * scale[:, None],
            x_shift=self.x_shift * scale,
        )

    def about(self, x_centre, y_centre):
        """Sums of the rows about other centres: with ``u = x - x_centre``
        and ``z = y - y_centre``, return ``sum s u u^T``, ``sum s u z^T`` and
        ``sum s z^2`` (per target)."""
        dx = x_centre - self.x_shift
        dy = y_centre - self.y_shift
        xx = self.xx - np.outer(self.x, dx) - np.outer(dx, self.x)
        xx += self.weight * np.outer(dx, dx)
        xy = self.xy - np.outer(self.x, dy) - np.outer(dx, self.y)
        xy += self.weight * np.outer(dx, dy)
        yy = self.yy - 2.0 * dy * self.y + self.weight * dy**2
        return xx, xy, yy


def total_moments(moments):
    """The :class:`Moments` of the union of disjoint sets of rows."""
    total = moments[0]
    for part in moments[1:]:
        total = total + part
    return total


class MomentAccumulator:
    """Per-atom :class:`Moments`, summed block by block of rows.

    Each block is copied, shifted and weighted into a buffer of rows
    ``sqrt(s) [x', 1, y']``. With few targets its Gram matrix (one BLAS call)
    holds every sum at once: ``xx``, ``x`` and ``xy`` in its first ``p``
    rows, ``W``, ``y`` and ``yy`` in the others. With many, the targets'
    products with each other (all but their squares unused) would cost
    ``n t^2``: the buffer holds ``sqrt(s) [x', 1]`` and the targets' sums
    are products with it.

    Parameters
    ----------
    n_atoms : int
    x_shift : ndarray of shape (n_features,) or None
        None: the features are summed as they are (a zero shift).
    y_shift : ndarray of shape (n_targets,)
    n_features : int
    """

    def __init__(self, n_atoms, x_shift, y_shift, n_features):
        self.x_shift = x_shift
        self.y_shift = y_shift
        self.n_features = n_features
        n_targets = y_shift.shape[0]
        # [x', 1] with each other, with the targets, and the targets' squares.
        self.gram = np.zeros((n_atoms, n_features + 1, n_features + 1))
        self.cross = np.zeros((n_atoms, n_features + 1, n_targets))
        self.squares = np.zeros((n_atoms, n_targets))
        self.count = np.zeros(n_atoms, dtype=np.int64)
        self.n_rows = np.zeros(n_atoms, dtype=np.int64)
        self._together = n_targets <= _FEW_TARGETS
        self._block = None

    def add(self, X, y, sample_weight, atom):
        """Add a block of rows.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        y : ndarray of shape (n_rows, n_targets)
        sample_weight : ndarray of shape (n_rows,) or None
            None: every weight is 1.
        atom : int or ndarray of shape (n_rows,)
            The atom of every row (one for all of them, or one each); rows of
            a negative atom are in no split and left out.
        """
        if np.ndim(atom) > 0 and atom[0] == atom[-1] and np.all(atom == atom[0]):
            atom = int(atom[0])
        if np.ndim(atom) == 0:
            if atom >= 0:
                self._add_rows(int(atom), X, y, sample_weight)
            return
        order = np.argsort(atom, kind="stable")
        labels, starts = np.unique(atom[order], return_index=True)
        ends = np.append(starts[1:], order.size)
        for label, start, end in zip(labels, starts, ends, strict=True):
            if label >= 0:
                rows = order[start:end]
                weight = None if sample_weight is None else sample_weight[rows]
                self._add_rows(int(label), X[rows], y[rows], weight)

    def _add_rows(self, a, X, y, sample_weight):
        """Add rows of one atom."""
        p = self.n_features
        n_rows = X.shape[0]
        width = p + 1 + (y.shape[1] if self._together else 0)
        if self._block is None or self._block.shape[0] < n_rows:
            # One buffer for every block: a new array each time would be
            # mapped (and faulted in) afresh.
            self._block = np.empty((n_rows, width))
        block = self._block[:n_rows]
        if self.x_shift is None:
            block[:, :p] = X
        else:
            np.subtract(X, self.x_shift, out=block[:, :p])
        block[:, p] = 1.0
        if self._together:
            np.subtract(y, self.y_shift, out=block[:, p + 1 :])
            targets = None
        else:
            targets = y - self.y_shift
        self.n_rows[a] += n_rows
        if sample_weight is None:
            self.count[a] += n_rows
        else:
            root = np.sqrt(sample_weight)[:, None]
            block *= root
            if targets is not None:
                targets *= root
            self.count[a] += np.count_nonzero(sample_weight)
        if targets is None:
            full = block.T @ block
            self.gram[a] += full[: p + 1, : p + 1]
            self.cross[a] += full[: p + 1, p + 1 :]
            self.squares[a] += np.diag(full)[p + 1 :]
        else:
            self.gram[a] += block.T @ block
            self.cross[a] += block.T @ targets
            self.squares[a] += np.einsum("ij,ij->j", targets, targets)

    def merge(self, other):
        """Add the sums of another accumulator with the same shifts (a
        partial pass over other rows)."""
        for name in ("gram", "cross", "squares", "count", "n_rows"):
            getattr(self, name).__iadd__(getattr(other, name))
        return self

    def atoms(self):
        """The :class:`Moments` of every atom."""
        p = self.n_features
        x_shift = np.zeros(p) if self.x_shift is None else self.x_shift
        return [
            Moments(
                weight=float(gram[p, p]),
                count=int(count),
                n_rows=int(n_rows),
                x=gram[:p, p].copy(),
                y=cross[p].copy(),
                xx=gram[:p, :p].copy(),
                xy=cross[:p].copy(),
                yy=squares.copy(),
                x_shift=x_shift,
                y_shift=self.y_shift,
            )
            for gram, cross, squares, count, n_rows in zip(
                self.gram,
                self.cross,
                self.squares,
                self.count,
                self.n_rows,
                strict=True,
            )
        ]


def reference_shift(X, y, sample_weight):
    """Shifts close to the weighted means, from evenly spaced sample rows.

    Returns
    -------
    x_shift : ndarray of shape (n_features,) or None
        None when every feature's mean is within a few standard deviations
        of zero (no shift needed).
    y_shift : ndarray of shape (n_targets,)
    """
    step = max(1, X.shape[0] // _SHIFT_SAMPLE)
    sample = np.asarray(X[::step], dtype=np.float64)
    weight = sample_weight[::step]
    if not weight.sum() > 0:
        weight = np.ones_like(weight)
    x_mean = weight @ sample / weight.sum()
    y_shift = sample_weight @ y / sample_weight.sum()
    spread = np.sqrt(weight @ (sample - x_mean) ** 2 / weight.sum())
    if np.all(np.abs(x_mean) <= _OFFSET_SPREADS * spread):
        return None, y_shift
    return x_mean, y_shift


def atom_moments(X, y, sample_weight, atom, n_atoms):
    """The :class:`Moments` of every atom, in one pass over an in-memory ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense, float64 or float32 (summed in float64).
    y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,)
    atom : ndarray of int of shape (n_samples,) or int
        The atom of every row (negative: in no split), or one atom for all.
    n_atoms : int

    Returns
    -------
    list of Moments
    """
    x_shift, y_shift = reference_shift(X, y, sample_weight)
    accumulator = MomentAccumulator(n_atoms, x_shift, y_shift, X.shape[1])
    weight = None if np.all(sample_weight == 1.0) else sample_weight
    accumulate(accumulator, X, y, weight, atom)
    return accumulator.atoms()


def accumulate(accumulator, X, y, sample_weight, atom, largest=False):
    """Add rows to ``accumulator`` block by block
    (:func:`~skhypergrad._core.spectral.rows_per_block`).

    Parameters
    ----------
    accumulator : MomentAccumulator
    X : ndarray of shape (n_rows, n_features)
    y : ndarray of shape (n_rows, n_targets)
    sample_weight : ndarray of shape (n_rows,) or None
    atom : ndarray of int of shape (n_rows,) or int
    largest : bool, default=False
        Also find ``max |X|``, block by block while it is in cache.

    Returns
    -------
    float or None
        ``max |X|`` with ``largest``.
    """
    step = rows_per_block(X.shape[1] + 1 + y.shape[1])
    x_max = 0.0 if largest else None
    for start in range(0, X.shape[0], step):
        rows = slice(start, start + step)
        if largest:
            x_max = max(x_max, largest_magnitude(X[rows]))
        accumulator.add(
            X[rows],
            y[rows],
            None if sample_weight is None else sample_weight[rows],
            atom if np.ndim(atom) == 0 else atom[rows],
        )
    return x_max


def split_atoms(splits, n_samples):
    """Group the rows by their membership pattern across the splits.

    Parameters
    ----------
    splits : list of (train, test) index arrays
    n_samples : int

    Returns
    -------
    atom : ndarray of shape (n_samples,)
        The atom of every row (rows in no split have theirs too: the final
        fit takes every row).
    patterns : ndarray of shape (n_atoms, n_splits)
        Each atom's membership of each split: 1 in its training rows, 2 in
        its test rows, 3 in both, 0 in neither.
    None, None
        When a split repeats a row (atoms count every row once).
    """
    states = np.zeros((len(splits), n_samples), dtype=np.int8)
    code = np.zeros(n_samples, dtype=np.int64)
    in_train = np.empty(n_samples, dtype=bool)
    in_test = np.empty(n_samples, dtype=bool)
    for k, (train, test) in enumerate(splits):
        in_train[:] = False
        in_train[train] = True
        in_test[:] = False
        in_test[test] = True
        if np.count_nonzero(in_train) != len(train) or np.count_nonzero(in_test) != len(
            test
        ):
            return None, None
        np.add(in_train, in_test, out=states[k], dtype=np.int8)
        states[k] += in_test
        code *= 4
        code += states[k]
        if k % 28 == 27:  # 4^31 fits in int64: relabel before it overflows
            code = _dense_labels(code)
    code = _dense_labels(code)
    # Any row of an atom shows its pattern.
    representative = np.empty(code.max() + 1, dtype=np.int64)
    representative[code] = np.arange(n_samples)
    return code, states[:, representative].T


def _dense_labels(code):
    """Labels 0, 1, ... in the order of the distinct values of ``code``."""
    if code.max() < 4 * code.size:
        present = np.bincount(code) > 0
        return (np.cumsum(present) - 1)[code]
    return np.unique(code, return_inverse=True)[1]
