"""Smooth-loss core: Newton solutions equal scikit-learn's estimators, the
implicit-function gradients equal central finite differences, ALO equals exact
LOO for the squared loss and is close to brute-force LOO refits otherwise."""

import numpy as np
import pytest
import scipy.sparse as sp
from _finite_differences import central_differences
from _layouts import layout_for
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.model_selection import KFold, LeaveOneOut

from skhypergrad._core.layout import PenaltyLayout, mean_column_variance
from skhypergrad._glm.alo import ApproximateLeaveOneOut
from skhypergrad._glm.criteria import SmoothKFoldCriterion, make_smooth_folds
from skhypergrad._glm.derivatives import DenseSecondDerivative
from skhypergrad._glm.losses import (
    BinaryLogLoss,
    MultinomialLogLoss,
    PoissonLoss,
    SquaredLoss,
)
from skhypergrad._glm.newton import NewtonSolver
from skhypergrad._ridge.criteria import KFoldCriterion, LeaveOneOutCriterion, make_folds
from skhypergrad._ridge.design import CentredDesign

LOG_BOUNDS = np.log([1e-6, 1e6])
LOSSES = {
    "logistic": BinaryLogLoss(),
    "poisson": PoissonLoss(),
    "squared": SquaredLoss(),
}


def make_data(loss_name, n=40, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 1.5, size=p)
    z = X @ rng.normal(scale=0.7, size=p) + 0.3
    if loss_name == "logistic":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(float)
    elif loss_name == "poisson":
        y = rng.poisson(np.exp(0.5 * z)).astype(float)
    else:
        y = z + rng.normal(size=n)
    return X, y, rng.uniform(0.5, 2.0, size=n)


def build(kind, loss_name, X, y, weights, fit_intercept, layout):
    loss = LOSSES[loss_name]
    if kind == "alo":
        return ApproximateLeaveOneOut(
            NewtonSolver(X, y, weights, fit_intercept, loss), layout
        )
    n = X.shape[0]
    if kind == "kfold":
        splits = list(KFold(3, shuffle=True, random_state=0).split(np.arange(n)))
    else:  # one held-out validation set
        splits = [(np.arange(n)[: 2 * n // 3], np.arange(n)[2 * n // 3 :])]
    folds = make_smooth_folds(X, y, weights, splits, fit_intercept, loss)
    return SmoothKFoldCriterion(folds, layout)


@pytest.mark.parametrize("kind", ["kfold", "heldout", "alo"])
@pytest.mark.parametrize("loss_name", ["logistic", "poisson", "squared"])
@pytest.mark.parametrize("parametrisation", ["scalar", "groups", "each"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_matches_finite_differences(
    kind, loss_name, parametrisation, fit_intercept, weighted
):
    X, y, weights = make_data(loss_name)
    if not weighted:
        weights = np.ones_like(y)
    layout = layout_for(parametrisation, X.shape[1], power=-1.0)
    criterion = build(kind, loss_name, X, y, weights, fit_intercept, layout)
    theta = np.random.default_rng(1).uniform(-1.0, 1.0, size=layout.n_groups)
    value, grad = criterion(theta)
    assert np.isfinite(value)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-8
    )


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_newton_equals_sklearn_logistic_regression(fit_intercept):
    X, y, weights = make_data("logistic")
    C = 0.7
    solver = NewtonSolver(X, y, weights, fit_intercept, BinaryLogLoss())
    state = solver.solve(np.full(X.shape[1], 1.0 / C))
    reference = LogisticRegression(C=C, fit_intercept=fit_intercept, tol=1e-12)
    reference.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(state.coef[:5], reference.coef_[0], rtol=1e-6)
    if fit_intercept:
        np.testing.assert_allclose(state.coef[5], reference.intercept_[0], rtol=1e-6)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_newton_equals_sklearn_poisson_regressor(fit_intercept):
    X, y, weights = make_data("poisson")
    alpha = 0.3
    solver = NewtonSolver(X, y, weights, fit_intercept, PoissonLoss())
    # PoissonRegressor minimises mean deviance / 2 + alpha / 2 ||w||^2, that is
    # sum_i s_i (mu_i - y_i z_i) + (alpha sum(s)) / 2 ||w||^2 up to a constant.
    state = solver.solve(np.full(X.shape[1], alpha * weights.sum()))
    reference = PoissonRegressor(
        alpha=alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=10_000
    ).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(state.coef[:5], reference.coef_, rtol=1e-6)
    if fit_intercept:
        np.testing.assert_allclose(state.coef[5], reference.intercept_, rtol=1e-6)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_squared_loss_reproduces_ridge_criteria(fit_intercept):
    """The squared loss through the smooth core gives GradientRidgeCV's criteria
    (with lam = 2 alpha): ALO is exact LOO, and k-fold is the same."""
    X, y, weights = make_data("squared")
    theta = np.array([-0.5, 0.8])
    ridge_layout = layout_for("groups", 5, power=1.0)
    smooth_layout = layout_for("groups", 5, power=1.0, scale=2.0)
    design = CentredDesign(X, y[:, None], weights, fit_intercept)
    loo, loo_grad = LeaveOneOutCriterion(design, ridge_layout)(theta)
    alo, alo_grad = build(
        "alo", "squared", X, y, weights, fit_intercept, smooth_layout
    )(theta)
    np.testing.assert_allclose(alo, loo, rtol=1e-10)
    np.testing.assert_allclose(alo_grad, loo_grad, rtol=1e-8)
    splits = list(KFold(3, shuffle=True, random_state=0).split(X))
    folds = make_folds(X, y[:, None], weights, splits, fit_intercept)
    ridge_value, ridge_grad = KFoldCriterion(folds, ridge_layout)(theta)
    value, grad = build(
        "kfold", "squared", X, y, weights, fit_intercept, smooth_layout
    )(theta)
    np.testing.assert_allclose(value, ridge_value, rtol=1e-10)
    np.testing.assert_allclose(grad, ridge_grad, rtol=1e-8)


@pytest.mark.parametrize("loss_name", ["logistic", "poisson"])
def test_alo_is_close_to_brute_force_leave_one_out(loss_name):
    """ALO takes one Newton step from the full-data optimum towards each
    leave-one-out optimum; what it misses is the change of curvature over that
    step, O(1/n) relative, so 2% at n = 80 leaves a margin."""
    X, y, _ = make_data(loss_name, n=80)
    weights = np.ones_like(y)
    loss = LOSSES[loss_name]
    lam = np.full(X.shape[1], 1.5)
    layout = PenaltyLayout(np.zeros(5, dtype=int), 1, LOG_BOUNDS)
    alo, _ = ApproximateLeaveOneOut(NewtonSolver(X, y, weights, True, loss), layout)(
        np.log([1.5])
    )
    errors = []
    for train, test in LeaveOneOut().split(X):
        state = NewtonSolver(X[train], y[train], weights[train], True, loss).solve(lam)
        z = X[test] @ state.coef[:5] + state.coef[5]
        errors.append(loss.criterion(y[test], z)[0])
    np.testing.assert_allclose(alo, np.mean(errors), rtol=2e-2)


@pytest.mark.parametrize("kind", ["kfold", "alo"])
def test_gradient_with_weight_scaled_penalty(kind):
    """PoissonRegressor's convention: each training set's penalty is scaled by
    the sum of its weights."""
    X, y, weights = make_data("poisson")
    layout = layout_for("groups", X.shape[1], power=1.0)
    loss = LOSSES["poisson"]
    if kind == "alo":
        solver = NewtonSolver(X, y, weights, True, loss, weights.sum())
        criterion = ApproximateLeaveOneOut(solver, layout)
    else:
        splits = list(KFold(3, shuffle=True, random_state=0).split(X))
        folds = make_smooth_folds(X, y, weights, splits, True, loss, True)
        criterion = SmoothKFoldCriterion(folds, layout)
    theta = np.array([-3.0, -1.5])
    _, grad = criterion(theta)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-8
    )


def multinomial_data(n=60, p=4, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    logits = X @ rng.normal(size=(p, n_classes)) + rng.normal(size=n_classes)
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(n_classes, p=row) for row in proba])
    return X, y, rng.uniform(0.5, 2.0, size=n)


@pytest.mark.parametrize("kind", ["kfold", "heldout"])
@pytest.mark.parametrize("parametrisation", ["scalar", "groups", "each"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_multinomial_gradient_matches_finite_differences(
    kind, parametrisation, fit_intercept, weighted
):
    X, y, weights = multinomial_data()
    if not weighted:
        weights = np.ones_like(weights)
    n = len(y)
    if kind == "kfold":
        splits = list(KFold(3, shuffle=True, random_state=0).split(X))
    else:
        splits = [(np.arange(n)[: 2 * n // 3], np.arange(n)[2 * n // 3 :])]
    layout = layout_for(parametrisation, X.shape[1], power=-1.0)
    folds = make_smooth_folds(
        X, y, weights, splits, fit_intercept, MultinomialLogLoss(3)
    )
    criterion = SmoothKFoldCriterion(folds, layout)
    theta = np.random.default_rng(1).uniform(-1.0, 1.0, size=layout.n_groups)
    _, grad = criterion(theta)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-8
    )


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_newton_equals_sklearn_multinomial_logistic_regression(fit_intercept):
    X, y, weights = multinomial_data()
    C = 0.8
    solver = NewtonSolver(X, y, weights, fit_intercept, MultinomialLogLoss(3))
    state = solver.solve(np.full(X.shape[1], 1.0 / C))
    W = state.coef.reshape(3, -1)
    reference = LogisticRegression(C=C, fit_intercept=fit_intercept, tol=1e-12)
    reference.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(W[:, :4], reference.coef_, rtol=1e-5, atol=1e-8)
    if fit_intercept:
        # Softmax ignores a common shift of the intercepts: compare them centred.
        ours = W[:, 4] - W[:, 4].mean()
        theirs = reference.intercept_ - reference.intercept_.mean()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-8)


def test_softmax_curvature_is_diag_p_minus_p_p_transposed():
    # The dense array against softmax probabilities computed here, and the
    # O(K) product and diagonal against the dense array.
    rng = np.random.default_rng(3)
    loss = MultinomialLogLoss(4)
    Z, y = 5.0 * rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    U = rng.normal(size=(6, 4))
    d2 = loss.derivatives(y, Z)[2]
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    expected = np.array([np.diag(p) - np.outer(p, p) for p in P])
    # Entries are at most 1/4; the two softmaxes round differently (~1e-16).
    np.testing.assert_allclose(np.asarray(d2), expected, rtol=1e-12, atol=1e-14)
    dense = np.asarray(d2)
    np.testing.assert_allclose(
        d2.apply(U), np.einsum("ikm,im->ik", dense, U), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(
        d2.diagonal(), np.einsum("ikk->ik", dense), rtol=1e-12, atol=1e-15
    )
    # Weighted, as the Hessian products apply it (float32 for loose solves),
    # against the dense array and the generic form from it.
    weights = rng.uniform(0.5, 2.0, size=6)
    expected = np.einsum("i,ikm,im->ik", weights, dense, U)
    for form in (d2, DenseSecondDerivative(dense)):
        np.testing.assert_allclose(
            form.weighted(weights).apply(U), expected, rtol=1e-12, atol=1e-15
        )
    rough = d2.weighted(weights, np.float32).apply(U.astype(np.float32))
    assert rough.dtype == np.float32
    np.testing.assert_allclose(rough, expected, rtol=1e-5, atol=1e-6)


def test_multinomial_structured_hessian_equals_the_blocks():
    from skhypergrad._glm.derivatives import weighted_gram
    from skhypergrad._glm.newton import augment

    X, y, weights = multinomial_data()
    loss = MultinomialLogLoss(3)
    X1 = augment(X, True)
    Z = X1 @ np.random.default_rng(2).normal(size=(X1.shape[1], 3))
    d2 = loss.derivatives(y, Z)[2]
    dense = np.asarray(d2)
    q = X1.shape[1]
    expected = np.block(
        [
            [weighted_gram(X1, weights * dense[:, k, m]) for m in range(3)]
            for k in range(3)
        ]
    )
    assert expected.shape == (3 * q, 3 * q)
    np.testing.assert_allclose(
        d2.weighted_gram(X1, weights), expected, rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize(
    "loss", [SquaredLoss(), BinaryLogLoss(), PoissonLoss(), MultinomialLogLoss(3)]
)
def test_loss_value_is_the_first_derivatives_output(loss):
    rng = np.random.default_rng(0)
    if isinstance(loss, MultinomialLogLoss):
        # Large logits: the softmax normaliser must not overflow.
        z, y = 300.0 * rng.normal(size=(20, 3)), rng.integers(0, 3, size=20)
    else:
        z, y = rng.normal(size=20), rng.integers(0, 2, size=20).astype(float)
    value = loss.value(y, z)
    assert np.all(np.isfinite(value))
    np.testing.assert_allclose(value, loss.derivatives(y, z)[0], rtol=1e-15)
    if isinstance(loss, MultinomialLogLoss):
        from scipy.special import logsumexp

        expected = logsumexp(z, axis=1) - z[np.arange(20), y]
        np.testing.assert_allclose(value, expected, rtol=1e-13)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_column_variance_of_features_far_from_zero(sparse, weighted):
    # The unit of the penalties: the mean of the columns' weighted variances,
    # free of cancellation for features offset by 1e8 (their squares, 1e16,
    # leave no digit of a variance about 1 when the mean's square is
    # subtracted from the mean square).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)) * [0.5, 1.0, 2.0, 3.0] + 1e8
    weights = rng.uniform(0.5, 2.0, 200) if weighted else np.ones(200)
    mean = np.average(X - 1e8, axis=0, weights=weights)
    expected = np.average((X - 1e8 - mean) ** 2, axis=0, weights=weights).mean()
    data = sp.csr_matrix(X) if sparse else X
    assert mean_column_variance(data, weights) == pytest.approx(expected, rel=1e-6)


def test_sample_losses_are_the_criterion_per_sample():
    X, y, weights = multinomial_data()
    splits = list(KFold(3, shuffle=True, random_state=0).split(X))
    layout = layout_for("each", X.shape[1], power=-1.0)
    folds = make_smooth_folds(X, y, weights, splits, True, MultinomialLogLoss(3))
    criterion = SmoothKFoldCriterion(folds, layout)
    theta = np.random.default_rng(1).uniform(-1.0, 1.0, size=layout.n_groups)
    losses = criterion.sample_losses(theta)
    val_weight = np.concatenate([fold.val_weight for fold in folds])
    np.testing.assert_allclose(
        val_weight @ losses / val_weight.sum(), criterion(theta)[0], rtol=1e-12
    )


@pytest.mark.parametrize("loss_name", ["logistic", "poisson"])
@pytest.mark.parametrize("parametrisation", ["scalar", "each"])
def test_held_intercept_of_one_output_has_exact_gradients(loss_name, parametrisation):
    # A training set with one class only (logistic) or only zero counts
    # (Poisson): its intercept has no finite optimum and is held by the penalty.
    X, y, weights = make_data(loss_name, n=60)
    if loss_name == "poisson":
        y = np.where(np.arange(len(y)) < 30, 0.0, y + 1.0)
    else:
        y = np.where(np.arange(len(y)) < 30, 0.0, y)
    splits = [(np.arange(30), np.arange(30, 60)), (np.arange(30, 60), np.arange(30))]
    layout = layout_for(parametrisation, X.shape[1], power=-1.0)
    folds = make_smooth_folds(X, y, weights, splits, True, LOSSES[loss_name])
    assert [bool(fold.solver.held[0]) for fold in folds] == [True, False]
    criterion = SmoothKFoldCriterion(folds, layout)
    theta = np.random.default_rng(1).uniform(-1.0, 1.0, size=layout.n_groups)
    value, grad = criterion(theta)
    assert np.isfinite(value)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-8
    )
