"""GradientKernelRidgeCV: exact hypergradients of every criterion, criteria equal
to explicit refits, the inner model equal to KernelRidge, and the estimator as a
scikit-learn user meets it."""

import pickle
import warnings

import numpy as np
import pytest
from _finite_differences import central_differences
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    DotProduct,
    ExpSineSquared,
    Matern,
    RationalQuadratic,
    WhiteKernel,
)
from sklearn.kernel_ridge import KernelRidge
from sklearn.model_selection import KFold, LeaveOneOut, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skhypergrad import GradientKernelRidgeCV, GradientRidgeCV
from skhypergrad._kernel import criteria as kernel_criteria
from skhypergrad._kernel.criteria import KernelCriterion, KernelData
from skhypergrad._kernel.gradients import training_kernel
from skhypergrad._kernel.search import (
    alpha_path,
    free_blocks,
    length_scale_columns,
    redundant_hyperparameters,
)

FAMILIES = {
    "rbf": RBF(1.3),
    "rbf-ard": RBF([1.0, 2.0, 0.6]),
    "matern-0.5": Matern([1.5, 1.0, 2.0], nu=0.5),
    "matern-1.5": Matern(1.2, nu=1.5),
    "matern-2.5": Matern([1.0, 2.0, 0.7], nu=2.5),
    "rational-quadratic": RationalQuadratic(1.5, 0.7),
    "exp-sine-squared": ExpSineSquared(1.5, 4.0),
    "dot-product": DotProduct(0.5),
    "constant*rbf": ConstantKernel(2.0) * RBF([1.0, 2.0, 0.6]),
    "rbf+white": RBF(2.0) + WhiteKernel(0.3),
}


def problem(n=36, seed=0, n_targets=1, n_features=3):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, n_features))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2 + rng.standard_normal(n)
    Y = np.column_stack([y + k * X[:, 2] for k in range(n_targets)])
    weights = rng.uniform(0.3, 2.0, n)
    weights[2] = 0.0
    return X, Y, weights


def criterion(kernel, kind, fit_intercept, weights=None, n_targets=1):
    X, Y, w = problem(n_targets=n_targets)
    if isinstance(kernel, ExpSineSquared):  # positive definite on one feature
        X = X[:, :1]
    splits = None
    if kind == "kfold":
        splits = list(KFold(4, shuffle=True, random_state=0).split(X))
    elif kind == "held-out":
        splits = [(np.arange(24), np.arange(24, 36))]
    sample_weight = w if weights else np.ones(len(X))
    data = KernelData(X, Y, sample_weight, fit_intercept)
    return KernelCriterion(data, kernel, "splits" if splits else kind, splits)


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("kind", ["loo", "gcv", "kfold", "held-out"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_gradient_equals_finite_differences(name, kind, fit_intercept):
    kernel = FAMILIES[name]
    weighted = fit_intercept == (kind in ("loo", "kfold"))
    crit = criterion(kernel, kind, fit_intercept, weighted, n_targets=2 - weighted)
    theta = np.r_[np.log(0.2), kernel.theta]
    value, grad = crit(theta)
    expected = central_differences(crit, theta, step=1e-5)
    assert np.isfinite(value) and value > 0
    scale = max(np.max(np.abs(expected)), 1e-3 * value)
    np.testing.assert_allclose(grad, expected, rtol=0, atol=2e-6 * scale)


def bordered_fit(K, y, weights, alpha):
    """Weighted kernel ridge with an unpenalised intercept by one dense solve."""
    w = np.sqrt(weights)
    n = len(y)
    system = np.zeros((n + 1, n + 1))
    system[:n, :n] = w[:, None] * K * w[None, :] + alpha * np.eye(n)
    system[:n, n] = system[n, :n] = w
    w = w.reshape((n,) + (1,) * (y.ndim - 1))
    solution = np.linalg.solve(system, np.concatenate([w * y, np.zeros_like(y[:1])]))
    return w * solution[:n], solution[n]


def refit_predict(kernel, alpha, fit_intercept, X, y, weights, train, test):
    """Predictions on ``test`` of weighted kernel ridge refit on ``train``:
    :func:`bordered_fit` with an intercept, ``KernelRidge`` without."""
    if fit_intercept:
        coef, b = bordered_fit(kernel(X[train]), y[train], weights[train], alpha)
        return kernel(X[test], X[train]) @ coef + b
    model = KernelRidge(alpha=alpha, kernel=kernel)
    return model.fit(X[train], y[train], weights[train]).predict(X[test])


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_leave_one_out_equals_explicit_refits(fit_intercept):
    X, Y, weights = problem(n=30)
    y, alpha, kernel = Y[:, 0], 0.3, Matern([1.0, 2.0, 0.8], nu=2.5)
    errors = []
    for train, test in LeaveOneOut().split(X):
        pred = refit_predict(kernel, alpha, fit_intercept, X, y, weights, train, test)
        errors.append(weights[test] * (y[test] - pred) ** 2)
    expected = np.sum(errors) / weights.sum()
    data = KernelData(X, Y[:, :1], weights, fit_intercept)
    value, _ = KernelCriterion(data, kernel, "loo")(np.r_[np.log(alpha), kernel.theta])
    np.testing.assert_allclose(value, expected, rtol=1e-10)


def test_intercept_fit_is_kernel_ridge_with_a_huge_constant_kernel():
    """An unpenalised intercept is the limit of a constant kernel term."""
    X, Y, weights = problem()
    model = GradientKernelRidgeCV(RBF(1.0), alpha_bounds=(0.01, 100.0))
    model.fit(X, Y[:, 0], sample_weight=weights)
    assert 0.01 < model.alpha_ < 100.0
    reference = KernelRidge(
        alpha=model.alpha_, kernel=model.kernel_ + ConstantKernel(1e6)
    ).fit(X, Y[:, 0], sample_weight=weights)
    np.testing.assert_allclose(model.predict(X), reference.predict(X), rtol=1e-5)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_kfold_equals_refits_on_each_split(fit_intercept):
    X, Y, weights = problem()
    alpha, kernel = 0.5, RBF([1.0, 1.5, 3.0])
    splits = list(KFold(3, shuffle=True, random_state=1).split(X))
    total = 0.0
    for train, test in splits:
        pred = refit_predict(kernel, alpha, fit_intercept, X, Y, weights, train, test)
        total += np.sum(weights[test, None] * (Y[test] - pred) ** 2)
    expected = total / (weights.sum() * Y.shape[1])
    crit = KernelCriterion(
        KernelData(X, Y, weights, fit_intercept), kernel, "splits", splits
    )
    value, _ = crit(np.r_[np.log(alpha), kernel.theta])
    np.testing.assert_allclose(value, expected, rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cv", [None, "gcv", 3])
def test_model_without_intercept_equals_kernel_ridge(weighted, cv):
    X, Y, weights = problem(n_targets=2)
    sample_weight = weights if weighted else None
    # Bounds keep the optimum away from the flat limit (alpha -> 0, length
    # scale -> infinity), where KernelRidge's own solve loses digits.
    kernel = Matern(1.0, nu=1.5, length_scale_bounds=(0.1, 10.0))
    model = GradientKernelRidgeCV(
        kernel, alpha_bounds=(1e-3, 1e3), fit_intercept=False, cv=cv
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y, sample_weight=sample_weight)
    reference = KernelRidge(alpha=model.alpha_, kernel=model.kernel_).fit(
        X, Y, sample_weight=sample_weight
    )
    X_new = problem(n=20, seed=5)[0]
    np.testing.assert_allclose(
        model.predict(X_new), reference.predict(X_new), rtol=1e-8
    )
    np.testing.assert_allclose(model.dual_coef_, reference.dual_coef_, rtol=1e-8)
    assert model.kernel_.length_scale != 1.0  # the kernel was tuned


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cv", [None, "gcv", "kfold"])
def test_linear_kernel_gives_gradient_ridge_criteria(fit_intercept, weighted, cv):
    X, Y, weights = problem(n_targets=2)
    sample_weight = weights if weighted else None
    if cv == "kfold":
        cv = list(KFold(4, shuffle=True, random_state=0).split(X))
    alpha = 0.7
    ridge = GradientRidgeCV(
        alpha=alpha, alpha_bounds=(alpha, alpha), cv=cv, fit_intercept=fit_intercept
    ).fit(X, Y, sample_weight=sample_weight)
    kernel = DotProduct(sigma_0=0.0, sigma_0_bounds="fixed")
    kind = "splits" if isinstance(cv, list) else (cv or "loo")
    data = KernelData(
        X, Y, np.ones(len(X)) if sample_weight is None else weights, fit_intercept
    )
    value, _ = KernelCriterion(data, kernel, kind, cv if kind == "splits" else None)(
        np.array([np.log(alpha)])
    )
    np.testing.assert_allclose(value, -ridge.best_score_, rtol=1e-10)


def test_linear_kernel_finds_gradient_ridge_alpha():
    X, Y, _ = problem(n=60)
    kernel = DotProduct(sigma_0=0.0, sigma_0_bounds="fixed")
    ours = GradientKernelRidgeCV(kernel, alpha_bounds=(1e-6, 1e6)).fit(X, Y[:, 0])
    ridge = GradientRidgeCV().fit(X, Y[:, 0])
    # The same criterion, minimised to the optimiser's tolerance (tol=1e-5).
    np.testing.assert_allclose(ours.alpha_, ridge.alpha_, rtol=0.05)
    np.testing.assert_allclose(ours.best_score_, ridge.best_score_, rtol=1e-5)
    reference = GradientRidgeCV(alpha=ours.alpha_, alpha_bounds=(ours.alpha_,) * 2)
    np.testing.assert_allclose(
        ours.predict(X), reference.fit(X, Y[:, 0]).predict(X), rtol=1e-8
    )


@pytest.mark.parametrize("kind", ["loo", "gcv"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_alpha_scan_equals_the_cholesky_criterion(kind, fit_intercept):
    X, Y, weights = problem(n_targets=2)
    kernel = RBF([1.0, 2.0, 0.5])
    crit = KernelCriterion(KernelData(X, Y, weights, fit_intercept), kernel, kind)
    grid = np.log([1e-3, 0.1, 2.0, 50.0])
    values = alpha_path(crit, kernel.theta).scan(grid)
    expected = [crit(np.r_[g, kernel.theta])[0] for g in grid]
    np.testing.assert_allclose(values, expected, rtol=1e-9)


def test_several_targets_average_the_criteria():
    X, Y, weights = problem(n_targets=3)
    kernel = RBF(1.0)
    theta = np.r_[np.log(0.1), kernel.theta]
    joint = KernelCriterion(KernelData(X, Y, weights, True), kernel, "loo")(theta)
    singles = [
        KernelCriterion(KernelData(X, Y[:, [j]], weights, True), kernel, "loo")(theta)
        for j in range(3)
    ]
    np.testing.assert_allclose(joint[0], np.mean([s[0] for s in singles]))
    np.testing.assert_allclose(joint[1], np.mean([s[1] for s in singles], axis=0))


def test_ard_length_scales_find_the_irrelevant_features():
    # From the all-ones start a noise feature can also end in a local optimum
    # at a short length scale (random_state=0 shows one): see the user guide.
    X, y = make_friedman1(n_samples=500, n_features=10, noise=1.0, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GradientKernelRidgeCV(RBF(np.ones(10))).fit(X, y)
    scales = model.kernel_.length_scale
    # x1, x2 (sin(pi x1 x2)) and x3 ((x3 - 1/2)^2) are non-linear; x4, x5 enter
    # linearly, which an RBF fits in its flat (long length scale) limit.
    assert np.min(scales[5:]) > 10 * np.max(scales[:3])
    assert np.median(scales[5:]) > 10 * np.median(scales[:5])


def test_redundant_hyperparameters_are_held_fixed_with_a_warning():
    X, Y, _ = problem()
    kernel = ConstantKernel(2.0) * RBF(1.0) + WhiteKernel(0.1)
    with pytest.warns(UserWarning) as caught:
        model = GradientKernelRidgeCV(kernel).fit(X, Y[:, 0])
    messages = " ".join(str(w.message) for w in caught)
    assert "k2__noise_level" in messages and "k1__k1__constant_value" in messages
    assert model.kernel_.k1.k1.constant_value == 2.0
    assert model.kernel_.k2.noise_level == 0.1
    assert list(model.history_) == [
        "alpha",
        "k1__k2__length_scale",
        "score",
        "phase",
        "time",
    ]
    assert redundant_hyperparameters(RBF() + ConstantKernel(), True) == [
        ("k2__constant_value", "an additive constant is absorbed by the intercept")
    ]
    assert redundant_hyperparameters(RBF() + ConstantKernel(), False) == []
    assert redundant_hyperparameters(RBF() * DotProduct(), True) == []


def test_history_and_attributes():
    X, Y, _ = problem()
    model = GradientKernelRidgeCV(RBF([1.0, 1.0, 1.0])).fit(X, Y[:, 0])
    history = model.history_
    assert set(history) == {"alpha", "length_scale", "score", "phase", "time"}
    assert history["length_scale"].dtype == object
    assert history["length_scale"][-1].shape == (3,)
    assert history["phase"][0] == "scan" and history["phase"][-1] != "scan"
    assert model.best_score_ == pytest.approx(np.max(history["score"]))
    assert model.n_iter_ > 0
    assert model.X_fit_.shape == X.shape and model.dual_coef_.shape == (len(X),)
    assert isinstance(model.intercept_, float)
    best = int(np.argmax(history["score"]))
    assert model.alpha_ == pytest.approx(history["alpha"][best])


def test_free_hyperparameters_are_located_past_the_fixed_ones():
    kernel = RationalQuadratic(1.0, 1.0) + RBF(
        1.0, length_scale_bounds="fixed"
    ) * Matern([1.0, 1.0])
    blocks = [(hyper.name, block) for hyper, block in free_blocks(kernel)]
    assert blocks == [
        ("k1__alpha", slice(1, 2)),
        ("k1__length_scale", slice(2, 3)),
        ("k2__k2__length_scale", slice(3, 5)),
    ]
    np.testing.assert_array_equal(length_scale_columns(kernel), [2, 3, 4])
    X, Y, _ = problem()
    ard = RBF([1.0, 1.0, 1.0], length_scale_bounds=(1e-2, 0.5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = GradientKernelRidgeCV(RBF(2.0, "fixed") * ard).fit(X, Y[:, 0])
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert any(
        "k2__length_scale sits on its upper bound 0.5 for" in m for m in messages
    )
    assert list(model.history_) == [
        "alpha",
        "k2__length_scale",
        "score",
        "phase",
        "time",
    ]
    best = int(np.argmax(model.history_["score"]))
    np.testing.assert_allclose(
        model.history_["k2__length_scale"][best], model.kernel_.k2.length_scale
    )
    assert model.kernel_.k1.length_scale == 2.0


def test_optimum_on_a_bound_warns():
    X, Y, _ = problem()
    with pytest.warns(ConvergenceWarning, match="alpha sits on its upper bound"):
        GradientKernelRidgeCV(alpha_bounds=(1e-8, 1e-6)).fit(X, Y[:, 0])
    kernel = RBF(1.0, length_scale_bounds=(1e-2, 0.5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GradientKernelRidgeCV(kernel).fit(X, Y[:, 0])
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert any("length_scale sits on its upper bound 0.5" in m for m in messages)


def test_restarts_add_runs_and_max_iter_warns():
    X, Y, _ = problem()
    kernel = RBF([1.0, 1.0, 1.0], length_scale_bounds=(0.1, 10.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # bounds reached
        single = GradientKernelRidgeCV(kernel, alpha_bounds=(1e-3, 1e3))
        single.fit(X, Y[:, 0])
        restarted = clone(single).set_params(n_restarts=2, random_state=0)
        restarted.fit(X, Y[:, 0])
    n_single = len(single.history_["score"])
    assert len(restarted.history_["score"]) > n_single
    np.testing.assert_allclose(
        restarted.history_["score"][:n_single], single.history_["score"], rtol=1e-12
    )
    assert restarted.n_iter_ > single.n_iter_
    assert restarted.best_score_ >= single.best_score_
    assert restarted.best_score_ == pytest.approx(np.max(restarted.history_["score"]))
    with pytest.warns(ConvergenceWarning, match="Increase max_iter"):
        model = GradientKernelRidgeCV(RBF([1.0, 1.0, 1.0]), max_iter=1)
        model.fit(X, Y[:, 0])
    assert model.n_iter_ == 1


def test_verbose_and_custom_optimizer(capsys):
    X, Y, _ = problem()
    GradientKernelRidgeCV(verbose=1).fit(X, Y[:, 0])
    assert "[GradientKernelRidgeCV]" in capsys.readouterr().out
    calls = []

    def optimizer(obj_func, initial_theta, bounds):
        value, grad = obj_func(initial_theta, eval_gradient=True)
        calls.append((initial_theta.shape, bounds.shape, grad.shape))
        return initial_theta, value

    model = GradientKernelRidgeCV(RBF(1.0), optimizer=optimizer).fit(X, Y[:, 0])
    assert calls == [((2,), (2, 2), (2,))]
    last = {key: column[-1] for key, column in model.history_.items()}
    assert model.kernel_.length_scale == pytest.approx(last["length_scale"])
    assert model.alpha_ == pytest.approx(last["alpha"]) and last["phase"] != "scan"


def test_pipeline_clone_pickle_and_input_untouched():
    X, Y, weights = problem()
    X_before, weights_before = X.copy(), weights.copy()
    pipe = make_pipeline(StandardScaler(), GradientKernelRidgeCV(cv=3))
    scores = cross_val_score(pipe, X, Y[:, 0], cv=3)
    assert np.all(np.isfinite(scores))
    model = GradientKernelRidgeCV(RBF(1.0)).fit(X, Y[:, 0], sample_weight=weights)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(weights, weights_before)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    fresh = clone(model)
    assert not hasattr(fresh, "alpha_") and fresh.get_params() == model.get_params()


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"alpha_bounds": (1.0, 0.1)}, ValueError, "alpha_bounds"),
        ({"alpha_bounds": (0.0, 1.0)}, ValueError, "alpha_bounds"),
        ({"cv": "loo"}, ValueError, "cv"),
        ({"cv": 1}, ValueError, "cv"),
        ({"kernel": "rbff"}, ValueError, "kernel"),
        ({"kernel": 1.0}, TypeError, "kernel"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"fit_intercept": 1}, TypeError, "fit_intercept"),
    ],
)
def test_bad_parameters_are_named(params, error, match):
    X, Y, _ = problem()
    with pytest.raises(error, match=match):
        GradientKernelRidgeCV(**params).fit(X, Y[:, 0])


def test_bad_data_is_rejected():
    X, Y, weights = problem()
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GradientKernelRidgeCV().fit(X_nan, Y[:, 0])
    with pytest.raises(ValueError, match="sample_weight"):
        GradientKernelRidgeCV().fit(X, Y[:, 0], sample_weight=-weights)
    with pytest.raises(ValueError, match="at least 2"):
        GradientKernelRidgeCV().fit(X, Y[:, 0], sample_weight=np.eye(len(X))[0])
    with pytest.raises(np.linalg.LinAlgError, match="positive semi-definite"):
        GradientKernelRidgeCV(ExpSineSquared(), alpha_bounds=(1e-8, 1e-8)).fit(
            X, Y[:, 0]
        )


def test_pandas_input_keeps_feature_names():
    import pandas as pd  # a test dependency (pyproject.toml)

    X, Y, _ = problem()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = GradientKernelRidgeCV().fit(frame, Y[:, 0])
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    assert model.n_features_in_ == 3
    np.testing.assert_allclose(model.predict(frame), model.predict(X))


def test_nothing_to_tune_fits_at_the_given_hyperparameters():
    X, Y, _ = problem()
    kernel = RBF(0.7, length_scale_bounds="fixed")
    model = GradientKernelRidgeCV(kernel, alpha=0.1, alpha_bounds=(0.1, 0.1))
    model.fit(X, Y[:, 0])
    assert model.alpha_ == pytest.approx(0.1) and model.n_iter_ == 0
    assert model.kernel_.length_scale == 0.7
    data = KernelData(X, Y[:, :1], np.ones(len(X)), True)
    value, _ = KernelCriterion(data, kernel, "loo")(np.log([0.1]))
    assert model.best_score_ == pytest.approx(-value, rel=1e-12)


@pytest.mark.parametrize("cv", [None, "gcv", 3])
def test_each_point_is_factored_once(cv, monkeypatch):
    """One kernel matrix per point searched: the refit at the optimum reuses
    the last leave-one-out or GCV solution; only k-fold refits on all the data."""
    calls = []

    def counting_training_kernel(kernel, X):
        calls.append(len(X))
        return training_kernel(kernel, X)

    monkeypatch.setattr(kernel_criteria, "training_kernel", counting_training_kernel)
    X, Y, weights = problem()
    model = GradientKernelRidgeCV(RBF(1.0), alpha_bounds=(0.01, 100.0), cv=cv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # alpha on a bound
        model.fit(X, Y[:, 0], weights)
    history = model.history_
    points = np.unique(
        np.column_stack([history["alpha"], history["length_scale"]])[
            history["phase"] != "scan"
        ],
        axis=0,
    )
    assert len(points) > 1
    assert len(calls) == len(points) + (cv == 3)
    data = KernelData(X, Y[:, :1], weights, True)
    fresh = KernelCriterion(data, model.kernel_, "loo")
    dual_coef, intercept = fresh.fit_at(
        np.r_[np.log(model.alpha_), model.kernel_.theta]
    )
    np.testing.assert_allclose(model.dual_coef_, dual_coef[:, 0], rtol=1e-12)
    np.testing.assert_allclose(model.intercept_, intercept[0], rtol=1e-12)


def test_alpha_scan_covers_the_bounds_without_repeating_the_start():
    X, Y, _ = problem()
    alpha = 0.01 * (1.0 + 1e-12)  # a hair off the scan point 0.01
    model = GradientKernelRidgeCV(RBF(1.0), alpha=alpha, alpha_bounds=(1e-4, 1e4))
    model.fit(X, Y[:, 0])
    scanned = np.log(model.history_["alpha"][model.history_["phase"] == "scan"])
    assert scanned.size == 4 * 8 + 1
    assert np.min(np.diff(scanned)) > 0.5
    np.testing.assert_allclose(scanned[[0, -1]], np.log([1e-4, 1e4]))
