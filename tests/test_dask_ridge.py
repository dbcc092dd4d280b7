"""GradientRidgeCV on dask arrays: the in-memory fit on the same folds, from
one pass over the row chunks."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, ShuffleSplit

from skhypergrad import GradientRidgeCV
from skhypergrad._ridge.chunk_folds import ChunkFolds

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")

FITTED = ("alpha_", "coef_", "intercept_", "best_score_")


def make_data(n=3000, p=12, n_targets=1, seed=0, noise=2.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * np.linspace(0.5, 3, p) + 2.0
    W = rng.standard_normal((p, n_targets)) * np.logspace(-1, 0.5, n_targets)
    Y = X @ W + rng.normal(scale=noise, size=(n, n_targets)) + 10.0
    return X, Y[:, 0] if n_targets == 1 else Y


def chunked(X, y, rows=700, weight=None):
    out = [da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)]
    if y.ndim == 2:
        out[1] = da.from_array(y, chunks=(rows, y.shape[1]))
    if weight is not None:
        out.append(da.from_array(weight, chunks=rows))
    return out


def assert_same(a, b, rtol=1e-9):
    for name in FITTED:
        np.testing.assert_allclose(
            getattr(b, name), getattr(a, name), rtol=rtol, atol=1e-12, err_msg=name
        )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"fit_intercept": False},
        {"feature_groups": np.arange(12) // 4},
        {"alpha_bounds": (1e-3, 1e3), "alpha": 3.0},
    ],
)
def test_kfold_matches_in_memory_fit(params):
    X, y = make_data()
    Xd, yd = chunked(X, y)
    memory = GradientRidgeCV(cv=5, **params).fit(X, y)
    dask_fit = GradientRidgeCV(cv=5, **params).fit(Xd, yd)
    assert_same(memory, dask_fit)
    assert isinstance(dask_fit.coef_, np.ndarray)


def test_fit_computes_every_chunk_once():
    """One pass: every chunk of ``X`` is computed once, the first one (which
    gives the reference shift of the sums) included."""
    import collections

    import dask

    X, y = make_data()
    calls = collections.Counter()

    def counted(block, block_info=None):
        calls[block_info[0]["chunk-location"][0]] += 1
        return block

    Xd = da.from_array(X, chunks=(700, X.shape[1])).map_blocks(counted, dtype=float)
    with dask.config.set(scheduler="synchronous"):
        GradientRidgeCV(cv=5).fit(Xd, da.from_array(y, chunks=700))
    assert calls == dict.fromkeys(range(5), 1), calls


def test_weights_and_targets_match_in_memory_fit():
    X, Y = make_data(n_targets=3)
    weight = np.random.default_rng(1).uniform(0.2, 3.0, X.shape[0])
    Xd, Yd, wd = chunked(X, Y, weight=weight)
    cv = KFold(4)
    memory = GradientRidgeCV(cv=cv, alpha_per_target=True).fit(X, Y, weight)
    dask_fit = GradientRidgeCV(cv=cv, alpha_per_target=True).fit(Xd, Yd, wd)
    assert_same(memory, dask_fit)
    assert dask_fit.alpha_.shape == (3,)


def test_criterion_equals_explicit_ridge_refits():
    """An independent oracle: scikit-learn's Ridge refit on each fold at the
    chosen alpha gives the pooled validation error that is -best_score_."""
    X, y = make_data(n=2000)
    model = GradientRidgeCV(cv=5).fit(*chunked(X, y, rows=333))
    errors = []
    for train, test in KFold(5).split(X):
        fold = Ridge(alpha=model.alpha_).fit(X[train], y[train])
        errors.append((y[test] - fold.predict(X[test])) ** 2)
    np.testing.assert_allclose(-model.best_score_, np.concatenate(errors).mean(), 1e-9)


@pytest.mark.parametrize("x_unit, y_unit", [(1e140, 1.0), (1.0, 1e-140)])
def test_extreme_magnitudes_are_searched_in_other_units(x_unit, y_unit):
    """Data beyond 2^64 (or below 2^-64) are rescaled exactly, from the
    largest values found in the pass: the same fit as in memory."""
    X, y = make_data(n=1200, noise=20.0)
    X, y = X * x_unit, y * y_unit
    memory = GradientRidgeCV(cv=4).fit(X, y)
    model = GradientRidgeCV(cv=4).fit(*chunked(X, y, rows=300))
    np.testing.assert_allclose(model.alpha_, memory.alpha_, rtol=1e-9)
    np.testing.assert_allclose(model.coef_, memory.coef_, rtol=1e-9)
    np.testing.assert_allclose(model.best_score_, memory.best_score_, rtol=1e-9)
    assert np.isfinite(model.best_score_) and model.best_score_ != 0.0


def test_features_far_from_zero_keep_their_digits():
    """Offsets of 1e6: the sums are taken about a reference from the first
    chunk, and the fit equals the direct in-memory one (unshifted sums lose
    about 12 of their digits here)."""
    X, y = make_data(n=1500, noise=20.0)
    X = X + 1e6
    memory = GradientRidgeCV(cv=3).fit(X, y)
    model = GradientRidgeCV(cv=3).fit(*chunked(X, y, rows=400))
    assert_same(memory, model, rtol=1e-7)


@pytest.mark.parametrize("n, rows", [(23, 5), (1000, 333), (17, 17)])
def test_unshuffled_folds_are_kfold_folds(n, rows):
    folds = ChunkFolds(n, 5)
    starts = range(0, n, rows)
    labels = np.concatenate(
        [folds.labels(s, min(s + rows, n), c) for c, s in enumerate(starts)]
    )
    for k, (_, test) in enumerate(KFold(5).split(np.zeros(n))):
        np.testing.assert_array_equal(np.flatnonzero(labels == k), test)


def test_shuffled_folds_are_the_fits_splits():
    """With shuffle=True the folds are dealt chunk by chunk: the fit equals
    the in-memory fit on the same splits, rebuilt from the chunks' labels."""
    X, y = make_data(n=2100)
    rows = 700
    cv = KFold(3, shuffle=True, random_state=4)
    dask_fit = GradientRidgeCV(cv=cv).fit(*chunked(X, y, rows=rows))
    seed = int(np.random.RandomState(4).randint(2**31 - 1))
    folds = ChunkFolds(2100, 3, True, seed)
    labels = np.concatenate(
        [folds.labels(s, s + rows, c) for c, s in enumerate(range(0, 2100, rows))]
    )
    assert np.all(np.bincount(labels) == 700)
    assert not np.array_equal(labels, np.sort(labels))
    splits = [
        (np.flatnonzero(labels != k), np.flatnonzero(labels == k)) for k in range(3)
    ]
    memory = GradientRidgeCV(cv=splits).fit(X, y)
    assert_same(memory, dask_fit)


@pytest.mark.parametrize("test_size", [0.25, 600])
def test_held_out_split_is_the_fits_split(test_size):
    """A one-split ShuffleSplit takes its test rows chunk by chunk: the fit
    equals the in-memory fit on that split."""
    from skhypergrad._ridge.chunk_folds import chunk_folds

    X, y = make_data(n=2400, p=40, noise=30.0)  # an optimum inside the bounds
    cv = ShuffleSplit(1, test_size=test_size, random_state=3)
    model = GradientRidgeCV(cv=cv).fit(*chunked(X, y, rows=500))
    holdout = chunk_folds(cv, 2400)
    labels = np.concatenate(
        [
            holdout.labels(s, min(s + 500, 2400), c)
            for c, s in enumerate(range(0, 2400, 500))
        ]
    )
    assert np.count_nonzero(labels == 0) == 600
    split = [(np.flatnonzero(labels == 1), np.flatnonzero(labels == 0))]
    assert_same(GradientRidgeCV(cv=split).fit(X, y), model)


def test_dataframe_input_and_predict():
    X, y = make_data(n=1500, p=4)
    pd = pytest.importorskip("pandas")
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abcd")), npartitions=3)
    target = dd.from_pandas(pd.Series(y), npartitions=3)
    model = GradientRidgeCV(cv=3).fit(frame, target)
    np.testing.assert_array_equal(model.feature_names_in_, list("abcd"))
    memory = GradientRidgeCV(cv=3).fit(X, y)
    np.testing.assert_allclose(model.alpha_, memory.alpha_, rtol=1e-9)
    Xd = da.from_array(X, chunks=(400, 4))
    predicted = model.predict(Xd)
    assert isinstance(predicted, da.Array) and predicted.shape == (1500,)
    expected = X @ model.coef_ + model.intercept_
    np.testing.assert_allclose(predicted.compute(), expected, rtol=1e-12)


def test_predict_several_targets_is_chunked_like_x():
    X, Y = make_data(n=900, n_targets=2)
    model = GradientRidgeCV(cv=3).fit(*chunked(X, Y, rows=300))
    predicted = model.predict(da.from_array(X, chunks=(250, X.shape[1])))
    assert predicted.chunks == ((250, 250, 250, 150), (2,))
    np.testing.assert_allclose(
        predicted.compute(), X @ model.coef_.T + model.intercept_
    )


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda X, y: (X.rechunk((300, 6)), y), "chunked by rows only"),
        (lambda X, y: (X[X[:, 0] > 0], y[X[:, 0] > 0]), "unknown chunk sizes"),
        (lambda X, y: (X, y.rechunk(400)), "row chunks of X"),
    ],
)
def test_bad_chunks_are_refused(change, match):
    X, y = make_data(n=900)
    with pytest.raises(ValueError, match=match):
        GradientRidgeCV(cv=3).fit(*change(*chunked(X, y, rows=300)))


@pytest.mark.parametrize(
    "params",
    [{}, {"alpha_per_target": True}, {"fit_intercept": False}],
)
def test_gcv_from_the_statistics_matches_in_memory_gcv(params):
    X, Y = make_data(n_targets=3)
    weight = np.random.default_rng(2).uniform(0.5, 2.0, X.shape[0])
    memory = GradientRidgeCV(cv="gcv", **params).fit(X, Y, weight)
    model = GradientRidgeCV(cv="gcv", **params).fit(*chunked(X, Y, weight=weight))
    assert_same(memory, model)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"cv": None}, "cv must be an int or a KFold"),
        ({"cv": KFold(700)}, "n_splits=700 folds for 600 samples"),
        ({"cv": ShuffleSplit(1, test_size=1.0)}, "no test or training rows"),
        ({"cv": "gcv", "feature_groups": [0] * 6 + [1] * 6}, "needs cv splits"),
        ({"cv": KFold(3).split(np.zeros(600))}, "cv must be an int or a KFold"),
        (
            {
                "cv": __import__(
                    "sklearn.model_selection"
                ).model_selection.ShuffleSplit(1, test_size=0.2, train_size=0.5)
            },
            "test_size only",
        ),
        ({"cv": 3, "scoring": "r2"}, "scoring must be None"),
        ({"cv": 3, "store_cv_results": True}, "rows in memory"),
    ],
)
def test_unsupported_settings_say_so(params, match):
    X, y = make_data(n=600)
    with pytest.raises(ValueError, match=match):
        GradientRidgeCV(**params).fit(*chunked(X, y, rows=200))


def test_local_cluster_gives_the_in_memory_fit():
    distributed = pytest.importorskip("distributed")
    X, y = make_data(n=4000)
    memory = GradientRidgeCV(cv=5, feature_groups=np.arange(12) // 3).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster),
    ):
        model = GradientRidgeCV(cv=5, feature_groups=np.arange(12) // 3).fit(
            *chunked(X, y, rows=500)
        )
    assert_same(memory, model, rtol=1e-8)


@pytest.mark.parametrize("class_weight", [None, "balanced", "first"])
@pytest.mark.parametrize("binary", [False, True])
def test_classifier_matches_in_memory_kfold_fit(class_weight, binary):
    from sklearn.datasets import load_digits

    from skhypergrad import GradientRidgeClassifierCV

    X, y = load_digits(return_X_y=True)
    if binary:
        y = np.where(y > 4, "high", "low")
    if class_weight == "first":
        class_weight = {y[0]: 3.0}
    Xd, yd = da.from_array(X, chunks=(400, 64)), da.from_array(y, chunks=400)
    memory = GradientRidgeClassifierCV(cv=KFold(5), class_weight=class_weight)
    memory.fit(X, y)
    model = GradientRidgeClassifierCV(cv=5, class_weight=class_weight).fit(Xd, yd)
    assert_same(memory, model)
    np.testing.assert_array_equal(model.classes_, memory.classes_)
    predicted = model.predict(Xd)
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(), memory.predict(X))
    np.testing.assert_allclose(
        model.decision_function(Xd).compute(), memory.decision_function(X)
    )


def test_classifier_refuses_one_class_and_numpy_labels():
    from skhypergrad import GradientRidgeClassifierCV

    X, _ = make_data(n=600)
    Xd = da.from_array(X, chunks=(200, X.shape[1]))
    with pytest.raises(ValueError, match="only one class"):
        GradientRidgeClassifierCV(cv=3).fit(Xd, da.zeros(600, chunks=200))
    with pytest.raises(TypeError, match="y must be a dask array"):
        GradientRidgeClassifierCV(cv=3).fit(Xd, np.arange(600) % 2)
