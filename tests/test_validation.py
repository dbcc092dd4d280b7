"""Bad input gets a clear error that names the parameter."""

import numpy as np
import pytest

from skhypergrad import GradientRidgeCV


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 4)), rng.normal(size=20)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_X_or_y(data, bad):
    X, y = data
    X_bad, y_bad = X.copy(), y.copy()
    X_bad[3, 1] = bad
    y_bad[5] = bad
    with pytest.raises(ValueError, match="X"):
        GradientRidgeCV().fit(X_bad, y)
    with pytest.raises(ValueError, match="y|Input"):
        GradientRidgeCV().fit(X, y_bad)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize(
    "bad, message", [(np.nan, "Input X contains NaN"), (-np.inf, "infinity")]
)
def test_non_finite_X_is_named_by_the_magnitude_pass(data, sparse, bad, message):
    """scikit-learn's finiteness check is skipped for X: the pass that finds
    the magnitude refuses NaN and infinity with scikit-learn's words."""
    import scipy.sparse as sp

    X, y = data
    X_bad = X.copy()
    X_bad[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        GradientRidgeCV().fit(sp.csr_matrix(X_bad) if sparse else X_bad, y)


def test_mismatched_lengths(data):
    X, y = data
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        GradientRidgeCV().fit(X, y[:-1])


def test_too_few_samples_for_leave_one_out():
    with pytest.raises(ValueError, match="n_samples = 1"):
        GradientRidgeCV().fit(np.ones((1, 3)), [1.0])
    with pytest.raises(ValueError, match="positive weight"):
        GradientRidgeCV().fit(np.eye(3), [1.0, 2.0, 3.0], sample_weight=[0, 0, 1])


def test_more_folds_than_samples(data):
    X, y = data
    with pytest.raises(ValueError, match="n_splits"):
        GradientRidgeCV(cv=50).fit(X, y)


@pytest.mark.parametrize("cv", [1, 0, "loo-ish"])
def test_bad_cv(data, cv):
    X, y = data
    with pytest.raises(ValueError, match="cv"):
        GradientRidgeCV(cv=cv).fit(X, y)


@pytest.mark.parametrize("groups", [[0, 1, 2], np.zeros((4, 1)), "every"])
def test_feature_groups_of_wrong_shape(data, groups):
    X, y = data
    with pytest.raises(ValueError, match="feature_groups"):
        GradientRidgeCV(feature_groups=groups).fit(X, y)


@pytest.mark.parametrize(
    "bounds", [(0.0, 1.0), (-1.0, 1.0), (10.0, 1.0), (1.0, np.inf), (1.0,), "a"]
)
def test_bad_alpha_bounds(data, bounds):
    X, y = data
    with pytest.raises(ValueError, match="alpha_bounds"):
        GradientRidgeCV(alpha_bounds=bounds).fit(X, y)


@pytest.mark.parametrize("alpha", [0.0, -1.0, np.nan, [1.0, 2.0]])
def test_bad_initial_alpha(data, alpha):
    X, y = data
    with pytest.raises(ValueError, match="alpha"):
        GradientRidgeCV(alpha=alpha).fit(X, y)


def test_initial_alpha_per_group(data):
    X, y = data
    model = GradientRidgeCV(alpha=[1.0, 2.0], feature_groups=[0, 0, 1, 1]).fit(X, y)
    assert model.alpha_.shape == (2,)


@pytest.mark.parametrize(
    "weights, match",
    [
        (-np.ones(20), "non-negative"),
        (np.zeros(20), "all zero"),
        (np.ones(19), "shape"),
        (np.r_[np.ones(19), np.nan], "NaN"),
    ],
)
def test_bad_sample_weight(data, weights, match):
    X, y = data
    with pytest.raises(ValueError, match=f"sample_weight.*{match}|{match}.*sample"):
        GradientRidgeCV().fit(X, y, sample_weight=weights)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"max_iter": 2.5}, TypeError, "max_iter"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"n_restarts": -1}, ValueError, "n_restarts"),
        ({"optimizer": "adam"}, ValueError, "optimizer"),
        ({"fit_intercept": "yes"}, TypeError, "fit_intercept"),
        ({"verbose": None}, TypeError, "verbose"),
    ],
)
def test_bad_parameters(data, params, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        GradientRidgeCV(**params).fit(X, y)


def test_bound_warning_names_the_bound_that_switches_features_off():
    from skhypergrad._core.space import Hyperparameter, SearchSpace

    theta, bounds = np.log([1e-4, 1.0, 1e4]), np.log([[1e-4, 1e4]] * 3)

    def messages(name, off_side):
        hyper = Hyperparameter(name, bounds, f"{name}_bounds", off_side=off_side)
        return SearchSpace((hyper,)).bound_messages(theta)

    lower, upper = messages("C", "lower")
    assert "lower bound may simply be irrelevant" in lower
    assert "irrelevant" not in upper
    lower, upper = messages("alpha", "upper")
    assert "irrelevant" not in lower
    assert "upper bound may simply be irrelevant" in upper


@pytest.mark.parametrize("make", ["ridge", "kernel"])
def test_criteria_need_positive_weights_where_they_measure(data, make):
    from skhypergrad import GradientKernelRidgeCV

    X, y = data
    n = len(y)
    build = {"ridge": GradientRidgeCV, "kernel": GradientKernelRidgeCV}[make]
    first, rest = np.arange(5), np.arange(5, n)
    weights = np.ones(n)
    weights[first] = 0.0
    with pytest.raises(ValueError, match="train split whose weights are all zero"):
        build(cv=[(first, rest)]).fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match="test splits whose weights are all zero"):
        build(cv=[(rest, first)]).fit(X, y, sample_weight=weights)
    lonely = np.zeros(n)
    lonely[0] = 1.0
    with pytest.raises(ValueError, match="at least 2 samples with positive weight"):
        build().fit(X, y, sample_weight=lonely)
