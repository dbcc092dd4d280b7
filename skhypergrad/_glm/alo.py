"""Approximate leave-one-out (ALO) for smooth losses, with its exact gradient.

Rad & Maleki 2020 (JRSS-B) for the criterion, Burn 2020
(arXiv:2011.10218) for its derivatives in the hyperparameters.

Notation. ``beta`` holds the coefficients (class-major for ``K`` outputs, ``q``
per output with the intercept column of ``X1``); sample ``i`` predicts
``z_i = A_i beta`` with ``A_i = I_K kron x_i^T``. The training criterion is
``F = sum_i s_i l(y_i, z_i) + 1/2 beta^T diag(pen) beta (+ 1/2 (c^T beta)^2)``,
the last term the centring of the intercepts of a softmax, and its Hessian at
the optimum is ``H = sum_i A_i^T Q_i A_i + diag(pen) (+ c c^T)``, with
``g_i = s_i l'_i`` (``K``) and ``Q_i = s_i l''_i`` (``K x K``).

Criterion. Leaving ``i`` out changes the gradient at ``beta`` by ``-A_i^T g_i``
and the Hessian by ``-A_i^T Q_i A_i``; one Newton step, with the Woodbury
identity ``(H - A^T Q A)^{-1} A^T = H^{-1} A^T (I - Q Hm)^{-1}``, gives

    z_{-i} = z_i + Hm_i (I - Q_i Hm_i)^{-1} g_i,    Hm_i = A_i H^{-1} A_i^T,

(``z_i + s_i l'_i h_i / (1 - s_i l''_i h_i)`` for one output; exact for a
quadratic loss). The centring term is part of ``H`` and stays in each
leave-one-out problem: with ``u`` the common shift of the intercepts,
``A_i u = 1`` and ``Q_i 1 = 0`` give ``H u = u``, and ``1^T g_i = 0``, so the
step never moves along ``u`` and the formula holds with ``H`` as built.
``E = sum_i s_i c(y_i, z_{-i}) / sum(s)``.

Gradient. With ``M_i = (I - Q_i Hm_i)^{-1}``, ``r_i = M_i g_i``,
``t_i = Hm_i r_i`` (the correction), ``e_i = dE/dz_{-i}``, ``a_i = M_i e_i``,
``b_i = Hm_i a_i`` (``Hm_i M_i = M_i^T Hm_i``):

    dE = sum_i [e_i^T dz_i + a_i^T dHm_i r_i + b_i^T dQ_i t_i + b_i^T Q_i dz_i].

``dHm_i = -A_i H^{-1} dH H^{-1} A_i^T`` and
``dH = diag(dpen) + sum_k A_k^T dQ_k A_k``, so the ``dHm`` terms are
``-<dH, G>`` with ``G = H^{-1} N H^{-1}``, ``N = sym(sum_i A_i^T a_i r_i^T A_i)``;
``dQ_i = s_i l'''_i[dz_i]`` (third derivative, contracted on its last index).
Collecting, with ``W_i = A_i G A_i^T``,

    dE = sum_i v_i^T dz_i - dpen . diag(G),
    v_i = e_i + Q_i b_i + s_i l'''_i[b_i t_i^T - W_i],

and the implicit function theorem ``dbeta = -H^{-1} (dpen * beta)`` turns the
first sum into ``-dpen . (beta * H^{-1} sum_i A_i^T v_i)``. One evaluation
forms ``H^{-1}``, ``Hm`` and ``W`` (``n K^2 q^2`` each) and ``N`` (one
``n x Kq`` product): no loop over samples, memory ``O(n K q + (K q)^2)`` (the
softmax's third derivative is applied without forming its ``n K^3`` tensor).
"""

import numpy as np
import scipy.sparse as sp

from .._core.criterion import Criterion
from .criteria import LoggedIterations


class ApproximateLeaveOneOut(LoggedIterations, Criterion):
    """Approximate leave-one-out (ALO) criterion of a smooth loss.

    One Newton step from the full-data optimum on each leave-one-out problem
    (see the module docstring):
    ``z_{-i} = z_i + Hm_i (I - Q_i Hm_i)^{-1} g_i``, for one output
    ``z_{-i} = z_i + s_i l'_i h_i / (1 - s_i l''_i h_i)`` with
    ``h_i = x_i^T H^{-1} x_i``. Exact for the squared loss. Its gradient
    differentiates ``z``, ``l'``, ``l''`` and ``Hm`` through the implicit
    function theorem; ``Hm`` moves with ``lam`` directly and through ``l''(z)``.

    Parameters
    ----------
    solver : NewtonSolver
        On the full training data.
    layout : PenaltyLayout
    iterations : list or None, default=None
        If given, each evaluation appends to it ``[n]``, the Newton
        iterations of its solve.
    precise : bool, default=True
        Newton's method to its rounding floor, or one step less
        (:meth:`NewtonSolver.solve`; what the search uses).
    """

    def __init__(self, solver, layout, iterations=None, precise=True):
        self.solver = solver
        self.layout = layout
        self.iterations = iterations
        self.precise = precise

    def value_and_grad(self, theta):
        """The ALO criterion and its gradient in ``theta``."""
        lam = self.layout.feature_penalties(theta)
        state = self.solver.solve(lam, precise=self.precise)
        if self.iterations is not None:
            self.iterations.append([state.n_iter])
        if self.solver.n_outputs == 1:
            value, grad_pen = self._single_output(state)
        else:
            value, grad_pen = self._several_outputs(state)
        grad_lam = self.solver.lam_gradient(grad_pen)
        return value, self.layout.theta_gradient(grad_lam, lam)

    def _single_output(self, state):
        """Criterion and its gradient in every coefficient's penalty, one output."""
        solver = self.solver
        X1, s = solver.X1, solver.sample_weight
        _, d1, d2, d3 = state.derivatives
        # X1 H^{-1} by one product with the inverse (dpotri): a GEMM, several
        # times faster than triangular solves with n right-hand sides.
        H_inv = state.hessian.inverse()
        B = np.asarray(X1 @ H_inv)
        h = _row_dots(X1, B)
        a, k = s * d1, s * d2
        denom = 1.0 - k * h
        z_loo = state.z + a * h / denom
        criterion, slope = solver.loss.criterion(solver.y, z_loo)
        weight_sum = s.sum()
        value = s @ criterion / weight_sum
        # Partial derivatives of E through z (with l'(z), l''(z)) and through h.
        dE = s * slope / weight_sum
        E_z = dE * (1.0 + k * h / denom + a * h * s * d3 * h / denom**2)
        E_h = dE * a / denom**2
        # dz/dpen_j = -B_j w_j and, with t = l''' (third derivative),
        # dh_i/dpen_j = -B_ij^2 + w_j sum_k Hm_ik^2 s_k t_k B_kj
        # (Hm = X1 H^{-1} X1^T). With G = H^{-1} X1^T diag(E_h) X1 H^{-1}
        # = B^T diag(E_h) B: sum_i E_h_i B_ij^2 = G_jj and
        # v_k = sum_i E_h_i Hm_ik^2 = x_k^T G x_k.
        G = B.T @ (E_h[:, None] * B)
        v = _row_dots(X1, np.asarray(X1 @ G))
        through_z = B.T @ np.column_stack([E_z, v * s * d3])
        grad_pen = state.coef * (through_z[:, 1] - through_z[:, 0]) - np.diag(G)
        return value, grad_pen

    def _several_outputs(self, state):
        """Criterion and its gradient in every coefficient's penalty (class-major),
        ``K`` outputs."""
        solver = self.solver
        X1, s = solver.X1, solver.sample_weight
        K = solver.n_outputs
        _, d1, d2, d3 = state.derivatives
        H_inv = state.hessian.inverse()
        Hm = block_quadratic_forms(X1, H_inv, K)
        g, Q = s[:, None] * d1, s[:, None, None] * np.asarray(d2)
        shrink = np.eye(K) - Q @ Hm  # M_i^{-1}
        r = np.linalg.solve(shrink, g[:, :, None])[:, :, 0]
        t = np.einsum("ikl,il->ik", Hm, r)
        criterion, slope = solver.loss.criterion(solver.y, state.z + t)
        weight_sum = s.sum()
        value = s @ criterion / weight_sum
        e = s[:, None] * slope / weight_sum
        a = np.linalg.solve(shrink, e[:, :, None])[:, :, 0]
        b = np.einsum("ikl,il->ik", Hm, a)
        N = _symmetric_cross_gram(X1, a, r)
        G = H_inv @ N @ H_inv
        W = block_quadratic_forms(X1, G, K)
        C = b[:, :, None] * t[:, None, :] - W
        v = e + np.einsum("ikl,il->ik", Q, b)
        v += s[:, None] * d3.contract(C)
        u = state.solve(solver.input_gradient(X1, v))
        return value, -state.coef * u - np.diag(G)


def block_quadratic_forms(X1, matrix, n_outputs):
    """``A_i matrix A_i^T`` of every row, ``A_i = I_K kron x_i^T``.

    Parameters
    ----------
    X1 : ndarray or sparse matrix of shape (n_samples, q)
    matrix : ndarray of shape (K q, K q)
        Symmetric, class-major blocks.
    n_outputs : int
        ``K``.

    Returns
    -------
    forms : ndarray of shape (n_samples, K, K)
        ``forms[i, k, l] = x_i^T matrix_kl x_i``.
    """
    n, q = X1.shape
    forms = np.empty((n, n_outputs, n_outputs))
    for k in range(n_outputs):
        # x_i^T matrix_km for m >= k (the blocks below follow by symmetry).
        rows = np.asarray(X1 @ matrix[k * q : (k + 1) * q, k * q :])
        if sp.issparse(X1):
            dots = [
                _row_dots(X1, rows[:, m * q : (m + 1) * q])
                for m in range(n_outputs - k)
            ]
            forms[:, k, k:] = np.column_stack(dots)
        else:
            forms[:, k, k:] = np.einsum("imr,ir->im", rows.reshape(n, -1, q), X1)
        forms[:, k + 1 :, k] = forms[:, k, k + 1 :]
    return forms


def _symmetric_cross_gram(X1, a, r):
    """``sym(sum_i (a_i kron x_i) (r_i kron x_i)^T)``, of shape (K q, K q)."""
    left, right = _kron_rows(X1, a), _kron_rows(X1, r)
    N = left.T @ right
    N = N.toarray() if sp.issparse(N) else np.asarray(N)
    return 0.5 * (N + N.T)


def _kron_rows(X1, a):
    """The rows ``a_i kron x_i``: an (n, K q) array, sparse when ``X1`` is."""
    if sp.issparse(X1):
        return sp.hstack(
            [X1.multiply(a[:, [k]]) for k in range(a.shape[1])], format="csr"
        )
    return (a[:, :, None] * X1[:, None, :]).reshape(X1.shape[0], -1)


def _row_dots(X1, B):
    """``sum_j X1_ij B_ij`` of every row (``B`` dense)."""
    if sp.issparse(X1):
        return np.asarray(X1.multiply(B).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", X1, B)
