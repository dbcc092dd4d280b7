"""Tuned sample weights in GradientRidgeCV: a time decay and per-group weights.

Gradients against central finite differences, the criterion against explicit
refits of scikit-learn's Ridge with the same weights, a drift of known rate,
and bad input."""

import pickle
import warnings

import numpy as np
import pytest
from _finite_differences import central_differences
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skhypergrad import GradientRidgeCV
from skhypergrad._core.layout import PenaltyLayout
from skhypergrad._core.weighting import GroupWeights, TimeDecay
from skhypergrad._ridge.weighted import WeightedLeaveOneOut, WeightedSplitsCriterion


def drifting(n=240, p=3, rate=1 / 60, noise=0.3, seed=0):
    """A linear relation whose coefficients turn at a known rate."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    X = rng.normal(size=(n, p)) + 1.0
    coef = np.column_stack(
        [np.sin(rate * t), np.cos(rate * t), np.full(n, 0.5)] + [np.zeros(n)] * (p - 3)
    )
    y = np.sum(X * coef, axis=1) + 2.0 + noise * rng.normal(size=n)
    return X, y, t


def layouts(p):
    return {
        "one": PenaltyLayout(np.zeros(p, dtype=int), 1, np.zeros(2), 1.0, 1.0),
        "each": PenaltyLayout(np.arange(p), p, np.zeros(2), 1.0, 1.0),
    }


def splits_of(kind, n):
    if kind == "kfold":
        return list(KFold(3, shuffle=True, random_state=0).split(np.arange(n)))
    if kind == "heldout":
        return [(np.arange(2 * n // 3), np.arange(2 * n // 3, n))]
    return list(TimeSeriesSplit(4, gap=2).split(np.arange(n)))


def scheme_of(name, t, groups):
    if name == "time_decay":
        return TimeDecay(t, None, None)
    return GroupWeights(groups, None, None, None)


CASES = [
    (kind, scheme, parametrisation, fit_intercept, weighted)
    for kind in ("kfold", "heldout", "forward")
    for scheme in ("time_decay", "group")
    for parametrisation in ("one", "each")
    for fit_intercept in (True, False)
    for weighted in (False, True)
]


def criterion_case(kind, scheme, parametrisation, fit_intercept, weighted, n=90):
    X, y, t = drifting(n)
    rng = np.random.default_rng(1)
    weights = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    groups = rng.integers(0, 3, n)
    layout = layouts(X.shape[1])[parametrisation]
    weighting = scheme_of(scheme, t, groups)
    splits = splits_of(kind, n)
    criterion = WeightedSplitsCriterion(
        X, y[:, None], weights, weights, splits, fit_intercept, layout, weighting
    )
    theta = np.concatenate(
        [
            rng.uniform(-1.0, 1.0, layout.n_groups),
            weighting.theta0 + rng.uniform(-0.5, 0.5, weighting.size),
        ]
    )
    return criterion, theta, (X, y, weights, splits, layout, weighting)


@pytest.mark.parametrize(
    "kind, scheme, parametrisation, fit_intercept, weighted", CASES
)
def test_gradient_matches_finite_differences(
    kind, scheme, parametrisation, fit_intercept, weighted
):
    criterion, theta, _ = criterion_case(
        kind, scheme, parametrisation, fit_intercept, weighted
    )
    value, grad = criterion(theta)
    assert np.isfinite(value)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-9
    )


@pytest.mark.parametrize("kind", ["kfold", "heldout", "forward"])
@pytest.mark.parametrize("scheme", ["time_decay", "group"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_criterion_equals_explicit_ridge_refits(kind, scheme, fit_intercept):
    criterion, theta, data = criterion_case(kind, scheme, "one", fit_intercept, True)
    X, y, weights, splits, layout, weighting = data
    alpha = np.exp(theta[0])
    errors, total = 0.0, 0.0
    for train, test in splits:
        factors, _ = weighting.factors(
            theta[1:], train, weighting.reference_time(train)
        )
        model = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky")
        model.fit(X[train], y[train], sample_weight=weights[train] * factors)
        errors += weights[test] @ (y[test] - model.predict(X[test])) ** 2
        total += weights[test].sum()
    np.testing.assert_allclose(criterion(theta)[0], errors / total, rtol=1e-8)


def test_time_decay_references_each_split_to_its_latest_training_time():
    t = np.array([0.0, 1.0, 2.0, 5.0])
    decay = TimeDecay(t, 2.0, None)
    factors, _ = decay.factors(
        np.log([2.0]), np.arange(3), decay.reference_time([0, 1, 2])
    )
    np.testing.assert_allclose(factors, [0.5, 2**-0.5, 1.0])


def test_the_model_is_ridge_with_the_tuned_weights():
    X, y, t = drifting()
    weights = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    model = GradientRidgeCV(cv=TimeSeriesSplit(5), sample_weighting="time_decay")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=weights, sample_time=t * 7.0)
    decay = 2.0 ** (-(t.max() - t) * 7.0 / model.half_life_)
    ref = Ridge(alpha=model.alpha_).fit(X, y, sample_weight=weights * decay)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-8)
    np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=1e-8)
    assert set(model.history_) >= {"alpha", "half_life", "score"}
    assert model.best_score_ == pytest.approx(-np.min(-model.history_["score"]))


def forward_error(X, y, t, half_life, splitter):
    """The best forward-chaining error over alpha at a fixed half-life."""
    model = GradientRidgeCV(
        cv=splitter,
        sample_weighting="time_decay",
        half_life_bounds=(half_life, half_life),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return -model.fit(X, y, sample_time=t).best_score_


def test_a_drift_of_known_rate_gives_the_brute_force_half_life():
    X, y, t = drifting(n=400, rate=1 / 80, noise=0.5)
    splitter = TimeSeriesSplit(6)
    grid = np.geomspace(1.0, 1e2 * np.ptp(t), 50)  # the default bounds
    errors = [forward_error(X, y, t, h, splitter) for h in grid]
    best = grid[int(np.argmin(errors))]
    model = GradientRidgeCV(cv=splitter, sample_weighting="time_decay")
    model.fit(X, y, sample_time=t)
    assert best / 2 <= model.half_life_ <= best * 2, (model.half_life_, best)
    assert -model.best_score_ <= min(errors) * (1 + 1e-6)
    no_decay = GradientRidgeCV(cv=splitter).fit(X, y)
    assert -model.best_score_ < 0.8 * -no_decay.best_score_


def test_group_weights_follow_how_useful_each_group_is():
    # Group "a" is predicted; "b" shares its relation, "c" has another one.
    rng = np.random.default_rng(0)
    n = 300
    groups = np.repeat(["a", "b", "c"], n // 3)
    X = rng.normal(size=(n, 3))
    coef = np.where((groups == "c")[:, None], [-1.0, 0.5, 2.0], [1.0, -0.5, 0.3])
    y = np.sum(X * coef, axis=1) + 0.5 * rng.normal(size=n)
    model = GradientRidgeCV(
        cv=KFold(5, shuffle=True, random_state=0),
        sample_weighting="group",
        target_group="a",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # c may sit on a bound
        model.fit(X, y, sample_group=groups)
    weights = model.group_weights_
    assert set(weights) == {"a", "b", "c"} and weights["a"] == 1.0
    # b's weight is loosely identified (more data of the same relation helps a
    # little, and trades off with alpha); c, of another relation, is dropped.
    assert weights["c"] < 0.05 * weights["b"]
    equal = GradientRidgeCV(
        cv=KFold(5, shuffle=True, random_state=0),
        sample_weighting="group",
        target_group="a",
        group_weight_bounds=(1.0, 1.0),
    ).fit(X, y, sample_group=groups)
    assert -model.best_score_ < 0.5 * -equal.best_score_
    # The criterion counts the target group only: explicit refits.
    errors, total = 0.0, 0.0
    factors = np.array([weights[g] for g in groups])
    for train, test in KFold(5, shuffle=True, random_state=0).split(X):
        ref = Ridge(alpha=model.alpha_).fit(X[train], y[train], factors[train])
        mask = groups[test] == "a"
        errors += np.sum((y[test][mask] - ref.predict(X[test][mask])) ** 2)
        total += mask.sum()
    np.testing.assert_allclose(-model.best_score_, errors / total, rtol=1e-6)


def test_pipeline_routing_pickle_and_refit_without_weighting():
    X, y, t = drifting()
    pipe = make_pipeline(
        StandardScaler(),
        GradientRidgeCV(cv=TimeSeriesSplit(4), sample_weighting="time_decay"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, y, gradientridgecv__sample_time=t)
    model = pipe[-1]
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(X), pipe.predict(X))
    assert hasattr(model, "half_life_")
    model.set_params(sample_weighting=None).fit(X, y)
    assert not hasattr(model, "half_life_")


DECAY = {"sample_weighting": "time_decay"}
GROUP = {"sample_weighting": "group"}
OK_GROUPS = {"sample_group": "ok"}


@pytest.mark.parametrize(
    "params, fit_params, error, match",
    [
        ({"sample_weighting": "decay"}, {}, ValueError, "sample_weighting"),
        ({}, {"sample_time": "t"}, ValueError, "sample_time"),
        (DECAY, {"sample_time": "short"}, ValueError, "sample_time"),
        (DECAY, {"sample_time": "nan"}, ValueError, "sample_time"),
        (DECAY, {"sample_time": "text"}, TypeError, "sample_time"),
        (DECAY, {"sample_time": "constant"}, ValueError, "sample_time"),
        ({**DECAY, "half_life_bounds": (0.0, 5.0)}, {}, ValueError, "half_life_bounds"),
        ({**DECAY, "half_life": -1.0}, {}, ValueError, "half_life"),
        ({**DECAY, "cv": "gcv"}, {}, ValueError, "cv"),
        ({**DECAY, "scoring": "r2"}, {}, ValueError, "scoring"),
        (GROUP, {}, ValueError, "sample_group"),
        (GROUP, {"sample_group": "short"}, ValueError, "sample_group"),
        ({**GROUP, "target_group": "z"}, OK_GROUPS, ValueError, "target_group"),
        (
            {**GROUP, "group_weight_bounds": (2.0, 1.0)},
            OK_GROUPS,
            ValueError,
            "group_weight_bounds",
        ),
        ({**GROUP, "group_weight": {"z": 2.0}}, OK_GROUPS, ValueError, "group_weight"),
    ],
)
def test_bad_input_names_the_argument(params, fit_params, error, match):
    X, y, t = drifting(60)
    values = {
        "t": t,
        "short": t[:-1],
        "nan": np.where(t == 3, np.nan, t),
        "text": np.array(["a"] * len(t)),
        "constant": np.zeros(len(t)),
        "ok": np.repeat(["a", "b"], len(t) // 2),
    }
    fit_params = {name: values[key] for name, key in fit_params.items()}
    params = {"cv": TimeSeriesSplit(3), **params}
    with pytest.raises(error, match=match):
        GradientRidgeCV(**params).fit(X, y, **fit_params)


def test_the_half_life_is_named_in_history_verbose_and_warnings(capsys):
    X, y, t = drifting(120, rate=1 / 5)  # an optimum outside narrow bounds
    model = GradientRidgeCV(
        cv=TimeSeriesSplit(4),
        sample_weighting="time_decay",
        half_life_bounds=(50.0, 500.0),
        verbose=1,
    )
    with pytest.warns(ConvergenceWarning, match="half_life.*half_life_bounds"):
        model.fit(X, y, sample_time=t)
    assert np.min(np.abs(np.log(model.half_life_ / np.array([50.0, 500.0])))) < 1e-9
    assert "half_life=" in capsys.readouterr().out


def test_a_target_group_absent_from_every_validation_set_is_an_error():
    X, y, _ = drifting(60)
    groups = np.repeat(["a", "b"], 30)
    held_out = [(np.arange(30), np.arange(30, 60))]  # validation: group b only
    model = GradientRidgeCV(cv=held_out, sample_weighting="group", target_group="a")
    with pytest.raises(ValueError, match="target_group"):
        model.fit(X, y, sample_group=groups)


@pytest.mark.parametrize("scheme", ["time_decay", "group"])
@pytest.mark.parametrize("parametrisation", ["one", "each"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_targets", [1, 2])
def test_leave_one_out_gradient_matches_finite_differences(
    scheme, parametrisation, fit_intercept, n_targets
):
    X, y, t = drifting(50)
    rng = np.random.default_rng(1)
    weights = rng.uniform(0.5, 2.0, len(y))
    Y = np.column_stack([y, y**2 / 5])[:, :n_targets]
    layout = layouts(X.shape[1])[parametrisation]
    weighting = scheme_of(scheme, t, rng.integers(0, 3, len(y)))
    criterion = WeightedLeaveOneOut(
        X, Y, weights, weights, fit_intercept, layout, weighting
    )
    theta = np.concatenate(
        [
            rng.uniform(-1.0, 1.0, layout.n_groups),
            weighting.theta0 + rng.uniform(-0.5, 0.5, weighting.size),
        ]
    )
    _, grad = criterion(theta)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-9
    )


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_leave_one_out_equals_explicit_ridge_refits(fit_intercept):
    X, y, t = drifting(40)
    rng = np.random.default_rng(2)
    weights = rng.uniform(0.5, 2.0, len(y))
    groups = rng.integers(0, 3, len(y))
    model = GradientRidgeCV(
        sample_weighting="group", fit_intercept=fit_intercept
    )  # cv=None: exact leave-one-out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=weights, sample_group=groups)
    factors = np.array([model.group_weights_[g] for g in groups])
    errors = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        ref = Ridge(alpha=model.alpha_, fit_intercept=fit_intercept)
        ref.fit(X[keep], y[keep], sample_weight=(weights * factors)[keep])
        errors.append(y[i] - ref.predict(X[i : i + 1])[0])
    expected = weights @ np.square(errors) / weights.sum()
    np.testing.assert_allclose(-model.best_score_, expected, rtol=1e-8)
