"""GradientRidgeCV as a drop-in for RidgeCV: its constructor, scorers,
cv_results_, routing of groups, shapes and dtypes, exact solutions at tiny
alpha; each against scikit-learn's own estimators."""

import inspect

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_diabetes, make_regression
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import GroupKFold, KFold, LeaveOneOut

from skhypergrad import GradientRidgeCV


def regression(n=60, p=5, n_targets=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 2.0
    coef = rng.normal(size=(p,) if n_targets is None else (p, n_targets))
    noise = rng.normal(size=(n,) if n_targets is None else (n, n_targets))
    return X, X @ coef + noise


def test_every_ridgecv_parameter_is_accepted():
    ours = inspect.signature(GradientRidgeCV).parameters
    for name, parameter in inspect.signature(RidgeCV).parameters.items():
        assert name in ours
        assert ours[name].kind == parameter.kind  # alphas positional, rest keyword
    assert GradientRidgeCV(np.logspace(-3, 3, 13)).alphas.shape == (13,)


def test_ridgecv_call_from_its_documentation_runs_unchanged():
    # The example of RidgeCV's docstring, with our class name.
    X, y = load_diabetes(return_X_y=True)
    clf = GradientRidgeCV(alphas=[1e-3, 1e-2, 1e-1, 1]).fit(X, y)
    reference = RidgeCV(alphas=[1e-3, 1e-2, 1e-1, 1]).fit(X, y)
    assert 1e-3 <= clf.alpha_ <= 1
    # A continuous optimum within the grid's range is at least as good.
    assert clf.best_score_ >= reference.best_score_ - 1e-9
    assert clf.score(X, y) == pytest.approx(reference.score(X, y), abs=1e-2)


def test_alphas_are_the_scan_and_their_range_the_bounds():
    X, y = regression()
    alphas = np.logspace(-3, 3, 13)
    # tol: alpha is found to sqrt(tol / curvature); tight, to compare two fits.
    model = GradientRidgeCV(alphas=alphas, tol=1e-12).fit(X, y)
    scanned = model.history_["alpha"][model.history_["phase"] == "scan"]
    assert np.all(np.isin(np.round(np.log(alphas), 9), np.round(np.log(scanned), 9)))
    assert alphas[0] <= model.alpha_ <= alphas[-1]
    grid = RidgeCV(alphas=alphas).fit(X, y)
    assert model.best_score_ >= grid.best_score_
    # alpha_bounds, when given, bound the search instead of the range.
    wider = GradientRidgeCV(alphas=[1.0, 2.0], alpha_bounds=(1e-6, 1e6), tol=1e-12)
    assert wider.fit(X, y).alpha_ == pytest.approx(model.alpha_, rel=1e-4)


def test_one_alpha_is_that_alpha():
    X, y = regression()
    model = GradientRidgeCV(alphas=[0.37]).fit(X, y)
    assert model.alpha_ == pytest.approx(0.37, rel=1e-12)
    reference = Ridge(alpha=0.37).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-10)


@pytest.mark.parametrize("alphas", [[0.0, 1.0], [-1.0], [np.nan], "a", [[1.0, 2.0]]])
def test_bad_alphas(alphas):
    with pytest.raises(ValueError, match="alphas"):
        GradientRidgeCV(alphas=alphas).fit(*regression())


SCORINGS = [None, "neg_mean_squared_error", "neg_root_mean_squared_error", "r2"]


# A mean of roots over targets sharing alpha is refused (tested below).
@pytest.mark.parametrize(
    "scoring, n_targets",
    [
        (scoring, n_targets)
        for scoring in SCORINGS
        for n_targets in (None, 1, 3)
        if not (scoring == "neg_root_mean_squared_error" and n_targets == 3)
    ],
)
def test_leave_one_out_scores_equal_ridgecv(scoring, n_targets):
    X, y = regression(n_targets=n_targets)
    model = GradientRidgeCV(scoring=scoring).fit(X, y)
    at_optimum = RidgeCV(alphas=[model.alpha_], scoring=scoring).fit(X, y)
    assert model.best_score_ == pytest.approx(at_optimum.best_score_, rel=1e-10)
    assert np.ndim(model.best_score_) == np.ndim(at_optimum.best_score_)
    grid = RidgeCV(alphas=np.logspace(-4, 4, 81), scoring=scoring).fit(X, y)
    # The search stops when it predicts less than tol (1e-6) relative gain.
    assert np.all(model.best_score_ >= grid.best_score_ - 1e-6 * abs(grid.best_score_))
    # The history's scores are in the scorer's terms too.
    assert np.max(model.history_["score"]) == pytest.approx(model.best_score_)


@pytest.mark.parametrize("scoring", ["neg_mean_squared_error", "r2"])
def test_kfold_scorers_average_splits_as_gridsearchcv(scoring):
    # RidgeCV with cv averages the splits' scores (GridSearchCV); folds of
    # unequal sizes make the mean differ from the pooled error.
    X, y = regression(n=53, n_targets=2)
    cv = KFold(4, shuffle=True, random_state=0)
    model = GradientRidgeCV(scoring=scoring, cv=cv).fit(X, y)
    at_optimum = RidgeCV(alphas=[model.alpha_], scoring=scoring, cv=cv).fit(X, y)
    assert model.best_score_ == pytest.approx(at_optimum.best_score_, rel=1e-9)
    grid = RidgeCV(alphas=np.logspace(-4, 4, 81), scoring=scoring, cv=cv).fit(X, y)
    assert model.best_score_ >= grid.best_score_ - 1e-6 * abs(grid.best_score_)


def test_per_target_r2_scores_each_target():
    X, y = regression(n_targets=3)
    y[:, 1] *= 100.0
    model = GradientRidgeCV(scoring="r2", alpha_per_target=True).fit(X, y)
    assert model.best_score_.shape == (3,)
    for t in range(3):
        reference = RidgeCV(alphas=[model.alpha_[t]], scoring="r2").fit(X, y[:, t])
        assert model.best_score_[t] == pytest.approx(reference.best_score_, rel=1e-10)


@pytest.mark.parametrize(
    "scoring", ["accuracy", "neg_mean_absolute_error", "explained_variance", len]
)
def test_non_differentiable_scorers_are_refused(scoring):
    with pytest.raises(ValueError, match="differentiable"):
        GradientRidgeCV(scoring=scoring).fit(*regression())


@pytest.mark.parametrize("setting", [{"cv": 5}, {"n_targets": 2}])
def test_root_mean_squared_error_where_its_optimum_is_not_the_squared_errors(setting):
    X, y = regression(n_targets=setting.get("n_targets"))
    model = GradientRidgeCV(scoring="neg_root_mean_squared_error", cv=setting.get("cv"))
    with pytest.raises(ValueError, match="neg_mean_squared_error"):
        model.fit(X, y)


@pytest.mark.parametrize("scoring", [None, "r2"])
@pytest.mark.parametrize("n_targets", [None, 1, 2])
def test_cv_results_equal_ridgecv(scoring, n_targets):
    X, y = regression(n_targets=n_targets)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, size=X.shape[0])
    model = GradientRidgeCV(scoring=scoring, store_cv_results=True)
    model.fit(X, y, sample_weight=weights)
    reference = RidgeCV(
        alphas=model.history_["alpha"], scoring=scoring, store_cv_results=True
    ).fit(X, y, sample_weight=weights)
    assert model.cv_results_.shape == reference.cv_results_.shape
    np.testing.assert_allclose(model.cv_results_, reference.cv_results_, rtol=1e-9)


def test_cv_results_with_groups_equal_explicit_refits():
    # One alpha per feature group is Ridge(alpha=1) on features divided by
    # the square root of their alpha.
    X, y = regression(n=25, p=4)
    model = GradientRidgeCV(feature_groups=[0, 0, 1, 1], store_cv_results=True)
    model.fit(X, y)
    k = len(model.history_["alpha"]) - 1
    scale = np.sqrt(np.repeat(model.history_["alpha"][k], 2))
    errors = []
    for train, test in LeaveOneOut().split(X):
        ridge = Ridge(alpha=1.0).fit(X[train] / scale, y[train])
        errors.append((y[test] - ridge.predict(X[test] / scale))[0] ** 2)
    np.testing.assert_allclose(model.cv_results_[:, k], errors, rtol=1e-9)


def test_store_cv_results_needs_leave_one_out():
    with pytest.raises(ValueError, match="store_cv_results"):
        GradientRidgeCV(store_cv_results=True, cv=5).fit(*regression())


def test_groups_reach_the_splitter():
    X, y = regression(n=60)
    groups = np.repeat(np.arange(6), 10)
    splits = list(GroupKFold(3).split(X, y, groups))
    expected = GradientRidgeCV(cv=splits).fit(X, y)
    model = GradientRidgeCV(cv=GroupKFold(3)).fit(X, y, groups=groups)
    assert model.alpha_ == expected.alpha_
    with sklearn.config_context(enable_metadata_routing=True):
        routed = GradientRidgeCV(cv=GroupKFold(3)).fit(X, y, groups=groups)
        # No metadata: a splitter that needs none, and leave-one-out.
        kfold = GradientRidgeCV(cv=KFold(3)).fit(X, y)
        loo = GradientRidgeCV().fit(X, y)
    assert routed.alpha_ == expected.alpha_
    assert kfold.alpha_ == GradientRidgeCV(cv=KFold(3)).fit(X, y).alpha_
    assert loo.alpha_ == GradientRidgeCV().fit(X, y).alpha_


def test_fit_parameters_nothing_uses_are_refused():
    X, y = regression()
    with pytest.raises(ValueError, match="groups"):
        GradientRidgeCV().fit(X, y, groups=np.zeros(X.shape[0]))
    with pytest.raises(ValueError, match="unexpected parameters"):
        GradientRidgeCV(cv=3).fit(X, y, colour=np.zeros(X.shape[0]))


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_targets", [None, 1, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_shapes_and_dtypes_are_ridgecvs(n_targets, dtype, fit_intercept):
    X, y = regression(n_targets=n_targets)
    X, y = X.astype(dtype), y.astype(dtype)
    settings = {"store_cv_results": True, "fit_intercept": fit_intercept}
    model = GradientRidgeCV(**settings).fit(X, y)
    reference = RidgeCV(**settings).fit(X, y)
    for name in ("coef_", "intercept_", "best_score_"):
        ours, theirs = getattr(model, name), getattr(reference, name)
        assert type(ours) is type(theirs), name
        assert np.shape(ours) == np.shape(theirs), name
        assert np.asarray(ours).dtype == np.asarray(theirs).dtype, name
    assert type(model.alpha_) is type(reference.alpha_)
    assert model.cv_results_.dtype == reference.cv_results_.dtype
    for X_new in (X, X.astype(np.float64)):
        ours, theirs = model.predict(X_new), reference.predict(X_new)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype


def test_float32_fit_equals_float64_fit_and_keeps_x():
    X, y = regression(n=5000, p=20)
    X32 = X.astype(np.float32)
    copy = X32.copy()
    model32 = GradientRidgeCV(feature_groups=np.arange(20) % 2).fit(X32, y)
    model64 = GradientRidgeCV(feature_groups=np.arange(20) % 2).fit(
        X32.astype(np.float64), y
    )
    np.testing.assert_array_equal(X32, copy)
    # Same data (X32's values), float64 products: agreement to the search's
    # tolerance, not just to float32's precision.
    np.testing.assert_allclose(model32.alpha_, model64.alpha_, rtol=1e-4)
    np.testing.assert_allclose(model32.coef_, model64.coef_, rtol=1e-6)


def least_squares(X, y, fit_intercept):
    """Minimum-norm least squares (the limit of ridge as alpha -> 0)."""
    if not fit_intercept:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    return np.linalg.lstsq(X - X.mean(axis=0), y - y.mean(), rcond=None)[0]


# At alpha = 1e-16 the leave-one-out criterion's own system (n <= p: every
# sample interpolated) may need the reported Cholesky jitter; the refit at
# alpha_ must still be exact.
@pytest.mark.filterwarnings("ignore:Cholesky factorisation failed:RuntimeWarning")
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "n_samples, settings",
    [
        (50, {}),  # eigen path, square
        (50, {"feature_groups": np.arange(50) % 2}),  # Cholesky, square
        (40, {}),  # eigen path, p > n
        (40, {"feature_groups": np.arange(50) % 2}),  # dual Cholesky
        (80, {"feature_groups": np.arange(50) % 2}),  # primal Cholesky
        (50, {"cv": 5}),
    ],
)
def test_tiny_alpha_gives_least_squares(fit_intercept, n_samples, settings):
    X, y = make_regression(50, 50, noise=0, bias=10, random_state=42)
    if n_samples == 80:
        X2, y2 = make_regression(30, 50, noise=0, bias=10, random_state=1)
        X, y = np.vstack([X, X2]), np.concatenate([y, y2])
    X, y = X[:n_samples], y[:n_samples]
    model = GradientRidgeCV(
        alpha_bounds=(1e-16, 1e-16), fit_intercept=fit_intercept, **settings
    ).fit(X, y)
    expected = least_squares(X, y, fit_intercept)
    error = np.max(np.abs(model.coef_ - expected)) / np.max(np.abs(expected))
    assert error < 1e-6


@pytest.mark.parametrize("gcv_mode", [None, "auto", "svd", "eigen"])
def test_gcv_mode_is_accepted_and_changes_nothing(gcv_mode):
    X, y = regression()
    model = GradientRidgeCV(gcv_mode=gcv_mode).fit(X, y)
    assert model.alpha_ == GradientRidgeCV().fit(X, y).alpha_


def test_bad_gcv_mode():
    with pytest.raises(ValueError, match="gcv_mode"):
        GradientRidgeCV(gcv_mode="qr").fit(*regression())


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_r2_of_a_constant_target_is_scikit_learns(fit_intercept):
    # r2_score of a constant target is 1 for exact predictions, else 0: with
    # an intercept, leave-one-out and split predictions of a target constant
    # everywhere are exact; without one they are not.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.c_[X @ [1.0, 2.0, 3.0] + rng.normal(size=40), np.full(40, 2.0)]
    cv = KFold(4)
    model = GradientRidgeCV(scoring="r2", cv=cv, fit_intercept=fit_intercept)
    model.fit(X, y)
    reference = RidgeCV(
        alphas=[model.alpha_], scoring="r2", cv=cv, fit_intercept=fit_intercept
    ).fit(X, y)
    assert model.best_score_ == pytest.approx(reference.best_score_, rel=1e-9)
    if fit_intercept:
        model = GradientRidgeCV(scoring="r2").fit(X, y)
        reference = RidgeCV(alphas=[model.alpha_], scoring="r2").fit(X, y)
        assert model.best_score_ == pytest.approx(reference.best_score_, rel=1e-10)
    else:
        with pytest.raises(ValueError, match="constant target"):
            GradientRidgeCV(scoring="r2", fit_intercept=False).fit(X, y)


def test_verbose_reports_the_scorers_best_score(capsys):
    X, y = regression()
    model = GradientRidgeCV(scoring="r2", verbose=1).fit(X, y)
    refit = [line for line in capsys.readouterr().out.splitlines() if "refit" in line]
    assert f"best_score_={model.best_score_:.10g}" in refit[0]
    assert 0 < model.best_score_ < 1
