"""GradientKernelRidgeCV with KernelRidge's constructor: every string kernel
computes KernelRidge's matrix, its gradient in log(gamma) is exact, the fitted
model without intercept is KernelRidge's at (alpha_, gamma_), sparse X where
scikit-learn's kernel takes it, and the estimator as a KernelRidge user meets
it."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _finite_differences import central_differences
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhypergrad import GradientKernelRidgeCV
from skhypergrad._kernel.criteria import KernelCriterion, KernelData
from skhypergrad._kernel.gradients import contract_kernel_gradient
from skhypergrad._kernel.pairwise import Chi2, Laplacian, Polynomial, Sigmoid
from skhypergrad._kernel.strings import resolve_kernel

# kernel string -> (KernelRidge parameters besides gamma, whether it has gamma)
STRINGS = {
    "rbf": ({}, True),
    "laplacian": ({}, True),
    "polynomial": ({"degree": 2, "coef0": 1.5}, True),
    "poly": ({"degree": 3, "coef0": 0.5}, True),
    "sigmoid": ({"coef0": 0.3}, True),
    "chi2": ({}, True),
    "linear": ({}, False),
    "cosine": ({}, False),
}
SPARSE_STRINGS = ["linear", "cosine", "polynomial", "sigmoid", "laplacian"]
NEW_KERNELS = [
    Laplacian(0.4),
    Chi2(0.7),
    Polynomial(0.3, degree=3, coef0=1.0),
    Polynomial(0.2, degree=2.5, coef0=2.0),
    Sigmoid(0.1, coef0=0.5),
]


def problem(n=40, seed=0, n_features=4):
    """Non-negative features (chi2 needs them) and a smooth target."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 2.0, (n, n_features))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 - X[:, 2] + 0.3 * rng.standard_normal(n)
    return X, y


def fit_quietly(model, X, y, **fit_params):
    """Fit, ignoring an optimum on a bound (these small problems reach the
    linear limit of some kernels)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


def kernel_ridge_at(model, kernel, params):
    """KernelRidge at the fitted hyperparameters, in KernelRidge's terms."""
    gamma = getattr(model, "gamma_", None)
    return KernelRidge(kernel=kernel, alpha=model.alpha_, gamma=gamma, **params)


@pytest.mark.parametrize("kernel", STRINGS)
def test_mapped_kernel_is_pairwise_kernels(kernel):
    params, has_gamma = STRINGS[kernel]
    X, _ = problem()
    X_new, _ = problem(n=7, seed=3)
    gamma = 0.37 if has_gamma else None
    mapped = resolve_kernel(kernel, X, gamma, params.get("degree", 3),
                            params.get("coef0", 1), None, None)  # fmt: skip
    expected = pairwise_kernels(X, metric=kernel, gamma=gamma, filter_params=True,
                                **params)  # fmt: skip
    np.testing.assert_allclose(mapped(X), expected, rtol=1e-12, atol=1e-12)
    cross = pairwise_kernels(X_new, X, metric=kernel, gamma=gamma,
                             filter_params=True, **params)  # fmt: skip
    np.testing.assert_allclose(mapped(X_new, X), cross, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mapped.diag(X), np.diag(expected), rtol=1e-12)


@pytest.mark.parametrize("kernel", STRINGS)
@pytest.mark.parametrize("weighted", [False, True])
def test_without_intercept_it_is_kernel_ridge_at_the_fitted_gamma(kernel, weighted):
    params, has_gamma = STRINGS[kernel]
    X, y = problem()
    Y = np.column_stack([y, y + X[:, 3]]) if weighted else y
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(X)) if weighted else None
    # The sigmoid kernel is not positive semi-definite: on these data, its
    # matrix has eigenvalues down to about -0.3 times its diagonal.
    low = 1.0 if kernel == "sigmoid" else 1e-3
    model = GradientKernelRidgeCV(
        kernel=kernel, alpha_bounds=(low, 1e3), fit_intercept=False, **params
    )
    fit_quietly(model, X, Y, sample_weight=weights)
    assert hasattr(model, "gamma_") == has_gamma
    reference = kernel_ridge_at(model, kernel, params).fit(X, Y, weights)
    X_new, _ = problem(n=15, seed=4)
    expected = reference.predict(X_new)
    np.testing.assert_allclose(
        model.predict(X_new), expected, rtol=0, atol=1e-8 * np.max(np.abs(expected))
    )
    np.testing.assert_allclose(
        model.dual_coef_,
        reference.dual_coef_,
        rtol=0,
        atol=1e-8 * np.max(np.abs(reference.dual_coef_)),
    )


@pytest.mark.parametrize("kernel", NEW_KERNELS, ids=repr)
def test_gradient_of_each_new_kernel_equals_finite_differences(kernel):
    X, _ = problem(n=25)
    M = np.random.default_rng(2).standard_normal((25, 25))
    M += M.T

    def contracted(theta):
        return np.vdot(M, kernel.clone_with_theta(theta)(X)), None

    expected = central_differences(contracted, kernel.theta, step=1e-5)
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(
        contract_kernel_gradient(kernel, X, M), expected, rtol=0, atol=1e-8 * scale
    )
    K, gradient = kernel(X, eval_gradient=True)
    np.testing.assert_array_equal(K, kernel(X))
    np.testing.assert_allclose(
        np.einsum("ij,ijk->k", M, gradient), expected, rtol=0, atol=1e-8 * scale
    )


@pytest.mark.parametrize("kernel", NEW_KERNELS, ids=repr)
@pytest.mark.parametrize("kind", ["loo", "gcv", "kfold"])
def test_criterion_gradient_with_a_new_kernel(kernel, kind):
    X, y = problem(n=30)
    splits = None
    if kind == "kfold":
        splits = [
            (np.arange(10, 30), np.arange(10)),
            (np.arange(20), np.arange(20, 30)),
        ]
    data = KernelData(X, y[:, None], np.ones(30), True)
    crit = KernelCriterion(data, kernel, "splits" if splits else kind, splits)
    theta = np.r_[np.log(0.3), kernel.theta]
    value, grad = crit(theta)
    expected = central_differences(crit, theta, step=1e-5)
    scale = max(np.max(np.abs(expected)), 1e-3 * value)
    np.testing.assert_allclose(grad, expected, rtol=0, atol=2e-6 * scale)


@pytest.mark.parametrize("kernel", SPARSE_STRINGS)
def test_sparse_and_dense_give_the_same_fit(kernel):
    rng = np.random.default_rng(0)
    X = sp.random(60, 12, density=0.3, random_state=0, format="csr") * 3.0
    y = np.sin(X @ rng.standard_normal(12)) + 0.1 * rng.standard_normal(60)
    dense = fit_quietly(GradientKernelRidgeCV(kernel=kernel), X.toarray(), y)
    for container in (sp.csr_matrix, sp.csc_array):
        model = fit_quietly(GradientKernelRidgeCV(kernel=kernel), container(X), y)
        np.testing.assert_allclose(model.alpha_, dense.alpha_, rtol=1e-6)
        np.testing.assert_allclose(
            getattr(model, "gamma_", 1.0), getattr(dense, "gamma_", 1.0), rtol=1e-6
        )
        np.testing.assert_allclose(
            model.predict(X), dense.predict(X.toarray()), rtol=1e-6, atol=1e-8
        )


@pytest.mark.parametrize(
    "kernel, name",
    [("rbf", "'rbf'"), ("chi2", "'chi2'"), (RBF(1.0), "'RBF'"), (None, "'RBF'")],
)
def test_sparse_x_is_refused_naming_the_kernel(kernel, name):
    X, y = problem()
    with pytest.raises(TypeError, match=f"kernel={name} does not accept sparse X"):
        GradientKernelRidgeCV(kernel=kernel).fit(sp.csr_matrix(X), y)
    model = GradientKernelRidgeCV(kernel=kernel, max_iter=2)
    fit_quietly(model, X, y)
    with pytest.raises(TypeError, match=f"kernel={name} does not accept sparse X"):
        model.predict(sp.csr_matrix(X))


def test_redundant_white_and_constant_kernels_give_one_warning():
    X, y = problem()
    kernel = ConstantKernel() * RBF() + WhiteKernel()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_quietly(GradientKernelRidgeCV(kernel), X, y)
    user = [w for w in caught if w.category is UserWarning]
    assert len(user) == 1
    message = str(user[0].message)
    assert "k1__k1__constant_value" in message and "k2__noise_level" in message
    assert user[0].filename == __file__  # the user's line: fit_quietly's


def test_kernel_ridge_documentation_calls_run_unchanged():
    # KernelRidge's docstring example, the estimator's name changed.
    n_samples, n_features = 10, 5
    rng = np.random.RandomState(0)
    y = rng.randn(n_samples)
    X = rng.randn(n_samples, n_features)
    krr = GradientKernelRidgeCV(alpha=1.0)
    fit_quietly(krr, X, y)
    assert krr.alpha_ > 0
    # The user guide's kernel ridge example (plot_kernel_ridge_regression).
    X = 5 * rng.rand(100, 1)
    y = np.sin(X).ravel() + 0.3 * rng.randn(100)
    kr = GradientKernelRidgeCV(kernel="rbf", gamma=0.1)
    fit_quietly(kr, X, y)
    assert kr.score(X, y) > 0.6
    np.testing.assert_allclose(kr.gamma_, 1.0 / (2.0 * kr.kernel_.length_scale**2))
    poly = GradientKernelRidgeCV(alpha=0.1, kernel="polynomial", degree=2, coef0=1)
    assert fit_quietly(poly, X, y).kernel_.degree == 2


def test_gamma_none_is_kernel_ridges_default_start():
    X, y = problem(n_features=5)
    # (Not the sigmoid kernel: at this gamma it is far from positive definite
    # on these data, and small alphas have no Cholesky factor.)
    for kernel in ["rbf", "laplacian", "polynomial"]:
        fixed = GradientKernelRidgeCV(kernel=kernel, gamma_bounds="fixed")
        assert fit_quietly(fixed, X, y).gamma_ == pytest.approx(1.0 / 5, rel=1e-12)
    chi2 = GradientKernelRidgeCV(kernel="chi2", gamma_bounds="fixed")
    assert fit_quietly(chi2, X, y).gamma_ == 1.0


def test_gamma_bounds():
    X, y = problem()
    model = fit_quietly(
        GradientKernelRidgeCV(kernel="laplacian", gamma=0.5, gamma_bounds=(0.1, 0.2)),
        X,
        y,
    )
    assert 0.1 <= model.gamma_ <= 0.2 * (1 + 1e-12)
    fixed = GradientKernelRidgeCV(kernel="rbf", gamma=0.3, gamma_bounds="fixed")
    fit_quietly(fixed, X, y)
    assert fixed.gamma_ == pytest.approx(0.3, rel=1e-12)
    assert list(fixed.history_) == ["alpha", "score", "phase", "time"]
    # coef0 = 0: gamma only scales the polynomial kernel, alpha does that.
    zero = GradientKernelRidgeCV(kernel="poly", gamma=0.2, coef0=0, degree=2)
    assert fit_quietly(zero, X, y).gamma_ == 0.2


@pytest.mark.parametrize(
    "kernel, power", [("rbf", 2), ("laplacian", 1), ("polynomial", 2), ("chi2", 1)]
)
def test_the_fit_does_not_depend_on_the_units_of_x(kernel, power):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 2, (60, 3))
    y = np.sin(3 * X[:, 0]) + np.cos(2 * X[:, 1]) + 0.2 * rng.standard_normal(60)
    small = fit_quietly(GradientKernelRidgeCV(kernel=kernel), X, y)
    large = fit_quietly(GradientKernelRidgeCV(kernel=kernel), 1e3 * X, y)
    np.testing.assert_allclose(large.gamma_ * 1e3**power, small.gamma_, rtol=1e-3)
    np.testing.assert_allclose(large.best_score_, small.best_score_, rtol=1e-6)
    np.testing.assert_allclose(
        large.predict(1e3 * X), small.predict(X), rtol=0, atol=1e-4 * np.std(y)
    )


def test_precomputed_kernel():
    X, y = problem()
    X_new, _ = problem(n=9, seed=6)
    gram = pairwise_kernels(X, metric="laplacian", gamma=0.3)
    model = GradientKernelRidgeCV(kernel="precomputed").fit(gram, y)
    assert model.X_fit_.shape == (40, 40) and model.kernel_.n_dims == 0
    on_features = GradientKernelRidgeCV(
        kernel="laplacian", gamma=0.3, gamma_bounds="fixed"
    ).fit(X, y)
    np.testing.assert_allclose(model.alpha_, on_features.alpha_, rtol=1e-8)
    cross = pairwise_kernels(X_new, X, metric="laplacian", gamma=0.3)
    np.testing.assert_allclose(
        model.predict(cross), on_features.predict(X_new), rtol=1e-8
    )
    assert model.__sklearn_tags__().input_tags.pairwise
    with pytest.raises(ValueError, match="square kernel matrix"):
        GradientKernelRidgeCV(kernel="precomputed").fit(X, y)


def absolute_exponential(x, z, scale=1.0):
    return np.exp(-np.abs(x - z).sum() / scale)


def test_callable_kernel_with_kernel_params_tunes_alpha():
    X, y = problem(n=25)
    params = {"scale": 2.0}
    model = GradientKernelRidgeCV(
        kernel=absolute_exponential, kernel_params=params, fit_intercept=False
    ).fit(X, y)
    reference = KernelRidge(
        alpha=model.alpha_, kernel=absolute_exponential, kernel_params=params
    ).fit(X, y)
    np.testing.assert_allclose(model.predict(X), reference.predict(X), rtol=1e-8)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


@pytest.mark.parametrize("kernel", ["rbf", "laplacian", "poly", "precomputed"])
def test_clone_and_pickle(kernel):
    X, y = problem()
    X = X @ X.T if kernel == "precomputed" else X
    model = fit_quietly(GradientKernelRidgeCV(kernel=kernel, gamma=0.2), X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    fresh = clone(model)
    assert not hasattr(fresh, "alpha_") and fresh.get_params() == model.get_params()
    assert pickle.loads(pickle.dumps(model.kernel_)) == model.kernel_


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"kernel": "additive_chi2"}, ValueError, "additive_chi2"),
        ({"kernel": "gaussian"}, ValueError, "kernel must be one of"),
        ({"kernel": 0.5}, TypeError, "alpha=... by keyword"),
        ({"kernel": "rbf", "gamma": 0.0}, ValueError, "gamma"),
        ({"kernel": "rbf", "gamma": -1.0}, ValueError, "gamma"),
        ({"kernel": "rbf", "gamma": "scale"}, TypeError, "gamma"),
        ({"kernel": "poly", "degree": 0.5}, ValueError, "degree"),
        ({"kernel": "poly", "coef0": np.inf}, ValueError, "coef0"),
        ({"kernel": "poly", "kernel_params": [1]}, TypeError, "kernel_params"),
        ({"kernel": "rbf", "gamma_bounds": (1.0, 0.1)}, ValueError, "gamma_bounds"),
        ({"kernel": "rbf", "gamma_bounds": "free"}, ValueError, "gamma_bounds"),
    ],
)
def test_bad_kernel_parameters_are_named(params, error, match):
    X, y = problem()
    with pytest.raises(error, match=match):
        GradientKernelRidgeCV(**params).fit(X, y)


def test_chi2_needs_non_negative_x():
    X, y = problem()
    with pytest.raises(ValueError, match="negative"):
        GradientKernelRidgeCV(kernel="chi2").fit(X - 1.0, y)


def expected_failed_checks(estimator):
    """Every criterion factors ``K + alpha I`` by Cholesky: a precomputed
    kernel matrix must be positive semi-definite, as these checks' are not."""
    if estimator.kernel != "precomputed":
        return {}
    return {
        "check_positive_only_tag_during_fit": "the check's precomputed kernel, "
        "a Gram matrix minus its mean, is not positive semi-definite",
        # The float32 variant only; the key names all three.
        "check_regressors_train": "a float32 Gram matrix has negative "
        "eigenvalues of the size of its rounding error, below the default lower "
        "bound of alpha: the Cholesky factor needs jitter, whose RuntimeWarning "
        "the tests turn into an error",
    }


@parametrize_with_checks(
    [
        GradientKernelRidgeCV(kernel="rbf", gamma=0.1),
        GradientKernelRidgeCV(kernel="laplacian", cv=3),
        GradientKernelRidgeCV(kernel="polynomial", degree=2, fit_intercept=False),
        GradientKernelRidgeCV(kernel="linear", cv="gcv"),
        GradientKernelRidgeCV(kernel="precomputed"),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible_with_string_kernels(estimator, check):
    check(estimator)


@pytest.mark.parametrize("kernel", ["rbf", "laplacian", "linear"])
@pytest.mark.parametrize("n_targets", [None, 2])
def test_float32_is_kept_as_kernel_ridge_keeps_it(kernel, n_targets):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    y = np.column_stack([np.sin(2 * X[:, 0]), X[:, 1]]) + 0.3 * rng.normal(size=(40, 2))
    y = y[:, 0] if n_targets is None else y
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    X64, y64 = X32.astype(np.float64), y32.astype(np.float64)
    model = GradientKernelRidgeCV(kernel=kernel, fit_intercept=False).fit(X32, y32)
    # The fit runs in float64: the same as on a float64 copy of the values.
    model64 = GradientKernelRidgeCV(kernel=kernel, fit_intercept=False).fit(X64, y64)
    assert model.alpha_ == pytest.approx(model64.alpha_, rel=1e-12)
    assert model.dual_coef_.dtype == model.X_fit_.dtype == np.float32
    assert model.dual_coef_.shape == model64.dual_coef_.shape
    # KernelRidge's dtypes (rbf and linear keep float32; its laplacian, through
    # manhattan_distances, returns float64: ours keeps float32 for every kernel).
    settings = {"kernel": kernel, "alpha": model.alpha_}
    if hasattr(model, "gamma_"):
        settings["gamma"] = model.gamma_
    reference32 = KernelRidge(**settings).fit(X32, y32)
    reference64 = KernelRidge(**settings).fit(X64, y64)
    for X_new in (X32, X64):
        ours = model.predict(X_new)
        assert ours.dtype == np.result_type(X_new.dtype, np.float32)
        if kernel != "laplacian":
            assert ours.dtype == reference32.predict(X_new).dtype
        # float32 dual coefficients: float32's precision on the predictions.
        expected = reference64.predict(X64)
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
