"""Tall data: the criteria from sufficient statistics equal the direct ones,
scikit-learn's refits and finite differences, and the estimators give the
same fit on either path."""

import warnings

import numpy as np
import pytest
from _finite_differences import central_differences
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit

import skhypergrad._ridge.search as ridge_search
import skhypergrad._ridge.statistics as statistics
import skhypergrad._ridge.tall as tall
from skhypergrad import GradientRidgeClassifierCV, GradientRidgeCV
from skhypergrad._core.layout import PenaltyLayout
from skhypergrad._ridge.criteria import KFoldCriterion, make_folds
from skhypergrad._ridge.moment_design import (
    MomentDesign,
    ValidationMoments,
    moment_folds,
)
from skhypergrad._ridge.spectral import SpectralKFold
from skhypergrad._ridge.statistics import (
    MomentAccumulator,
    atom_moments,
    reference_shift,
    split_atoms,
)

LOG_BOUNDS = np.log([1e-6, 1e6])


def make_data(n=400, p=6, n_targets=2, offset=50.0, noise=1.0, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p) + offset
    y = X @ rng.normal(size=(p, n_targets)) + noise * rng.normal(size=(n, n_targets))
    return X, y + 3.0 * offset, rng.uniform(0.2, 3.0, size=n)


def kfold_splits(n, shuffle=True):
    return list(
        KFold(4, shuffle=shuffle, random_state=0 if shuffle else None).split(
            np.arange(n)
        )
    )


def statistics_folds(X, y, weights, splits, fit_intercept, scales=None):
    atom, patterns = split_atoms(splits, X.shape[0])
    atoms = atom_moments(X, y, weights, atom, len(patterns))
    return moment_folds(atoms, patterns, fit_intercept, scales)


def layout_for(parametrisation, n_features):
    index = {
        "scalar": np.zeros(n_features, dtype=int),
        "each": np.arange(n_features),
        "groups": np.arange(n_features) % 3,
    }[parametrisation]
    return PenaltyLayout(index, int(index.max()) + 1, LOG_BOUNDS)


# -- the statistics -----------------------------------------------------------
def test_blocks_in_any_order_and_grouping_give_the_same_sums():
    X, y, weights = make_data(n=300)
    atom = np.random.default_rng(1).integers(0, 3, size=300)
    whole = atom_moments(X, y, weights, atom, 3)
    x_shift, y_shift = reference_shift(X, y, weights)
    # Uneven chunks, in reverse order, two partial accumulators merged: as a
    # chunked array would give them.
    edges = [0, 7, 130, 131, 300]
    first = MomentAccumulator(3, x_shift, y_shift, X.shape[1])
    second = MomentAccumulator(3, x_shift, y_shift, X.shape[1])
    chunks = list(zip(edges[:-1], edges[1:], strict=True))
    for k, (lo, hi) in enumerate(reversed(chunks)):
        target = first if k % 2 else second
        target.add(X[lo:hi], y[lo:hi], weights[lo:hi], atom[lo:hi])
    merged = first.merge(second).atoms()
    for a in range(3):
        rows = atom == a
        design = MomentDesign(merged[a], True)
        expected = MomentDesign(whole[a], True)
        np.testing.assert_allclose(design.gram(), expected.gram(), rtol=1e-10)
        centred = X[rows] - np.average(X[rows], axis=0, weights=weights[rows])
        gram = centred.T @ (weights[rows, None] * centred)
        np.testing.assert_allclose(design.gram(), gram, rtol=1e-9, atol=1e-9)


def test_atoms_of_common_splitters():
    n = 100
    atom, patterns = split_atoms(kfold_splits(n), n)
    assert patterns.shape == (4, 4)  # one atom per test fold
    np.testing.assert_array_equal(np.sort(patterns, axis=1), [[1, 1, 1, 2]] * 4)
    splits = list(TimeSeriesSplit(3).split(np.arange(n)))
    atom, patterns = split_atoms(splits, n)
    assert patterns.shape == (4, 3)  # the first training chunk and 3 tests
    held_out = [(np.arange(60), np.arange(60, 80))]  # 20 rows in no split
    atom, patterns = split_atoms(held_out, n)
    assert sorted(patterns[:, 0].tolist()) == [0, 1, 2]
    repeated = [(np.array([0, 0, 1, 2]), np.array([3, 4]))]
    assert split_atoms(repeated, n) == (None, None)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_expanded_validation_error_keeps_its_digits(fit_intercept):
    # Features offset by 1e4 and a residual of 1e-3 of the targets' spread:
    # the expansion about the training offsets must not cancel them away.
    X, y, weights = make_data(n=500, offset=1e4, noise=1e-2)
    train, test = np.arange(350), np.arange(350, 500)
    folds = statistics_folds(X, y, weights, [(train, test)], fit_intercept)
    model = Ridge(alpha=0.3, fit_intercept=fit_intercept)
    model.fit(X[train], y[train], sample_weight=weights[train])
    residual = y[test] - model.predict(X[test])
    expected = weights[test] @ residual**2
    coef = model.coef_.T
    values, _ = folds[0].validation.squared_error(coef)
    np.testing.assert_allclose(values, expected, rtol=1e-6)


def test_validation_sums_equal_the_rows():
    X, y, weights = make_data(n=200)
    splits = kfold_splits(200)
    direct = make_folds(X, y, weights, splits, True)
    summed = statistics_folds(X, y, weights, splits, True)
    coef = np.random.default_rng(2).normal(size=(X.shape[1], 2))
    for rows, sums in zip(direct, summed, strict=True):
        assert isinstance(sums.validation, ValidationMoments)
        np.testing.assert_allclose(sums.design.gram(), rows.design.gram(), rtol=1e-9)
        for got, want in zip(
            sums.validation.squared_error(coef),
            rows.validation.squared_error(coef),
            strict=True,
        ):
            np.testing.assert_allclose(got, want, rtol=1e-9)


# -- the criteria -------------------------------------------------------------
@pytest.mark.parametrize("parametrisation", ["scalar", "each", "groups"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("held_out", [False, True])
def test_statistics_criterion_equals_rows_and_finite_differences(
    parametrisation, fit_intercept, held_out
):
    X, y, weights = make_data(offset=2.0)  # finite differences: a small value
    n = X.shape[0]
    splits = [(np.arange(280), np.arange(280, n))] if held_out else kfold_splits(n)
    layout = layout_for(parametrisation, X.shape[1])
    theta = np.random.default_rng(3).uniform(-1.0, 2.0, size=layout.n_groups)
    rows = KFoldCriterion(make_folds(X, y, weights, splits, fit_intercept), layout)
    sums = KFoldCriterion(
        statistics_folds(X, y, weights, splits, fit_intercept), layout
    )
    value, grad = sums(theta)
    expected_value, expected_grad = rows(theta)
    np.testing.assert_allclose(value, expected_value, rtol=1e-9)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(
        grad, central_differences(sums, theta), rtol=1e-5, atol=1e-9
    )


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_spectral_statistics_equal_refits_and_finite_differences(fit_intercept):
    X, y, weights = make_data(offset=2.0)
    splits = kfold_splits(X.shape[0], shuffle=False)
    spectral = SpectralKFold(statistics_folds(X, y, weights, splits, fit_intercept))
    alpha = 4.0
    total = 0.0
    for train, test in splits:
        model = Ridge(alpha=alpha, fit_intercept=fit_intercept)
        model.fit(X[train], y[train], sample_weight=weights[train])
        total += weights[test] @ (y[test] - model.predict(X[test])) ** 2
    expected = total / sum(weights[test].sum() for _, test in splits)
    log_alpha = np.log([alpha, alpha])
    values, grads = spectral.values_and_grads(log_alpha)
    np.testing.assert_allclose(values, expected, rtol=1e-9)
    for t in range(2):

        def one_target(theta, t=t):
            point = log_alpha.copy()
            point[t] = theta[0]
            return spectral.values_and_grads(point)[0][t], None

        fd = central_differences(one_target, log_alpha[t : t + 1])
        np.testing.assert_allclose(grads[t], fd[0], rtol=1e-5)


# -- the estimators on either path ----------------------------------------------
@pytest.fixture
def statistics_used(monkeypatch):
    """Make every data set tall, and record whether the statistics served."""
    monkeypatch.setattr(tall, "TALL_MIN_SIZE", 0)
    used = []
    original = ridge_search.tall_problem

    def spy(*args, **kwargs):
        built = original(*args, **kwargs)
        used.append(built is not None)
        return built

    monkeypatch.setattr(ridge_search, "tall_problem", spy)
    return used


def fit_both(monkeypatch, statistics_used, make, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tall_fit = make().fit(X, y, **fit_params)
        assert statistics_used and all(statistics_used)
        monkeypatch.setattr(tall, "TALL_ROWS_PER_FEATURE", 10**9)
        direct = make().fit(X, y, **fit_params)
        monkeypatch.setattr(tall, "TALL_ROWS_PER_FEATURE", 4)
    return tall_fit, direct


def assert_same_fit(tall_fit, direct, rtol=1e-7):
    np.testing.assert_allclose(tall_fit.alpha_, direct.alpha_, rtol=rtol)
    np.testing.assert_allclose(tall_fit.coef_, direct.coef_, rtol=rtol, atol=1e-9)
    np.testing.assert_allclose(tall_fit.intercept_, direct.intercept_, rtol=rtol)
    np.testing.assert_allclose(tall_fit.best_score_, direct.best_score_, rtol=1e-9)


CASES = {
    "kfold": {"cv": 5},
    "shuffled": {"cv": KFold(4, shuffle=True, random_state=0)},
    "time-series": {"cv": TimeSeriesSplit(4)},
    "held-out": {"cv": [(np.arange(300), np.arange(300, 400))]},
    "loo": {"cv": None},
    "gcv": {"cv": "gcv"},
    "groups": {"cv": 4, "feature_groups": [0, 0, 1, 1, 2, 2]},
    "gcv-groups": {"cv": "gcv", "feature_groups": [0, 0, 1, 1, 2, 2]},
    "per-target": {"cv": 4, "alpha_per_target": True},
    "loo-per-target": {"cv": None, "alpha_per_target": True},
    "r2": {"cv": 4, "scoring": "r2"},
    "no-intercept": {"cv": 4, "fit_intercept": False},
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("targets_apart", [False, True])
def test_estimator_fits_the_same_on_either_path(
    monkeypatch, statistics_used, case, weighted, targets_apart
):
    if targets_apart:  # the targets' sums as for many targets, not in one Gram
        monkeypatch.setattr(statistics, "_FEW_TARGETS", 0)
    X, y, weights = make_data(offset=5.0, noise=6.0)  # an interior optimum
    params = CASES[case]
    fit_params = {"sample_weight": weights} if weighted else {}
    tall_fit, direct = fit_both(
        monkeypatch,
        statistics_used,
        lambda: GradientRidgeCV(**params),
        X,
        y,
        **fit_params,
    )
    assert_same_fit(tall_fit, direct)


def test_kfold_best_score_is_the_refits_mean_squared_error(
    monkeypatch, statistics_used
):
    X, y, _ = make_data()
    y = y[:, 0]
    splitter = KFold(5, shuffle=True, random_state=0)
    model = GradientRidgeCV(cv=splitter).fit(X, y)
    assert statistics_used == [True]
    errors = []
    for train, test in splitter.split(X):
        refit = Ridge(alpha=model.alpha_).fit(X[train], y[train])
        errors.append(np.sum((y[test] - refit.predict(X[test])) ** 2))
    np.testing.assert_allclose(-model.best_score_, np.sum(errors) / len(y), rtol=1e-9)


def test_loo_cv_results_equal_ridgecv(monkeypatch, statistics_used):
    X, y, weights = make_data()
    model = GradientRidgeCV(store_cv_results=True).fit(X, y, sample_weight=weights)
    assert statistics_used == [True]
    alphas = np.asarray(model.history_["alpha"], dtype=float)
    oracle = RidgeCV(alphas=alphas, store_cv_results=True)
    oracle.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(model.cv_results_, oracle.cv_results_, rtol=1e-8)


def test_classifier_fits_the_same_on_either_path(monkeypatch, statistics_used):
    X, y, _ = make_data(n_targets=3, offset=2.0)
    labels = np.argmax(y - y.mean(axis=0), axis=1)
    tall_fit, direct = fit_both(
        monkeypatch,
        statistics_used,
        lambda: GradientRidgeClassifierCV(cv=StratifiedKFold(4)),
        X,
        labels,
    )
    assert_same_fit(tall_fit, direct)


def test_nearly_exact_fit_keeps_the_direct_path(monkeypatch, statistics_used):
    # A residual of 1e-5 of the targets' spread: the expanded errors would
    # lose ten digits, so the estimator sums the rows' residuals.
    X, y, _ = make_data(noise=1e-5)
    model = GradientRidgeCV(cv=4).fit(X, y)
    assert statistics_used == [False]
    direct = GradientRidgeCV(cv=4)
    monkeypatch.setattr(tall, "TALL_ROWS_PER_FEATURE", 10**9)
    assert_same_fit(model, direct.fit(X, y), rtol=1e-10)


def test_float32_data_fit_the_same(monkeypatch, statistics_used):
    X, y, _ = make_data()
    X32 = X.astype(np.float32)
    for cv in (None, 4):
        tall_fit, direct = fit_both(
            monkeypatch, statistics_used, lambda cv=cv: GradientRidgeCV(cv=cv), X32, y
        )
        assert tall_fit.coef_.dtype == np.float32
        assert_same_fit(tall_fit, direct, rtol=1e-5)
