"""The Nystroem feature map of kernel ridge on ``m`` centres, and its adjoint.

The model is ``f(x) = k(x, Z) beta + b`` with the penalty
``alpha beta^T K_ZZ beta``: ridge regression in the ``m`` features
``C = k(X, Z)`` with the penalty matrix ``K_ZZ = k(Z, Z)``. With the pivoted
Cholesky factor ``K_Z'Z' = R R^T`` of ``K_ZZ`` (LAPACK ``dpstrf``; ``Z'``
the ``r <= m`` centres it keeps, in its pivot order) and the features
``Phi = k(X, Z') R^{-T}`` (``n x r``), it is ridge with the identity penalty:
``f = Phi w + b``, ``beta' = R^{-T} w`` on the kept centres, zero on the
others. The factorisation stops where the remaining pivots fall below
``m * eps * max(diag K_ZZ)``: the centres it drops are, to rounding, in the
span of the kept ones (``k(., Z) v = 0`` in the RKHS when ``K_ZZ v = 0``),
and their columns would be rounding noise divided by a vanishing pivot.

The criteria are computed in the features (:mod:`.nystroem_criteria`), which
hand back ``Phi_bar = dE/dPhi`` (dense, or as a product ``left right^T``)
and ``A_bar = dE/dA`` for ``A = Phi^T S Phi + alpha I``. Then (the maths
page, "Nystroem kernel ridge")

    dE = <Phi_bar R^{-1}, dk(X, Z')> + <alpha R^{-T} sym(A_bar) R^{-1},
         dk(Z', Z')> + tr(A_bar) dalpha,

and since ``k(Z', Z')`` is the rows of ``k(X, Z')`` at the centres, both
terms are one ``n x r`` matrix contracted with the rectangular kernel's
gradient (:func:`~skhypergrad._kernel.gradients.contract_kernel_gradient`).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.linalg import lapack
from sklearn.utils import check_random_state

from .._core.validation import check_scalar_param
from .gradients import contract_kernel_gradient, cross_kernel
from .search import is_precomputed


def check_n_components(n_components, n_samples):
    """Validate ``n_components``: an int from 1 to the number of samples."""
    check_scalar_param(n_components, "n_components", "int", low=1)
    if n_components > n_samples:
        raise ValueError(
            f"n_components must be <= n_samples = {n_samples} (the centres are "
            f"training rows), got {n_components}."
        )
    return int(n_components)


def sample_centres(n_samples, n_components, random_state):
    """``n_components`` distinct training rows, drawn uniformly, sorted."""
    rng = check_random_state(random_state)
    return np.sort(rng.choice(n_samples, n_components, replace=False))


@dataclass
class NystroemFeatures:
    """The feature map at one kernel.

    Attributes
    ----------
    kept : ndarray of shape (r,)
        Rows of ``X`` that are the kept centres ``Z'``, in pivot order.
    factor : ndarray of shape (r, r)
        Lower Cholesky factor ``R`` of ``k(Z', Z')``.
    features : ndarray of shape (n_samples, r)
        ``Phi = k(X, Z') R^{-T}``.
    """

    kept: np.ndarray
    factor: np.ndarray
    features: np.ndarray


def pivoted_factor(K):
    """Pivoted Cholesky factor of a positive semi-definite ``K``, truncated at
    its numerical rank.

    Returns
    -------
    order : ndarray of shape (r,)
        Indices into ``K`` of the kept pivots.
    factor : ndarray of shape (r, r)
        Lower ``R`` with ``K[order][:, order] = R R^T``.
    """
    m = K.shape[0]
    tol = m * np.finfo(float).eps * max(float(np.max(np.diag(K))), 0.0)
    c, piv, rank, info = lapack.dpstrf(K, tol=tol, lower=1)
    if info < 0 or rank < 1:
        raise linalg.LinAlgError(
            "The kernel matrix of the centres has no positive pivot: the kernel "
            "is zero (or not positive semi-definite) on these data."
        )
    return piv[:rank] - 1, np.tril(c[:rank, :rank])


def nystroem_features(kernel, X, centres, workspace=None):
    """Factor ``k(Z, Z)`` and build the features ``Phi`` of every sample.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    centres : ndarray of shape (m,)
        Rows of ``X`` that are the centres.
    workspace : ndarray of shape (>= n_samples * m,) or None
        Where to build ``Phi`` (a reused array saves the page faults of a new
        one, a second each evaluation for ``n m = 10^8``).

    Returns
    -------
    NystroemFeatures
    """
    K = _centre_columns(kernel, X[centres], X, centres)
    K += K.T  # exactly symmetric
    K *= 0.5
    order, R = pivoted_factor(K)
    del K
    kept = centres[order]
    C = _centre_columns(kernel, X, X, kept, _shaped(workspace, (X.shape[0], kept.size)))
    # Phi = C R^{-T}: solve Phi R^T = C, in place (C^T is Fortran-ordered).
    Phi = linalg.solve_triangular(
        R, C.T, lower=True, overwrite_b=True, check_finite=False
    ).T
    return NystroemFeatures(kept, R, Phi)


def _shaped(workspace, shape):
    """A C-ordered array of ``shape`` in ``workspace`` (None: None)."""
    if workspace is None:
        return None
    return workspace[: shape[0] * shape[1]].reshape(shape)


def _centre_columns(kernel, rows, X, centres, out=None):
    """``k(rows, X[centres])``; for a precomputed kernel (``X`` is the kernel
    matrix), the columns ``centres`` of ``rows``."""
    if is_precomputed(kernel):
        block = rows[:, centres]
        return block.toarray() if sp.issparse(block) else np.array(block, dtype=float)
    return cross_kernel(kernel, rows, X[centres], out=out)


def coefficients_on_centres(features, w, n_centres, centres):
    """``beta`` on all ``m`` centres (in the order of ``centres``) from the
    feature-space coefficients ``w`` (``r x n_targets``): ``R^{-T} w`` on the
    kept centres, zero on the others."""
    beta = np.zeros((n_centres, w.shape[1]))
    position = np.searchsorted(centres, features.kept)
    beta[position] = linalg.solve_triangular(
        features.factor, w, lower=True, trans="T", check_finite=False
    )
    return beta


def kernel_gradient(kernel, X, features, alpha, features_bar, A_bar, workspace=None):
    """The gradient of the criterion in ``kernel.theta`` and in ``alpha``.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel
    X : ndarray of shape (n_samples, n_features)
    features : NystroemFeatures
    alpha : float
    features_bar : ndarray of shape (n_samples, r) or tuple of two ndarrays
        ``dE/dPhi``, dense (overwritten) or as ``(left, right)`` with
        ``dE/dPhi = left @ right.T``.
    A_bar : ndarray of shape (r, r)
        ``dE/dA`` for ``A = Phi^T S Phi + alpha I``.
    workspace : ndarray or None
        Where to build ``Phi_bar R^{-1}`` from ``(left, right)``.

    Returns
    -------
    d_alpha : float
        ``dE/dalpha``.
    grad : ndarray of shape (len(kernel.theta),)
    """
    R = features.factor
    if isinstance(features_bar, tuple):
        left, right = features_bar
        # Phi_bar R^{-1} = left (R^{-T} right)^T
        right = linalg.solve_triangular(
            R, right, lower=True, trans="T", check_finite=False
        )
        out = _shaped(workspace, (left.shape[0], right.shape[0]))
        M = np.matmul(left, right.T, out=out)
    else:
        # M = Phi_bar R^{-1}: solve M R = Phi_bar, i.e. R^T M^T = Phi_bar^T.
        M = linalg.solve_triangular(
            R,
            features_bar.T,
            lower=True,
            trans="T",
            overwrite_b=True,
            check_finite=False,
        ).T
    symmetric = 0.5 * (A_bar + A_bar.T)
    # alpha R^{-T} sym(A_bar) R^{-1}, the adjoint of k(Z', Z').
    centre_bar = linalg.solve_triangular(
        R, symmetric, lower=True, trans="T", check_finite=False
    )
    centre_bar = linalg.solve_triangular(
        R, centre_bar.T, lower=True, trans="T", check_finite=False
    ).T
    M[features.kept] += alpha * centre_bar
    grad = contract_kernel_gradient(kernel, X, M, X[features.kept])
    return float(np.trace(A_bar)), grad
