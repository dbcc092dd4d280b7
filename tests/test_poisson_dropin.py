"""GradientPoissonRegressorCV as a drop-in for PoissonRegressor: its
constructor arguments and their meaning, the fitted attributes' shapes, types
and dtypes (float32 kept), each against scikit-learn's PoissonRegressor."""

import inspect
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.model_selection import GroupKFold

from skhypergrad import GradientPoissonRegressorCV

POISSON_CALL = dict(
    alpha=1.0,
    fit_intercept=True,
    solver="newton-cholesky",
    max_iter=300,
    tol=1e-6,
    warm_start=False,
    verbose=0,
)
# The defaults that differ from PoissonRegressor's, and why:
# alpha=None (PoissonRegressor: 1.0): alpha is where the search starts, and
# None starts at the scale of the data, so that the search does not depend on
# the units of X and y. Every other default means the same as there.
DIFFERENT_DEFAULTS = {"alpha": None}


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8)) * rng.uniform(0.3, 3.0, size=8)
    coef = np.r_[rng.normal(scale=0.3, size=4), np.zeros(4)]
    y = rng.poisson(np.exp(X @ coef / 3 + 0.5)).astype(float)
    return X, y


def reference_model(alpha, **params):
    return PoissonRegressor(alpha=alpha, tol=1e-12, max_iter=10_000, **params)


def test_poisson_regressor_call_fits_unchanged(counts):
    X, y = counts
    PoissonRegressor(**POISSON_CALL).fit(X, y)  # the call is scikit-learn's
    model = GradientPoissonRegressorCV(**POISSON_CALL).fit(X, y)
    assert model.get_params() | POISSON_CALL == model.get_params()
    assert np.isfinite(model.alpha_) and model.alpha_ > 0
    assert np.all(np.isfinite(model.predict(X)))
    assert model.score(X, y) > 0


def test_signature_has_every_poisson_regressor_parameter():
    ours = list(inspect.signature(GradientPoissonRegressorCV).parameters.values())
    theirs = list(inspect.signature(PoissonRegressor).parameters.values())
    # PoissonRegressor's arguments first, in its order, keyword-only as there.
    assert [p.name for p in ours[: len(theirs)]] == [p.name for p in theirs]
    for mine, parameter in zip(ours, theirs, strict=False):
        assert mine.kind == parameter.kind == inspect.Parameter.KEYWORD_ONLY
        expected = DIFFERENT_DEFAULTS.get(parameter.name, parameter.default)
        assert mine.default == expected, parameter.name
    # Our own arguments follow, keyword-only too.
    assert all(p.kind == inspect.Parameter.KEYWORD_ONLY for p in ours)
    assert [p.name for p in ours[len(theirs) :]] == [
        "alpha_bounds",
        "feature_groups",
        "cv",
        "early_stopping",
        "search_max_iter",
        "search_tol",
        "n_restarts",
        "optimizer",
        "random_state",
        "n_jobs",
        "sample_weighting",
        "half_life",
        "half_life_bounds",
        "group_weight",
        "group_weight_bounds",
        "target_group",
    ]


@pytest.mark.parametrize("layout", ["dense", "sparse"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fitted_attributes_as_poisson_regressor(counts, dtype, fit_intercept, layout):
    X, y = counts
    X = X.astype(dtype)
    data = sp.csr_matrix(X) if layout == "sparse" else X
    model = GradientPoissonRegressorCV(cv=3, fit_intercept=fit_intercept)
    model.fit(data, y.astype(dtype))
    # Types and dtypes: PoissonRegressor on the same data, at alpha_.
    peer = reference_model(model.alpha_, fit_intercept=fit_intercept)
    peer.fit(data, y.astype(dtype))
    assert model.coef_.shape == peer.coef_.shape == (X.shape[1],)
    assert model.coef_.dtype == peer.coef_.dtype == dtype
    assert type(model.intercept_) is type(peer.intercept_)
    if fit_intercept:
        assert model.intercept_.shape == () and model.intercept_.dtype == dtype
    else:
        assert model.intercept_ == 0.0
    assert model.predict(data).dtype == peer.predict(data).dtype == dtype
    X64 = X.astype(np.float64)
    assert model.predict(X64).dtype == peer.predict(X64).dtype
    assert type(model.n_iter_) is type(peer.n_iter_)
    # Values: the exact optimum on these very numbers, found in float64
    # (PoissonRegressor's lbfgs stops at float32 precision on float32 data).
    exact = reference_model(model.alpha_, fit_intercept=fit_intercept)
    exact.fit(X64, y)
    scale = np.max(np.abs(exact.coef_))
    np.testing.assert_allclose(model.coef_, exact.coef_, rtol=1e-5, atol=1e-7 * scale)
    np.testing.assert_allclose(model.intercept_, exact.intercept_, rtol=1e-5)
    np.testing.assert_allclose(model.predict(data), exact.predict(X64), rtol=1e-5)


def test_solvers_reach_the_same_model(counts):
    X, y = counts
    lbfgs = GradientPoissonRegressorCV(solver="lbfgs").fit(X, y)
    newton = GradientPoissonRegressorCV(solver="newton-cholesky").fit(X, y)
    assert newton.alpha_ == lbfgs.alpha_
    np.testing.assert_array_equal(newton.coef_, lbfgs.coef_)


def test_alpha_bounds_of_one_value_fix_alpha(counts):
    X, y = counts
    model = GradientPoissonRegressorCV(alpha_bounds=(0.3, 0.3)).fit(X, y)
    assert model.alpha_ == pytest.approx(0.3, rel=1e-12)
    reference = reference_model(0.3).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize(
    "name, value",
    [
        ("solver", "newton-cg"),
        ("solver", "saga"),
        ("solver", "LBFGS"),
        ("solver", None),
        ("warm_start", 1),
        ("warm_start", "yes"),
        ("warm_start", None),
        ("max_iter", 0),
        ("max_iter", 1.5),
        ("max_iter", "100"),
        ("tol", -1e-4),
        ("tol", float("nan")),
        ("tol", "1e-4"),
    ],
)
def test_bad_parameters_are_refused_by_name(counts, name, value):
    X, y = counts
    model = GradientPoissonRegressorCV(**{name: value})  # checked by fit
    with pytest.raises((TypeError, ValueError), match=name):
        model.fit(X, y)


def test_bad_solver_error_lists_the_accepted_ones(counts):
    X, y = counts
    model = GradientPoissonRegressorCV(solver="sag")
    with pytest.raises(ValueError, match=r"solver.*'lbfgs', 'newton-cholesky'"):
        model.fit(X, y)


def test_warm_start_starts_the_search_at_the_previous_alpha(counts):
    X, y = counts
    model = GradientPoissonRegressorCV(alpha=0.37, warm_start=True).fit(X, y)
    assert model.history_["alpha"][0] == pytest.approx(0.37, rel=1e-12)
    first, first_score = model.alpha_, model.best_score_
    assert first != pytest.approx(0.37, rel=1e-3)
    model.fit(X, y)
    assert model.history_["alpha"][0] == pytest.approx(first, rel=1e-12)
    # Its first step is a fifth of a decade (close to the previous optimum),
    # and it needs fewer evaluations than the first fit.
    second = model.history_["alpha"]
    if len(second) > 1:
        assert abs(np.log10(second[1] / second[0])) == pytest.approx(0.2)
    cold = GradientPoissonRegressorCV(alpha=0.37).fit(X, y).history_["alpha"]
    assert len(second) < len(cold)
    # As good an optimum (to search_tol; alpha_ moves along the flat valley).
    assert model.best_score_ >= first_score - 1e-6 * abs(first_score)
    # Without warm_start, every fit starts at alpha.
    model.set_params(warm_start=False).fit(X, y)
    assert model.history_["alpha"][0] == pytest.approx(0.37, rel=1e-12)
    # Another number of features is a new problem: it starts at alpha.
    model.set_params(warm_start=True).fit(X[:, :5], y)
    assert model.history_["alpha"][0] == pytest.approx(0.37, rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_a_warm_refit_on_the_same_data_keeps_the_fit(seed):
    # As PoissonRegressor(warm_start=True), whose solver stops at once from
    # its converged solution: the search from its own optimum keeps it (the
    # points it tries lower the criterion by less than search_tol).
    rng = np.random.RandomState(seed)
    X, y = rng.uniform(size=(30, 3)), np.arange(30) % 3
    model = GradientPoissonRegressorCV(warm_start=True).fit(X, y)
    alpha, coef = model.alpha_, model.coef_.copy()
    model.fit(X, y)
    assert model.alpha_ == alpha
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-10, atol=1e-12)


def test_warm_start_with_groups(counts):
    X, y = counts
    groups = np.array(["a", "a", "b", "b", "c", "c", "d", "d"])
    model = GradientPoissonRegressorCV(
        alpha=0.37, feature_groups=groups, warm_start=True, cv="alo"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # bounds hit
        first = model.fit(X, y).alpha_.copy()
        model.fit(X, y)
    # The group search starts at the previous alpha_ (after the search of
    # one alpha from their geometric mean).
    assert model.history_["alpha"][0] == pytest.approx(
        np.exp(np.mean(np.log(first))), rel=1e-12
    )
    rows = np.stack([np.broadcast_to(a, 4) for a in model.history_["alpha"]])
    assert np.any(np.all(np.isclose(rows, first, rtol=1e-12, atol=0), axis=1))
    # Other groups (here one alpha): the previous alphas do not fit, start at alpha.
    model.set_params(feature_groups=None).fit(X, y)
    assert model.history_["alpha"][0] == pytest.approx(0.37, rel=1e-12)


@pytest.mark.parametrize("cv", [5, "alo"])
def test_inner_max_iter_running_out_warns_once(counts, cv):
    X, y = counts
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = GradientPoissonRegressorCV(max_iter=1, cv=cv).fit(X, y)
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(convergence) == 1, [str(w.message) for w in convergence]
    assert "max_iter=1" in str(convergence[0].message)
    assert model.n_iter_ == 1
    for value in (model.alpha_, model.best_score_, model.intercept_, *model.coef_):
        assert np.isfinite(value)
    assert np.all(np.isfinite(model.predict(X)))


def test_verbose_prints_the_search(counts, capsys):
    X, y = counts
    GradientPoissonRegressorCV(verbose=0).fit(X, y)
    assert capsys.readouterr().out == ""
    GradientPoissonRegressorCV(verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "alpha=" in out and "refit at alpha=" in out


def test_verbose_true_is_accepted_as_in_poisson_regressor(counts, capsys):
    X, y = counts
    GradientPoissonRegressorCV(cv=3, verbose=True).fit(X, y)
    assert "GradientPoissonRegressorCV" in capsys.readouterr().out


@pytest.mark.parametrize("routing", [False, True])
def test_groups_are_routed_to_the_splitter(counts, routing):
    # As GridSearchCV(PoissonRegressor(), cv=GroupKFold(3)).fit(X, y, groups=g):
    # the fit on the splitter's own splits.
    X, y = counts
    groups = np.arange(len(y)) % 7
    splitter = GroupKFold(3)
    with sklearn.config_context(enable_metadata_routing=routing):
        model = GradientPoissonRegressorCV(cv=splitter).fit(X, y, groups=groups)
    splits = list(splitter.split(X, y, groups))
    ref = GradientPoissonRegressorCV(cv=splits).fit(X, y)
    assert model.alpha_ == ref.alpha_
    assert model.best_score_ == ref.best_score_
    # Every group is held out whole, in one split.
    for _, test in splits:
        assert not set(groups[test]) & set(np.delete(groups, test))


def test_groups_without_a_splitter_are_refused(counts):
    X, y = counts
    with pytest.raises(ValueError, match="groups"):
        GradientPoissonRegressorCV(cv="alo").fit(X, y, groups=np.zeros(len(y)))
    with pytest.raises(ValueError, match="unexpected parameters"):
        GradientPoissonRegressorCV(cv=3).fit(X, y, group=np.zeros(len(y)))


def test_alpha_zero_is_refused_with_the_reason(counts):
    # PoissonRegressor(alpha=0) fits without a penalty; here alpha is where a
    # search over log(alpha) starts (the migration page says so).
    X, y = counts
    with pytest.raises(ValueError, match=r"alpha must be positive.*its log"):
        GradientPoissonRegressorCV(alpha=0.0).fit(X, y)
