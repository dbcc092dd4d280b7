"""GradientRidgeCV as a scikit-learn user meets it: the fitted model equals
scikit-learn's Ridge at the chosen alphas, the search beats RidgeCV's grid, and
the estimator behaves in pipelines, searches, clones and pickles."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skhypergrad import GradientRidgeCV
from skhypergrad._ridge import spectral

GRID = np.logspace(-6, 6, 100)


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def noisy_problem(n=120, p=15, n_targets=None, seed=0):
    X, y = make_regression(
        n_samples=n,
        n_features=p,
        n_informative=max(p // 3, 1),
        n_targets=n_targets or 1,
        noise=20.0,
        random_state=seed,
    )
    return X, y


def assert_close_to_ridge(model, X, y, sample_weight=None):
    reference = Ridge(
        alpha=model.alpha_, fit_intercept=model.fit_intercept, solver="cholesky"
    ).fit(X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=1e-8)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cv", [None, "gcv", 4])
def test_scalar_alpha_model_equals_sklearn_ridge(fit_intercept, weighted, cv):
    X, y = noisy_problem()
    weights = np.random.default_rng(0).uniform(0.5, 2, len(y)) if weighted else None
    model = GradientRidgeCV(fit_intercept=fit_intercept, cv=cv).fit(
        X, y, sample_weight=weights
    )
    assert isinstance(model.alpha_, float)
    assert_close_to_ridge(model, X, y, weights)


@pytest.mark.parametrize("shape", [(80, 20), (30, 60)])
def test_sparse_input_gives_the_dense_model(shape):
    X, y = noisy_problem(*shape)
    X[np.abs(X) < 0.8] = 0.0
    dense = GradientRidgeCV(feature_groups=np.arange(shape[1]) % 2).fit(X, y)
    sparse = GradientRidgeCV(feature_groups=np.arange(shape[1]) % 2).fit(
        sp.csr_matrix(X), y
    )
    np.testing.assert_allclose(sparse.alpha_, dense.alpha_, rtol=1e-6)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(sparse.predict(sp.csr_matrix(X)), dense.predict(X))


def test_scalar_alpha_beats_ridgecv_grid(diabetes):
    X, y = diabetes
    model = GradientRidgeCV().fit(X, y)
    grid = RidgeCV(alphas=GRID).fit(X, y)
    assert model.best_score_ >= grid.best_score_ - 1e-12 * abs(grid.best_score_)
    # best_score_ is RidgeCV's score at the same alpha.
    same = RidgeCV(alphas=[model.alpha_]).fit(X, y)
    np.testing.assert_allclose(model.best_score_, same.best_score_, rtol=1e-10)


def test_kfold_best_score_is_the_pooled_cross_validated_error(diabetes):
    X, y = diabetes
    splitter = KFold(5, shuffle=True, random_state=0)
    model = GradientRidgeCV(cv=splitter).fit(X, y)
    predictions = cross_val_predict(Ridge(alpha=model.alpha_), X, y, cv=splitter)
    np.testing.assert_allclose(
        -model.best_score_, np.mean((y - predictions) ** 2), rtol=1e-9
    )
    # A continuous optimum is no worse than the grid's.
    scores = [cross_val_predict(Ridge(alpha=a), X, y, cv=splitter) for a in GRID[::4]]
    best_grid = min(np.mean((y - p) ** 2) for p in scores)
    assert -model.best_score_ <= best_grid * (1 + 1e-10)


def test_held_out_split_as_iterable(diabetes):
    X, y = diabetes
    split = [(np.arange(300), np.arange(300, len(y)))]
    model = GradientRidgeCV(cv=split).fit(X, y)
    reference = Ridge(alpha=model.alpha_).fit(X[:300], y[:300])
    expected = np.mean((y[300:] - reference.predict(X[300:])) ** 2)
    np.testing.assert_allclose(-model.best_score_, expected, rtol=1e-9)


def test_per_feature_alphas_beat_best_scalar_alpha():
    rng = np.random.default_rng(0)
    X, y = noisy_problem(n=150, p=12)
    X *= np.logspace(-1, 1, 12)[rng.permutation(12)]
    scalar = GradientRidgeCV().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        each = GradientRidgeCV(feature_groups="each").fit(X, y)
    assert each.alpha_.shape == (12,)
    assert each.best_score_ >= scalar.best_score_
    assert each.best_score_ > scalar.best_score_ * (1 - 1e-3)  # strictly better
    np.testing.assert_array_equal(each.groups_, np.arange(12))


def test_group_alphas_equal_ridge_on_rescaled_features():
    X, y = noisy_problem(n=100, p=9)
    labels = np.array(["a", "b", "c"] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GradientRidgeCV(feature_groups=labels).fit(X, y)
    np.testing.assert_array_equal(model.groups_, ["a", "b", "c"])
    lam = model.alpha_[np.searchsorted(model.groups_, labels)]
    # Penalty lam_j on w_j equals Ridge(alpha=1) on X_j / sqrt(lam_j).
    reference = Ridge(alpha=1.0, solver="cholesky").fit(X / np.sqrt(lam), y)
    np.testing.assert_allclose(
        model.coef_, reference.coef_ / np.sqrt(lam), rtol=1e-8, atol=1e-10
    )
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=1e-8)
    # best_score_ is the LOO error of that model.
    refit = RidgeCV(alphas=[1.0]).fit(X / np.sqrt(lam), y)
    np.testing.assert_allclose(model.best_score_, refit.best_score_, rtol=1e-9)


def test_alpha_per_target_beats_ridgecv_on_every_target():
    X, Y = noisy_problem(n=100, p=20, n_targets=6)
    Y = Y * np.logspace(-1, 1, 6)  # targets on different scales
    model = GradientRidgeCV(alpha_per_target=True).fit(X, Y)
    grid = RidgeCV(alphas=GRID, alpha_per_target=True).fit(X, Y)
    assert model.alpha_.shape == (6,)
    assert model.best_score_.shape == (6,)
    assert np.all(
        model.best_score_ >= grid.best_score_ - 1e-10 * np.abs(grid.best_score_)
    )
    for j in range(6):
        ridge = Ridge(alpha=model.alpha_[j], solver="cholesky").fit(X, Y[:, j])
        np.testing.assert_allclose(model.coef_[j], ridge.coef_, rtol=1e-8)
    history = model.history_
    assert set(history["target"]) == set(range(6))
    for j in range(6):
        rows = history["target"] == j
        assert history["score"][rows].max() == model.best_score_[j]
        assert (
            history["alpha"][rows][np.argmax(history["score"][rows])] == model.alpha_[j]
        )


def test_alpha_per_target_with_groups():
    X, Y = noisy_problem(n=90, p=8, n_targets=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # tol is the relative gain below which a search stops: both are asked
        # to locate the optimum far tighter than the assertions below.
        model = GradientRidgeCV(
            alpha_per_target=True,
            feature_groups=[0, 0, 0, 1, 1, 1, 2, 2],
            n_jobs=2,
            tol=1e-10,
        ).fit(X, Y)
        alone = GradientRidgeCV(feature_groups=[0, 0, 0, 1, 1, 1, 2, 2], tol=1e-10)
        alone.fit(X, Y[:, 1])
    assert model.alpha_.shape == (3, 3)
    assert model.coef_.shape == (3, 8)
    # Both searches stop at the same optimum to their tolerance; they start from
    # different points, and the criterion is flat near the optimum, so the
    # alphas agree to a looser tolerance than the criterion values.
    np.testing.assert_allclose(model.best_score_[1], alone.best_score_, rtol=1e-8)
    np.testing.assert_allclose(model.alpha_[1], alone.alpha_, rtol=1e-2)
    assert set(np.unique(model.history_["target"])) == {0, 1, 2}
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(model.history_)
    assert list(frame.columns) == ["alpha", "score", "phase", "time", "target"]
    assert frame["alpha"].iloc[-1].shape == (3,)


def test_shared_alpha_on_multi_output_matches_ridgecv(diabetes):
    X, y = diabetes
    Y = np.column_stack([y, np.sqrt(y)])
    model = GradientRidgeCV().fit(X, Y)
    assert model.coef_.shape == (2, X.shape[1])
    same = RidgeCV(alphas=[model.alpha_]).fit(X, Y)
    np.testing.assert_allclose(model.best_score_, same.best_score_, rtol=1e-10)
    assert_close_to_ridge(model, X, Y)


def test_history_records_every_evaluation_and_the_optimum(diabetes):
    X, y = diabetes
    model = GradientRidgeCV().fit(X, y)
    history = model.history_
    assert history["alpha"].shape == history["score"].shape
    best = np.argmax(history["score"])
    assert history["score"][best] == model.best_score_
    assert history["alpha"][best] == model.alpha_
    assert model.n_iter_ >= 1


def test_verbose_prints_one_line_per_evaluation(diabetes, capsys):
    X, y = diabetes
    model = GradientRidgeCV(verbose=1, feature_groups="each").fit(X, y)
    lines = [
        ln
        for ln in capsys.readouterr().out.splitlines()
        if ln.startswith("[GradientRidgeCV]") and "criterion=" in ln
    ]
    assert len(lines) == len(model.history_["score"])


def test_custom_optimizer_is_called_with_log_space_objective(diabetes):
    X, y = diabetes
    calls = []

    def optimizer(obj_func, initial_theta, bounds):
        calls.append((initial_theta.copy(), bounds.copy()))
        # A crude optimiser: try a few points, return the best.
        candidates = np.linspace(bounds[0, 0], bounds[0, 1], 7)[:, None]
        values = [obj_func(theta, eval_gradient=False) for theta in candidates]
        best = int(np.argmin(values))
        return candidates[best], values[best]

    # Explicit bounds: the default ones follow the scale of X.
    model = GradientRidgeCV(optimizer=optimizer, alpha_bounds=(1e-6, 1e6)).fit(X, y)
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0][1], np.log([[1e-6, 1e6]]))
    assert -model.best_score_ <= -RidgeCV(alphas=[model.alpha_]).fit(
        X, y
    ).best_score_ * (1 + 1e-12)


def test_restarts_are_reproducible_with_random_state(diabetes):
    X, y = diabetes
    a = GradientRidgeCV(n_restarts=3, random_state=0, feature_groups="each")
    b = clone(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a.fit(X, y)
        b.fit(X, y)
    np.testing.assert_array_equal(a.alpha_, b.alpha_)
    single = GradientRidgeCV(feature_groups="each")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        single.fit(X, y)
    # Restarts also run in the single-alpha search that gives the start, which
    # may move that start by rounding: compare to a relative 1e-9.
    assert a.best_score_ >= single.best_score_ - 1e-9 * abs(single.best_score_)
    assert len(a.history_["score"]) > len(single.history_["score"])


def test_pipeline_cross_val_score_and_grid_search(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), GradientRidgeCV())
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,)
    assert np.all(scores > 0.3)
    search = GridSearchCV(pipe, {"gradientridgecv__cv": [None, "gcv"]}, cv=3).fit(X, y)
    assert search.best_params_["gradientridgecv__cv"] in (None, "gcv")


def test_clone_and_pickle_round_trip(diabetes):
    X, y = diabetes
    model = GradientRidgeCV(feature_groups=[0, 1] * 5).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    fresh = clone(model)
    assert not hasattr(fresh, "coef_")
    assert fresh.get_params() == model.get_params()


def test_pandas_input_keeps_feature_names(diabetes):
    pd = pytest.importorskip("pandas")
    X, y = diabetes
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = GradientRidgeCV().fit(frame, pd.Series(y))
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    np.testing.assert_allclose(model.predict(frame), model.predict(X))


def test_input_is_not_modified(diabetes):
    X, y = diabetes
    X_copy, y_copy = X.copy(), y.copy()
    weights = np.linspace(0.5, 2, len(y))
    weights_copy = weights.copy()
    GradientRidgeCV(feature_groups="each", cv=3).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(weights, weights_copy)


def test_pure_noise_target_warns_that_alpha_sits_on_upper_bound():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = rng.normal(size=60)
    with pytest.warns(ConvergenceWarning, match="upper bound"):
        model = GradientRidgeCV(alpha_bounds=(1e-3, 10.0)).fit(X, y)
    assert model.alpha_ == pytest.approx(10.0)


@pytest.mark.parametrize(
    "make_X",
    [
        pytest.param(lambda X: np.column_stack([X, np.ones(len(X))]), id="constant"),
        pytest.param(lambda X: np.column_stack([X, X[:, :2]]), id="duplicated"),
        pytest.param(
            lambda X: X * np.array([1e-6, 1e6] * (X.shape[1] // 2)), id="badly-scaled"
        ),
    ],
)
@pytest.mark.parametrize("feature_groups", [None, "each"])
def test_degenerate_designs_give_finite_results(make_X, feature_groups):
    X, y = noisy_problem(n=60, p=6)
    X = make_X(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GradientRidgeCV(feature_groups=feature_groups).fit(X, y)
    assert np.all(np.isfinite(model.coef_))
    assert np.isfinite(model.best_score_)
    assert np.all(np.isfinite(model.predict(X)))


def test_many_more_features_than_samples():
    X, y = noisy_problem(n=25, p=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GradientRidgeCV().fit(X, y)
        each = GradientRidgeCV(feature_groups="each").fit(X, y)
    assert_close_to_ridge(model, X, y)
    assert np.isfinite(each.best_score_) and each.best_score_ >= model.best_score_
    same = RidgeCV(alphas=[model.alpha_]).fit(X, y)
    np.testing.assert_allclose(model.best_score_, same.best_score_, rtol=1e-8)


def test_scan_grid_does_not_repeat_the_initial_value():
    from skhypergrad._core.search import scan_grid

    # log(1.0) = 0 is (up to rounding) a grid point: it must not appear twice,
    # or the bracketing search would stop on a zero-width bracket.
    grid = scan_grid(np.log([1e-4, 1e4]), 1, extra=0.0)
    assert np.all(np.diff(grid) > 1e-6)
    assert grid.size == 9
    assert scan_grid(np.log([1e-4, 1e4]), 1, extra=0.5).size == 10


@pytest.mark.parametrize("cv, expected", [(5, 10), (None, 2)])
def test_group_search_builds_no_eigendecomposition_it_does_not_use(
    diabetes, monkeypatch, cv, expected
):
    # The one-alpha searches that give the group search its starts run on
    # eigendecompositions: one per fold (k-fold) or of all the data (LOO), for
    # the raw and for the standardised groups. The refit is a Cholesky solve
    # at the group penalties: no eigendecomposition of all the data for it.
    built = []
    init = spectral.SpectralBasis.__init__

    def counting(self, *args, **kwargs):
        built.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(spectral.SpectralBasis, "__init__", counting)
    X, y = diabetes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        GradientRidgeCV(cv=cv, feature_groups=[0] * 5 + [1] * 5).fit(X, y)
    assert len(built) == expected
