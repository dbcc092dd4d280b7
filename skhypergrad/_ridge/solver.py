"""Ridge inner solves with one penalty per feature, by Cholesky factorisation.

For penalties ``lam`` (one per feature) on the centred design ``X~`` of
:mod:`skhypergrad._ridge.design`, the ridge solution is

    w = A^{-1} X~^T y~,     A = X~^T X~ + diag(lam)               (primal, p x p)
      = diag(1/lam) X~^T G^{-1} y~,   G = X~ diag(1/lam) X~^T + I  (dual, n x n)

(the maths page, "Exact leave-one-out"). The primal form is used when
``n_samples >= n_features``, the dual form otherwise. Both expose the same
quantities: ``w``, the residual ``r~ = y~ - X~ w``, the matrix
``B = X~ A^{-1}`` (``= G^{-1} X~ diag(1/lam)`` in the dual) and the hat
diagonal ``h~_i = (X~ A^{-1} X~^T)_ii``, from which the
criteria and their gradients are assembled.
"""

import copy
from functools import cached_property

import numpy as np

from .._core.cholesky import cholesky_solve, cholesky_with_jitter, inverse_from_cholesky
from .design import CentredDesign


class RidgeSolver:
    """Cholesky ridge solves on a fixed centred design.

    Parameters
    ----------
    design : CentredDesign or MomentDesign
        The centred, rescaled training data (its rows, or their statistics
        for the primal form).
    """

    def __init__(self, design: CentredDesign):
        self.design = design
        self.primal = design.primal
        if self.primal:
            self._gram = design.gram()
            self._Xty = design.cross()

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

    @cached_property
    def residual(self):
        """``r~ = y~ - X~ w``: one pass over the data, which only the
        leave-one-out criteria need (k-fold reads the validation rows)."""
        return self.design.y - self.design.matmul(self.coef)

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
