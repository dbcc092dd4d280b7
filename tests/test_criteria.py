"""Selection criteria: hypergradients against central finite differences, values
against independent oracles (explicit refits with scikit-learn's own Ridge)."""

import numpy as np
import pytest
import scipy.sparse as sp
from _finite_differences import central_differences
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import KFold, LeaveOneOut, cross_val_score

from skhypergrad._core.layout import PenaltyLayout
from skhypergrad._ridge.criteria import (
    KFoldCriterion,
    LeaveOneOutCriterion,
    make_folds,
)
from skhypergrad._ridge.design import CentredDesign
from skhypergrad._ridge.spectral import (
    SharedAlphaCriterion,
    SpectralBasis,
    SpectralKFold,
    SpectralLeaveOneOut,
)

LOG_BOUNDS = np.log([1e-6, 1e6])
# (n_samples, n_features): the primal p x p path and the dual n x n path.
SHAPES = [(23, 6), (9, 14)]


def make_data(n, p, n_targets=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p) + 0.3
    w = rng.normal(size=(p, n_targets))
    y = X @ w + rng.normal(size=(n, n_targets)) + 1.0
    return X, y, rng.uniform(0.2, 3.0, size=n)


def layout_for(parametrisation, n_features):
    if parametrisation == "scalar":
        index = np.zeros(n_features, dtype=int)
    elif parametrisation == "each":
        index = np.arange(n_features)
    else:  # three groups, unequal sizes
        index = np.arange(n_features) % 3
    return PenaltyLayout(index, int(index.max()) + 1, LOG_BOUNDS)


def build_criterion(kind, X, y, weights, fit_intercept, layout):
    if kind in ("loo", "gcv"):
        design = CentredDesign(X, y, weights, fit_intercept)
        return LeaveOneOutCriterion(design, layout, gcv=kind == "gcv")
    n = X.shape[0]
    if kind == "kfold":
        splits = list(KFold(3, shuffle=True, random_state=0).split(np.arange(n)))
    else:  # one held-out validation set: Bengio's setting
        splits = [(np.arange(n)[: 2 * n // 3], np.arange(n)[2 * n // 3 :])]
    return KFoldCriterion(make_folds(X, y, weights, splits, fit_intercept), layout)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["loo", "gcv", "kfold", "heldout"])
@pytest.mark.parametrize("parametrisation", ["scalar", "groups", "each"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_matches_finite_differences(
    shape, kind, parametrisation, fit_intercept, weighted
):
    X, y, weights = make_data(*shape)
    if not weighted:
        weights = np.ones(shape[0])
    layout = layout_for(parametrisation, shape[1])
    criterion = build_criterion(kind, X, y, weights, fit_intercept, layout)
    theta = np.random.default_rng(1).uniform(-1.5, 1.5, size=layout.n_groups)
    value, grad = criterion(theta)
    assert np.isfinite(value)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-7 * value
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["loo", "gcv", "kfold"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_design_equals_dense(shape, kind, fit_intercept):
    X, y, weights = make_data(*shape)
    layout = layout_for("each", shape[1])
    theta = np.linspace(-1, 1, layout.n_groups)
    dense = build_criterion(kind, X, y, weights, fit_intercept, layout)(theta)
    sparse = build_criterion(kind, sp.csr_matrix(X), y, weights, fit_intercept, layout)
    value, grad = sparse(theta)
    np.testing.assert_allclose(value, dense[0], rtol=1e-10)
    np.testing.assert_allclose(grad, dense[1], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_column_norms_of_features_far_from_zero(fit_intercept):
    # The squared norms of the centred columns (the scale of alpha and of the
    # group standardisation) must not cancel for features offset by 1e8: the
    # sparse design centres each column, as the dense one does.
    X, y, weights = make_data(40, 4)
    X = X + 1e8
    dense = CentredDesign(X, y, weights, fit_intercept)
    sparse = CentredDesign(sp.csr_matrix(X), y, weights, fit_intercept)
    expected = dense.column_norms_squared()
    np.testing.assert_allclose(sparse.column_norms_squared(), expected, rtol=1e-7)
    assert sparse.mean_square() == pytest.approx(dense.mean_square(), rel=1e-7)


def spectral_criterion(kind, X, y, weights, fit_intercept):
    if kind in ("loo", "gcv"):
        basis = SpectralBasis(CentredDesign(X, y, weights, fit_intercept))
        return SpectralLeaveOneOut(basis, gcv=kind == "gcv")
    n = X.shape[0]
    if kind == "kfold":
        splits = list(KFold(3, shuffle=True, random_state=0).split(np.arange(n)))
    else:
        splits = [(np.arange(n)[: 2 * n // 3], np.arange(n)[2 * n // 3 :])]
    return SpectralKFold(make_folds(X, y, weights, splits, fit_intercept))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["loo", "gcv", "kfold"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse_X", [False, True])
def test_eigen_path_equals_cholesky_path(shape, kind, fit_intercept, sparse_X):
    X, y, weights = make_data(*shape)
    Xin = sp.csr_matrix(X) if sparse_X else X
    shared = SharedAlphaCriterion(
        spectral_criterion(kind, Xin, y, weights, fit_intercept)
    )
    cholesky = build_criterion(
        kind, X, y, weights, fit_intercept, layout_for("scalar", shape[1])
    )
    for log_alpha in (-4.0, 0.3, 5.0):
        theta = np.array([log_alpha])
        value, grad = shared(theta)
        expected_value, expected_grad = cholesky(theta)
        np.testing.assert_allclose(value, expected_value, rtol=1e-9)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-6, atol=1e-10 * value)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["loo", "gcv", "kfold", "heldout"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_per_target_gradient_matches_finite_differences(
    shape, kind, fit_intercept, weighted
):
    X, y, weights = make_data(*shape, n_targets=3)
    if not weighted:
        weights = np.ones(shape[0])
    spectral = spectral_criterion(kind, X, y, weights, fit_intercept)
    log_alpha = np.array([-2.0, 0.5, 3.0])
    values, grads = spectral(log_alpha)
    step = 1e-5
    for j in range(3):
        shift = np.zeros(3)
        shift[j] = step
        fd = (spectral(log_alpha + shift)[0] - spectral(log_alpha - shift)[0]) / (
            2 * step
        )
        # Target j depends on its own alpha only.
        np.testing.assert_allclose(fd[np.arange(3) != j], 0.0, atol=1e-12)
        np.testing.assert_allclose(grads[j], fd[j], rtol=1e-5, atol=1e-8 * values[j])
    # The same values as three separate single-target criteria.
    for j in range(3):
        alone = spectral_criterion(kind, X, y[:, [j]], weights, fit_intercept)
        np.testing.assert_allclose(alone(log_alpha[[j]])[0], values[j], rtol=1e-10)


def explicit_loo_error(X, y, weights, alpha, fit_intercept):
    """Mean weighted squared error of leave-one-out refits of sklearn's Ridge."""
    errors = []
    for train, test in LeaveOneOut().split(X):
        model = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky")
        model.fit(X[train], y[train], sample_weight=weights[train])
        errors.append(weights[test] * (y[test] - model.predict(X[test])) ** 2)
    return np.sum(errors) / (weights.sum() * y.shape[1])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [1e-3, 0.7, 50.0])
def test_loo_equals_explicit_leave_one_out_refits(shape, fit_intercept, alpha):
    X, y, weights = make_data(*shape)
    expected = explicit_loo_error(X, y, weights, alpha, fit_intercept)
    layout = layout_for("scalar", shape[1])
    design = CentredDesign(X, y, weights, fit_intercept)
    theta = np.log([alpha])
    cholesky_value, _ = LeaveOneOutCriterion(design, layout)(theta)
    spectral_value, _ = SharedAlphaCriterion(
        SpectralLeaveOneOut(SpectralBasis(design))
    )(theta)
    # With p > n and a tiny alpha the fit nearly interpolates: 1 - h_i is small
    # and both sides lose about eps * ||K|| / alpha ~ 1e-11 relative per solve,
    # amplified through e_i = r_i / (1 - h_i).
    rtol = 1e-6 if alpha < 0.01 else 1e-8
    np.testing.assert_allclose(cholesky_value, expected, rtol=rtol)
    np.testing.assert_allclose(spectral_value, expected, rtol=rtol)


@pytest.mark.parametrize("shape", SHAPES)
def test_loo_equals_explicit_refits_with_feature_penalties(shape):
    """Per-feature penalties equal sklearn's Ridge(alpha=1) on X / sqrt(lam)."""
    X, y, weights = make_data(*shape)
    layout = layout_for("each", shape[1])
    theta = np.linspace(-2, 2, shape[1])
    lam = np.exp(theta)
    expected = explicit_loo_error(X / np.sqrt(lam), y, weights, 1.0, True)
    value, _ = LeaveOneOutCriterion(CentredDesign(X, y, weights, True), layout)(theta)
    np.testing.assert_allclose(value, expected, rtol=1e-8)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_loo_equals_ridgecv_cv_results(shape, fit_intercept):
    X, y, weights = make_data(*shape)
    alpha = 0.37
    ridge_cv = RidgeCV(
        alphas=[alpha], fit_intercept=fit_intercept, store_cv_results=True
    ).fit(X, y, sample_weight=weights)
    # RidgeCV stores s_i * e_i^2 for each sample and target.
    expected = ridge_cv.cv_results_.sum() / (weights.sum() * y.shape[1])
    design = CentredDesign(X, y, weights, fit_intercept)
    value, _ = LeaveOneOutCriterion(design, layout_for("scalar", shape[1]))(
        np.log([alpha])
    )
    np.testing.assert_allclose(value, expected, rtol=1e-8)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gcv_equals_explicit_hat_matrix(shape, fit_intercept):
    X, y, _ = make_data(*shape)
    n = X.shape[0]
    alpha = 0.8
    # Column j of the hat matrix: predictions of the ridge fit to the target e_j.
    hat = (
        Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky")
        .fit(X, np.eye(n))
        .predict(X)
    )
    residual = y - hat @ y
    expected = np.mean(residual**2) / (1 - np.trace(hat) / n) ** 2
    design = CentredDesign(X, y, np.ones(n), fit_intercept)
    value, _ = LeaveOneOutCriterion(design, layout_for("scalar", shape[1]), gcv=True)(
        np.log([alpha])
    )
    np.testing.assert_allclose(value, expected, rtol=1e-8)


@pytest.mark.parametrize("shape", [(30, 6), (12, 20)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_kfold_equals_cross_val_score(shape, fit_intercept):
    X, y, _ = make_data(*shape, n_targets=1)
    y = y[:, 0]
    splitter = KFold(3, shuffle=True, random_state=0)  # equal fold sizes
    alpha = 2.5
    expected = -cross_val_score(
        Ridge(alpha=alpha, fit_intercept=fit_intercept),
        X,
        y,
        cv=splitter,
        scoring="neg_mean_squared_error",
    ).mean()
    folds = make_folds(
        X, y[:, None], np.ones(shape[0]), list(splitter.split(X)), fit_intercept
    )
    value, _ = KFoldCriterion(folds, layout_for("scalar", shape[1]))(np.log([alpha]))
    np.testing.assert_allclose(value, expected, rtol=1e-9)


def test_weighted_unequal_folds_equal_pooled_refits():
    X, y, weights = make_data(31, 5)
    splits = list(KFold(4).split(X))  # folds of 8, 8, 8, 7
    alpha = 0.2
    total = 0.0
    for train, test in splits:
        model = Ridge(alpha=alpha).fit(X[train], y[train], sample_weight=weights[train])
        total += np.sum(weights[test, None] * (y[test] - model.predict(X[test])) ** 2)
    expected = total / (weights.sum() * y.shape[1])
    folds = make_folds(X, y, weights, splits, True)
    value, _ = KFoldCriterion(folds, layout_for("scalar", 5))(np.log([alpha]))
    np.testing.assert_allclose(value, expected, rtol=1e-9)


def test_zero_weight_equals_removing_the_sample():
    X, y, weights = make_data(20, 4)
    weights[[3, 11]] = 0.0
    keep = weights > 0
    layout = layout_for("groups", 4)
    theta = np.array([-1.0, 0.5, 2.0])
    for gcv in (False, True):
        with_zeros = LeaveOneOutCriterion(
            CentredDesign(X, y, weights, True), layout, gcv=gcv
        )(theta)
        removed = LeaveOneOutCriterion(
            CentredDesign(X[keep], y[keep], weights[keep], True), layout, gcv=gcv
        )(theta)
        np.testing.assert_allclose(with_zeros[0], removed[0], rtol=1e-10)
        np.testing.assert_allclose(with_zeros[1], removed[1], rtol=1e-8)


def loo_gradient_by_reverse_mode_cholesky(X, y, theta):
    """Gradient of the primal LOO criterion by a generic reverse pass through the
    Cholesky factor (Murray 2016, arXiv:1602.07527), with no closed form:
    ``Abar = 1/2 L^{-T} (P + P^T) L^{-1}``, ``P = Phi(L^T Lbar)``."""
    from scipy.linalg import cholesky, solve_triangular

    n = X.shape[0]
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    lam = np.exp(theta)
    L = cholesky(Xc.T @ Xc + np.diag(lam), lower=True)

    def solve_l(B, trans=0):
        return solve_triangular(L, B, lower=True, trans=trans)

    # Forward pass.
    Z = solve_l(Xc.T)  # L^{-1} X^T
    c = solve_l(Xc.T @ yc)
    w = solve_l(c, trans=1)
    r = yc - Xc @ w
    om = 1.0 - 1.0 / n - np.sum(Z * Z, axis=0)
    e = r / om
    # Reverse pass, from E = sum(e^2) / n.
    e_bar = 2.0 * e / n
    r_bar = e_bar / om
    h_bar = e_bar * r / om**2  # om = 1 - 1/n - h, so h_bar = -om_bar
    w_bar = -Xc.T @ r_bar
    c_bar = solve_l(w_bar)
    L_bar = -np.outer(w, c_bar)  # from w = L^{-T} c
    L_bar -= np.outer(solve_l(c_bar, trans=1), c)  # from c = L^{-1} X^T y
    Z_bar = 2.0 * Z * h_bar
    L_bar -= solve_l(Z_bar, trans=1) @ Z.T  # from Z = L^{-1} X^T
    L_bar = np.tril(L_bar)
    P = np.tril(L.T @ L_bar)
    P[np.diag_indices_from(P)] *= 0.5
    A_bar = 0.5 * solve_l(solve_l(P + P.T, trans=1).T, trans=1)
    return lam * np.diag(A_bar)


def test_closed_form_gradient_equals_reverse_mode_cholesky():
    X, y, _ = make_data(25, 7, n_targets=1)
    theta = np.linspace(-1.0, 1.5, 7)
    layout = layout_for("each", 7)
    design = CentredDesign(X, y, np.ones(25), True)
    _, grad = LeaveOneOutCriterion(design, layout)(theta)
    expected = loo_gradient_by_reverse_mode_cholesky(X, y[:, 0], theta)
    np.testing.assert_allclose(grad, expected, rtol=1e-9)


@pytest.mark.parametrize("m", [5, 700])  # 700: more than one block of rows
def test_inverse_from_cholesky_is_the_full_symmetric_inverse(m):
    from skhypergrad._core.cholesky import cholesky_with_jitter, inverse_from_cholesky

    rng = np.random.default_rng(0)
    F = rng.normal(size=(m, m))
    A = F @ F.T + m * np.eye(m)
    inverse = inverse_from_cholesky(cholesky_with_jitter(A))
    np.testing.assert_array_equal(inverse, inverse.T)
    np.testing.assert_allclose(inverse @ A, np.eye(m), atol=1e-10)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("order", ["F", "C"])
def test_cholesky_solve_matches_a_dense_solve(lower, order):
    # Vectors go through two BLAS trsv calls (either triangle, either memory
    # order of the factor), matrices through cho_solve; b is left untouched.
    from scipy import linalg

    from skhypergrad._core.cholesky import cholesky_solve

    rng = np.random.default_rng(1)
    F = rng.normal(size=(40, 40))
    A = F @ F.T + 40 * np.eye(40)
    c, flag = linalg.cho_factor(A, lower=lower)
    factor = (np.asarray(c, order=order), flag)
    for b in (rng.normal(size=40), rng.normal(size=(40, 3))):
        before = b.copy()
        np.testing.assert_allclose(
            cholesky_solve(factor, b), np.linalg.solve(A, b), rtol=1e-12
        )
        np.testing.assert_array_equal(b, before)
