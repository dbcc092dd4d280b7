"""Nystroem kernel ridge (GradientKernelRidgeCV(n_components=m)): its criteria
against explicit refits of the equivalent ridge model, their gradients against
finite differences, and m = n against the exact estimator."""

import pickle
import tracemalloc

import numpy as np
import pytest
from _finite_differences import central_differences
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    DotProduct,
    Matern,
    RationalQuadratic,
    WhiteKernel,
)
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, LeaveOneOut
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhypergrad import GradientKernelRidgeCV
from skhypergrad._kernel.criteria import KernelCriterion, KernelData
from skhypergrad._kernel.gradients import contract_kernel_gradient, cross_kernel
from skhypergrad._kernel.nystroem_criteria import NystroemCriterion
from skhypergrad._kernel.strings import resolve_kernel

N, M = 48, 15

# Every kernel family with a contraction of its gradient, and one without.
FAMILIES = {
    "rbf": RBF(1.3),
    "rbf-ard": RBF([1.0, 2.0, 0.7]),
    "matern-0.5": Matern([1.0, 2.0, 0.7], nu=0.5),
    "matern-1.5": Matern(1.1, nu=1.5),
    "matern-2.5": Matern([1.0, 2.0, 0.7], nu=2.5),
    "rational-quadratic": RationalQuadratic(1.5, 0.7),
    "product-sum": ConstantKernel(2.0) * RBF([1.0, 2.0, 0.7]) + WhiteKernel(0.1),
    "product": RBF(1.0) * Matern(2.0, nu=2.5) + DotProduct(0.5),
    "power": RBF(1.5) ** 2,
    "generic": Matern(1.0, nu=0.7),  # central differences of k(X, Z)
    "laplacian": "laplacian",
    "chi2": "chi2",
    "polynomial": "polynomial",
    "sigmoid": "sigmoid",
}


def problem(n=N, n_targets=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 2.0, (n, 3))
    y = np.sin(2 * X[:, :1]) + X[:, 1:2] ** 2 + 0.3 * rng.standard_normal((n, 1))
    Y = np.hstack([y, y[:, ::-1] * 0.5 - X[:, 2:] + 1.0][:n_targets])
    weights = rng.uniform(0.5, 2.0, n)
    return X, Y, weights


def centres(n=N, m=M):
    return np.sort(np.random.default_rng(1).choice(n, m, replace=False))


def splits_of(kind, n=N):
    if kind == "kfold":
        return list(KFold(3, shuffle=True, random_state=0).split(np.zeros(n)))
    if kind == "held-out":
        return [(np.arange(n - 16), np.arange(n - 16, n))]
    return None


def nystroem_criterion(kernel, kind, fit_intercept, weighted, n_targets=1, n=N):
    X, Y, w = problem(n, n_targets)
    if isinstance(kernel, str):
        kernel = resolve_kernel(kernel, X, 0.3, 3, 1.0, None, None)
    splits = splits_of(kind, n)
    data = KernelData(X, Y, w if weighted else np.ones(n), fit_intercept)
    kind = "splits" if splits else kind
    return NystroemCriterion(data, kernel, kind, splits, centres(n))


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("kind", ["loo", "gcv", "kfold"])
def test_gradient_equals_finite_differences(name, kind):
    fit_intercept = name != "rbf"
    weighted = kind != "gcv"
    crit = nystroem_criterion(FAMILIES[name], kind, fit_intercept, weighted)
    theta = np.r_[np.log(0.2), crit.kernel.theta]
    value, grad = crit(theta)
    expected = central_differences(crit, theta, step=1e-5)
    assert np.isfinite(value) and value > 0
    scale = max(np.max(np.abs(expected)), 1e-3 * value)
    tol = 1e-5 if name == "generic" else 2e-6
    np.testing.assert_allclose(grad, expected, rtol=0, atol=tol * scale)


@pytest.mark.parametrize("kind", ["loo", "gcv", "kfold", "held-out"])
def test_gradient_with_two_targets_and_no_intercept(kind):
    crit = nystroem_criterion(RBF([1.0, 2.0, 0.7]), kind, False, True, n_targets=2)
    theta = np.r_[np.log(0.05), crit.kernel.theta]
    expected = central_differences(crit, theta, step=1e-5)
    np.testing.assert_allclose(
        crit(theta)[1], expected, rtol=0, atol=2e-6 * np.max(np.abs(expected))
    )


@pytest.mark.parametrize("name", ["rbf-ard", "matern-0.5", "product", "laplacian"])
def test_rectangular_contraction_equals_finite_differences(name):
    rng = np.random.default_rng(3)
    X = rng.uniform(0.0, 2.0, (40, 3))
    Z = rng.uniform(0.0, 2.0, (9, 3))
    kernel = FAMILIES[name]
    if isinstance(kernel, str):
        kernel = resolve_kernel(kernel, X, 0.3, 3, 1.0, None, None)
    W = rng.standard_normal((40, 9))

    def contracted(theta):
        return np.vdot(W, cross_kernel(kernel.clone_with_theta(theta), X, Z)), None

    expected = central_differences(contracted, kernel.theta, step=1e-5)
    result = contract_kernel_gradient(kernel, X, W, Z)
    np.testing.assert_allclose(
        result, expected, rtol=0, atol=1e-8 * np.max(np.abs(expected))
    )


def ridge_features(kernel, X, Z):
    """The Nystroem model as plain ridge: features ``k(x, Z) L^{-T}`` with
    ``k(Z, Z) = L L^T``, so that ``Ridge(alpha)`` on them has the penalty
    ``alpha beta^T k(Z, Z) beta`` on ``beta = L^{-T} w``."""
    L = np.linalg.cholesky(kernel(Z, Z))
    return lambda rows: np.linalg.solve(L, kernel(X[rows], Z).T).T


def refit_errors(kernel, alpha, fit_intercept, X, y, weights, Z, splits):
    """Weighted squared errors on each test set of ``Ridge`` refit on its
    training set."""
    features = ridge_features(kernel, X, Z)
    errors = []
    for train, test in splits:
        model = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky")
        model.fit(features(train), y[train], sample_weight=weights[train])
        residual = y[test] - model.predict(features(test))
        errors.append(weights[test] @ residual**2)
    return np.array(errors)


@pytest.mark.parametrize("kind", ["loo", "kfold", "held-out"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_criterion_equals_explicit_ridge_refits(kind, fit_intercept):
    X, Y, weights = problem()
    y = Y[:, 0]
    kernel, alpha = Matern([1.0, 2.0, 0.7], nu=2.5), 0.07
    splits = splits_of(kind) or list(LeaveOneOut().split(X))
    errors = refit_errors(
        kernel, alpha, fit_intercept, X, y, weights, X[centres()], splits
    )
    expected = errors.sum() / sum(weights[test].sum() for _, test in splits)
    crit = nystroem_criterion(kernel, kind, fit_intercept, True)
    value, _ = crit(np.r_[np.log(alpha), kernel.theta])
    assert value == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_gcv_equals_the_hat_matrix_of_explicit_ridge_fits(fit_intercept):
    X, Y, weights = problem()
    kernel, alpha = RBF([1.0, 2.0, 0.7]), 0.03
    features = ridge_features(kernel, X, X[centres()])(np.arange(N))

    def fitted(target):
        model = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky")
        return model.fit(features, target, sample_weight=weights).predict(features)

    # The hat matrix of the weighted fit, column by column (it is linear in y).
    w = np.sqrt(weights)
    H = np.column_stack([w * fitted(np.eye(N)[j] / w[j]) for j in range(N)])
    residual = w * (Y[:, 0] - fitted(Y[:, 0]))
    trace = np.trace(np.eye(N) - H)
    expected = N**2 * (residual @ residual) / (weights.sum() * trace**2)
    crit = nystroem_criterion(kernel, "gcv", fit_intercept, True)
    value, _ = crit(np.r_[np.log(alpha), kernel.theta])
    assert value == pytest.approx(expected, rel=1e-9)


def assert_every_row_as_centre_is_exact(n, kernel, kind, fit_intercept):
    """The Nystroem criterion with all ``n`` rows as centres equals the exact
    kernel ridge criterion, value and gradient, to 1e-8."""
    X, y = make_friedman1(n_samples=n, noise=1.0, random_state=0)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, n)
    data = KernelData(X, y[:, None], weights, fit_intercept)
    splits = splits_of(kind, n)
    kind = "splits" if splits else kind
    exact = KernelCriterion(data, kernel, kind, splits)
    nystroem = NystroemCriterion(data, kernel, kind, splits, np.arange(n))
    theta = np.r_[np.log(0.1), kernel.theta]
    value, grad = nystroem(theta)
    expected_value, expected_grad = exact(theta)
    assert value == pytest.approx(expected_value, rel=1e-8)
    np.testing.assert_allclose(
        grad, expected_grad, rtol=0, atol=1e-8 * np.max(np.abs(expected_grad))
    )


@pytest.mark.parametrize("kind", ["loo", "gcv", "kfold"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_all_rows_as_centres_is_the_exact_estimator(kind, fit_intercept):
    kernel = RBF(np.linspace(0.8, 3.0, 10))
    assert_every_row_as_centre_is_exact(1000, kernel, kind, fit_intercept)


def test_4000_rows_as_centres_give_the_exact_leave_one_out():
    # At the size where the n x n kernel matrix is still affordable, every
    # row a centre: the same criterion to 1e-8 (about 20 s).
    assert_every_row_as_centre_is_exact(4000, RBF(2.0), "loo", True)


@pytest.mark.parametrize("cv", [None, 3])
def test_fitted_model_is_ridge_on_the_features_at_the_optimum(cv):
    X, y = make_friedman1(n_samples=120, noise=1.0, random_state=0)
    weights = problem(120)[2]
    model = GradientKernelRidgeCV(RBF(1.0), n_components=30, random_state=0, cv=cv)
    model.fit(X, y, sample_weight=weights)
    assert model.dual_coef_.shape == (30,) and model.component_indices_.shape == (30,)
    assert np.all(np.diff(model.component_indices_) > 0)
    np.testing.assert_array_equal(model.components_, X[model.component_indices_])
    features = ridge_features(model.kernel_, X, model.components_)(np.arange(120))
    ridge = Ridge(alpha=model.alpha_, solver="cholesky")
    ridge.fit(features, y, sample_weight=weights)
    np.testing.assert_allclose(model.predict(X), ridge.predict(features), rtol=1e-7)
    expected = model.kernel_(X, model.components_) @ model.dual_coef_
    np.testing.assert_allclose(model.predict(X), expected + model.intercept_)
    same = GradientKernelRidgeCV(RBF(1.0), n_components=30, random_state=0)
    same.fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(same.component_indices_, model.component_indices_)
    other = GradientKernelRidgeCV(RBF(1.0), n_components=30, random_state=1).fit(X, y)
    assert not np.array_equal(other.component_indices_, model.component_indices_)


def test_two_targets_and_float32():
    X, Y, _ = problem(90, n_targets=2)
    model = GradientKernelRidgeCV(n_components=20, cv=3, random_state=0)
    model.fit(X.astype(np.float32), Y.astype(np.float32))
    assert model.dual_coef_.shape == (20, 2) and model.dual_coef_.dtype == np.float32
    assert model.predict(X.astype(np.float32)).shape == (90, 2)


@pytest.mark.parametrize(
    "n_components, error",
    [
        (0, ValueError),
        (-3, ValueError),
        (N + 1, ValueError),
        (2.5, TypeError),
        ("10", TypeError),
        (True, TypeError),
    ],
)
def test_bad_n_components_is_named(n_components, error):
    X, Y, _ = problem()
    with pytest.raises(error, match="n_components"):
        GradientKernelRidgeCV(n_components=n_components).fit(X, Y[:, 0])


def test_precomputed_kernel_reads_the_columns_of_the_centres():
    X, Y, _ = problem()
    X_test = problem(seed=1)[0]
    params = {"n_components": 12, "random_state": 0, "alpha_bounds": (1e-3, 1e2)}
    kernel = RBF(0.8, length_scale_bounds="fixed")
    model = GradientKernelRidgeCV(kernel, **params).fit(X, Y[:, 0])
    precomputed = GradientKernelRidgeCV("precomputed", **params)
    precomputed.fit(kernel(X), Y[:, 0])
    assert precomputed.alpha_ == pytest.approx(model.alpha_, rel=1e-6)
    np.testing.assert_allclose(
        precomputed.predict(kernel(X_test, X)), model.predict(X_test), rtol=1e-6
    )


def test_clone_and_pickle():
    X, Y, _ = problem()
    model = GradientKernelRidgeCV(n_components=10, random_state=0).fit(X, Y[:, 0])
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    fresh = clone(model)
    assert fresh.get_params()["n_components"] == 10 and not hasattr(fresh, "alpha_")


@pytest.mark.parametrize("kind", ["loo", "kfold"])
def test_one_evaluation_stays_within_a_few_n_by_m_matrices(kind):
    n, m, d = 4000, 50, 10
    X, y = make_friedman1(n_samples=n, noise=1.0, random_state=0)
    kernel = RBF(np.full(d, 2.0))
    crit = NystroemCriterion(
        KernelData(X, y[:, None], np.ones(n), True),
        kernel,
        "splits" if kind == "kfold" else kind,
        splits_of(kind, n),
        np.arange(0, n, n // m),
    )
    tracemalloc.start()
    try:
        value, grad = crit(np.r_[np.log(0.1), kernel.theta])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.isfinite(value) and grad.shape == (d + 1,)
    # An n x n matrix alone would be 80 times this bound.
    assert peak < 8 * n * m * 8, f"peak {peak / (n * m * 8):.2f} n x m doubles"


PROFILE_SPLITS = {
    "kfold": splits_of("kfold"),
    "held-out": splits_of("held-out"),
    # Training sets that are not the complements of the test sets.
    "forward": [
        (np.arange(0, 20), np.arange(20, 34)),
        (np.arange(0, 34), np.arange(34, N)),
    ],
}


@pytest.mark.parametrize("kind", [*PROFILE_SPLITS, "loo", "gcv"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("n_targets", [1, 2])
def test_profiled_alpha_is_the_criterion_minimum(kind, fit_intercept, n_targets):
    X, Y, weights = problem(n_targets=n_targets)
    kernel = RBF([1.0, 2.0, 0.7])
    data = KernelData(X, Y, weights, fit_intercept)
    splits = PROFILE_SPLITS.get(kind)
    crit = NystroemCriterion(
        data, kernel, kind if splits is None else "splits", splits, centres()
    )
    bounds = np.log([1e-6, 1e3])
    value, grad, log_alpha = crit.profiled_value_and_grad(kernel.theta, bounds)
    # The same value and gradient as the criterion at that alpha.
    at_alpha = crit(np.r_[log_alpha, kernel.theta])
    assert value == pytest.approx(at_alpha[0], rel=1e-12)
    np.testing.assert_allclose(grad, at_alpha[1], rtol=1e-10)
    # A minimum inside the bounds: no slope in alpha, and no lower value on a
    # fine grid of the criterion itself.
    assert bounds[0] + 1.0 < log_alpha < bounds[1] - 1.0
    assert abs(grad[0]) < 1e-6 * value
    grid = [crit(np.r_[x, kernel.theta])[0] for x in np.linspace(*bounds, 200)]
    assert value <= min(grid) * (1.0 + 1e-12)


@pytest.mark.parametrize("kind", ["kfold", "loo"])
def test_profiled_gradient_is_the_profile_derivative(kind):
    # Envelope theorem: the kernel part of the gradient at the best alpha is
    # the derivative of the criterion minimised over alpha.
    crit = nystroem_criterion(Matern([1.0, 2.0, 0.7], nu=2.5), kind, True, True)
    bounds = np.log([1e-6, 1e3])

    def profile(kernel_theta):
        value, grad, _ = crit.profiled_value_and_grad(kernel_theta, bounds)
        return value, grad[1:]

    theta = crit.kernel.theta
    expected = central_differences(profile, theta, step=1e-5)
    np.testing.assert_allclose(
        profile(theta)[1], expected, rtol=0, atol=1e-6 * np.max(np.abs(expected))
    )


def test_profiled_alpha_on_its_bound():
    crit = nystroem_criterion(RBF([1.0, 2.0, 0.7]), "kfold", True, True)
    bounds = np.log([1e-1, 1e3])  # the best alpha is below 0.1
    value, grad, log_alpha = crit.profiled_value_and_grad(crit.kernel.theta, bounds)
    assert log_alpha == bounds[0] and grad[0] > 0
    assert value == pytest.approx(crit(np.r_[bounds[0], crit.kernel.theta])[0])


def test_k_fold_with_a_fixed_kernel_takes_the_best_alpha_of_explicit_refits():
    X, Y, weights = problem()
    y = Y[:, 0]
    kernel = RBF([1.0, 2.0, 0.7], length_scale_bounds="fixed")
    cv = KFold(3, shuffle=True, random_state=0)
    model = GradientKernelRidgeCV(
        kernel, n_components=M, random_state=0, cv=cv, alpha_bounds=(1e-6, 1e3)
    ).fit(X, y, sample_weight=weights)
    assert model.n_iter_ == 0 and len(model.history_["alpha"]) == 1
    splits = list(cv.split(X))

    def refit_criterion(alpha):
        Z = model.components_
        errors = refit_errors(kernel, alpha, True, X, y, weights, Z, splits)
        return errors.sum()

    best = refit_criterion(model.alpha_)
    for factor in (0.97, 1.03):
        assert best <= refit_criterion(model.alpha_ * factor)
    assert best <= min(map(refit_criterion, np.logspace(-6, 3, 50))) * (1 + 1e-12)


def test_k_fold_search_records_the_alpha_of_every_kernel():
    X, y = make_friedman1(n_samples=300, noise=1.0, random_state=0)
    model = GradientKernelRidgeCV(RBF(1.0), n_components=40, random_state=0, cv=3)
    model.fit(X, y)
    history = model.history_
    assert len(history["alpha"]) >= 2
    # Each alpha is the best at its length scale, so no two differ in kernel
    # alone: every evaluation is at a different length scale.
    assert len(np.unique(history["length_scale"])) == len(history["alpha"])
    best = np.argmax(history["score"])
    assert model.alpha_ == pytest.approx(history["alpha"][best])


def test_a_user_optimizer_still_sees_alpha_and_the_kernel():
    X, y = make_friedman1(n_samples=200, noise=1.0, random_state=0)
    seen = []

    def optimizer(obj_func, initial_theta, bounds):
        seen.append((initial_theta.size, bounds.shape))
        obj_func(initial_theta)
        return initial_theta, None

    model = GradientKernelRidgeCV(
        RBF(1.0), n_components=20, random_state=0, cv=3, optimizer=optimizer
    ).fit(X, y)
    assert seen == [(2, (2, 2))]
    assert len(model.history_["alpha"]) == 1


# Centres drawn from the rows: repeating a row changes the draw.
CENTRES_FROM_ROWS = (
    "the centres are drawn from the training rows: repeating rows changes the draw"
)


def expected_failures(estimator):
    return {
        f"check_sample_weight_equivalence_on_{kind}_data": CENTRES_FROM_ROWS
        for kind in ("dense", "sparse")
    }


@parametrize_with_checks(
    [
        GradientKernelRidgeCV(n_components=10, random_state=0),
        GradientKernelRidgeCV(Matern(nu=1.5), n_components=10, cv=3, max_iter=20),
        GradientKernelRidgeCV("polynomial", n_components=10, cv="gcv"),
    ],
    expected_failed_checks=expected_failures,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
