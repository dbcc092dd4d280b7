"""GradientPoissonRegressorCV against scikit-learn's PoissonRegressor."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import mean_poisson_deviance
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict

from skhypergrad import GradientPoissonRegressorCV

GRID = np.logspace(-6, 4, 11)


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8)) * rng.uniform(0.3, 3.0, size=8)
    coef = np.r_[rng.normal(scale=0.3, size=4), np.zeros(4)]
    y = rng.poisson(np.exp(X @ coef / 3 + 0.5)).astype(float)
    return X, y


def reference_model(alpha, **params):
    return PoissonRegressor(alpha=alpha, tol=1e-12, max_iter=10_000, **params)


@pytest.mark.parametrize("cv", [5, "alo"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_model_equals_poisson_regressor_at_alpha(counts, cv, fit_intercept):
    X, y = counts
    weights = np.linspace(0.5, 2.0, len(y))
    model = GradientPoissonRegressorCV(cv=cv, fit_intercept=fit_intercept)
    model.fit(X, y, sample_weight=weights)
    reference = reference_model(model.alpha_, fit_intercept=fit_intercept)
    reference.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=1e-8)
    np.testing.assert_allclose(model.predict(X), reference.predict(X), rtol=1e-7)


def test_kfold_score_is_pooled_cross_validated_deviance_and_beats_the_grid(counts):
    X, y = counts
    splitter = KFold(5, shuffle=True, random_state=0)
    model = GradientPoissonRegressorCV(cv=splitter).fit(X, y)
    predictions = cross_val_predict(reference_model(model.alpha_), X, y, cv=splitter)
    np.testing.assert_allclose(
        -model.best_score_, mean_poisson_deviance(y, predictions), rtol=1e-7
    )
    grid_deviances = [
        mean_poisson_deviance(
            y, cross_val_predict(reference_model(a), X, y, cv=splitter)
        )
        for a in GRID
    ]
    assert -model.best_score_ <= min(grid_deviances) * (1 + 1e-9)


def test_per_feature_alphas_no_worse_than_one_alpha(counts):
    X, y = counts
    one = GradientPoissonRegressorCV(cv="alo").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        each = GradientPoissonRegressorCV(cv="alo", feature_groups="each").fit(X, y)
    assert each.alpha_.shape == (8,)
    assert each.best_score_ >= one.best_score_


def test_sparse_input_gives_the_dense_model(counts):
    X, y = counts
    X = np.where(np.abs(X) > 0.5, X, 0.0)
    dense = GradientPoissonRegressorCV(cv=3).fit(X, y)
    sparse = GradientPoissonRegressorCV(cv=3).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.alpha_, dense.alpha_, rtol=1e-6)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-10)


def test_works_inside_grid_search(counts):
    X, y = counts
    search = GridSearchCV(GradientPoissonRegressorCV(), {"cv": [3, "alo"]}, cv=3).fit(
        X, y
    )
    assert search.best_params_["cv"] in (3, "alo")


@pytest.mark.parametrize(
    "y_bad, match", [(-1.0, "non-negative"), (0.0, "positive value")]
)
def test_invalid_targets(counts, y_bad, match):
    X, y = counts
    y = np.full_like(y, 0.0)
    y[0] = y_bad
    with pytest.raises(ValueError, match=match):
        GradientPoissonRegressorCV().fit(X, y)


def test_bad_cv_string(counts):
    X, y = counts
    with pytest.raises(ValueError, match="cv"):
        GradientPoissonRegressorCV(cv="gcv").fit(X, y)


def test_exact_leave_one_out_equals_refits(counts):
    X, y = counts
    X, y = X[:30], y[:30]
    model = GradientPoissonRegressorCV(cv=None).fit(X, y)
    predictions = cross_val_predict(reference_model(model.alpha_), X, y, cv=len(y))
    np.testing.assert_allclose(
        -model.best_score_, mean_poisson_deviance(y, predictions), rtol=1e-7
    )
