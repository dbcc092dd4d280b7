"""feature_groups given by column names: a mapping from group label to
columns, or a callable from feature name to group label, resolved at fit."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skhypergrad import (
    GradientLogisticRegressionCV,
    GradientPoissonRegressorCV,
    GradientRidgeCV,
)
from skhypergrad._core.space import Hyperparameter, SearchSpace

pd = pytest.importorskip("pandas")

COLUMNS = ["num__age", "num__bmi", "num__bp", "cat__a", "cat__b", "txt__len"]
# The same groups three ways: labels per feature, a mapping, a callable.
LABELS = np.array(["num", "num", "num", "cat", "cat", "txt"])
MAPPING = {
    "cat": ["cat__a", "cat__b"],
    "num": ["num__age", "num__bmi", "num__bp"],
    "txt": ["txt__len"],
}


def prefix(name):
    """The transformer's prefix of a ColumnTransformer output column."""
    return name.split("__")[0]


def problem(n=80, seed=0):
    """A DataFrame whose column groups matter unequally, a regression target
    and a binary one."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(COLUMNS))) * [1.0, 2.0, 0.5, 1.0, 3.0, 1.0]
    y = X @ [1.0, 0.5, -2.0, 0.3, -0.1, 0.0] + rng.normal(size=n)
    return pd.DataFrame(X, columns=COLUMNS), y, (y > np.median(y)).astype(int)


def quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # bounds are fine
        return estimator.fit(X, y)


MAKERS = {
    "ridge": (GradientRidgeCV, {}, "alpha_", 1),
    "logistic": (GradientLogisticRegressionCV, {"cv": 3}, "C_", 2),
}


# --------------------------------------------------------------------------
# The three forms give the same model.


@pytest.mark.parametrize("which", MAKERS)
@pytest.mark.parametrize(
    "groups",
    [
        pytest.param(MAPPING, id="mapping-of-names"),
        pytest.param({"cat": [3, 4], "num": [0, 1, -4], "txt": [5]}, id="indices"),
        pytest.param(prefix, id="callable"),
        pytest.param(lambda name: name.split("__")[0], id="lambda"),
    ],
)
def test_mapping_and_callable_equal_the_label_array(which, groups):
    make, params, name, target = MAKERS[which]
    X, *ys = problem()
    y = ys[target - 1]
    by_array = quietly(make(feature_groups=LABELS, **params), X, y)
    by_name = quietly(make(feature_groups=groups, **params), X, y)
    np.testing.assert_array_equal(by_name.groups_, ["cat", "num", "txt"])
    np.testing.assert_array_equal(by_name.groups_, by_array.groups_)
    assert getattr(by_array, name).shape == (3,)
    np.testing.assert_array_equal(getattr(by_name, name), getattr(by_array, name))
    np.testing.assert_array_equal(by_name.coef_, by_array.coef_)
    np.testing.assert_array_equal(by_name.intercept_, by_array.intercept_)


def test_without_column_names_features_are_x0_x1():
    """On a NumPy array, a callable sees scikit-learn's default names and a
    mapping may use them or indices: both equal the label array."""
    X, y, _ = problem()
    X = X.to_numpy()
    seen = []

    def group_of(name):
        seen.append(name)
        return LABELS[int(name[1:])]

    by_array = quietly(GradientRidgeCV(feature_groups=LABELS), X, y)
    by_callable = quietly(GradientRidgeCV(feature_groups=group_of), X, y)
    assert seen == [f"x{j}" for j in range(X.shape[1])]
    by_names = {"cat": ["x3", "x4"], "num": ["x0", "x1", "x2"], "txt": "x5"}
    by_mapping = quietly(GradientRidgeCV(feature_groups=by_names), X, y)
    for model in (by_callable, by_mapping):
        np.testing.assert_array_equal(model.alpha_, by_array.alpha_)
        np.testing.assert_array_equal(model.coef_, by_array.coef_)


# --------------------------------------------------------------------------
# groups_: its order and its alignment with the fitted penalties.


def test_mapping_keeps_its_order_and_groups_label_alpha():
    """A mapping's groups come in its own order (labels per feature are
    sorted); groups_[k] is the group penalised by alpha_[k]: Ridge with
    alpha 1 on each column divided by the root of its group's alpha
    reproduces coef_."""
    X, y, _ = problem()
    reverse = dict(reversed(MAPPING.items()))
    model = quietly(GradientRidgeCV(feature_groups=reverse), X, y)
    sorted_model = quietly(GradientRidgeCV(feature_groups=MAPPING), X, y)
    np.testing.assert_array_equal(model.groups_, ["txt", "num", "cat"])
    np.testing.assert_allclose(model.alpha_, sorted_model.alpha_[::-1], rtol=1e-6)
    assert len(set(np.round(np.log(model.alpha_), 2))) == 3  # an order to check
    lam = model.alpha_[[list(model.groups_).index(label) for label in LABELS]]
    reference = Ridge(alpha=1.0, solver="cholesky").fit(X / np.sqrt(lam), y)
    np.testing.assert_allclose(
        model.coef_, reference.coef_ / np.sqrt(lam), rtol=1e-8, atol=1e-10
    )


def test_logistic_groups_label_C():
    """``C_[k]`` is the inverse penalty of the features of ``groups_[k]``:
    LogisticRegression(C=1) on columns times the root of their C gives the
    same model."""
    X, _, y = problem(n=120)
    groups = {"txt": ["txt__len"], "cat": ["cat__a", "cat__b"], "num": [0, 1, 2]}
    model = quietly(GradientLogisticRegressionCV(cv=3, feature_groups=groups), X, y)
    np.testing.assert_array_equal(model.groups_, ["txt", "cat", "num"])
    scale = np.sqrt(model.C_[[list(model.groups_).index(g) for g in LABELS]])
    reference = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000)
    reference.fit(X.to_numpy() * scale, y)
    np.testing.assert_allclose(model.coef_, reference.coef_ * scale, rtol=1e-5)


def test_refit_without_groups_drops_groups_():
    X, _, y = problem()
    model = quietly(GradientLogisticRegressionCV(cv=3, feature_groups=prefix), X, y)
    assert model.groups_.shape == (3,)
    model.set_params(feature_groups=None).fit(X, y)
    assert not hasattr(model, "groups_")
    assert model.C_.shape == (1,)  # one C, LogisticRegressionCV's layout


# --------------------------------------------------------------------------
# Encoders whose number of columns changes between folds.


def varying_columns(n=60):
    """A DataFrame with a category that only the first rows have: a training
    fold without them one-hot encodes one column fewer."""
    rng = np.random.default_rng(0)
    region = rng.choice(["north", "south", "east"], size=n).astype(object)
    region[:3] = "island"
    frame = pd.DataFrame(
        {"age": rng.normal(size=n), "bmi": rng.normal(size=n), "region": region}
    )
    y = frame["age"] - 0.5 * frame["bmi"] + (region == "south") + rng.normal(size=n)
    return frame, y.to_numpy()


def encoded(estimator):
    encoder = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "bmi"]),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ["region"],
            ),
        ]
    ).set_output(transform="pandas")
    return make_pipeline(encoder, estimator)


@pytest.mark.parametrize(
    "make",
    [GradientRidgeCV, GradientLogisticRegressionCV, GradientPoissonRegressorCV],
    ids=lambda make: make.__name__,
)
def test_groups_by_name_survive_columns_that_vary_across_folds(make):
    frame, y = varying_columns()
    if make is GradientLogisticRegressionCV:
        y = (y > np.median(y)).astype(int)
    elif make is GradientPoissonRegressorCV:
        y = np.random.default_rng(1).poisson(np.exp(0.3 * (y - y.mean())))
    folds = KFold(5)  # the first fold holds every "island" row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = cross_validate(
            encoded(make(feature_groups=prefix)),
            frame,
            y,
            cv=folds,
            error_score="raise",
            return_estimator=True,
        )
    assert np.all(np.isfinite(result["test_score"]))
    widths = [pipe[-1].n_features_in_ for pipe in result["estimator"]]
    assert sorted(set(widths)) == [5, 6], widths  # the columns did vary
    for pipe in result["estimator"]:
        np.testing.assert_array_equal(pipe[-1].groups_, ["cat", "num"])


def test_label_array_fails_where_columns_vary():
    """The motivating failure: labels fixed for the full data's columns do
    not fit a fold that encodes fewer."""
    frame, y = varying_columns()
    labels = ["num", "num"] + ["cat"] * 4  # island, east, north, south
    with pytest.raises(ValueError, match="feature_groups must have one label"):
        cross_validate(
            encoded(GradientRidgeCV(feature_groups=labels)),
            frame,
            y,
            cv=KFold(5),
            error_score="raise",
        )


# --------------------------------------------------------------------------
# Errors: each names feature_groups and what is wrong with it.


ERROR_CASES = [
    pytest.param(
        {"num": ["num__age", "num__bmi", "num__bpp"], "rest": [3, 4, 5]},
        True,
        ValueError,
        r"feature_groups names columns that are not features of X: "
        r"'num__bpp' \(group 'num'\)\. The features are num__age",
        id="unknown-name",
    ),
    pytest.param(
        {"a": [0, 1, 2], "b": [3, 4, 9]},
        True,
        ValueError,
        r"feature_groups names columns .*: 9 \(group 'b'\)",
        id="index-out-of-range",
    ),
    pytest.param(
        MAPPING,
        False,
        ValueError,
        r"feature_groups names columns .*'num__age' \(group 'num'\).* X has no "
        r"column names .* x0, x1",
        id="names-without-column-names",
    ),
    pytest.param(
        {"a": ["num__age", "num__bmi", "num__bp", "cat__a"], "b": [3, 4, 5]},
        True,
        ValueError,
        r"feature_groups puts features in more than one group: cat__a \('a', 'b'\)",
        id="column-in-two-groups",
    ),
    pytest.param(
        {"num": ["num__age", "num__bmi"], "cat": ["cat__a"]},
        True,
        ValueError,
        r"feature_groups leaves features in no group: num__bp, cat__b, txt__len",
        id="columns-in-no-group",
    ),
    pytest.param(
        {**MAPPING, "empty": []},
        True,
        ValueError,
        r"feature_groups has groups with no features: 'empty'",
        id="empty-group",
    ),
    pytest.param(
        {"a": [0, 1, 2], 1: [3, 4, 5]},
        True,
        ValueError,
        r"feature_groups labels must be all strings or all numbers.*'a', 1",
        id="mixed-mapping-labels",
    ),
    pytest.param(
        lambda name: len(name) if name.startswith("num") else name,
        True,
        ValueError,
        r"feature_groups labels must be all strings or all numbers",
        id="mixed-callable-labels",
    ),
    pytest.param(
        {None: [0, 1, 2], "b": [3, 4, 5]},
        True,
        TypeError,
        r"feature_groups group labels must be strings or numbers, got None",
        id="none-label",
    ),
    pytest.param(
        {"a": [0, 1, 2], "b": [3, 4, 5.0]},
        True,
        TypeError,
        r"feature_groups\['b'\] must list column names .* got 5\.0",
        id="float-column",
    ),
    pytest.param(
        {"cat": "cat__a cat__b", "num": [0, 1, 2, 5]},
        True,
        ValueError,
        r"'cat__a cat__b' \(group 'cat'\)",
        id="string-is-one-name",
    ),
    pytest.param(
        {"num": [0, 1, 2], "rest": 3.5},
        True,
        TypeError,
        r"feature_groups\['rest'\] must be a list of column names or indices",
        id="not-a-list",
    ),
    pytest.param(
        lambda name: {"num__age": "a", "num__bmi": "a"}[name],
        True,
        ValueError,
        r"feature_groups raised KeyError on the feature 'num__bp'",
        id="callable-raises",
    ),
    pytest.param(
        lambda name: name.split("__")[1],
        False,
        ValueError,
        r"feature_groups raised IndexError on the feature 'x0' \(X has no "
        r"column names",
        id="callable-raises-on-default-names",
    ),
    pytest.param(
        lambda name: None if name.startswith("cat") else "other",
        True,
        TypeError,
        r"feature_groups must map each feature name to a group label .* "
        r"None for 'cat__a', None for 'cat__b'\.",
        id="callable-returns-none",
    ),
    pytest.param(
        lambda name: name.split("__"),
        True,
        TypeError,
        r"feature_groups must map .*\['num', 'age'\] for 'num__age'",
        id="callable-returns-unhashable",
    ),
    pytest.param(
        "every",
        True,
        ValueError,
        r"feature_groups must be None, 'each', an array .* a mapping or a callable",
        id="unknown-string",
    ),
]


@pytest.mark.parametrize("groups, named, error, match", ERROR_CASES)
@pytest.mark.parametrize(
    "make",
    [GradientRidgeCV, GradientLogisticRegressionCV, GradientPoissonRegressorCV],
    ids=lambda make: make.__name__,
)
def test_bad_groups_name_themselves_and_the_culprits(make, groups, named, error, match):
    X, y, labels = problem()
    X = X if named else X.to_numpy()
    if make is GradientLogisticRegressionCV:
        y = labels
    elif make is GradientPoissonRegressorCV:
        y = np.random.default_rng(0).poisson(np.exp(0.1 * y)).astype(float)
    with pytest.raises(error, match=match):
        make(feature_groups=groups).fit(X, y)


def test_lenient_column_specifications():
    """A single name or index stands for a one-column group, negative indices
    count from the end, and a column listed twice in its own group is in one
    group: all equal the label array."""
    X, y, _ = problem()
    groups = {
        "cat": ["cat__a", -2, "cat__a"],
        "num": ["num__age", 1, "num__bp"],
        "txt": -1,
    }
    model = quietly(GradientRidgeCV(feature_groups=groups), X, y)
    reference = quietly(GradientRidgeCV(feature_groups=LABELS), X, y)
    np.testing.assert_array_equal(model.alpha_, reference.alpha_)


# --------------------------------------------------------------------------
# Warnings name the group and its features.


def noisy_groups(n=60, n_noise=8, seed=0):
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(n, 2))
    noise = rng.normal(size=(n, n_noise))
    y = signal @ [2.0, -1.0] + 0.5 * rng.normal(size=n)
    columns = ["sig__a", "sig__b"] + [f"noise__n{j}" for j in range(n_noise)]
    return pd.DataFrame(np.hstack([signal, noise]), columns=columns), y


def test_bound_warning_names_the_group_and_its_features():
    X, y = noisy_groups(n_noise=2)
    model = GradientRidgeCV(feature_groups=prefix, alpha_bounds=(1e-3, 10.0))
    with pytest.warns(
        ConvergenceWarning,
        match=r"alpha sits on its upper bound 10 for 1 of 2 groups: 'noise' "
        r"\(features noise__n0, noise__n1\)\. .* a group at the upper bound may "
        r"simply be irrelevant",
    ):
        model.fit(X, y)
    assert model.alpha_[list(model.groups_).index("noise")] == pytest.approx(10.0)


def test_bound_warning_shortens_long_groups():
    X, y = noisy_groups(n_noise=12)
    model = GradientLogisticRegressionCV(
        cv=3, feature_groups=prefix, C_bounds=(0.1, 1e3)
    )
    with pytest.warns(
        ConvergenceWarning,
        match=r"C sits on its lower bound 0\.1 for 1 of 2 groups: 'noise' "
        r"\(features noise__n0, noise__n1, noise__n2, noise__n3, noise__n4 and "
        r"7 more\)",
    ):
        model.fit(X, (y > 0).astype(int))


def test_bound_warning_of_a_single_named_group():
    X, y = noisy_groups(n_noise=1)
    X = X[["noise__n0"]]
    with pytest.warns(
        ConvergenceWarning,
        match=r"upper bound 10 for the group 'noise' \(feature noise__n0\)\.",
    ):
        GradientRidgeCV(feature_groups=prefix, alpha_bounds=(1e-3, 10.0)).fit(X, y)


def test_features_of_an_unnamed_array_are_x0_x1_in_warnings():
    X, y = noisy_groups(n_noise=2)
    with pytest.warns(
        ConvergenceWarning, match=r"for 2 of 4 features: 'x2', 'x3'\. Consider"
    ):
        GradientRidgeCV(feature_groups="each", alpha_bounds=(1e-3, 10.0)).fit(
            X.to_numpy(), y
        )


def test_bound_messages_list_groups_and_members():
    """The sentence itself: groups on the bound only, their features, ten
    groups at most."""
    n_groups = 12
    members = tuple(np.array([f"g{k}_f{j}" for j in range(k + 1)]) for k in range(12))
    hyper = Hyperparameter(
        "alpha",
        np.log([[1e-3, 10.0]] * n_groups),
        "alpha_bounds",
        labels=np.array([f"g{k}" for k in range(n_groups)]),
        label_kind="group",
        members=members,
        off_side="upper",
    )
    theta = np.log(np.r_[1.0, np.full(n_groups - 1, 10.0)])
    (message,) = SearchSpace((hyper,)).bound_messages(theta)
    assert "for 11 of 12 groups: 'g1' (features g1_f0, g1_f1), 'g2' " in message
    assert "'g0'" not in message
    assert "'g5' (features g5_f0, g5_f1, g5_f2, g5_f3, g5_f4 and 1 more)" in message
    assert "'g10'" in message and "'g11'" not in message
    assert ", ... (11 in all). Consider increasing" in message


# --------------------------------------------------------------------------
# Parameters: clone, get/set_params, grid search, pickling.


@pytest.mark.parametrize("groups", [MAPPING, prefix, lambda name: name[:3]])
def test_clone_keeps_mappings_and_callables(groups):
    model = GradientRidgeCV(feature_groups=groups)
    copy = clone(model)
    assert copy.get_params()["feature_groups"] == groups
    if isinstance(groups, dict):
        assert copy.feature_groups is not groups  # deep-copied, not shared
    X, y, _ = problem()
    fitted = quietly(copy, X, y)
    np.testing.assert_array_equal(fitted.groups_, ["cat", "num", "txt"])
    assert model.set_params(feature_groups=None).feature_groups is None


def test_grid_search_over_feature_groups():
    X, y, _ = problem()
    candidates = [None, "each", LABELS, MAPPING, prefix, lambda name: name[:3]]
    search = GridSearchCV(
        GradientRidgeCV(), {"feature_groups": candidates}, cv=KFold(3)
    )
    quietly(search, X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (len(candidates),) and np.all(np.isfinite(scores))
    # The same groups, three ways, score the same.
    np.testing.assert_allclose(scores[2:5], scores[2], rtol=1e-12)
    assert search.cv_results_["params"][4]["feature_groups"] is prefix
    only_callable = GridSearchCV(
        GradientRidgeCV(), {"feature_groups": [prefix]}, cv=KFold(3)
    )
    best = quietly(only_callable, X, y).best_estimator_
    assert best.feature_groups is prefix
    np.testing.assert_array_equal(best.groups_, ["cat", "num", "txt"])


def test_pickle_with_a_function_not_a_lambda():
    """A module-level function pickles (by reference); a lambda, as always in
    Python, does not."""
    X, y, _ = problem()
    model = quietly(GradientRidgeCV(feature_groups=prefix), X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    np.testing.assert_array_equal(restored.groups_, model.groups_)
    with_lambda = GradientRidgeCV(feature_groups=lambda name: name[:3])
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(with_lambda)
