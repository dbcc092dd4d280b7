"""Solves with the Hessian of a smooth training criterion.

Newton's method and the implicit-function adjoint (Bengio, 2000) both need
``H^{-1} g`` at the current coefficients. Three ways to get it:

- :class:`DenseHessian`: form ``H`` and factor it (Cholesky). Exact; costs
  ``n (K q)^2`` to form for ``K`` outputs and ``q`` coefficients per output.
- :class:`IterativeHessian`: preconditioned conjugate gradient on Hessian-vector
  products (``O(n K q)`` each, :func:`conjugate_gradient`).

Three strategies choose between them along a Newton solve:
:class:`DenseCurvature` (dense at every step), :class:`LaggedPreconditioner`
(steps by conjugate gradient preconditioned by the factor of the Hessian at an
earlier point, the exact Hessian at the solution) and
:class:`DiagonalPreconditioner` (conjugate gradient throughout, memory
``O(n q)`` for many features).
"""

from functools import partial

import numpy as np
from scipy.linalg import blas, lapack

from .._core.cholesky import cholesky_solve, cholesky_with_jitter, inverse_from_cholesky

# Iterations of one conjugate-gradient solve after which the lagged
# preconditioner is rebuilt at the current coefficients.
_REFRESH_AFTER = 25
# Close to the optimum, the Hessian is formed anew only if the last step's
# conjugate gradient took more iterations than this per decade of its
# relative residual (a tight solve with the old reference costs less than
# forming one): 6 iterations for a step solved to 1e-4.
_CLOSE_REFRESH = 1.5
# Solves to a relative residual of at least this take float32 products.
_ROUGH_RTOL = 1e-5
# Conjugate gradient never runs longer than this many times the dimension.
_MAX_CG_FACTOR = 10
# The error of an iterate in the Hessian's norm is estimated from the
# decreases of this many later iterations, once they fall by _ERROR_FALL
# over them (see conjugate_gradient).
_ERROR_DELAY = 3
_ERROR_FALL = 0.1


class DenseHessian:
    """The Hessian at a point, formed and factored.

    Parameters
    ----------
    hessian : ndarray of shape (m, m)
        Symmetric positive definite.
    """

    def __init__(self, hessian):
        self.factor = None if hessian is None else cholesky_with_jitter(hessian)
        self.exact = True
        self.n_iter = 0

    @classmethod
    def from_factor(cls, factor):
        """The solver of a Hessian already factored."""
        solver = cls(None)
        solver.factor = factor
        return solver

    def solve(self, g, rtol=None, x0=None, error_tol=0.0):
        """Return ``H^{-1} g`` (``g`` a vector or a matrix of columns)."""
        return cholesky_solve(self.factor, g)

    def approximate_solve(self, g):
        """``H^{-1} g``, exactly here."""
        return self.solve(g)

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
    rough_product : callable or None, default=None
        ``v -> H v`` in float32, for loose solves.
    estimates_error : bool, default=True
        Whether a solve may stop on the estimate of its error
        (:func:`conjugate_gradient`): with ``P`` the Hessian at a nearby
        point, conjugate gradient converges in a few iterations and the
        estimate is close; with a diagonal ``P`` it may crawl, and the
        estimate fall far below the error.
    """

    def __init__(
        self, product, preconditioner, rough_product=None, estimates_error=True
    ):
        self.product = product
        self.preconditioner = preconditioner
        self.rough_product = rough_product
        self.estimates_error = estimates_error
        self.exact = False
        self.n_iter = 0  # iterations of the last solve
        self.rtol = 1.0  # its relative residual

    def solve(self, g, rtol=1e-10, x0=None, error_tol=0.0):
        """Return ``H^{-1} g`` to relative residual ``rtol``, from ``x0``, or
        once the error in the Hessian's norm is estimated below ``error_tol``
        (:func:`conjugate_gradient`).

        Raises
        ------
        FloatingPointError
            If conjugate gradient does not reach ``rtol``.
        """
        if g.ndim == 2:
            return np.column_stack(
                [self.solve(col, rtol, error_tol=error_tol) for col in g.T]
            )
        x0 = self.preconditioner(g) if x0 is None else x0
        # A loose solve (a Newton step) takes float32 products when offered:
        # their relative error, about 1e-7, is far below rtol.
        rough = self.rough_product is not None and rtol >= _ROUGH_RTOL
        product = self.rough_product if rough else self.product
        if not self.estimates_error:
            error_tol = 0.0
        solution, self.n_iter, converged = conjugate_gradient(
            product, self.preconditioner, g, x0, rtol, error_tol
        )
        self.rtol = rtol
        if not converged:
            raise FloatingPointError(
                f"conjugate gradient did not converge in {self.n_iter} "
                "iterations: the Hessian is too ill-conditioned; raise the lower "
                "bound of the penalty (or lower that of C)."
            )
        return solution

    @property
    def rate(self):
        """Iterations of the last solve per decade of its relative residual."""
        return self.n_iter / max(1.0, -np.log10(self.rtol))

    def approximate_solve(self, g):
        """``P^{-1} g``: the preconditioner's approximation of ``H^{-1} g``."""
        return self.preconditioner(g)


def conjugate_gradient(product, preconditioner, b, x0, rtol, error_tol=0.0):
    """Preconditioned conjugate gradient for ``H x = b`` from ``x0``.

    The textbook recurrence (as :func:`scipy.sparse.linalg.cg`, which wraps
    each product in a ``LinearOperator`` and costs a visible share of a
    product of a small problem): stops when ``||b - H x|| <= rtol ||b||``,
    after at most ``10 m`` iterations, or once the error in the Hessian's
    norm, ``||x - H^{-1} b||_H``, is estimated below ``error_tol``.

    Each iteration lowers the square of that error by exactly
    ``alpha_j r_j^T z_j`` (Hestenes and Stiefel, 1952, theorem 6:1), so the
    sum of these decreases over ``d`` iterations is a lower bound of the
    squared error of the iterate ``d`` iterations back (Strakos and Tichy,
    2002, "On error estimation in the conjugate gradient method and why it
    works in finite precision computations"). It is close to that error when
    the decreases fall fast, for the rest of the sum is then small: the solve
    stops when the sum over ``d = 3`` iterations is below ``error_tol**2``
    and the last of them is below a tenth of the first, and returns the
    latest iterate, whose error is smaller still. Where conjugate gradient
    crawls the decreases do not fall that fast, and the residual test
    decides.

    Returns
    -------
    x : ndarray
    n_iter : int
    converged : bool
    """
    target = rtol * np.sqrt(b @ b)
    x = np.array(x0, dtype=float)
    r = b - product(x) if np.any(x) else b.copy()
    if np.sqrt(r @ r) <= target:
        return x, 0, True
    z = preconditioner(r)
    p = z.copy()
    rz = r @ z
    decreases = []  # alpha_j r_j^T z_j of every iteration
    for count in range(1, _MAX_CG_FACTOR * b.shape[0] + 1):
        q = product(p)
        curvature = p @ q
        if not curvature > 0:  # breakdown: H not definite along p (rounding)
            return x, count, False
        alpha = rz / curvature
        x += alpha * p
        r -= alpha * q
        decreases.append(alpha * rz)
        if np.sqrt(r @ r) <= target or _error_below(decreases, error_tol):
            return x, count, True
        z = preconditioner(r)
        rz_next = r @ z
        p *= rz_next / rz
        p += z
        rz = rz_next
    return x, count, False


def _error_below(decreases, error_tol):
    """Whether the decreases of the squared error of the last iterations
    (see :func:`conjugate_gradient`) show it below ``error_tol``."""
    if error_tol == 0.0 or len(decreases) < _ERROR_DELAY:
        return False
    window = decreases[-_ERROR_DELAY:]
    return window[-1] <= _ERROR_FALL * window[0] and sum(window) <= error_tol**2


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

    def begin(self):
        """A new Newton solve starts."""

    def step_hessian(self, owner, d2, pen):
        """The :class:`DenseHessian` at this point."""
        return DenseHessian(owner.penalise(owner.data_hessian(d2), pen))

    def after_solve(self, owner, hessian, d2):
        """Nothing to update."""

    def close_hessian(self, owner, d2, pen, current):
        """The solver for the last steps, close to the optimum, where they
        must be solved to working precision: ``current`` by default (solved
        tightly when it is iterative)."""
        return current

    def final_hessian(self, owner, d2, pen, current):
        """``current``, or the step solver at the solution."""
        return current if current is not None else self.step_hessian(owner, d2, pen)


class LaggedPreconditioner(DenseCurvature):
    """Newton steps by conjugate gradient preconditioned by the factor of the
    Hessian at an earlier point; the exact Hessian formed once per solve,
    close to the optimum.

    Holds the data part of the Hessian at a reference point; for a penalty
    ``pen`` the preconditioner is the factor of ``reference + diag(pen) +
    extra``. Rebuilt when conjugate gradient needs more than a few iterations,
    i.e. when the coefficients have moved far from the reference point. Once
    Newton's decrement is small (:meth:`close_hessian`), the Hessian is formed
    and factored there: the last steps are exact Newton steps, and it is the
    reference of the next solves. Each training set has its own (sharing one
    between the folds of a k-fold split rebuilt it more often than it saved:
    40 Hessians instead of 27 on ``load_digits``).

    Parameters
    ----------
    matrix_at_solution : bool, default=True
        The solver for the adjoint is the Hessian at the solution, formed and
        factored (a second matrix per solve; approximate leave-one-out needs
        it as a matrix). Otherwise conjugate gradient on the exact products at
        the solution, preconditioned by the factor of the Hessian of the last
        Newton step, a few iterations away.
    """

    def __init__(self, matrix_at_solution=True):
        self.matrix_at_solution = matrix_at_solution
        # Without a matrix to hand over, the reference only preconditions:
        # float32 forms and inverts it in half the time.
        self._dtype = np.float64 if matrix_at_solution else np.float32
        self.reference = None
        self._factor = None  # float64 Cholesky factor, or None
        self._precondition = None  # r -> P^{-1} r
        self._pen = None
        self._formed = False  # whether this solve formed the Hessian already
        # Iterations per decade of the first step after the reference was
        # formed: what a fresh one achieves (more for one from a sample of the
        # rows).
        self._fresh_rate = None

    def begin(self):
        """A new solve has not formed a Hessian yet."""
        self._formed = False

    def _form(self, owner, d2):
        # A preconditioner only: from a sample of many rows (see
        # NewtonSolver.data_hessian); the adjoint's matrix from all.
        sampled = not self.matrix_at_solution
        self.reference = owner.data_hessian(d2, self._dtype, sampled)
        self._fresh_rate = None
        self._precondition = None

    def _refactor(self, owner, pen):
        matrix = owner.penalise(self.reference.copy(), pen)
        self._pen = pen.copy()
        self._factor = None
        if self._dtype == np.float32:
            self._precondition = float32_cholesky(matrix)
        if self._precondition is None:
            factor = cholesky_with_jitter(matrix.astype(np.float64, copy=False))
            self._factor = factor
            self._precondition = partial(cholesky_solve, factor)

    def step_hessian(self, owner, d2, pen):
        """An :class:`IterativeHessian` preconditioned by the lagged factor."""
        if self.reference is None:
            self._form(owner, d2)
        if self._precondition is None or not np.array_equal(pen, self._pen):
            self._refactor(owner, pen)
        return IterativeHessian(
            owner.hessian_product(d2, pen),
            self._precondition,
            owner.hessian_product(d2, pen, rough=True),
        )

    def after_solve(self, owner, hessian, d2):
        """Rebuild the reference at this point if the last solve was slow;
        note the iterations of the first solve after a rebuild."""
        if self._fresh_rate is None:
            self._fresh_rate = hessian.rate
        if hessian.n_iter > _REFRESH_AFTER:
            self._form(owner, d2)

    def close_hessian(self, owner, d2, pen, current):
        """Without ``matrix_at_solution``, the Hessian at this point, formed
        (once per solve) unless the reference still preconditions well (the
        last step took at most ``_CLOSE_REFRESH`` iterations per decade of its
        relative residual, or, formed from a sample of the rows, twice as many
        as the first step after it was formed): the reference from now on, a
        few conjugate-gradient iterations from the last steps' and the
        adjoint's solutions. With it, ``current``: the Hessian at the
        solution will be formed."""
        if self.matrix_at_solution:
            # The solution's own is formed next: one per solve is enough.
            return current
        # A reference from a sample of the rows is no better formed here.
        fresh = (self._fresh_rate or 0.0) if owner.reference_rows is not None else 0.0
        if self._formed or current.rate <= max(_CLOSE_REFRESH, 2 * fresh):
            return current
        self._formed = True
        self._form(owner, d2)
        return self.step_hessian(owner, d2, pen)

    def final_hessian(self, owner, d2, pen, current):
        """The adjoint's solver at the solution (see ``matrix_at_solution``)."""
        if not self.matrix_at_solution:
            return self.step_hessian(owner, d2, pen)
        self._form(owner, d2)
        self._refactor(owner, pen)
        return DenseHessian.from_factor(self._factor)


def float32_cholesky(matrix, max_condition=1e4):
    """``r -> matrix^{-1} r`` by the Cholesky factor in float32 (half the
    time of float64 to factor, and half the bytes to read in each solve), or
    None when the factorisation fails or its pivots spread more than
    ``max_condition`` (the solves in float32 might then be too far off to
    precondition)."""
    c, info = lapack.spotrf(matrix.astype(np.float32, copy=False), lower=0)
    if info != 0:
        return None
    pivots = np.abs(np.diag(c)).astype(float)
    if pivots.min() ** 2 * max_condition < pivots.max() ** 2:
        return None
    return Float32CholeskySolve(np.asfortranarray(c))


class Float32CholeskySolve:
    """``r -> (U^T U)^{-1} r`` with ``U`` an upper float32 Cholesky factor;
    picklable (the BLAS routine is looked up again after unpickling), so
    that solvers can travel to joblib workers.
    """

    def __init__(self, factor):
        self.factor = factor
        self._trsv = blas.get_blas_funcs("trsv", (factor,))

    def __getstate__(self):
        return {"factor": self.factor}

    def __setstate__(self, state):
        self.__init__(state["factor"])

    def __call__(self, r):
        # U^T y = r, then U x = y.
        y = self._trsv(self.factor, r.astype(np.float32), lower=0, trans=1)
        return self._trsv(self.factor, y, lower=0, trans=0).astype(np.float64)


class DiagonalPreconditioner(DenseCurvature):
    """Conjugate gradient throughout, preconditioned by the inverse of the
    Hessian's diagonal: memory ``O(m)`` beyond the data."""

    def step_hessian(self, owner, d2, pen):
        """An :class:`IterativeHessian` preconditioned by the diagonal."""
        inverse = 1.0 / owner.hessian_diagonal(d2, pen)
        return IterativeHessian(
            owner.hessian_product(d2, pen),
            partial(np.multiply, inverse),
            estimates_error=False,
        )
