"""Kernel ridge selection criteria in the dual, and their gradients.

``theta = [log alpha, kernel.theta...]``. With sample weights ``s`` and
``W = diag(sqrt(s))``, kernel ridge solves, in the rescaled space,

    [G   w] [c]   [y~]      G = W K W + alpha I,  w = sqrt(s),  y~ = W y,
    [w^T 0] [b] = [0 ]      (the bordered row only with an intercept),

which is what ``KernelRidge().fit(X, y, sample_weight)`` solves without the
intercept; the model is ``f(x) = K(x, X) W c + b``. The top-left block of the
bordered inverse is ``P = G^{-1} - v v^T / (w^T v)``, ``v = G^{-1} w``
(``G^{-1}`` without intercept), so that ``c = P y~``, the training residual
is ``r = alpha c``, the diagonal of ``I - H`` is ``om = alpha diag(P)``, and
``dP = -P dG P``:

- leave-one-out and GCV are :mod:`skhypergrad._core.selection`'s, from ``r``
  and ``om``; their adjoints ``dE/dr`` and ``dE/d om`` give
  ``dE = <M, dG> + (<dE/dr, c> + <dE/d om, diag P>) dalpha`` with
  ``M = alpha (P diag(-dE/d om) P - sym(P (dE/dr) c^T))``;
- k-fold and held-out: refit on each train split, squared error on its test
  split, gradient by one adjoint solve per split with the split's factor.

The gradient in the kernel's hyperparameters is then ``<W M W, dK/dtheta>``,
the contraction of :mod:`skhypergrad._kernel.gradients`. Leave-one-out and
GCV cost one Cholesky factor of ``G``, its inverse (``dpotri``) and one
symmetric rank-``n`` product (``dsyrk``).
"""

from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.linalg import blas, lapack

from .._core.cholesky import (
    cholesky_solve,
    factor_in_place,
    symmetrize_lower,
)
from .._core.criterion import Criterion
from .._core.selection import from_residuals, validation_squared_error
from .gradients import contract_kernel_gradient, training_kernel


@dataclass
class KernelData:
    """Validated training data: ``X``, 2-D ``y``, sample weights and intercept."""

    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    fit_intercept: bool

    def __post_init__(self):
        self.sqrt_sw = np.sqrt(self.sample_weight)
        self.unit_weights = bool(np.all(self.sample_weight == 1.0))
        self.n_effective = int(np.count_nonzero(self.sample_weight))
        self.weight_sum = float(self.sample_weight.sum())


@dataclass
class DualSolution:
    """One factored system: ``c`` (rescaled space), ``b``, ``v``, ``w^T v``."""

    factor: tuple
    coef: np.ndarray
    intercept: np.ndarray
    v: np.ndarray
    wv: float


def solve_dual(G, y, w, fit_intercept):
    """Factor ``G`` and solve the (bordered) system for every target.

    Parameters
    ----------
    G : ndarray of shape (m, m)
        ``W K W + alpha I``; may be overwritten.
    y : ndarray of shape (m, n_targets)
        Rescaled targets ``W y``.
    w : ndarray of shape (m,)
        ``sqrt(s)``, the intercept's direction.
    fit_intercept : bool

    Returns
    -------
    DualSolution
    """
    try:
        factor = factor_in_place(G)
    except linalg.LinAlgError:
        raise linalg.LinAlgError(
            "The kernel matrix plus alpha is not positive definite, even with "
            "diagonal jitter: check that the kernel is positive semi-definite on "
            "this data (ExpSineSquared, for one, is not on several features) or "
            "raise the lower bound of alpha_bounds."
        ) from None
    coef = cholesky_solve(factor, y)
    if not fit_intercept:
        return DualSolution(factor, coef, np.zeros(y.shape[1]), None, 0.0)
    v = cholesky_solve(factor, w)
    wv = float(w @ v)
    if not wv > 0:
        raise ValueError("The intercept needs at least one positive sample weight.")
    intercept = (v @ y) / wv
    coef -= np.outer(v, intercept)
    return DualSolution(factor, coef, intercept, v, wv)


def projected_inverse(solution):
    """``P`` (full, symmetric), overwriting the Cholesky factor."""
    L = solution.factor[0]
    P, info = lapack.dpotri(L, lower=1, overwrite_c=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"dpotri failed (info={info}).")
    if solution.v is not None:
        P = blas.dsyr(-1.0 / solution.wv, solution.v, lower=1, a=P, overwrite_a=1)
    symmetrize_lower(P)
    return P


def weight_both_sides(M, w, unit_weights):
    """``W M W``, in place in ``M``."""
    if not unit_weights:
        M *= w[:, None]
        M *= w[None, :]
    return M


def rescaled_system(K, alpha, w, unit_weights):
    """``W K W + alpha I``, in place in ``K``."""
    K = weight_both_sides(K, w, unit_weights)
    K.flat[:: K.shape[0] + 1] += alpha
    return K


def selection_terms(P, coef, alpha, data, gcv):
    """Leave-one-out or GCV, its explicit derivative in alpha and ``M`` (in
    ``G``), destroying ``P``.

    ``r = alpha c`` and ``om = alpha diag(P)`` feed
    :func:`~skhypergrad._core.selection.from_residuals`; with its adjoints,
    ``M = alpha (P diag(-om_bar) P - sym(P r_bar c^T))`` (one ``syrk`` and
    one ``syr2k``, both on the lower triangle).
    """
    diagonal = np.diag(P).copy()
    values, residual_bar, om_bar = from_residuals(
        gcv,
        alpha * coef,
        alpha * diagonal[:, None],
        data.n_effective,
        data.weight_sum,
    )
    n_targets = values.size
    residual_bar /= n_targets
    om_bar = om_bar.sum(axis=1) / n_targets
    explicit = float(np.sum(residual_bar * coef) + om_bar @ diagonal)
    P_residual_bar = P @ residual_bar
    # Both criteria have om_bar <= 0: P diag(-om_bar) P is one syrk.
    P *= np.sqrt(np.maximum(-om_bar, 0.0))[None, :]
    M = blas.dsyrk(alpha, P, lower=1)
    del P
    M = blas.dsyr2k(
        -0.5 * alpha, P_residual_bar, coef, beta=1.0, c=M, lower=1, overwrite_c=1
    )
    return float(values.mean()), explicit, symmetrize_lower(M)


def kfold_terms(K, alpha, data, splits):
    """Summed test error over the splits, its derivative in alpha, ``M`` in ``K``.

    On each split, ``dE = 2 / Z (<Lam c^T, dG_f> - <Q c^T W_f, dK_vf>)`` with
    ``Q = S_v r_v`` and ``Lam`` the top block of the bordered inverse applied to
    ``[W_f K_fv Q; 1^T Q]``. ``M`` gathers every split's blocks as
    ``sym((A - Q) B^T)`` with ``A = W_f Lam``, ``B = W_f c`` embedded in ``n``
    rows (the maths page, "k-fold and held-out error").
    """
    n, n_targets = data.y.shape
    w, s = data.sqrt_sw, data.sample_weight
    left = np.zeros((n, n_targets * len(splits)))
    right = np.zeros_like(left)
    value = d_alpha = 0.0
    for k, (train, test) in enumerate(splits):
        G = rescaled_system(K[np.ix_(train, train)], alpha, w[train], data.unit_weights)
        sol = solve_dual(
            G, w[train, None] * data.y[train], w[train], data.fit_intercept
        )
        del G
        cross = K[np.ix_(test, train)]
        weighted_coef = w[train, None] * sol.coef
        residual = data.y[test] - cross @ weighted_coef - sol.intercept
        values, Q = validation_squared_error(residual, s[test])
        value += float(values.sum())
        lam = w[train, None] * (cross.T @ Q)
        adjoint = cholesky_solve(sol.factor, lam)
        if data.fit_intercept:
            adjoint += np.outer(sol.v, (Q.sum(axis=0) - sol.v @ lam) / sol.wv)
        d_alpha += float(np.sum(adjoint * sol.coef))
        cols = slice(k * n_targets, (k + 1) * n_targets)
        left[train, cols] = w[train, None] * adjoint
        left[test, cols] -= Q
        right[train, cols] = weighted_coef
    scale = n_targets * sum(s[test].sum() for _, test in splits)
    M = blas.dsyr2k(1.0 / scale, left, right, lower=1)
    return value / scale, 2.0 * d_alpha / scale, symmetrize_lower(M)


class KernelCriterion(Criterion):
    """A selection criterion of kernel ridge as ``theta -> (value, grad)``.

    Parameters
    ----------
    data : KernelData
    kernel : sklearn.gaussian_process.kernels.Kernel
        Its free hyperparameters are ``theta[1:]``.
    kind : {"loo", "gcv", "splits"}
    splits : list of (train, test) or None
    """

    def __init__(self, data, kernel, kind, splits=None):
        self.data = data
        self.kernel = kernel
        self.kind = kind
        self.splits = splits
        # (theta, (dual_coef, intercept)) of the last leave-one-out or GCV
        # evaluation: the optimum is usually the last point evaluated.
        self._last_fit = None

    def kernel_at(self, theta):
        """The kernel with hyperparameters ``theta[1:]``."""
        return self.kernel.clone_with_theta(np.asarray(theta[1:], dtype=float))

    def _full_solution(self, kernel, alpha):
        """Factor ``W K W + alpha I`` on all the training data and solve."""
        data = self.data
        G = rescaled_system(
            training_kernel(kernel, data.X), alpha, data.sqrt_sw, data.unit_weights
        )
        return solve_dual(
            G, data.sqrt_sw[:, None] * data.y, data.sqrt_sw, data.fit_intercept
        )

    def value_and_grad(self, theta):
        """The criterion and its gradient in ``[log alpha, kernel.theta]``."""
        theta = np.array(theta, dtype=float)
        alpha = float(np.exp(theta[0]))
        kernel = self.kernel_at(theta)
        data = self.data
        if self.kind == "splits":
            K = training_kernel(kernel, data.X)
            value, d_alpha, M = kfold_terms(K, alpha, data, self.splits)
            del K
        else:
            sol = self._full_solution(kernel, alpha)
            coef = sol.coef
            self._last_fit = theta, (data.sqrt_sw[:, None] * coef, sol.intercept)
            P = projected_inverse(sol)
            del sol
            value, d_alpha, M = selection_terms(
                P, coef, alpha, data, self.kind == "gcv"
            )
            del P
            d_alpha += float(np.trace(M))
            # <M, dG> = <W M W, dK> + tr(M) dalpha
            M = weight_both_sides(M, data.sqrt_sw, data.unit_weights)
        grad = np.empty(theta.size)
        grad[0] = alpha * d_alpha
        grad[1:] = contract_kernel_gradient(kernel, data.X, M)
        return value, grad

    def fit_at(self, theta):
        """Dual coefficients (original space) and intercept at ``theta``.

        Leave-one-out and GCV evaluations already solved the full system: the
        refit at their last point costs nothing.
        """
        last = self._last_fit
        if last is not None and np.array_equal(last[0], theta):
            return last[1]
        sol = self._full_solution(self.kernel_at(theta), float(np.exp(theta[0])))
        return self.data.sqrt_sw[:, None] * sol.coef, sol.intercept
