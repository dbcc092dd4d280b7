"""Tuned sample weights for the smooth losses: finite differences, explicit
refits of LogisticRegression and PoissonRegressor, the fitted model."""

import warnings

import numpy as np
import pytest
from _finite_differences import central_differences
from scipy.special import xlogy
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.model_selection import KFold, TimeSeriesSplit

from skhypergrad import GradientLogisticRegressionCV, GradientPoissonRegressorCV
from skhypergrad._core.layout import PenaltyLayout
from skhypergrad._core.weighting import GroupWeights, TimeDecay
from skhypergrad._glm.losses import BinaryLogLoss, MultinomialLogLoss, PoissonLoss
from skhypergrad._glm.weighted import WeightedSmoothSplits


def problem(loss_name, n=90, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    z = X @ rng.normal(scale=0.7, size=p)
    if loss_name == "binary":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(float)
        return X, y, BinaryLogLoss()
    if loss_name == "multinomial":
        y = np.argmax(X[:, :3] + rng.normal(size=(n, 3)), axis=1)
        return X, y, MultinomialLogLoss(3)
    return X, rng.poisson(np.exp(0.5 * z)).astype(float), PoissonLoss()


def splits_of(kind, n):
    if kind == "kfold":
        return list(KFold(3, shuffle=True, random_state=0).split(np.arange(n)))
    if kind == "heldout":
        return [(np.arange(2 * n // 3), np.arange(2 * n // 3, n))]
    return list(TimeSeriesSplit(3, gap=1, test_size=20).split(np.arange(n)))


def case(loss_name, kind, scheme_name, parametrisation, fit_intercept, weighted):
    X, y, loss = problem(loss_name)
    n, p = X.shape
    rng = np.random.default_rng(1)
    weights = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    if scheme_name == "time_decay":
        scheme = TimeDecay(np.arange(n, dtype=float), None, None)
    else:
        scheme = GroupWeights(rng.integers(0, 3, n), None, None, None)
    if parametrisation == "one":
        layout = PenaltyLayout(np.zeros(p, dtype=int), 1, np.zeros(2), 1.0, -1.0)
    else:
        layout = PenaltyLayout(np.arange(p), p, np.zeros(2), 1.0, -1.0)
    criterion = WeightedSmoothSplits(
        X,
        y,
        weights,
        fit_intercept,
        loss,
        weights,
        splits_of(kind, n),
        layout,
        scheme,
        scale_by_weight=loss_name == "poisson",
    )
    theta = np.concatenate(
        [
            rng.uniform(-1.0, 1.0, layout.n_groups),
            scheme.theta0 + rng.uniform(-0.5, 0.5, scheme.size),
        ]
    )
    return criterion, theta, (X, y, weights, scheme)


CASES = [
    (loss, kind, scheme, parametrisation, intercept, weighted)
    for loss in ("binary", "multinomial", "poisson")
    for kind in ("kfold", "heldout", "forward")
    for scheme in ("time_decay", "group")
    for parametrisation in ("one", "each")
    for intercept in (True, False)
    for weighted in (False, True)
    # every loss x criterion x scheme x intercept x weights; the
    # parametrisations on k-fold (the criteria share all code but the splits)
    if kind == "kfold" or parametrisation == "one"
]


@pytest.mark.parametrize(
    "loss_name, kind, scheme_name, parametrisation, fit_intercept, weighted", CASES
)
def test_gradient_matches_finite_differences(
    loss_name, kind, scheme_name, parametrisation, fit_intercept, weighted
):
    criterion, theta, _ = case(
        loss_name, kind, scheme_name, parametrisation, fit_intercept, weighted
    )
    value, grad = criterion(theta)
    assert np.isfinite(value)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-8
    )


def reference(loss_name, penalty, fit_intercept):
    if loss_name == "poisson":
        return PoissonRegressor(
            alpha=penalty, fit_intercept=fit_intercept, tol=1e-12, max_iter=10_000
        )
    return LogisticRegression(
        C=1.0 / penalty, fit_intercept=fit_intercept, tol=1e-12, max_iter=10_000
    )


@pytest.mark.parametrize("loss_name", ["binary", "multinomial", "poisson"])
@pytest.mark.parametrize("scheme_name", ["time_decay", "group"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_criterion_equals_explicit_refits(loss_name, scheme_name, fit_intercept):
    criterion, theta, (X, y, weights, scheme) = case(
        loss_name, "forward", scheme_name, "one", fit_intercept, True
    )
    penalty = np.exp(-theta[0])  # lam = 1 / C for power -1
    total, errors = 0.0, 0.0
    for train, test in criterion.splits:
        factors, _ = scheme.factors(theta[1:], train, scheme.reference_time(train))
        model = reference(loss_name, penalty, fit_intercept)
        model.fit(X[train], y[train], sample_weight=weights[train] * factors)
        if loss_name == "poisson":
            mu = model.predict(X[test])
            per_sample = 2 * (xlogy(y[test], y[test] / mu) - y[test] + mu)
        else:
            proba = model.predict_proba(X[test])
            per_sample = -np.log(proba[np.arange(len(test)), y[test].astype(int)])
        errors += weights[test] @ per_sample
        total += weights[test].sum()
    np.testing.assert_allclose(criterion(theta)[0], errors / total, rtol=1e-8)


def drifting_classes(n=600, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    X = rng.normal(size=(n, 3))
    coef = np.column_stack([2 * np.sin(t / 100), 2 * np.cos(t / 150), np.ones(n)])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-np.sum(X * coef, axis=1)))).astype(int)
    return X, y, t


def test_logistic_time_decay_beats_no_decay_and_is_logistic_regression():
    X, y, t = drifting_classes()
    weights = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    model = GradientLogisticRegressionCV(
        cv=TimeSeriesSplit(5), sample_weighting="time_decay"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=weights, sample_time=2.0 * t)
    decay = 2.0 ** (-(t.max() - t) * 2.0 / model.half_life_)
    ref = LogisticRegression(C=model.C_[0], tol=1e-12, max_iter=10_000)
    ref.fit(X, y, sample_weight=weights * decay)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-6)
    np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=1e-6, atol=1e-9)
    no_decay = GradientLogisticRegressionCV(cv=TimeSeriesSplit(5))
    no_decay.fit(X, y, sample_weight=weights)
    assert model.best_score_ > no_decay.best_score_ + 0.05
    assert model.n_iter_.shape == (1, 5, len(model.history_["score"]))
    assert "half_life" in model.history_


@pytest.mark.parametrize(
    "params, match",
    [
        ({"sample_weighting": "time_decay", "refit": False}, "refit"),
        ({"sample_weighting": "time_decay", "cv": "alo"}, "cv"),
        ({"sample_weighting": "group"}, "sample_group"),
        ({"sample_weighting": "time_decay", "cv": KFold(3)}, "every class"),
    ],
)
def test_bad_settings_name_the_argument(params, match):
    X, _, _ = drifting_classes(60)
    y = (np.arange(60) < 15).astype(int)  # KFold(3): a fold with one class
    with pytest.raises(ValueError, match=match):
        GradientLogisticRegressionCV(**params).fit(X, y)


def test_poisson_group_weights_are_poisson_regressor_with_those_weights():
    rng = np.random.default_rng(0)
    n = 300
    groups = np.repeat(["a", "b", "c"], n // 3)
    X = rng.normal(size=(n, 3))
    coef = np.where((groups == "c")[:, None], [-0.5, 0.4, 0.6], [0.5, -0.3, 0.2])
    y = rng.poisson(np.exp(np.sum(X * coef, axis=1))).astype(float)
    model = GradientPoissonRegressorCV(
        cv=KFold(5, shuffle=True, random_state=0),
        sample_weighting="group",
        target_group="a",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # c may sit on a bound
        model.fit(X, y, sample_group=groups)
    weights = model.group_weights_
    assert weights["a"] == 1.0 and weights["c"] < weights["b"]
    factors = np.array([weights[g] for g in groups])
    ref = PoissonRegressor(alpha=model.alpha_, tol=1e-12, max_iter=10_000)
    ref.fit(X, y, sample_weight=factors)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-6)
    np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=1e-6)
