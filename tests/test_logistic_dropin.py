"""GradientLogisticRegressionCV as a drop-in for LogisticRegressionCV: the same
calls, attributes of the same names, shapes and dtypes, folds without a class."""

import inspect
import warnings

import numpy as np
import pytest
import sklearn
from _finite_differences import central_differences
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import accuracy_score, get_scorer, log_loss
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedKFold,
    cross_val_predict,
)
from sklearn.utils.class_weight import compute_sample_weight

from skhypergrad import GradientLogisticRegressionCV
from skhypergrad._core.layout import PenaltyLayout
from skhypergrad._glm.criteria import SmoothKFoldCriterion, make_smooth_folds
from skhypergrad._glm.losses import MultinomialLogLoss


def classification(n_classes=3, n=240, seed=0):
    return make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=seed,
    )


def reference(C, **params):
    return LogisticRegression(C=C, tol=1e-12, max_iter=10_000, **params)


def quietly(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


# --------------------------------------------------------------------------
# The constructor and the fitted attributes.

# Defaults that differ from LogisticRegressionCV's, and why: scoring=None
# optimises the log-loss (LogisticRegressionCV's "warn" means accuracy, which
# has no gradient), while score() still gives the accuracy, as there.
DIFFERENT_DEFAULTS = {"scoring"}


def test_every_logistic_regression_cv_parameter_is_accepted():
    ours = inspect.signature(GradientLogisticRegressionCV).parameters
    theirs = inspect.signature(LogisticRegressionCV).parameters
    for name, parameter in theirs.items():
        assert name in ours, name
        assert ours[name].kind == parameter.kind, name
        if name not in DIFFERENT_DEFAULTS:
            assert ours[name].default == parameter.default, name


def test_the_issue_call_runs_unchanged_with_logistic_regression_cv_layout():
    X, y = classification(3)
    call = dict(Cs=20, cv=5, max_iter=1000, scoring="neg_log_loss")
    ours = GradientLogisticRegressionCV(**call).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = LogisticRegressionCV(**call).fit(X, y)
    for name in ("C_", "classes_", "coef_", "intercept_"):
        ours_value, theirs_value = getattr(ours, name), getattr(theirs, name)
        assert ours_value.shape == theirs_value.shape, name
        assert ours_value.dtype == theirs_value.dtype, name
    assert len(set(ours.C_)) == 1  # one C, repeated per class
    n_evaluations = len(ours.history_["score"])
    assert ours.n_iter_.shape == (1, 5, n_evaluations)
    assert theirs.n_iter_.shape[:2] == (1, 5)
    assert np.issubdtype(ours.n_iter_.dtype, np.integer)
    assert np.all(ours.n_iter_ >= 1)
    np.testing.assert_array_equal(ours.Cs_, ours.history_["C"])
    # The model is LogisticRegression's at C_.
    ref = reference(ours.C_[0]).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_attributes_without_legacy_layout(n_classes):
    X, y = classification(n_classes)
    model = GradientLogisticRegressionCV(cv=3, use_legacy_attributes=False).fit(X, y)
    assert isinstance(model.C_, float)
    assert model.n_iter_.shape == (3, 1, len(model.history_["score"]))
    legacy = GradientLogisticRegressionCV(cv=3).fit(X, y)
    assert legacy.C_.shape == (1 if n_classes == 2 else n_classes,)
    assert legacy.C_[0] == model.C_


@pytest.mark.parametrize("n_classes", [2, 3])
def test_float32_gives_float64_as_logistic_regression_cv(n_classes):
    # LogisticRegressionCV refits in float64 whatever the input's dtype
    # (unlike LogisticRegression, which keeps float32).
    X, y = classification(n_classes)
    X32 = X.astype(np.float32)
    model = GradientLogisticRegressionCV(cv=3).fit(X32, y)
    ref = LogisticRegressionCV(Cs=2, cv=3).fit(X32, y)
    assert model.coef_.dtype == ref.coef_.dtype == np.float64
    assert model.intercept_.dtype == ref.intercept_.dtype
    assert model.predict_proba(X32).dtype == ref.predict_proba(X32).dtype
    assert model.decision_function(X32).dtype == ref.decision_function(X32).dtype
    # Fitted in float64 from the float32 values: the float64 input's fit.
    model64 = GradientLogisticRegressionCV(cv=3).fit(X32.astype(np.float64), y)
    np.testing.assert_array_equal(model.coef_, model64.coef_)


def test_criterion_pools_folds_weighted_by_class_weight_as_documented():
    # The migration page: the validation samples of all the folds are pooled,
    # weighted by sample_weight times class_weight (LogisticRegressionCV
    # averages the folds' unweighted scores instead). Uneven folds and
    # balanced class weights make the two differ.
    X, y = classification(3)
    order = np.random.default_rng(0).permutation(len(y))
    splits = [(np.setdiff1d(order, part), part) for part in np.split(order, [30, 130])]
    weights = np.linspace(0.5, 2.0, len(y))
    model = GradientLogisticRegressionCV(cv=splits, class_weight="balanced")
    model.fit(X, y, sample_weight=weights)
    # "balanced" weighs the classes of all of y, in every fold (as
    # LogisticRegressionCV does): the same weights, as a dict, for the refits.
    balanced = compute_sample_weight("balanced", y)
    class_weight = {k: balanced[y == k][0] for k in range(3)}
    ref = reference(model.C_[0], class_weight=class_weight)
    proba = cross_val_predict(
        ref, X, y, cv=splits, method="predict_proba", params={"sample_weight": weights}
    )
    criterion_weight = weights * balanced
    pooled = log_loss(y, proba, sample_weight=criterion_weight)
    np.testing.assert_allclose(-model.best_score_, pooled, rtol=1e-6)
    fold_means = np.mean([log_loss(y[test], proba[test]) for _, test in splits])
    assert abs(pooled - fold_means) > 1e-3  # a criterion of its own


def test_score_follows_scoring_as_logistic_regression_cv():
    X, y = classification(3)
    weights = np.linspace(0.5, 2.0, len(y))
    log = GradientLogisticRegressionCV(cv=3, scoring="neg_log_loss").fit(X, y)
    scorer = get_scorer("neg_log_loss")
    assert log.score(X, y) == pytest.approx(scorer(log, X, y), rel=1e-12)
    assert log.score(X, y, sample_weight=weights) == pytest.approx(
        -log_loss(y, log.predict_proba(X), sample_weight=weights), rel=1e-12
    )
    default = GradientLogisticRegressionCV(cv=3).fit(X, y)
    assert default.score(X, y) == accuracy_score(y, default.predict(X))
    # Both optimise the log-loss: the same C_.
    np.testing.assert_allclose(default.C_, log.C_, rtol=1e-12)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"scoring": "accuracy"}, "step functions"),
        ({"scoring": "roc_auc"}, "neg_log_loss"),
        ({"scoring": "neg_brier_score"}, "must be None, 'warn' or 'neg_log_loss'"),
        ({"scoring": "foo"}, "must be None, 'warn' or 'neg_log_loss'"),
        ({"scoring": get_scorer("neg_log_loss")}, "callables"),
        ({"class_weight": "foo"}, "class_weight must be"),
        ({"class_weight": [1.0, 2.0]}, "class_weight must be"),
        ({"random_state": "x"}, "random_state must be"),
        ({"penalty": "l1"}, "penalty"),
        ({"penalty": "elasticnet", "l1_ratios": [0.5]}, "penalty"),
        ({"l1_ratios": [0.0, 0.5]}, "l1_ratios"),
        ({"solver": "liblinear"}, "liblinear"),
        ({"solver": "cd"}, "solver"),
        ({"dual": True}, "dual"),
        ({"refit": False, "cv": "alo"}, "refit"),
        ({"Cs": 0}, "Cs"),
        ({"Cs": [1.0, -1.0]}, "Cs"),
        ({"intercept_scaling": 0.0}, "intercept_scaling"),
        ({"use_legacy_attributes": "yes"}, "use_legacy_attributes"),
        ({"max_iter": 0}, "max_iter"),
        ({"search_max_iter": 0}, "search_max_iter"),
    ],
)
def test_unsupported_arguments_raise_errors_that_name_them(params, match):
    X, y = classification(2)
    with pytest.raises(ValueError, match=match):
        GradientLogisticRegressionCV(**params).fit(X, y)


@pytest.mark.parametrize(
    "params", [{"Cs": 1.5}, {"Cs": "10"}, {"refit": "yes"}, {"n_jobs": 1.5}]
)
def test_arguments_of_the_wrong_type_raise_type_errors(params):
    X, y = classification(2)
    with pytest.raises(TypeError):
        GradientLogisticRegressionCV(**params).fit(X, y)


def test_accepted_arguments_that_do_not_change_the_optimum():
    X, y = classification(3)
    base = GradientLogisticRegressionCV(cv=3).fit(X, y)
    for params in (
        {"solver": "newton-cholesky"},
        {"solver": "saga", "intercept_scaling": 5.0, "n_jobs": 2},
        {"l1_ratios": (0.0,), "penalty": "l2"},
    ):
        model = GradientLogisticRegressionCV(cv=3, **params).fit(X, y)
        np.testing.assert_allclose(model.coef_, base.coef_, rtol=1e-10, atol=1e-12)


def test_a_grid_of_Cs_bounds_the_search_and_one_value_fixes_C():
    X, y = classification(3)
    grid = np.logspace(-2, 0, 5)
    model = quietly(GradientLogisticRegressionCV(Cs=grid, cv=3), X, y)
    assert np.all((model.Cs_ >= 1e-2 * (1 - 1e-12)) & (model.Cs_ <= 1 + 1e-12))
    fixed = GradientLogisticRegressionCV(Cs=[0.37], cv=3).fit(X, y)
    np.testing.assert_array_equal(fixed.C_, 0.37)
    ref = reference(0.37).fit(X, y)
    np.testing.assert_allclose(fixed.coef_, ref.coef_, rtol=1e-5, atol=1e-8)


def test_refit_false_averages_the_folds_fits_at_C_(capsys):
    X, y = classification(3)
    splitter = StratifiedKFold(3, shuffle=True, random_state=0)
    model = GradientLogisticRegressionCV(cv=splitter, refit=False, verbose=2)
    model.fit(X, y)
    # No fit on all the data: Newton ran on the training folds only.
    solves = capsys.readouterr().out
    assert "Newton on 160 samples" in solves
    assert f"Newton on {len(y)} samples" not in solves
    assert "refit at" not in solves and "optimum (no refit) at" in solves
    fits = [reference(model.C_[0]).fit(X[tr], y[tr]) for tr, _ in splitter.split(X, y)]
    np.testing.assert_allclose(
        model.coef_, np.mean([f.coef_ for f in fits], axis=0), rtol=1e-5, atol=1e-8
    )
    np.testing.assert_allclose(
        model.intercept_,
        np.mean([f.intercept_ - f.intercept_.mean() for f in fits], axis=0),
        rtol=1e-5,
        atol=1e-8,
    )


@pytest.mark.parametrize("routing", [False, True])
def test_groups_are_routed_to_the_splitter(routing):
    X, y = classification(3)
    groups = np.arange(len(y)) % 6
    splitter = GroupKFold(3)
    with sklearn.config_context(enable_metadata_routing=routing):
        model = GradientLogisticRegressionCV(cv=splitter).fit(X, y, groups=groups)
    proba = np.empty((len(y), 3))
    for train, test in splitter.split(X, y, groups):
        proba[test] = (
            reference(model.C_[0]).fit(X[train], y[train]).predict_proba(X[test])
        )
    np.testing.assert_allclose(-model.best_score_, log_loss(y, proba), rtol=1e-6)


def test_groups_without_a_splitter_are_refused():
    X, y = classification(3)
    with pytest.raises(ValueError, match="groups"):
        GradientLogisticRegressionCV(cv="alo").fit(X, y, groups=np.zeros(len(y)))


def test_inner_max_iter_running_out_warns_once_and_stays_finite():
    X, y = classification(3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = GradientLogisticRegressionCV(cv=3, max_iter=1).fit(X, y)
    newton = [w for w in caught if "Newton" in str(w.message)]
    assert len(newton) == 1, [str(w.message) for w in caught]
    assert issubclass(newton[0].category, ConvergenceWarning)
    assert "max_iter" in str(newton[0].message)
    assert np.all(np.isfinite(model.coef_)) and np.isfinite(model.best_score_)


# --------------------------------------------------------------------------
# Training folds without a class, and classes of zero weight.


def mean_variance(X, weights):
    mean = np.average(X, axis=0, weights=weights)
    return np.mean(np.average((X - mean) ** 2, axis=0, weights=weights))


def oracle_fold_fit(X, y, weights, C, n_classes):
    """Minimise the documented training criterion of a multinomial fold, by
    SciPy's BFGS on an independent implementation: the log-loss, the L2
    penalty 1 / (2 C) ||w||^2, an absent class's intercept penalised by
    b_k^2 / (2 C v) (v the mean feature variance), and the centring term
    (sum_k b_k)^2 / (2 K)."""
    n, p = X.shape
    absent = np.bincount(y, weights, n_classes) <= 0
    rho = 1.0 / (C * mean_variance(X, weights))

    def objective(flat):
        W, b = flat[: n_classes * p].reshape(n_classes, p), flat[n_classes * p :]
        Z = X @ W.T + b
        lse = logsumexp(Z, axis=1)
        P = np.exp(Z - lse[:, None])
        value = weights @ (lse - Z[np.arange(n), y])
        value += 0.5 / C * np.sum(W**2) + 0.5 * rho * np.sum(b[absent] ** 2)
        value += 0.5 * b.sum() ** 2 / n_classes
        R = P.copy()
        R[np.arange(n), y] -= 1.0
        R *= weights[:, None]
        grad_W = R.T @ X + W / C
        grad_b = R.sum(axis=0) + rho * absent * b + b.sum() / n_classes
        return value, np.concatenate([grad_W.ravel(), grad_b])

    start = np.zeros(n_classes * (p + 1))
    result = minimize(
        objective, start, jac=True, method="BFGS", options={"gtol": 1e-10}
    )
    W = result.x[: n_classes * p].reshape(n_classes, p)
    return W, result.x[n_classes * p :]


def sorted_three_classes():
    """40 samples of each of 3 classes, sorted: KFold(3) trains each fold on
    two classes."""
    X, y = classification(3, n=150)
    rows = np.concatenate([np.flatnonzero(y == k)[:40] for k in range(3)])
    return X[rows], y[rows]


def test_folds_without_a_class_are_fitted_and_counted_with_one_warning():
    X, y = sorted_three_classes()
    weights = np.linspace(0.5, 2.0, len(y))
    splitter = KFold(3)  # sorted data: each training set lacks one class
    with pytest.warns(UserWarning, match=r"3 of 3 splits lack class\(es\) \[0, 1, 2\]"):
        model = GradientLogisticRegressionCV(Cs=[0.3], cv=splitter).fit(
            X, y, sample_weight=weights
        )
    # The criterion at C = 0.3 from the oracle's fits of each fold.
    proba = np.empty((len(y), 3))
    for train, test in splitter.split(X):
        W, b = oracle_fold_fit(X[train], y[train], weights[train], 0.3, 3)
        Z = X[test] @ W.T + b
        proba[test] = np.exp(Z - logsumexp(Z, axis=1)[:, None])
    expected = log_loss(y, proba, sample_weight=weights, labels=[0, 1, 2])
    np.testing.assert_allclose(-model.best_score_, expected, rtol=1e-7)
    assert np.isfinite(expected) and expected > 1.0  # the absent class costs


def test_a_fold_without_a_class_has_finite_difference_exact_gradients():
    X, y = sorted_three_classes()
    weights = np.linspace(0.5, 2.0, len(y))
    splits = list(KFold(3).split(X))
    folds = make_smooth_folds(X, y, weights, splits, True, MultinomialLogLoss(3))
    assert all(fold.solver.held.sum() == 1 for fold in folds)
    p = X.shape[1]
    for layout in (
        PenaltyLayout(np.zeros(p, dtype=int), 1, np.zeros(2), 1.0, -1.0),
        PenaltyLayout(np.arange(p), p, np.zeros(2), 1.0, -1.0),
    ):
        criterion = SmoothKFoldCriterion(folds, layout)
        theta = np.random.default_rng(0).uniform(-1.0, 1.0, size=layout.n_groups)
        _, grad = criterion(theta)
        np.testing.assert_allclose(
            grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-8
        )


def test_a_zero_weight_class_is_fitted_when_two_classes_remain():
    X, y = classification(3)
    model = GradientLogisticRegressionCV(Cs=[0.5], cv=3, class_weight={2: 0.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the user's choice: no warning
        model.fit(X, y)
    assert model.coef_.shape == (3, X.shape[1])
    weights = np.where(y == 2, 0.0, 1.0)
    W, b = oracle_fold_fit(X, y, weights, 0.5, 3)
    np.testing.assert_allclose(model.coef_, W, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.intercept_, b, rtol=1e-5, atol=1e-7)
    assert not np.any(model.predict(X) == 2)
    with pytest.raises(ValueError, match="two classes"):
        GradientLogisticRegressionCV(class_weight={0: 0.0, 1: 0.0}).fit(X, y)


@pytest.mark.parametrize("parametrisation", ["one", "each"])
def test_alo_with_a_zero_weight_class_has_exact_gradients(parametrisation):
    from skhypergrad._glm.alo import ApproximateLeaveOneOut
    from skhypergrad._glm.newton import NewtonSolver

    X, y = classification(3, n=120)
    weights = np.where(y == 2, 0.0, 1.0) * np.linspace(0.5, 2.0, len(y))
    p = X.shape[1]
    if parametrisation == "one":
        layout = PenaltyLayout(np.zeros(p, dtype=int), 1, np.zeros(2), 1.0, -1.0)
    else:
        layout = PenaltyLayout(np.arange(p), p, np.zeros(2), 1.0, -1.0)
    solver = NewtonSolver(X, y, weights, True, MultinomialLogLoss(3))
    np.testing.assert_array_equal(solver.held, [False, False, True])
    criterion = ApproximateLeaveOneOut(solver, layout)
    theta = np.random.default_rng(0).uniform(-1.0, 1.0, layout.n_groups)
    _, grad = criterion(theta)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-8
    )


def test_Cs_has_one_row_per_evaluation_and_one_column_per_group():
    X, y = classification(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GradientLogisticRegressionCV(cv=3, feature_groups="each").fit(X, y)
    assert model.Cs_.shape == (len(model.history_["score"]), X.shape[1])
    assert model.Cs_.dtype == np.float64
    np.testing.assert_array_equal(model.Cs_[-1], model.history_["C"][-1])


def test_running_out_of_newton_iterations_below_tol_is_not_worth_a_warning():
    # As scikit-learn's solvers: max_iter only matters while the gradient is
    # above tol (per unit of sample weight).
    X, y = classification(3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GradientLogisticRegressionCV(cv=3, max_iter=1, tol=1e3).fit(X, y)
    assert not [w for w in caught if "Newton" in str(w.message)]
