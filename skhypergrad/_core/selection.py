"""Leave-one-out and GCV from a fit's residuals, and their adjoints.

Ridge regression and kernel ridge, in whichever form they are solved (primal
or dual Cholesky, the eigendecomposition path), reduce a fit to the residuals
``r`` of the centred, rescaled targets and the diagonal ``om = 1 - h`` of
``I`` minus the hat matrix (the intercept's share included). The criteria are
written once, here, as functions of those; each form then chains the adjoints
``dE/dr`` and ``dE/d om`` (or ``dE/d rss`` and ``dE/dT`` for GCV) through its
own parametrisation (the maths page, "Exact leave-one-out" and "Generalised
cross-validation"):

- leave-one-out (Allen's PRESS): ``e_i = r_i / om_i``,
  ``E = sum_i e_i^2 / S`` with ``S`` the sum of the sample weights (the rows
  are already rescaled by ``sqrt(s)``);
- GCV (Golub, Heath and Wahba 1979): ``E = n_eff^2 rss / (S T^2)`` with
  ``rss = sum_i r_i^2`` and ``T = tr(I - H) - (n - n_eff)``, ``n_eff`` the
  number of samples of positive weight;
- k-fold and held-out error: the weighted squared error of each split's
  validation predictions, ``sum_i s_i r_i^2``, summed over the splits and
  divided by their total weight (:func:`validation_squared_error`).

Values and adjoints are per target (one column each).
"""

import numpy as np

# 1 - h_i below this (a sample that the fit interpolates) is taken as it.
_MIN_OM = 1e-12


def leave_one_out(residual, om, weight_sum, with_adjoints=True):
    """Mean squared leave-one-out error of each target, and its adjoints.

    Parameters
    ----------
    residual : ndarray of shape (n_samples, n_targets)
    om : ndarray of shape (n_samples, 1) or (n_samples, n_targets)
        ``1 - h_i``, shared by the targets or one column per target.
    weight_sum : float
    with_adjoints : bool, default=True

    Returns
    -------
    values : ndarray of shape (n_targets,)
    residual_bar, om_bar : ndarray of shape (n_samples, n_targets) or None
        ``dE_t / dr_it`` and ``dE_t / d om_it`` (None without
        ``with_adjoints``).
    """
    om = np.maximum(om, _MIN_OM)
    e = residual / om
    values = np.einsum("ij,ij->j", e, e) / weight_sum
    if not with_adjoints:
        return values, None, None
    residual_bar = (2.0 / weight_sum) * e / om
    om_bar = -residual_bar * e
    return values, residual_bar, om_bar


def generalized_cross_validation(rss, trace, n_effective, weight_sum):
    """GCV of each target from its residual sum of squares and ``T``.

    Parameters
    ----------
    rss : ndarray of shape (n_targets,)
        ``sum_i r_i^2`` (rescaled rows: the weighted sum of squares).
    trace : ndarray of shape (n_targets,) or (1,)
        ``T = tr(I - H) - (n - n_eff)``.
    n_effective : int
    weight_sum : float

    Returns
    -------
    values : ndarray of shape (n_targets,)
    rss_bar, trace_bar : ndarray of shape (n_targets,)
        ``dE_t / d rss_t`` and ``dE_t / dT_t``.
    """
    if not np.all(trace > 0):
        raise FloatingPointError("GCV's denominator tr(I - H) is not positive.")
    k = n_effective**2 / weight_sum
    values = k * rss / trace**2
    return values, k / trace**2, -2.0 * values / trace


def gcv_from_residuals(residual, om, n_effective, weight_sum):
    """GCV of each target as :func:`leave_one_out` takes it, with the same
    adjoints: ``T = sum_i om_i - (n - n_eff)`` (a sample of zero weight has
    ``om_i = 1``)."""
    n_zero = residual.shape[0] - n_effective
    rss = np.einsum("ij,ij->j", residual, residual)
    trace = om.sum(axis=0) - n_zero
    values, rss_bar, trace_bar = generalized_cross_validation(
        rss, trace, n_effective, weight_sum
    )
    om_bar = np.broadcast_to(trace_bar, residual.shape)
    return values, 2.0 * rss_bar * residual, om_bar


def from_residuals(gcv, residual, om, n_effective, weight_sum):
    """GCV (``gcv=True``) or leave-one-out from residuals and ``om``: the
    values and the adjoints ``dE/dr`` and ``dE/d om`` of each target."""
    if gcv:
        return gcv_from_residuals(residual, om, n_effective, weight_sum)
    return leave_one_out(residual, om, weight_sum)


def validation_squared_error(residual, weight):
    """The weighted squared error of one split's validation residuals.

    Parameters
    ----------
    residual : ndarray of shape (n_validation, n_targets)
        ``y - prediction`` on the split's validation rows.
    weight : ndarray of shape (n_validation,)

    Returns
    -------
    values : ndarray of shape (n_targets,)
        ``sum_i s_i r_i^2`` of each target.
    weighted : ndarray of shape (n_validation, n_targets)
        ``s_i r_i``: half of minus the derivative of ``values`` in the
        predictions, which the adjoint solve takes.
    """
    weighted = weight[:, None] * residual
    return np.einsum("ij,ij->j", weighted, residual), weighted
