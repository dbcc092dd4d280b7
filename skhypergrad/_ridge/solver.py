"""Ridge inner solves with one penalty per feature, by Cholesky factorisation.

For penalties ``lam`` (one per feature) on the centred design ``X~`` of
:mod:`skhypergrad._ridge.design`, the ridge solution is

    w = A^{-1} X~^T y~,     A = X~^T X~ + diag(lam)               (primal, p x p)
      = diag(1/lam) X~^T G^{-1} y~,   G = X~ diag(1/lam) X~^T + I  (dual, n x n)

(MATH.md sections 1-2). The primal form is used when ``n_samples >= n_features``,
the dual form otherwise. Both expose the same quantities: ``w``, the residual
``r~ = y~ - X~ w``, the matrix ``B = X~ A^{-1}`` (``= G^{-1} X~ diag(1/lam)``
in the dual) and the hat diagonal ``h~_i = (X~ A^{-1} X~^T)_ii``, from which the
criteria and their gradients are assembled.
"""

import copy
import warnings

import numpy as np
from scipy import linalg
from scipy.linalg import blas, lapack

from .._ridge.design import CentredDesign

_MAX_JITTER_TRIES = 6


def cholesky_with_jitter(matrix):
    """Lower Cholesky factor, adding diagonal jitter if the matrix is not PD.

    Parameters
    ----------
    matrix : ndarray of shape (m, m)
        Symmetric matrix, expected positive definite.

    Returns
    -------
    factor : tuple
        ``(L, True)`` usable with :func:`scipy.linalg.cho_solve`.
    """
    try:
        return linalg.cho_factor(matrix, lower=True, check_finite=False)
    except linalg.LinAlgError:
        pass
    scale = np.mean(np.abs(np.diag(matrix))) or 1.0
    for k in range(_MAX_JITTER_TRIES):
        jitter = scale * 1e-12 * 10.0 ** (2 * k)
        try:
            factor = linalg.cho_factor(
                matrix + jitter * np.eye(matrix.shape[0]),
                lower=True,
                check_finite=False,
            )
        except linalg.LinAlgError:
            continue
        warnings.warn(
            f"Cholesky factorisation failed; added {jitter:.3g} to the diagonal.",
            RuntimeWarning,
            stacklevel=3,
        )
        return factor
    raise linalg.LinAlgError(
        "Cholesky factorisation failed even with diagonal jitter: the penalties "
        "are too small for the scale of X; raise the lower bound of alpha_bounds."
    )


def cholesky_solve(factor, b):
    """``A^{-1} b`` from the Cholesky factor of ``A`` (as
    :func:`scipy.linalg.cho_solve`).

    A vector is solved by two triangular matrix-vector solves (BLAS ``trsv``):
    LAPACK's ``potrs``, which ``cho_solve`` calls, goes through the
    matrix-matrix ``trsm`` and takes about 2.5 times as long for one
    right-hand side (0.22 ms against 0.09 ms for ``m = 650``), which shows in
    preconditioned conjugate gradient, one solve per iteration.

    Parameters
    ----------
    factor : tuple
        ``(c, lower)`` from :func:`scipy.linalg.cho_factor`.
    b : ndarray of shape (m,) or (m, k)
    """
    c, lower = factor
    if b.ndim != 1 or b.dtype != np.float64:
        return linalg.cho_solve(factor, b, check_finite=False)
    # A = L L^T (lower) or U^T U: solve with the first factor, then its
    # transpose. A C-ordered c is the F-ordered transpose, other triangle.
    first_trans = 0 if lower else 1
    if not c.flags.f_contiguous:
        c, lower, first_trans = c.T, not lower, 1 - first_trans
    trsv = blas.get_blas_funcs("trsv", (c,))
    y = trsv(c, b, lower=lower, trans=first_trans)
    return trsv(c, y, lower=lower, trans=1 - first_trans, overwrite_x=True)


def symmetrize_lower(A, block=512):
    """Copy the lower triangle of a square array onto its upper one, in place
    (by blocks of rows, so no second ``n x n`` array is made)."""
    n = A.shape[0]
    for start in range(0, n, block):
        stop = min(start + block, n)
        diagonal = A[start:stop, start:stop]
        diagonal[...] = np.tril(diagonal) + np.tril(diagonal, -1).T
        A[start:stop, stop:] = A[stop:, start:stop].T
    return A


def inverse_from_cholesky(factor, overwrite=False):
    """The inverse of ``L L^T`` from its lower factor (LAPACK ``dpotri``).

    A third of the work of solving for the identity with the factor.

    Parameters
    ----------
    factor : tuple
        ``(L, True)`` as returned by :func:`cholesky_with_jitter`.
    overwrite : bool, default=False
        Compute the inverse in the factor's memory.

    Returns
    -------
    inverse : ndarray of shape (m, m)
        Full and symmetric.
    """
    L, lower = factor
    if not lower:
        raise ValueError("inverse_from_cholesky needs a lower factor.")
    inverse, info = lapack.dpotri(L, lower=1, overwrite_c=int(overwrite))
    if info != 0:
        raise linalg.LinAlgError(f"dpotri failed (info={info}).")
    return symmetrize_lower(inverse)


class RidgeSolver:
    """Cholesky ridge solves on a fixed centred design.

    Parameters
    ----------
    design : CentredDesign
        The centred, rescaled training data.
    """

    def __init__(self, design: CentredDesign):
        self.design = design
        self.primal = design.n_features <= design.n_samples
        if self.primal:
            self._gram = design.gram()
            self._Xty = design.rmatmul(design.y)

    def with_targets(self, columns):
        """Return a solver for some target columns, sharing the Gram matrix."""
        view = copy.copy(self)
        view.design = self.design.with_targets(columns)
        if self.primal:
            view._Xty = self._Xty[:, columns]
        return view

    def solve(self, lam):
        """Factor the system at penalties ``lam`` and solve it.

        Parameters
        ----------
        lam : ndarray of shape (n_features,)
            Positive penalty of each feature.

        Returns
        -------
        RidgeFactor
        """
        if self.primal:
            return _PrimalFactor(self, lam)
        return _DualFactor(self, lam)


class _PrimalFactor:
    """``A = X~^T X~ + diag(lam) = L L^T``."""

    def __init__(self, solver, lam):
        self.design = solver.design
        self.lam = lam
        A = solver._gram.copy()
        A[np.diag_indices_from(A)] += lam
        self._factor = cholesky_with_jitter(A)
        self.coef = cholesky_solve(self._factor, solver._Xty)
        self.residual = self.design.y - self.design.matmul(self.coef)

    def solve_adjoint(self, g):
        """Return ``A^{-1} g``."""
        return cholesky_solve(self._factor, g)

    def hat_terms(self):
        """Return ``B = X~ A^{-1}`` and the hat diagonal ``h~``."""
        B = self.design.matmul(inverse_from_cholesky(self._factor))
        return B, self.design.row_dots(B)


class _DualFactor:
    """``G = X~ diag(1/lam) X~^T + I = L L^T``."""

    def __init__(self, solver, lam):
        self.design = solver.design
        self.lam = lam
        G = self.design.kernel(1.0 / lam)
        G[np.diag_indices_from(G)] += 1.0
        self._factor = cholesky_with_jitter(G)
        # r~ = (I - H~) y~ = G^{-1} y~ and w = diag(1/lam) X~^T G^{-1} y~.
        self.residual = cholesky_solve(self._factor, self.design.y)
        self.coef = self.design.rmatmul(self.residual) / lam[:, None]

    def solve_adjoint(self, g):
        """Return ``A^{-1} g`` by the Woodbury identity."""
        scaled = g / self.lam[:, None]
        inner = cholesky_solve(self._factor, self.design.matmul(scaled))
        return scaled - self.design.rmatmul(inner) / self.lam[:, None]

    def hat_terms(self):
        """Return ``B = G^{-1} X~ diag(1/lam)`` and ``h~ = 1 - diag(G^{-1})``."""
        G_inv = inverse_from_cholesky(self._factor)
        B = (self.design.rmatmul(G_inv) / self.lam[:, None]).T
        return B, 1.0 - np.diag(G_inv)
