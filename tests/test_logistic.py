"""GradientLogisticRegressionCV against scikit-learn's LogisticRegression."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from skhypergrad import GradientLogisticRegressionCV
from skhypergrad._core.layout import PenaltyLayout
from skhypergrad._glm.alo import ApproximateLeaveOneOut
from skhypergrad._glm.losses import BinaryLogLoss, MultinomialLogLoss
from skhypergrad._glm.newton import NewtonSolver


def classification(n_classes=2, n=240, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=seed,
    )
    return X, y


def reference(C, **params):
    return LogisticRegression(C=C, tol=1e-12, max_iter=10_000, **params)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_model_equals_logistic_regression_at_C(n_classes, fit_intercept):
    X, y = classification(n_classes)
    weights = np.linspace(0.5, 2.0, len(y))
    model = GradientLogisticRegressionCV(cv=3, fit_intercept=fit_intercept)
    model.fit(X, y, sample_weight=weights)
    ref = reference(model.C_[0], fit_intercept=fit_intercept)
    ref.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(
        model.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_array_equal(model.predict(X), ref.predict(X))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_best_score_is_the_pooled_cross_validated_log_loss(n_classes):
    X, y = classification(n_classes)
    splitter = StratifiedKFold(4, shuffle=True, random_state=0)
    model = GradientLogisticRegressionCV(cv=splitter).fit(X, y)
    proba = cross_val_predict(
        reference(model.C_[0]), X, y, cv=splitter, method="predict_proba"
    )
    np.testing.assert_allclose(-model.best_score_, log_loss(y, proba), rtol=1e-6)
    # No C of a grid does better on the same folds.
    for C in np.logspace(-4, 4, 9):
        proba = cross_val_predict(
            reference(C), X, y, cv=splitter, method="predict_proba"
        )
        assert -model.best_score_ <= log_loss(y, proba) * (1 + 1e-8)


def test_string_labels_and_class_weight():
    X, y = classification(3)
    labels = np.array(["cat", "dog", "emu"])[y]
    model = GradientLogisticRegressionCV(cv=3, class_weight="balanced").fit(X, labels)
    np.testing.assert_array_equal(model.classes_, ["cat", "dog", "emu"])
    assert set(model.predict(X)) <= {"cat", "dog", "emu"}
    ref = reference(model.C_[0], class_weight="balanced").fit(X, labels)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-5, atol=1e-8)


def test_separable_classes_give_finite_C_on_the_bound_with_a_warning():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    X[:, 0] += np.where(y == 1, 1.0, -1.0)  # a wide margin
    with pytest.warns(ConvergenceWarning, match="upper bound"):
        model = GradientLogisticRegressionCV(cv=3, C_bounds=(1e-2, 1e3)).fit(X, y)
    np.testing.assert_allclose(model.C_, [1e3])
    assert np.all(np.isfinite(model.coef_))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_alo_score_is_the_criterion_at_C_and_the_model_is_logistic_regression(
    n_classes,
):
    X, y = classification(n_classes, n=150)
    weights = np.linspace(0.5, 2.0, len(y))
    model = GradientLogisticRegressionCV(cv="alo").fit(X, y, sample_weight=weights)
    (C,) = set(model.C_)  # one C, repeated for every class
    assert model.C_.shape == (1 if n_classes == 2 else n_classes,)
    assert 1e-4 < C < 1e4
    loss = BinaryLogLoss() if n_classes == 2 else MultinomialLogLoss(n_classes)
    target = y.astype(float) if n_classes == 2 else y
    # One penalty lam = 1 / C for every feature.
    layout = PenaltyLayout(np.zeros(X.shape[1], dtype=int), 1, np.zeros(2), 1.0, -1.0)
    criterion = ApproximateLeaveOneOut(
        NewtonSolver(X, target, weights, True, loss), layout
    )
    value, grad = criterion(np.log([C]))
    np.testing.assert_allclose(-model.best_score_, value, rtol=1e-10)
    # An interior optimum of the one-dimensional search: a flat criterion.
    assert abs(grad[0]) < 1e-4 * value
    ref = reference(C).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(
        model.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-9
    )


def test_one_class_is_an_error():
    X, _ = classification(2)
    with pytest.raises(ValueError, match="class"):
        GradientLogisticRegressionCV().fit(X, np.zeros(len(X)))


def test_pipeline_pickle_and_sparse_input():
    import pickle

    import scipy.sparse as sp
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = classification(3)
    pipe = make_pipeline(StandardScaler(), GradientLogisticRegressionCV(cv=3))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert np.all(scores > 0.5)
    model = GradientLogisticRegressionCV(cv=3).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    X_sparse = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    dense = GradientLogisticRegressionCV(cv=3).fit(X_sparse.toarray(), y)
    sparse = GradientLogisticRegressionCV(cv=3).fit(X_sparse, y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"C": -1.0}, "C"),
        ({"C_bounds": (1.0, 0.1)}, "C_bounds"),
        ({"cv": "gcv"}, "cv"),
        ({"feature_groups": [0, 1]}, "feature_groups"),
        ({"max_iter": 0}, "max_iter"),
        ({"search_max_iter": 0}, "search_max_iter"),
        ({"tol": -1.0}, "tol"),
        ({"search_tol": -1.0}, "search_tol"),
    ],
)
def test_bad_parameters_name_themselves(params, match):
    X, y = classification(2)
    with pytest.raises(ValueError, match=match):
        GradientLogisticRegressionCV(**params).fit(X, y)


def test_per_feature_C_no_worse_than_one_C():
    X, y = classification(2)
    one = GradientLogisticRegressionCV(cv=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # C on a bound is fine
        each = GradientLogisticRegressionCV(cv=3, feature_groups="each").fit(X, y)
    assert each.C_.shape == (X.shape[1],)
    assert each.best_score_ >= one.best_score_ - 1e-12


def test_kfold_refit_starts_from_the_folds_solutions(monkeypatch):
    # The final fit on all the data starts from the mean of the folds' last
    # solutions: fewer Newton iterations than from zero, the same model.
    X, y = classification(n_classes=3)
    newton_steps = {}
    first_order = NewtonSolver.first_order

    def counting(self, coef, pen, z=None):
        newton_steps[id(self)] = newton_steps.get(id(self), 0) + 1
        return first_order(self, coef, pen, z)

    solvers = []
    init = NewtonSolver.__init__

    def recording(self, *args, **kwargs):
        init(self, *args, **kwargs)
        solvers.append(self)

    monkeypatch.setattr(NewtonSolver, "first_order", counting)
    monkeypatch.setattr(NewtonSolver, "__init__", recording)
    model = GradientLogisticRegressionCV(cv=5).fit(X, y)
    full = solvers[0]  # built first, on all the data; used once, by the refit
    assert full.X1.shape[0] == X.shape[0]
    from_folds = newton_steps[id(full)]

    fresh = NewtonSolver(
        X, y, np.ones(len(y)), True, MultinomialLogLoss(3), curvature=full.curvature
    )
    state = fresh.solve(np.full(X.shape[1], 1.0 / model.C_[0]))
    assert from_folds < newton_steps[id(fresh)]
    np.testing.assert_allclose(full.last_solution, state.coef, rtol=1e-8, atol=1e-10)
