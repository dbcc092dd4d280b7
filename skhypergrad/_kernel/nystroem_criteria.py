"""Selection criteria of Nystroem kernel ridge, computed in its features.

In the features ``Phi`` of :mod:`skhypergrad._kernel.nystroem` (``n x r``,
``r <= m``), the model is ridge with the identity penalty and an unpenalised
intercept. With sample weights ``s``, ``W = diag(sqrt(s))``, the intercept's
unit direction ``q = sqrt(s) / ||sqrt(s)||`` and ``F = (I - q q^T) W Phi``
(``W Phi`` without intercept), ``A = F^T F + alpha I = L L^T``:

- leave-one-out and GCV: ``w = A^{-1} F^T y~`` (``y~`` the centred rescaled
  targets), ``r = y~ - F w``, ``h_i = q_i^2 + ||L^{-1} f_i||^2``; the criteria
  are :mod:`skhypergrad._core.selection`'s from ``r`` and ``om = 1 - h``. With
  their adjoints ``r_bar`` and ``h_bar = -om_bar``, ``v = A^{-1} F^T r_bar``
  and ``B = F A^{-1}``:
  ``A_bar = v w^T - B^T diag(h_bar) B`` and
  ``F_bar = 2 diag(h_bar) B - 2 F B^T diag(h_bar) B - (r_bar - F v) w^T
  - r v^T``. GCV needs only the trace of ``H``: ``h_bar`` is a constant
  ``c``, ``B^T B = A^{-1} - alpha A^{-2}``, and ``F_bar`` is one product
  ``F (2 c A^{-1} - 2 c B^T B)`` plus rank ``2 t``.
- k-fold and held-out: on each split, ridge on the training rows (weighted
  Gram matrices of the features: with test sets that partition the rows, each
  training Gram is the total minus the test set's), squared error on the test
  rows; the adjoint solve ``lam = A^{-1} (Phi_v - mu)^T S_v r_v`` gives
  ``A_bar = 2 lam theta^T`` and a ``Phi_bar`` of rank ``2 t`` per split.

The chain back to the kernel is :func:`~skhypergrad._kernel.nystroem.kernel_gradient`.
"""

import numpy as np
from scipy import linalg
from scipy.linalg import blas

from .._core.cholesky import cholesky_solve, cholesky_with_jitter, symmetrize_lower
from .._core.criterion import Criterion
from .._core.selection import (
    generalized_cross_validation,
    leave_one_out,
    validation_squared_error,
)
from .._core.spectral import SpectralPath
from .nystroem import coefficients_on_centres, kernel_gradient, nystroem_features
from .nystroem_alpha import RowMoments, SplitAlphaProfile, best_log_alpha
from .search import AlphaPath


def _gram(F, alpha=0.0):
    """``F^T F + alpha I`` (one ``syrk`` on the Fortran-ordered ``F^T``, no
    copy of a C-ordered ``F``), full and symmetric."""
    G = symmetrize_lower(blas.dsyrk(1.0, F.T, lower=1))
    G.flat[:: G.shape[0] + 1] += alpha
    return G


def centred_features(Phi, data):
    """``F = (I - q q^T) W Phi`` in place, the centred rescaled targets, ``q``,
    and the weighted means of the features and targets (the intercept is
    ``mean_y - mean_phi @ w``)."""
    s, w = data.sample_weight, data.sqrt_sw
    mean_phi = s @ Phi / data.weight_sum
    mean_y = s @ data.y / data.weight_sum
    if not data.unit_weights:
        Phi *= w[:, None]
    y = w[:, None] * data.y
    q = np.zeros_like(w)
    if data.fit_intercept:
        q = w / np.linalg.norm(w)
        blas.dger(-1.0, Phi.T @ q, q, a=Phi.T, overwrite_a=1)
        y -= np.outer(q, q @ y)
    else:
        mean_phi, mean_y = np.zeros_like(mean_phi), np.zeros_like(mean_y)
    return Phi, y, q, (mean_phi, mean_y)


def leave_one_out_terms(F, y, q, alpha, data, gcv, gram=None):
    """Leave-one-out or GCV in the features, with its adjoints; ``gram`` is
    ``F^T F`` when it is known already.

    Returns
    -------
    value : float
    F_bar : ndarray of shape (n_samples, r)
        ``dE/dPhi`` (the weighting and centring chained through).
    A_bar : ndarray of shape (r, r)
    w : ndarray of shape (r, n_targets)
    """
    n_targets = y.shape[1]
    if gram is None:
        A = _gram(F, alpha)
    else:
        A = gram.copy()
        A.flat[:: A.shape[0] + 1] += alpha
    factor = cholesky_with_jitter(A)
    w = cholesky_solve(factor, F.T @ y)
    residual = y - F @ w
    if gcv:
        value, residual_bar, Bt, BDB = _gcv_adjoints(F, residual, factor, alpha, data)
    else:
        value, residual_bar, Bt, BDB = _loo_adjoints(F, residual, factor, q, data)
    residual_bar /= n_targets
    BDB /= n_targets
    Bt /= n_targets
    v = cholesky_solve(factor, F.T @ residual_bar)
    # F_bar^T = 2 (D B)^T - 2 BDB F^T - w (r_bar - F v)^T - v r^T, in Bt.
    blas.dgemm(-2.0, BDB, F.T, beta=2.0, c=Bt, overwrite_c=1)
    blas.dgemm(-1.0, w, residual_bar - F @ v, beta=1.0, c=Bt, trans_b=1, overwrite_c=1)
    blas.dgemm(-1.0, v, residual, beta=1.0, c=Bt, trans_b=1, overwrite_c=1)
    A_bar = v @ w.T - BDB
    # Phi_bar = W (I - q q^T) F_bar.
    if data.fit_intercept:
        blas.dger(-1.0, Bt @ q, q, a=Bt, overwrite_a=1)
    if not data.unit_weights:
        Bt *= data.sqrt_sw[None, :]
    return value, Bt.T, A_bar, w


def _loo_adjoints(F, residual, factor, q, data):
    """Mean leave-one-out error over targets; ``r_bar``, ``(D B)^T`` (``r x
    n``) and ``B^T D B`` summed over targets (``D = diag(h_bar)``)."""
    L = factor[0]
    # T^T = L^{-1} F^T: h_i = q_i^2 + ||T_i||^2.
    Bt = linalg.solve_triangular(L, F.T, lower=True, check_finite=False)
    om = 1.0 - q**2 - np.einsum("ij,ij->j", Bt, Bt)
    values, residual_bar, om_bar = leave_one_out(residual, om[:, None], data.weight_sum)
    h_bar = -om_bar.sum(axis=1)
    # B^T = L^{-T} T^T, then D^(1/2) B for one syrk, then D B.
    Bt = linalg.solve_triangular(
        L, Bt, lower=True, trans="T", overwrite_b=True, check_finite=False
    )
    Bt *= np.sqrt(np.maximum(h_bar, 0.0))[None, :]
    BDB = symmetrize_lower(blas.dsyrk(1.0, Bt, lower=1))
    Bt *= np.sqrt(np.maximum(h_bar, 0.0))[None, :]
    return float(values.mean()), residual_bar, Bt, BDB


def _gcv_adjoints(F, residual, factor, alpha, data):
    """GCV (mean over targets) from ``tr(H) = sum q^2 + tr(A^{-1} F^T F)``;
    ``h_bar`` is a constant ``c``: ``(D B)^T = c A^{-1} F^T`` and
    ``B^T D B = c (A^{-1} - alpha A^{-2})``."""
    r = F.shape[1]
    A_inverse = cholesky_solve(factor, np.eye(r))
    trace_h = float(data.fit_intercept) + r - alpha * np.trace(A_inverse)
    trace = np.array([data.n_effective - trace_h])
    rss = np.einsum("ij,ij->j", residual, residual)
    values, rss_bar, trace_bar = generalized_cross_validation(
        rss, trace, data.n_effective, data.weight_sum
    )
    residual_bar = 2.0 * rss_bar * residual
    c = float(-trace_bar.sum())  # dE/dh_i = -dE/dT, summed over targets
    Bt = (F @ A_inverse).T  # Fortran-ordered r x n
    Bt *= c
    BDB = c * (A_inverse - alpha * A_inverse @ A_inverse)
    return float(values.mean()), residual_bar, Bt, BDB


def _weighted_ridge(moments, cross, y_sum, alpha, fit_intercept):
    """Ridge in the features from the weighted moments of its rows.

    Parameters
    ----------
    moments : tuple
        ``(Phi^T S Phi, s^T Phi, sum s)`` of the rows; the first is
        overwritten.
    cross, y_sum : ndarray
        ``Phi^T S y`` and ``s^T y`` of the same rows.

    Returns
    -------
    factor, theta, mean_phi, mean_y
        The Cholesky factor of the centred ``A``, the coefficients, and the
        weighted means (zero without intercept): predictions are
        ``(phi - mean_phi) theta + mean_y``.
    """
    G, phi_sum, weight = moments
    mean_phi, mean_y = np.zeros(G.shape[0]), np.zeros(cross.shape[1])
    if fit_intercept:
        mean_phi, mean_y = phi_sum / weight, y_sum / weight
        G -= weight * np.outer(mean_phi, mean_phi)
        cross = cross - weight * np.outer(mean_phi, mean_y)
    G.flat[:: G.shape[0] + 1] += alpha
    factor = cholesky_with_jitter(G)
    return factor, cholesky_solve(factor, cross), mean_phi, mean_y


def split_terms(Phi, log_alpha, data, splits, log_alpha_bounds=None):
    """Summed test error over the splits, with its adjoints.

    Parameters
    ----------
    Phi : ndarray of shape (n_samples, r)
    log_alpha : float
        Ignored when ``log_alpha_bounds`` is given.
    data : KernelData
    splits : list of (train, test)
    log_alpha_bounds : ndarray of shape (2,) or None
        Choose alpha first, the best within these bounds
        (:class:`~skhypergrad._kernel.nystroem_alpha.SplitAlphaProfile`).

    Returns
    -------
    value : float
        Divided by the total test weight times the number of targets, as are
        the adjoints.
    Phi_bar : tuple of two ndarrays
        ``(left, right)`` with ``dE/dPhi = left @ right.T`` (the module
        docstring).
    A_bar : ndarray of shape (r, r)
    full : tuple or None
        The fit on all the rows, ``(w, (mean_phi, mean_y))``, when the test
        sets partition them (its moments are then the sum of the test
        sets'), else None.
    log_alpha : float
        The ``log(alpha)`` of these terms.
    """
    n, n_targets = data.y.shape
    k = len(splits)
    s, y = data.sample_weight, data.y
    sy = s[:, None] * y
    trains, tests, total = _split_moments(
        Phi, s, splits, data.unit_weights, with_tests=log_alpha_bounds is not None
    )
    cross = _split_cross_moments(Phi, sy, splits)
    if log_alpha_bounds is not None:
        profile = _alpha_profile(trains, tests, cross, data, splits)
        log_alpha = best_log_alpha(profile, log_alpha_bounds)
    alpha = float(np.exp(log_alpha))
    fits = [
        _weighted_ridge(train, cross[k + j], sy[tr].sum(0), alpha, data.fit_intercept)
        for j, (train, (tr, _)) in enumerate(zip(trains, splits, strict=True))
    ]
    # Every split's predictions in one pass over Phi, then every adjoint's.
    predictions = Phi @ np.hstack([theta for _, theta, _, _ in fits])
    weighted = np.zeros((n, k * n_targets))
    value = 0.0
    for j, ((_, test), (_, theta, mean_phi, mean_y)) in enumerate(
        zip(splits, fits, strict=True)
    ):
        cols = slice(j * n_targets, (j + 1) * n_targets)
        predictions[:, cols] += mean_y - mean_phi @ theta
        values, weighted[test, cols] = validation_squared_error(
            y[test] - predictions[test, cols], s[test]
        )
        value += float(values.sum())
    left, right, A_bar = _split_adjoints(
        Phi, data, splits, fits, predictions, weighted, [t[2] for t in trains]
    )
    full = None
    if total is not None:
        _, w, mean_phi, mean_y = _weighted_ridge(
            total, cross[2 * k], sy.sum(axis=0), alpha, data.fit_intercept
        )
        full = w, (mean_phi, mean_y)
    scale = n_targets * sum(s[test].sum() for _, test in splits)
    return value / scale, (left / scale, right), A_bar / scale, full, log_alpha


def _split_adjoints(Phi, data, splits, fits, predictions, weighted, train_weights):
    """``Phi_bar = left @ right.T`` and ``A_bar`` of the summed test error
    (unscaled): each split's adjoint solve, with one pass over ``Phi`` for
    every split's right-hand side and one for every adjoint's prediction.

    ``fits`` are the splits' :func:`_weighted_ridge` results, ``predictions``
    (``n x k t``) their predictions of every row, ``weighted`` the test rows'
    weighted residuals ``s r`` (zero elsewhere) and ``train_weights`` the
    training sets' total weights."""
    n, n_targets = data.y.shape
    s, y = data.sample_weight, data.y
    sources = Phi.T @ weighted
    lams = []
    for j, (factor, _, mean_phi, _) in enumerate(fits):
        cols = slice(j * n_targets, (j + 1) * n_targets)
        Q_sum = weighted[:, cols].sum(axis=0)
        lams.append(
            cholesky_solve(factor, sources[:, cols] - np.outer(mean_phi, Q_sum))
        )
    adjoint_predictions = Phi @ np.hstack(lams)
    left = np.zeros((n, 2 * n_targets * len(splits)))
    right = np.zeros((Phi.shape[1], left.shape[1]))
    A_bar = np.zeros((Phi.shape[1],) * 2)
    for j, ((train, test), (_, theta, mean_phi, _), lam) in enumerate(
        zip(splits, fits, lams, strict=True)
    ):
        cols = slice(j * n_targets, (j + 1) * n_targets)
        Q = weighted[test, cols]
        # On the training rows, the bordered adjoint's prediction (Phi~ lam~).
        adjoint = adjoint_predictions[train, cols] - mean_phi @ lam
        if data.fit_intercept:
            adjoint += Q.sum(axis=0) / train_weights[j]
        left_cols = slice(2 * j * n_targets, (2 * j + 1) * n_targets)
        left[train, left_cols] = (
            -2.0 * s[train, None] * (y[train] - predictions[train, cols])
        )
        right[:, left_cols] = lam
        left_cols = slice((2 * j + 1) * n_targets, (2 * j + 2) * n_targets)
        left[train, left_cols] = 2.0 * s[train, None] * adjoint
        left[test, left_cols] -= 2.0 * Q
        right[:, left_cols] = theta
        A_bar += 2.0 * lam @ theta.T
    return left, right, A_bar


def _alpha_profile(trains, tests, cross, data, splits):
    """The splits' summed test error as a function of alpha, from the
    moments of their training and test rows."""
    k, n_targets = len(splits), data.y.shape[1]
    sy = data.sample_weight[:, None] * data.y
    pairs = []
    for j, (train, test, (train_rows, test_rows)) in enumerate(
        zip(trains, tests, splits, strict=True)
    ):
        y_train, y_test = sy[train_rows], sy[test_rows]
        pairs.append(
            (
                RowMoments(*train, cross[k + j], y_train.sum(0), np.zeros(n_targets)),
                RowMoments(
                    *test,
                    cross[j],
                    y_test.sum(0),
                    (y_test * data.y[test_rows]).sum(0),
                ),
            )
        )
    return SplitAlphaProfile(pairs, data.fit_intercept)


def _split_cross_moments(Phi, sy, splits):
    """``Phi^T S y`` on each split's test rows, on each split's training
    rows, and on all the rows (in this order), in one pass over ``Phi``."""
    n, n_targets = sy.shape
    k = len(splits)
    targets = np.zeros((n, (2 * k + 1) * n_targets))
    for j, (train, test) in enumerate(splits):
        targets[test, j * n_targets : (j + 1) * n_targets] = sy[test]
        targets[train, (k + j) * n_targets : (k + j + 1) * n_targets] = sy[train]
    targets[:, 2 * k * n_targets :] = sy
    cross = Phi.T @ targets
    return [cross[:, j * n_targets : (j + 1) * n_targets] for j in range(2 * k + 1)]


def _rows_of(Phi, rows):
    """``Phi[rows]``: a view when ``rows`` is a contiguous range."""
    if rows.size and rows[-1] - rows[0] + 1 == rows.size and np.all(np.diff(rows) == 1):
        return Phi[rows[0] : rows[-1] + 1]
    return Phi[rows]


def _split_moments(Phi, s, splits, unit_weights, with_tests=False):
    """``(Phi_f^T S_f Phi_f, s_f^T Phi_f, sum s_f)`` of each split's training
    rows; of its test rows when they are needed (``with_tests``) or computed
    anyway (else None); and of all the rows when the test sets partition
    them (else None). When every training set is the complement of its test
    set, each is the total minus the test set's (the total is the sum of the
    test sets' when they partition the rows)."""
    n = Phi.shape[0]

    def moments(rows):
        block = _rows_of(Phi, rows)
        if not unit_weights:
            block = block * np.sqrt(s[rows])[:, None]
        return _gram(block), s[rows] @ _rows_of(Phi, rows), float(s[rows].sum())

    complements = all(
        train.size + test.size == n
        and np.all(np.bincount(np.r_[train, test], minlength=n) == 1)
        for train, test in splits
    )
    if not complements:
        trains = [moments(train) for train, _ in splits]
        tests = [moments(test) for _, test in splits] if with_tests else None
        return trains, tests, None
    tests = [moments(test) for _, test in splits]
    covered = np.bincount(np.concatenate([t for _, t in splits]), minlength=n)
    partition = bool(np.all(covered == 1))
    if partition:
        total = tuple(sum(part[j] for part in tests) for j in range(3))
    else:
        total = moments(np.arange(n))
    trains = [tuple(t - p for t, p in zip(total, part, strict=True)) for part in tests]
    return trains, tests, (total if partition else None)


class NystroemCriterion(Criterion):
    """A selection criterion of Nystroem kernel ridge as ``theta -> (value,
    grad)``, ``theta = [log alpha, kernel.theta...]``.

    Parameters
    ----------
    data : KernelData
    kernel : sklearn.gaussian_process.kernels.Kernel
    kind : {"loo", "gcv", "splits"}
    splits : list of (train, test) or None
    centres : ndarray of shape (m,)
        Sorted rows of ``data.X`` that are the centres.
    """

    def __init__(self, data, kernel, kind, splits, centres):
        self.data = data
        self.kernel = kernel
        self.kind = kind
        self.splits = splits
        self.centres = centres
        self._last_fit = None
        # Phi and the kernel's adjoint are built in one array, reused by every
        # evaluation.
        self._workspace = np.empty(data.X.shape[0] * centres.size)

    def restart_copy(self):
        """A copy for a restart: the same (read-only) data, its own work
        buffer."""
        return NystroemCriterion(
            self.data, self.kernel, self.kind, self.splits, self.centres
        )

    def kernel_at(self, theta):
        """The kernel with hyperparameters ``theta[1:]``."""
        return self.kernel.clone_with_theta(np.asarray(theta[1:], dtype=float))

    def value_and_grad(self, theta):
        """The criterion and its gradient in ``[log alpha, kernel.theta]``."""
        value, grad, _ = self._evaluate(np.array(theta, dtype=float))
        return value, grad

    def profiled_value_and_grad(self, kernel_theta, log_alpha_bounds):
        """The criterion at its best alpha within ``log_alpha_bounds``, at
        the kernel ``kernel_theta`` (k-fold and held-out:
        :mod:`~skhypergrad._kernel.nystroem_alpha`; leave-one-out and GCV:
        :class:`NystroemAlphaPath`).

        Returns
        -------
        value : float
        grad : ndarray
            The gradient in ``[log alpha, kernel.theta]`` there; its kernel
            part is the profile's gradient.
        log_alpha : float
            The best ``log(alpha)``.
        """
        theta = np.r_[np.nan, np.asarray(kernel_theta, dtype=float)]
        return self._evaluate(theta, log_alpha_bounds)

    def _evaluate(self, theta, log_alpha_bounds=None):
        """Value and gradient at ``theta``; with ``log_alpha_bounds``,
        ``theta[0]`` is first set to the best ``log(alpha)``."""
        kernel = self.kernel_at(theta)
        data = self.data
        features = nystroem_features(kernel, data.X, self.centres, self._workspace)
        Phi, features.features = features.features, None
        if self.kind == "splits":
            value, Phi_bar, A_bar, full, theta[0] = split_terms(
                Phi, theta[0], data, self.splits, log_alpha_bounds
            )
            if full is not None:
                self._last_fit = theta.copy(), self._coefficients(features, *full)
        else:
            F, y, q, means = centred_features(Phi, data)
            gram = None
            if log_alpha_bounds is not None:
                gram = _gram(F)
                path = NystroemAlphaPath(F, y, q, data, self.kind == "gcv", gram)
                theta[0] = best_log_alpha(path, log_alpha_bounds)
                del path
            value, Phi_bar, A_bar, w = leave_one_out_terms(
                F, y, q, float(np.exp(theta[0])), data, self.kind == "gcv", gram
            )
            self._last_fit = theta.copy(), self._coefficients(features, w, means)
        del Phi
        alpha = float(np.exp(theta[0]))
        d_alpha, grad = kernel_gradient(
            kernel, data.X, features, alpha, Phi_bar, A_bar, self._workspace
        )
        return value, np.r_[alpha * d_alpha, grad], float(theta[0])

    def _coefficients(self, features, w, means):
        beta = coefficients_on_centres(features, w, self.centres.size, self.centres)
        mean_phi, mean_y = means
        return beta, mean_y - mean_phi @ w

    def fit_at(self, theta):
        """Coefficients on the centres (``m x n_targets``) and intercept at
        ``theta``."""
        last = self._last_fit
        if last is not None and np.array_equal(last[0], theta):
            return last[1]
        alpha = float(np.exp(theta[0]))
        features = nystroem_features(self.kernel_at(theta), self.data.X, self.centres)
        F, y, _, means = centred_features(features.features, self.data)
        w = cholesky_solve(cholesky_with_jitter(_gram(F, alpha)), F.T @ y)
        return self._coefficients(features, w, means)

    def alpha_path(self, kernel_theta):
        """Leave-one-out or GCV along ``log(alpha)`` at a fixed kernel."""
        kernel = self.kernel.clone_with_theta(np.asarray(kernel_theta, dtype=float))
        features = nystroem_features(kernel, self.data.X, self.centres)
        F, y, q, _ = centred_features(features.features, self.data)
        return NystroemAlphaPath(F, y, q, self.data, self.kind == "gcv")


class NystroemAlphaPath(AlphaPath):
    """Leave-one-out or GCV of Nystroem kernel ridge along ``log(alpha)``,
    from one eigendecomposition of ``F^T F`` (``r x r``): the left singular
    vectors ``F U sigma^{-1/2}`` make the path of
    :class:`~skhypergrad._core.spectral.SpectralPath`.

    Parameters
    ----------
    F, y, q
        The centred features (not modified), targets and intercept direction
        (:func:`centred_features`).
    data : KernelData
    gcv : bool
    gram : ndarray of shape (r, r) or None
        ``F^T F`` when it is known already.
    """

    def __init__(self, F, y, q, data, gcv, gram=None):
        gram = _gram(F) if gram is None else gram
        sigma, U = linalg.eigh(gram, check_finite=False)
        keep = sigma > sigma[-1] * sigma.size * np.finfo(float).eps
        sigma, U = sigma[keep], U[:, keep] / np.sqrt(sigma[keep])
        self.gcv = gcv
        self.n_targets = y.shape[1]
        statistics = (data.weight_sum, data.n_effective, data.fit_intercept)
        if gcv:
            # GCV needs the projections only: F U sigma^{-1/2} has orthonormal
            # columns, so ||y_perp||^2 = ||y||^2 - ||U~^T y||^2.
            Uty = U.T @ (F.T @ y)
            perp = np.maximum(np.sum(y**2, axis=0) - np.sum(Uty**2, axis=0), 0.0)
            self._path = SpectralPath.from_projections(sigma, Uty, perp, *statistics)
        else:
            self._path = SpectralPath(F @ U, sigma, y, q, *statistics)
