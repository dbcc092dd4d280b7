"""Ridge training designs and validation errors from sufficient statistics.

A split's training rows enter ridge regression through their centred Gram
matrix ``X~^T X~ = xx - x x^T / W`` and ``X~^T y~ = xy - x y^T / W``
(:class:`MomentDesign`); its validation rows through their sums about the
training offsets (:class:`ValidationMoments`), from which the weighted squared
error of any coefficients ``w`` is, per target,

    sum_i s_i (z_i - u_i^T w)^2 = zz - 2 w^T uz + w^T uu w,

with ``u = x - x_offset`` and ``z = y - y_offset``: no pass over the rows
(the maths page, "Tall data: sufficient statistics"). The expansion loses
about ``log10(zz / error)`` digits to cancellation, where the direct sum
loses half as many: :func:`expansion_is_precise` tells when to keep it.
"""

import copy
from dataclasses import dataclass

import numpy as np

from .statistics import total_moments

# The expansion's relative error is about eps * zz / error: below this
# error-to-variance ratio (a fit explaining all but 1e-6 of the variance),
# the validation error would keep fewer than ~10 digits, and the estimator
# sums the residuals of the rows instead.
MIN_RESIDUAL_RATIO = 1e-6


class MomentDesign:
    """The centred training design of ridge regression, as
    :class:`~skhypergrad._ridge.design.CentredDesign` sees it, from the
    :class:`~skhypergrad._ridge.statistics.Moments` of its rows.

    It has no rows: only the products ridge solves need (``gram``,
    ``cross``), never ``matmul`` or ``rmatmul``.

    Parameters
    ----------
    moments : Moments
    fit_intercept : bool
    """

    sparse = False
    from_moments = True

    def __init__(self, moments, fit_intercept):
        self.moments = moments
        self.fit_intercept = fit_intercept
        self.n_features = moments.x.shape[0]
        self.n_samples = moments.n_rows
        self.weight_sum = moments.weight
        self.n_effective = moments.count
        if fit_intercept:
            self.x_offset = moments.x_shift + moments.x / moments.weight
            self.y_offset = moments.y_shift + moments.y / moments.weight
        else:
            self.x_offset = np.zeros(self.n_features)
            self.y_offset = np.zeros(moments.n_targets)
        self._gram, self._cross, self._yy = moments.about(self.x_offset, self.y_offset)

    @property
    def n_targets(self):
        return self._cross.shape[1]

    @property
    def primal(self):
        """Whether ridge solves in feature space (see
        :attr:`CentredDesign.primal`); always, where the estimator uses
        statistics."""
        return self.n_features <= self.n_effective - int(self.fit_intercept)

    def with_targets(self, columns):
        """Return a shallow copy restricted to some target columns."""
        view = copy.copy(self)
        view.y_offset = self.y_offset[columns]
        view._cross = self._cross[:, columns]
        view._yy = self._yy[columns]
        return view

    def gram(self):
        """``X~^T X~``."""
        return self._gram

    def cross(self):
        """``X~^T y~``."""
        return self._cross

    def target_squares(self):
        """``y~^T y~`` of each target."""
        return self._yy

    def column_norms_squared(self):
        """Squared norm of each column of ``X~``."""
        return np.diag(self._gram).copy()

    def mean_square(self):
        """Mean over features of ``||X~_j||^2 / sum(s)`` (see
        :meth:`CentredDesign.mean_square`)."""
        return float(np.trace(self._gram)) / (self.weight_sum * self.n_features)


@dataclass
class ValidationMoments:
    """A split's validation rows as sums about its training offsets.

    Attributes
    ----------
    uu : ndarray of shape (k, k)
        ``sum s u u^T`` (``k`` the features, or a basis of them, see
        :meth:`project`).
    uz : ndarray of shape (k, n_targets)
    zz : ndarray of shape (n_targets,)
    weight_sum : float
    """

    uu: np.ndarray
    uz: np.ndarray
    zz: np.ndarray
    weight_sum: float

    @classmethod
    def about(cls, moments, x_offset, y_offset):
        """The validation sums of ``moments``' rows about training offsets."""
        return cls(*moments.about(x_offset, y_offset), moments.weight)

    @property
    def n_targets(self):
        return self.zz.shape[0]

    def with_targets(self, columns):
        """The same rows, some target columns."""
        return ValidationMoments(
            self.uu, self.uz[:, columns], self.zz[columns], self.weight_sum
        )

    def project(self, M):
        """The same rows for coefficients ``w = M c``: sums in ``c``'s basis."""
        return ValidationMoments(
            M.T @ self.uu @ M, M.T @ self.uz, self.zz, self.weight_sum
        )

    def squared_error(self, coef):
        """Weighted squared validation error of each target at ``coef``.

        Parameters
        ----------
        coef : ndarray of shape (k, n_targets)

        Returns
        -------
        values : ndarray of shape (n_targets,)
            ``sum_i s_i r_i^2`` with ``r = z - u^T coef``.
        gradient : ndarray of shape (k, n_targets)
            ``sum_i s_i u_i r_i``: minus half the gradient of ``values``.
        """
        gradient = self.uz - self.uu @ coef
        values = self.zz - np.einsum("kt,kt->t", coef, self.uz + gradient)
        return np.maximum(values, 0.0), gradient


@dataclass
class MomentFold:
    """One (train, validation) split from sufficient statistics."""

    design: MomentDesign
    validation: ValidationMoments

    def with_targets(self, columns):
        """Return the same split restricted to some target columns."""
        return MomentFold(
            self.design.with_targets(columns), self.validation.with_targets(columns)
        )


def moment_folds(atoms, patterns, fit_intercept, scales=None):
    """The folds of every split, from the moments of the atoms.

    Parameters
    ----------
    atoms : list of Moments
    patterns : ndarray of shape (n_atoms, n_splits)
        Membership of each atom in each split (see
        :func:`~skhypergrad._ridge.statistics.split_atoms`).
    fit_intercept : bool
    scales : ndarray of shape (n_splits, n_targets) or None
        Multipliers of each split's targets (see
        :func:`~skhypergrad._ridge.criteria.make_folds`).

    Returns
    -------
    list of MomentFold
    """
    folds = []
    for k in range(patterns.shape[1]):
        train = _total(atoms, patterns[:, k] & 1)
        test = _total(atoms, patterns[:, k] & 2)
        if scales is not None:
            train, test = train.scale_targets(scales[k]), test.scale_targets(scales[k])
        design = MomentDesign(train, fit_intercept)
        validation = ValidationMoments.about(test, design.x_offset, design.y_offset)
        folds.append(MomentFold(design, validation))
    return folds


def _total(atoms, members):
    return total_moments(
        [atom for atom, member in zip(atoms, members, strict=True) if member]
    )


def expansion_is_precise(design):
    """Whether the expanded squared errors keep their digits on this data:
    the least-squares fit of all of it leaves at least
    :data:`MIN_RESIDUAL_RATIO` of every target's variance (validation errors
    exceed training residuals)."""
    gram, cross, yy = design.gram(), design.cross(), design.target_squares()
    sigma, V = np.linalg.eigh(gram)
    keep = sigma > sigma.max(initial=0.0) * gram.shape[0] * np.finfo(float).eps
    projected = V[:, keep].T @ cross
    explained = np.sum(projected**2 / sigma[keep, None], axis=0)
    return bool(np.all(yy - explained >= MIN_RESIDUAL_RATIO * yy))
