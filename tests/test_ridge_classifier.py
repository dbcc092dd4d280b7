"""GradientRidgeClassifierCV against scikit-learn's ridge classifiers: the
fitted model is RidgeClassifier at the chosen alpha, the criterion is
RidgeClassifierCV's (or an explicit refit over the splits), the search beats
RidgeClassifierCV's grid, and the fitted attributes look like its."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    make_classification,
    make_multilabel_classification,
)
from sklearn.linear_model import Ridge, RidgeClassifier, RidgeClassifierCV
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import compute_sample_weight
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhypergrad import GradientRidgeClassifierCV

GRID = np.logspace(-6, 6, 100)
KINDS = ["binary", "multiclass", "multilabel", "strings"]


def problem(kind, n=90, p=12, seed=0):
    if kind == "multilabel":
        return make_multilabel_classification(
            n, p, n_classes=3, n_labels=2, random_state=seed
        )
    X, y = make_classification(
        n,
        p,
        n_informative=4,
        n_redundant=2,
        n_classes=2 if kind in ("binary", "strings") else 4,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=seed,
    )
    if kind == "strings":
        y = np.array(["cat", "dog"])[y]
    return X, y


def imbalanced(n=100, p=10, seed=1):
    return make_classification(
        n,
        p,
        n_informative=4,
        n_classes=3,
        weights=[0.6, 0.3, 0.1],
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=seed,
    )


def targets(y):
    """The +1/-1 targets as RidgeClassifier defines them, one column for two
    classes."""
    return LabelBinarizer(pos_label=1, neg_label=-1).fit_transform(y)


def assert_is_ridge_classifier(model, X, y, sample_weight=None):
    reference = RidgeClassifier(
        alpha=model.alpha_,
        fit_intercept=model.fit_intercept,
        class_weight=model.class_weight,
        solver="cholesky",
    ).fit(X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        model.intercept_, reference.intercept_, rtol=1e-8, atol=1e-12
    )
    np.testing.assert_allclose(
        model.decision_function(X), reference.decision_function(X), rtol=1e-8
    )
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))
    np.testing.assert_array_equal(model.classes_, reference.classes_)


# -- the model at alpha_ -------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cv", [None, "gcv", 4])
def test_model_is_ridge_classifier_at_alpha(kind, cv):
    X, y = problem(kind)
    model = GradientRidgeClassifierCV(cv=cv).fit(X, y)
    assert isinstance(model.alpha_, float)
    assert_is_ridge_classifier(model, X, y)
    assert model.score(X, y) == pytest.approx(
        np.mean(np.all(np.reshape(model.predict(X) == y, (len(y), -1)), axis=1))
    )


@pytest.mark.parametrize("class_weight", [None, "balanced", {0: 1.0, 1: 3.0, 2: 0.5}])
@pytest.mark.parametrize("weighted", [False, True])
def test_weights_give_ridge_classifier_with_the_same_weights(class_weight, weighted):
    X, y = imbalanced()
    weights = np.random.default_rng(0).uniform(0.2, 3, len(y)) if weighted else None
    model = GradientRidgeClassifierCV(class_weight=class_weight).fit(
        X, y, sample_weight=weights
    )
    assert_is_ridge_classifier(model, X, y, weights)


def test_no_intercept_and_sparse_input():
    X, y = problem("multiclass")
    X[np.abs(X) < 0.7] = 0.0
    dense = GradientRidgeClassifierCV(fit_intercept=False).fit(X, y)
    assert_is_ridge_classifier(dense, X, y)
    sparse = GradientRidgeClassifierCV(fit_intercept=False).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.alpha_, dense.alpha_, rtol=1e-6)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-10)
    np.testing.assert_array_equal(sparse.predict(sp.csr_matrix(X)), dense.predict(X))


# -- the criterion -------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_loo_criterion_is_ridge_classifier_cv_s(kind):
    X, y = problem(kind)
    model = GradientRidgeClassifierCV().fit(X, y)
    reference = RidgeClassifierCV(alphas=[model.alpha_]).fit(X, y)
    assert model.best_score_ == pytest.approx(reference.best_score_, rel=1e-10)


@pytest.mark.parametrize("class_weight", [None, "balanced", {0: 1.0, 1: 3.0, 2: 0.5}])
def test_weighted_loo_criterion_is_ridge_classifier_cv_s(class_weight):
    # RidgeClassifierCV averages the weighted squared errors over the samples,
    # we divide by the sum of the weights: the same criterion up to the mean
    # weight (1 for "balanced").
    X, y = imbalanced()
    weights = np.random.default_rng(1).uniform(0.2, 3, len(y))
    model = GradientRidgeClassifierCV(class_weight=class_weight).fit(X, y, weights)
    reference = RidgeClassifierCV(alphas=[model.alpha_], class_weight=class_weight)
    reference.fit(X, y, sample_weight=weights)
    total = weights * (
        compute_sample_weight(class_weight, y) if class_weight else np.ones(len(y))
    )
    assert model.best_score_ * total.mean() == pytest.approx(
        reference.best_score_, rel=1e-10
    )


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cv_results_are_ridge_classifier_cv_s_at_the_evaluated_alphas(
    kind, class_weight, weighted
):
    X, y = problem(kind)
    weights = np.random.default_rng(3).uniform(0.2, 3, len(y)) if weighted else None
    model = GradientRidgeClassifierCV(store_cv_results=True, class_weight=class_weight)
    model.fit(X, y, sample_weight=weights)
    alphas = np.asarray(model.history_["alpha"], dtype=float)
    reference = RidgeClassifierCV(
        alphas=alphas, store_cv_results=True, class_weight=class_weight
    ).fit(X, y, sample_weight=weights)
    assert model.cv_results_.shape == reference.cv_results_.shape
    scale = np.abs(reference.cv_results_).max()
    np.testing.assert_allclose(
        model.cv_results_ / scale, reference.cv_results_ / scale, rtol=0, atol=1e-7
    )
    assert reference.alpha_ == model.alpha_


def refit_kfold_error(X, y, alpha, splits, sample_weight, class_weight=None):
    """Pooled (weighted) squared error of RidgeClassifier's decision function
    against the +1/-1 targets over the test sides, averaged over targets."""
    Y = targets(y).reshape(len(y), -1)
    weights = sample_weight * (
        compute_sample_weight(class_weight, y) if class_weight else 1.0
    )
    total, weight_sum = 0.0, 0.0
    for train, test in splits:
        model = RidgeClassifier(alpha=alpha, solver="cholesky")
        model.fit(X[train], y[train], sample_weight=weights[train])
        decision = model.decision_function(X[test]).reshape(len(test), -1)
        total += np.sum(weights[test, None] * (decision - Y[test]) ** 2)
        weight_sum += weights[test].sum()
    return total / weight_sum / Y.shape[1]


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_kfold_criterion_is_an_explicit_refit_over_the_splits(kind, class_weight):
    X, y = problem(kind, n=120) if class_weight is None else imbalanced(n=120)
    weights = np.random.default_rng(2).uniform(0.5, 2, len(y))
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    model = GradientRidgeClassifierCV(cv=cv, class_weight=class_weight)
    model.fit(X, y, sample_weight=weights)
    splits = list(cv.split(X, y))
    expected = refit_kfold_error(X, y, model.alpha_, splits, weights, class_weight)
    assert -model.best_score_ == pytest.approx(expected, rel=1e-9)
    assert_is_ridge_classifier(model, X, y, weights)


def test_int_cv_is_stratified_and_a_splitter_gets_groups():
    X, y = imbalanced(n=120)
    by_int = GradientRidgeClassifierCV(cv=3).fit(X, y)
    stratified = GradientRidgeClassifierCV(cv=StratifiedKFold(3)).fit(X, y)
    assert by_int.alpha_ == stratified.alpha_
    assert by_int.best_score_ == stratified.best_score_

    groups = np.arange(len(y)) % 5
    splits = list(GroupKFold(5).split(X, y, groups))
    routed = GradientRidgeClassifierCV(cv=GroupKFold(5)).fit(X, y, groups=groups)
    given = GradientRidgeClassifierCV(cv=splits).fit(X, y)
    assert routed.alpha_ == given.alpha_
    expected = refit_kfold_error(X, y, routed.alpha_, splits, np.ones(len(y)))
    assert -routed.best_score_ == pytest.approx(expected, rel=1e-9)


def test_groups_are_routed_with_metadata_routing():
    X, y = imbalanced(n=120)
    groups = np.arange(len(y)) % 4
    splits = list(GroupKFold(4).split(X, y, groups))
    given = GradientRidgeClassifierCV(cv=splits).fit(X, y)
    with config_context(enable_metadata_routing=True):
        routed = GradientRidgeClassifierCV(cv=GroupKFold(4)).fit(X, y, groups=groups)
        assert routed.alpha_ == given.alpha_
        loo = GradientRidgeClassifierCV().fit(X, y)
    assert loo.alpha_ == GradientRidgeClassifierCV().fit(X, y).alpha_


def test_groups_without_a_splitter_are_refused():
    X, y = imbalanced(n=120)
    with pytest.raises(ValueError, match="groups"):
        GradientRidgeClassifierCV().fit(X, y, groups=np.arange(len(y)) % 4)


def test_alphas_bound_the_search_as_a_grid_would():
    X, y = problem("multiclass")
    model = GradientRidgeClassifierCV(alphas=[1e-2, 1e-1, 1.0]).fit(X, y)
    assert 1e-2 <= model.alpha_ <= 1.0
    grid = RidgeClassifierCV(alphas=[1e-2, 1e-1, 1.0]).fit(X, y)
    assert -model.best_score_ <= -grid.best_score_ * (1 + 1e-6)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_search_beats_ridge_classifier_cv_grid(kind):
    X, y = problem(kind, n=150, p=30)
    model = GradientRidgeClassifierCV().fit(X, y)
    grid = RidgeClassifierCV(alphas=GRID).fit(X, y)
    assert -model.best_score_ <= -grid.best_score_ * (1 + 1e-6)


def test_alpha_per_class_fits_each_class_on_its_own():
    X, y = imbalanced(n=150)
    model = GradientRidgeClassifierCV(alpha_per_target=True).fit(X, y)
    assert model.alpha_.shape == (3,)
    assert model.best_score_.shape == (3,)
    Y = targets(y)
    for k in range(3):
        single = Ridge(alpha=model.alpha_[k], solver="cholesky").fit(X, Y[:, k])
        np.testing.assert_allclose(model.coef_[k], single.coef_, rtol=1e-8)
        np.testing.assert_allclose(model.intercept_[k], single.intercept_, rtol=1e-8)
    shared = GradientRidgeClassifierCV().fit(X, y)
    assert np.mean(-model.best_score_) <= -shared.best_score_ * (1 + 1e-6)


def test_feature_groups_label_the_alphas():
    X, y = problem("multiclass")
    labels = np.where(np.arange(X.shape[1]) < 6, "first", "second")
    model = GradientRidgeClassifierCV(feature_groups=labels).fit(X, y)
    np.testing.assert_array_equal(model.groups_, ["first", "second"])
    assert model.alpha_.shape == (2,)
    Y = targets(y)
    penalties = np.where(labels == "first", *model.alpha_)
    scale = 1.0 / np.sqrt(penalties)
    ridge = Ridge(alpha=1.0, solver="cholesky").fit(X * scale, Y)
    np.testing.assert_allclose(model.coef_, ridge.coef_ * scale, rtol=1e-7)


# -- drop-in: attributes, shapes, calls ----------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_attributes_look_like_ridge_classifier_cv_s(kind, dtype):
    X, y = problem(kind)
    X = X.astype(dtype)
    ours = GradientRidgeClassifierCV(store_cv_results=True).fit(X, y)
    theirs = RidgeClassifierCV(store_cv_results=True).fit(X, y)
    for name in ["coef_", "intercept_", "classes_", "cv_results_"]:
        mine, reference = getattr(ours, name), getattr(theirs, name)
        assert type(mine) is type(reference), name
        assert mine.shape[:2] == reference.shape[:2], name
        assert mine.dtype == reference.dtype, name
    assert type(ours.alpha_) is type(theirs.alpha_)
    assert np.shape(ours.best_score_) == np.shape(theirs.best_score_)
    assert ours.n_features_in_ == theirs.n_features_in_
    for method in ["decision_function", "predict"]:
        mine, reference = getattr(ours, method)(X), getattr(theirs, method)(X)
        assert mine.shape == reference.shape, method
        assert mine.dtype == reference.dtype, method


def test_ridge_classifier_cv_documentation_call_runs_unchanged():
    # From RidgeClassifierCV's docstring (scikit-learn 1.9).
    X, y = load_breast_cancer(return_X_y=True)
    clf = GradientRidgeClassifierCV(alphas=[1e-3, 1e-2, 1e-1, 1]).fit(X, y)
    assert clf.score(X, y) > 0.95


def test_every_ridge_classifier_cv_parameter_is_accepted():
    theirs = RidgeClassifierCV().get_params()
    ours = GradientRidgeClassifierCV().get_params()
    assert set(theirs) <= set(ours)
    X, y = imbalanced()
    model = GradientRidgeClassifierCV(
        np.logspace(-3, 3, 7),  # alphas, positional as in RidgeClassifierCV
        fit_intercept=True,
        scoring=None,
        cv=None,
        class_weight="balanced",
        store_cv_results=True,
    ).fit(X, y)
    assert model.cv_results_.shape[:2] == (len(y), 3)


def test_pandas_input_keeps_feature_names_and_string_labels():
    pd = pytest.importorskip("pandas")
    X, y = problem("strings")
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    model = GradientRidgeClassifierCV().fit(frame, pd.Series(y))
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    assert set(model.predict(frame)) <= {"cat", "dog"}
    groups = {"low": ["f0", "f1", "f2"], "high": list(frame.columns[3:])}
    grouped = GradientRidgeClassifierCV(feature_groups=groups).fit(frame, y)
    np.testing.assert_array_equal(grouped.groups_, ["low", "high"])
    assert grouped.alpha_.shape == (2,)


@pytest.mark.parametrize(
    "scoring", ["accuracy", "neg_mean_squared_error", "f1", lambda est, X, y: 0.0]
)
def test_scorers_are_refused_as_not_differentiable(scoring):
    X, y = problem("binary")
    with pytest.raises(ValueError, match="differentiable.*scoring=None"):
        GradientRidgeClassifierCV(scoring=scoring).fit(X, y)


@pytest.mark.parametrize("class_weight", ["balance", [1.0, 2.0], 3.0])
def test_invalid_class_weight_is_named(class_weight):
    X, y = problem("binary")
    with pytest.raises(ValueError, match="class_weight"):
        GradientRidgeClassifierCV(class_weight=class_weight).fit(X, y)


def test_continuous_or_single_class_targets_are_refused():
    X, y = problem("binary")
    with pytest.raises(ValueError, match="Unknown label type"):
        GradientRidgeClassifierCV().fit(X, y + 0.5)
    with pytest.raises(ValueError, match="only one class"):
        GradientRidgeClassifierCV().fit(X, np.zeros(len(y)))


def test_clone_and_pickle_round_trip():
    X, y = problem("multiclass")
    model = GradientRidgeClassifierCV(cv=3, class_weight="balanced").fit(X, y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "coef_")
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        restored.decision_function(X), model.decision_function(X)
    )
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


@parametrize_with_checks(
    [
        GradientRidgeClassifierCV(),
        GradientRidgeClassifierCV(cv=3, class_weight="balanced"),
        GradientRidgeClassifierCV(feature_groups="each", cv="gcv"),
        GradientRidgeClassifierCV(alpha_per_target=True),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
