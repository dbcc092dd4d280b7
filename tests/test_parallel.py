"""``n_jobs``: the same results for every number of workers and every joblib
backend (threads, processes, a dask cluster)."""

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_friedman1
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skhypergrad._core.per_target as per_target
from skhypergrad import (
    GradientKernelRidgeCV,
    GradientLogisticRegressionCV,
    GradientPoissonRegressorCV,
    GradientRidgeCV,
)
from skhypergrad._core.parallel import batches, parallel_map


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 4 targets, so that small problems have several."""
    monkeypatch.setattr(per_target, "_BATCH_SIZE", 4)


def many_targets(n=120, p=15, n_targets=23, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    scales = np.logspace(-2, 1, n_targets)
    Y = X @ rng.standard_normal((p, n_targets)) * scales + rng.standard_normal(
        (n, n_targets)
    )
    return X, Y


def digits(n=600):
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:n]), y[:n]


def assert_same_fit(a, b, names):
    for name in names:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), name)


def assert_same_history(a, b):
    assert a.history_.keys() == b.history_.keys()
    for key in a.history_:
        if key == "time":
            continue
        first, second = np.asarray(a.history_[key]), np.asarray(b.history_[key])
        if first.dtype == object:  # one array per evaluation
            first, second = np.stack(first), np.stack(second)
        np.testing.assert_array_equal(first, second, key)


RIDGE_FIT = ("alpha_", "coef_", "intercept_", "best_score_", "n_iter_")
LOGISTIC_FIT = ("C_", "coef_", "intercept_", "n_iter_", "Cs_")


def test_batches_cover_the_items_in_order():
    parts = batches(10, 4)
    assert [len(part) for part in parts] == [4, 3, 3]
    np.testing.assert_array_equal(np.concatenate(parts), np.arange(10))
    assert len(batches(3, 256)) == 1
    assert len(batches(0, 4)) == 1


def _triple(x, y):
    return 3 * x + y


def test_parallel_map_keeps_the_order_on_every_backend():
    args = [(k, 10 * k) for k in range(7)]
    expected = [_triple(*a) for a in args]
    assert parallel_map(_triple, args, None) == expected
    assert parallel_map(_triple, args, 2) == expected
    with joblib.parallel_config("loky", n_jobs=2):
        assert parallel_map(_triple, args, 2) == expected


@pytest.mark.parametrize("cv", [None, "gcv", 4])
def test_per_target_search_does_not_depend_on_n_jobs(small_batches, cv):
    X, Y = many_targets()
    serial = GradientRidgeCV(alpha_per_target=True, cv=cv).fit(X, Y)
    threads = GradientRidgeCV(alpha_per_target=True, cv=cv, n_jobs=2).fit(X, Y)
    assert_same_fit(serial, threads, RIDGE_FIT)
    assert_same_history(serial, threads)
    # The batches of 4 targets are searched as independent problems: each
    # target's alpha is where its own criterion has a stationary point.
    assert len(np.unique(serial.alpha_)) > 10


def test_per_target_batches_match_one_batch_to_rounding(monkeypatch):
    """Batches only change the number of columns of the products: the alphas
    of one batch of all targets agree to rounding (the search's path may
    branch on a last-digit difference, so a tolerance, not equality)."""
    X, Y = many_targets()
    whole = GradientRidgeCV(alpha_per_target=True).fit(X, Y)
    monkeypatch.setattr(per_target, "_BATCH_SIZE", 4)
    split = GradientRidgeCV(alpha_per_target=True).fit(X, Y)
    np.testing.assert_allclose(split.alpha_, whole.alpha_, rtol=1e-6)
    np.testing.assert_allclose(split.best_score_, whole.best_score_, rtol=1e-10)


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_per_target_search_same_on_backends(small_batches, backend):
    X, Y = many_targets()
    serial = GradientRidgeCV(alpha_per_target=True, cv=3).fit(X, Y)
    with joblib.parallel_config(backend, n_jobs=2):
        other = GradientRidgeCV(alpha_per_target=True, cv=3, n_jobs=2).fit(X, Y)
    assert_same_fit(serial, other, RIDGE_FIT)
    assert_same_history(serial, other)


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_per_target_group_searches_same_on_backends(backend):
    X, Y = many_targets(n_targets=3)
    params = dict(alpha_per_target=True, feature_groups=np.arange(15) // 5)
    serial = GradientRidgeCV(**params).fit(X, Y)
    with joblib.parallel_config(backend, n_jobs=2):
        other = GradientRidgeCV(**params, n_jobs=2).fit(X, Y)
    assert_same_fit(serial, other, RIDGE_FIT)
    assert_same_history(serial, other)
    assert serial.alpha_.shape == (3, 3)


@pytest.mark.parametrize("backend", ["threading", "loky"])
@pytest.mark.parametrize("groups", [None, "quarters"])
def test_logistic_folds_same_for_every_n_jobs(backend, groups):
    X, y = digits()
    params = dict(cv=5, Cs=[0.01, 100.0])
    if groups:
        params["feature_groups"] = np.arange(X.shape[1]) // 16
    serial = GradientLogisticRegressionCV(**params).fit(X, y)
    with joblib.parallel_config(backend, n_jobs=2):
        other = GradientLogisticRegressionCV(**params, n_jobs=2).fit(X, y)
    assert_same_fit(serial, other, LOGISTIC_FIT)
    assert_same_history(serial, other)
    assert serial.n_iter_.shape[1] == 5


def restart_fits():
    """Estimators with restarts, and data for them: ridge with feature groups
    (L-BFGS-B), kernel ridge (exact and Nystroem k-fold, whose search
    profiles alpha) and the two GLMs (whose criteria keep warm starts)."""
    X, Y = many_targets(n=80, n_targets=2)
    Xk, yk = make_friedman1(n_samples=80, noise=1.0, random_state=0)
    Xd, yd = digits(300)
    rng = np.random.default_rng(0)
    counts = rng.poisson(np.exp(0.3 * X[:, :3].sum(axis=1) + 0.5))
    common = dict(n_restarts=3, random_state=0)
    return [
        (GradientRidgeCV(feature_groups=np.arange(15) // 5, **common), X, Y[:, 1]),
        (GradientKernelRidgeCV(cv=3, **common), Xk, yk),
        (GradientKernelRidgeCV(n_components=20, cv=3, **common), Xk, yk),
        (GradientLogisticRegressionCV(cv=3, **common), Xd, yd),
        (GradientPoissonRegressorCV(cv=3, **common), X, counts),
    ]


@pytest.mark.parametrize("backend", ["threading", "loky"])
@pytest.mark.parametrize("index", range(5))
def test_restarts_same_for_every_n_jobs(backend, index):
    model, X, y = restart_fits()[index]
    serial = clone(model).fit(X, y)
    with joblib.parallel_config(backend, n_jobs=2):
        other = clone(model).set_params(n_jobs=2).fit(X, y)
    phases = list(serial.history_["phase"])
    assert "restart 3 of 3" in phases
    assert all(
        phase == "restart 3 of 3" for phase in phases[phases.index("restart 3 of 3") :]
    )
    for name in ("coef_", "dual_coef_", "intercept_", "n_iter_"):
        if hasattr(serial, name):
            np.testing.assert_array_equal(
                getattr(serial, name), getattr(other, name), name
            )
    assert_same_history(serial, other)
    if isinstance(model, GradientLogisticRegressionCV):
        # The restarts' Newton iterations are kept: one column per evaluation.
        assert serial.n_iter_.shape[-1] == len(phases)


def test_dask_cluster_gives_the_same_results(small_batches):
    """On a two-worker dask cluster (processes), with one BLAS thread in the
    caller as in dask's workers: BLAS rounds differently with more threads."""
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    X, Y = many_targets()
    Xd, yd = digits(400)
    with threadpool_limits(1):
        ridge = GradientRidgeCV(alpha_per_target=True, cv=3).fit(X, Y)
        logistic = GradientLogisticRegressionCV(cv=4, Cs=[0.01, 100.0]).fit(Xd, yd)
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            ) as cluster,
            distributed.Client(cluster),
            joblib.parallel_config("dask"),
        ):
            ridge_dask = GradientRidgeCV(alpha_per_target=True, cv=3, n_jobs=2).fit(
                X, Y
            )
            logistic_dask = GradientLogisticRegressionCV(
                cv=4, Cs=[0.01, 100.0], n_jobs=2
            ).fit(Xd, yd)
    assert_same_fit(ridge, ridge_dask, RIDGE_FIT)
    assert_same_history(ridge, ridge_dask)
    assert_same_fit(logistic, logistic_dask, LOGISTIC_FIT)
