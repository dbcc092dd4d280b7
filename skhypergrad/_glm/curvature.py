"""Solves with the Hessian of a smooth training criterion.

Newton's method and the implicit-function adjoint (Bengio, 2000) both need
``H^{-1} g`` at the current coefficients. Three ways to get it:

- :class:`DenseHessian`: form ``H`` and factor it (Cholesky). Exact; costs
  ``n (K q)^2`` to form for ``K`` outputs and ``q`` coefficients per output.
- :class:`IterativeHessian`: preconditioned conjugate gradient on Hessian-vector
  products (``O(n K q)`` each, :func:`scipy.sparse.linalg.cg`).

Three strategies choose between them along a Newton solve:
:class:`DenseCurvature` (dense at every step), :class:`LaggedPreconditioner`
(steps by conjugate gradient preconditioned by the factor of the Hessian at an
earlier point, the exact Hessian at the solution) and
:class:`DiagonalPreconditioner` (conjugate gradient throughout, memory
``O(n q)`` for many features).
"""

import numpy as np
from scipy.sparse.linalg import LinearOperator, cg

from .._core.cholesky import cholesky_solve, cholesky_with_jitter, inverse_from_cholesky

# Iterations of one conjugate-gradient solve after which the lagged
# preconditioner is rebuilt at the current coefficients.
_REFRESH_AFTER = 25
# Conjugate gradient never runs longer than this many times the dimension.
_MAX_CG_FACTOR = 10


class DenseHessian:
    """The Hessian at a point, formed and factored.

    Parameters
    ----------
    hessian : ndarray of shape (m, m)
        Symmetric positive definite.
    """

    def __init__(self, hessian):
        self.factor = cholesky_with_jitter(hessian)
        self.exact = True
        self.n_iter = 0

    def solve(self, g, rtol=None, x0=None):
        """Return ``H^{-1} g`` (``g`` a vector or a matrix of columns)."""
        return cholesky_solve(self.factor, g)

    def inverse(self):
        """``H^{-1}`` as a matrix."""
        return inverse_from_cholesky(self.factor)


class IterativeHessian:
    """The Hessian at a point as a product, solved by conjugate gradient.

    Parameters
    ----------
    product : callable
        ``v -> H v``.
    preconditioner : callable
        ``r -> P^{-1} r`` with ``P`` close to ``H``, symmetric positive
        definite.
    """

    def __init__(self, product, preconditioner):
        self.product = product
        self.preconditioner = preconditioner
        self.exact = False
        self.n_iter = 0  # iterations of the last solve

    def solve(self, g, rtol=1e-10, x0=None):
        """Return ``H^{-1} g`` to relative residual ``rtol``, from ``x0``.

        Raises
        ------
        FloatingPointError
            If conjugate gradient does not reach ``rtol``.
        """
        if g.ndim == 2:
            return np.column_stack([self.solve(col, rtol) for col in g.T])
        m = g.shape[0]
        operator = LinearOperator((m, m), matvec=self.product, dtype=float)
        precond = LinearOperator((m, m), matvec=self.preconditioner, dtype=float)
        counter = _Counter()
        x0 = self.preconditioner(g) if x0 is None else x0
        solution, info = cg(
            operator,
            g,
            x0=x0,
            rtol=rtol,
            atol=0.0,
            maxiter=_MAX_CG_FACTOR * m,
            M=precond,
            callback=counter,
        )
        self.n_iter = counter.count
        if info != 0:
            raise FloatingPointError(
                f"conjugate gradient did not converge in {counter.count} "
                "iterations: the Hessian is too ill-conditioned; raise the lower "
                "bound of the penalty (or lower that of C)."
            )
        return solution


class _Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, _):
        self.count += 1


class DenseCurvature:
    """The Hessian formed and factored at every Newton step (small problems).

    Every curvature strategy offers ``step_hessian`` (the Hessian solver for a
    Newton step at a point), ``after_solve`` (what the strategy learns from
    that solve) and ``final_hessian`` (the solver for the adjoint at the
    solution; ``current`` is the step solver already built at that point, or
    None). ``owner`` is the :class:`~skhypergrad._glm.newton.NewtonSolver`, which
    forms the data Hessian (``data_hessian``), adds the penalty's
    (``penalise``), and gives products (``hessian_product``) and the diagonal
    (``hessian_diagonal``) at the point of loss curvature ``d2``.
    """

    def step_hessian(self, owner, d2, pen):
        """The :class:`DenseHessian` at this point."""
        return DenseHessian(owner.penalise(owner.data_hessian(d2), pen))

    def after_solve(self, owner, hessian, d2):
        """Nothing to update."""

    def final_hessian(self, owner, d2, pen, current):
        """``current``, or the step solver at the solution."""
        return current if current is not None else self.step_hessian(owner, d2, pen)


class LaggedPreconditioner(DenseCurvature):
    """Newton steps by conjugate gradient preconditioned by the factor of the
    Hessian at an earlier point; the exact Hessian formed once, at the solution.

    Holds the data part of the Hessian at a reference point; for a penalty
    ``pen`` the preconditioner is the factor of ``reference + diag(pen) +
    extra``. Rebuilt when conjugate gradient needs more than a few iterations,
    i.e. when the coefficients have moved far from the reference point; the
    Hessian at each solution, needed exactly by the adjoint, becomes the next
    reference. Each training set has its own (sharing one between the folds of
    a k-fold split rebuilt it more often than it saved: 40 Hessians instead of
    27 on ``load_digits``).
    """

    def __init__(self):
        self.reference = None
        self._factor = None
        self._pen = None

    def step_hessian(self, owner, d2, pen):
        """An :class:`IterativeHessian` preconditioned by the lagged factor."""
        if self.reference is None:
            self.reference = owner.data_hessian(d2)
            self._factor = None
        if self._factor is None or not np.array_equal(pen, self._pen):
            self._factor = cholesky_with_jitter(
                owner.penalise(self.reference.copy(), pen)
            )
            self._pen = pen.copy()
        factor = self._factor
        return IterativeHessian(
            owner.hessian_product(d2, pen),
            lambda r: cholesky_solve(factor, r),
        )

    def after_solve(self, owner, hessian, d2):
        """Rebuild the reference at this point if the last solve was slow."""
        if hessian.n_iter > _REFRESH_AFTER:
            self.reference = owner.data_hessian(d2)
            self._factor = None

    def final_hessian(self, owner, d2, pen, current):
        """The Hessian at the solution, formed and factored; it becomes the
        reference (and, for ``pen``, the factor) of the next solves."""
        self.reference = owner.data_hessian(d2)
        hessian = DenseHessian(owner.penalise(self.reference.copy(), pen))
        self._factor, self._pen = hessian.factor, pen.copy()
        return hessian


class DiagonalPreconditioner(DenseCurvature):
    """Conjugate gradient throughout, preconditioned by the inverse of the
    Hessian's diagonal: memory ``O(m)`` beyond the data."""

    def step_hessian(self, owner, d2, pen):
        """An :class:`IterativeHessian` preconditioned by the diagonal."""
        inverse = 1.0 / owner.hessian_diagonal(d2, pen)
        return IterativeHessian(owner.hessian_product(d2, pen), lambda r: inverse * r)
