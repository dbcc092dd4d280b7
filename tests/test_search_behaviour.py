"""What a user sees of the hyperparameter searches, through the public API only:
results that do not depend on the units of the data, searches that leave a bad
start, errors that name the bad input, warnings that are emitted once, name
features by name and point at the caller's line, BLAS pools left as found
after concurrent fits, and the history and verbose output every estimator
shares."""

import functools
import re
import threading
import time
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_friedman1, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process.kernels import RBF
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from skhypergrad import (
    GradientKernelRidgeCV,
    GradientLogisticRegressionCV,
    GradientPoissonRegressorCV,
    GradientRidgeCV,
)
from skhypergrad._glm.newton import NewtonSolver

# --------------------------------------------------------------------------
# Data and helpers


def friedman(n_samples=300):
    return make_friedman1(n_samples=n_samples, noise=1.0, random_state=0)


def classes(n_samples=200):
    return make_classification(
        n_samples=n_samples, n_features=5, n_informative=3, random_state=0
    )


def counts(n_samples=100, seed=0):
    """Poisson counts with three informative features out of four."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 4))
    y = rng.poisson(np.exp(X @ [0.5, -0.4, 0.3, 0.0])).astype(float)
    return X, y


def separable(n_samples=60, seed=0):
    """Two classes with a gap of 2 between them along the first feature."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 2))
    y = (X[:, 0] > 0).astype(int)
    X[:, 0] += np.where(y == 1, 1.0, -1.0)
    return X, y


def fit_quietly(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


def fit_recording(estimator, X, y, **fit_params):
    """Fit and return the warnings it emitted (every one, not filtered)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, y, **fit_params)
    return caught


def describe(caught):
    return [f"{w.category.__name__}: {w.message}" for w in caught]


# --------------------------------------------------------------------------
# A. Unit invariance: the test score does not depend on the units of X (or,
# for Poisson, of y), with default parameters: the default bounds and starts
# follow the units (read as absolute values, C_bounds=(1e-4, 1e4) would hold
# the logistic optimum at X * 1e-3, C about 1.6e5, out of reach).

UNIT_CASES = {
    "ridge": (GradientRidgeCV, friedman, (None, 5)),
    "kernel": (GradientKernelRidgeCV, friedman, (None, 5)),
    "logistic": (GradientLogisticRegressionCV, classes, ("alo", 5)),
    "poisson": (GradientPoissonRegressorCV, counts, (None, 5)),
}
SCALES = (1e-3, 1e-2, 0.1, 10.0, 100.0, 1e3)


@functools.cache
def split_of(name):
    X, y = UNIT_CASES[name][1]()
    return train_test_split(X, y, random_state=0)


@functools.cache
def scaled_score(name, cv, x_scale, y_scale=1.0):
    """Test score of the default estimator fit on ``X * x_scale, y * y_scale``."""
    X_train, X_test, y_train, y_test = split_of(name)
    model = fit_quietly(
        UNIT_CASES[name][0](cv=cv), X_train * x_scale, y_train * y_scale
    )
    return model.score(X_test * x_scale, y_test * y_scale)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(
    "name, cv",
    [
        pytest.param(name, cv, id=f"{name}-cv={cv}")
        for name, (_, _, cvs) in UNIT_CASES.items()
        for cv in cvs
    ],
)
def test_score_does_not_depend_on_the_units_of_X(name, cv, scale):
    """Multiplying every feature by ``scale`` (train and test) must not change
    the test score: a search that starts at alpha = 1 (or C = 1, or a length
    scale of 1) must find the optimum wherever the units put it."""
    reference = scaled_score(name, cv, 1.0)
    score = scaled_score(name, cv, scale)
    assert abs(score - reference) <= 0.01, (score, reference)


@pytest.mark.parametrize("factor", [1e-6, 1e6])
@pytest.mark.parametrize("cv", [None, 5])
def test_poisson_score_does_not_depend_on_the_units_of_y(cv, factor):
    """Counts in other units (``y * factor``) give the same D^2."""
    reference = scaled_score("poisson", cv, 1.0)
    score = scaled_score("poisson", cv, 1.0, factor)
    assert abs(score - reference) <= 0.01, (score, reference)


def at_byte_offset(array, offset):
    """A copy of ``array`` starting ``offset`` bytes past a 64-byte boundary."""
    buffer = np.empty(array.nbytes + 128, dtype=np.uint8)
    start = (-buffer.ctypes.data) % 64 + offset
    out = np.frombuffer(buffer[start : start + array.nbytes], dtype=array.dtype)
    out = out.reshape(array.shape)
    out[...] = array
    return out


def test_result_does_not_depend_on_the_memory_alignment_of_X():
    """Float32 rows at 16 alignments change the criterion's last bits, as
    SIMD reductions round differently; near alpha = 1 the criterion is flat to
    1e-9 (5000 rows, 20 features), and restarts ending there must not replace
    the first search's point over such rounding (it did for 1 to 5 of these
    fits)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 20)) + 2.0
    y = X @ rng.normal(size=20) + rng.normal(size=5000)
    X32 = X.astype(np.float32)
    model = GradientRidgeCV(feature_groups=np.arange(20) % 2)
    alphas = {
        tuple(clone(model).fit(at_byte_offset(X32, offset), y).alpha_)
        for offset in range(0, 64, 4)
    }
    assert len(alphas) == 1, alphas


# --------------------------------------------------------------------------
# B, C. Searches that must leave their start.


@pytest.mark.parametrize("cv, scale", [(5, 30.0), (None, 1000.0)])
def test_kernel_ridge_finds_length_scales_far_from_one(cv, scale):
    """With features in large units the default RBF(1) sees every pair of
    samples as unrelated; the search must still move off its start (unscaled,
    the same fit reaches a test R^2 of about 0.85)."""
    X, y = friedman(400)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    model = fit_quietly(GradientKernelRidgeCV(cv=cv), X_train * scale, y_train)
    score = model.score(X_test * scale, y_test)
    assert model.n_iter_ > 0, (model.kernel_, model.alpha_, score)
    assert score >= 0.8, (model.kernel_, model.alpha_, model.n_iter_)


def test_poisson_search_leaves_a_start_where_the_criterion_is_flat():
    """On counts in small units alpha = 1 over-penalises and the criterion is
    flat there; starting at alpha=1.0 must not stop at a criterion worse than
    the one found from alpha=1e-6."""
    X, y = counts()
    y = y * 1e-6
    from_one = fit_quietly(GradientPoissonRegressorCV(alpha=1.0), X, y)
    from_small = fit_quietly(GradientPoissonRegressorCV(alpha=1e-6), X, y)
    floor = from_small.best_score_ - 1e-6 * abs(from_small.best_score_)
    assert from_one.best_score_ >= floor, (
        from_one.alpha_,
        from_one.n_iter_,
        from_one.best_score_,
        from_small.best_score_,
    )


def test_logistic_search_from_a_huge_C_on_separable_data():
    """Separable data in 10 dimensions, 40 samples: every training fold is
    separable, but the validation folds are not separated by its separator, so
    the validation log-loss has its minimum near C = 2 and grows with C beyond
    it (from about 10, numerically erratic past C = 1e10). A search started at
    C = 1e12 must reach a criterion at least as good as the best of a grid of
    C, and a bound warning must give advice that points towards the optimum."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 10))
    y = (X @ rng.normal(size=10) > 0).astype(int)
    grid = np.logspace(-4, 12, 17)
    grid_scores = np.array(
        [
            fit_quietly(
                GradientLogisticRegressionCV(C=c, C_bounds=(c, c)), X, y
            ).best_score_
            for c in grid
        ]
    )
    best = int(np.argmax(grid_scores))
    model = GradientLogisticRegressionCV(C=1e12, C_bounds=(1e-4, 1e12))
    caught = fit_recording(model, X, y)
    floor = grid_scores[best] - 1e-6 * abs(grid_scores[best])
    assert model.best_score_ >= floor, (
        model.C_,
        model.best_score_,
        grid[best],
        grid_scores[best],
    )
    for message in describe(caught):
        if "Consider increasing the upper bound" in message:
            assert best == grid.size - 1, (message, grid[best])
        if "Consider decreasing the lower bound" in message:
            assert best == 0, (message, grid[best])


# --------------------------------------------------------------------------
# D. A search stopped by max_iter says so, once.


def max_iter_cases():
    X, y = make_friedman1(n_samples=60, noise=1.0, random_state=0)
    X_c, y_c = make_classification(n_samples=60, n_features=4, random_state=0)
    X_p, y_p = counts(60)
    return [
        pytest.param(
            GradientLogisticRegressionCV(search_max_iter=1), X_c, y_c, id="logistic"
        ),
        pytest.param(
            GradientPoissonRegressorCV(search_max_iter=1), X_p, y_p, id="poisson"
        ),
        pytest.param(
            GradientRidgeCV(max_iter=1, feature_groups="each"), X, y, id="ridge-each"
        ),
        pytest.param(
            GradientKernelRidgeCV(RBF([1.0, 1.0, 1.0]), max_iter=1),
            X[:, :3],
            y,
            id="kernel-ard",
        ),
    ]


@pytest.mark.parametrize("estimator, X, y", max_iter_cases())
def test_exhausted_max_iter_warns_exactly_once(estimator, X, y):
    """One iteration cannot locate these optima: the fit must say so with
    exactly one ConvergenceWarning that names max_iter (not none, not one per
    inner search)."""
    caught = fit_recording(estimator, X, y)
    about_max_iter = [
        w
        for w in caught
        if issubclass(w.category, ConvergenceWarning) and "max_iter" in str(w.message)
    ]
    assert len(about_max_iter) == 1, describe(caught)


@pytest.mark.parametrize(
    "estimator",
    [
        GradientRidgeCV(),
        GradientRidgeCV(cv=5),
        GradientRidgeCV(feature_groups="each"),
        GradientRidgeCV(alpha_per_target=True),
        GradientPoissonRegressorCV(),
        GradientPoissonRegressorCV(cv=5),
    ],
    ids=repr,
)
def test_a_constant_target_stalls_the_search_and_says_so_once(estimator):
    """A constant target makes every penalty predict the same: the criterion
    is flat, and the fit says that the search stalled (not that the optimum
    sits on a bound, where the scan's first point leaves it)."""
    X, _ = make_friedman1(n_samples=60, random_state=0)
    y = np.full(60, 3.0)
    if getattr(estimator, "alpha_per_target", False):
        y = np.column_stack([y, y + 1.0])
    caught = fit_recording(clone(estimator), X, y)
    assert len(caught) == 1, describe(caught)
    assert issubclass(caught[0].category, ConvergenceWarning)
    assert "stalled" in str(caught[0].message)


@pytest.mark.parametrize("cv", [3, "alo"])
@pytest.mark.parametrize(
    "make, estimator",
    [
        (classes, GradientLogisticRegressionCV),
        (counts, GradientPoissonRegressorCV),
    ],
    ids=["logistic", "poisson"],
)
def test_no_newton_solve_is_repeated(make, estimator, cv, monkeypatch):
    """Every training set is solved at most once at given penalties (and
    once more accurately after a coarse solve there, which continues it):
    the group search does not evaluate again the one-penalty start that the
    one-penalty search evaluated, and the refit reuses the search's last
    solve (ALO, where they share the training set)."""
    X, y = make(80)
    solves = []
    solve, full_penalty = NewtonSolver.solve, NewtonSolver.full_penalty
    coarse_solves = [False]

    def solving(solver, lam, guess=None, precise=True, coarse=False):
        coarse_solves[0] = coarse
        return solve(solver, lam, guess, precise, coarse)

    def recording(solver, lam):  # the first step of every solve not reused
        solves.append((id(solver), np.asarray(lam).tobytes(), coarse_solves[0]))
        return full_penalty(solver, lam)

    monkeypatch.setattr(NewtonSolver, "solve", solving)
    monkeypatch.setattr(NewtonSolver, "full_penalty", recording)
    groups = [0, 0, 1, 1, 2][: X.shape[1]]
    fit_quietly(estimator(cv=cv, feature_groups=groups), X, y)
    assert len(solves) > 10
    assert len(set(solves)) == len(solves)


@pytest.mark.parametrize("cv", [None, 5])
def test_ridge_group_search_starts_from_the_one_alpha_search(cv):
    """The group search's candidate starts are the one-alpha search's
    evaluations (its "scan" rows), plus the start from standardised groups;
    the initial alpha, the same in every group, lies on the one-alpha path
    and is not evaluated again."""
    X, y = friedman(60)
    one_alpha = fit_quietly(GradientRidgeCV(cv=cv), X, y)
    groups = fit_quietly(
        GradientRidgeCV(cv=cv, feature_groups=np.arange(10) // 2), X, y
    )
    n_scan = np.count_nonzero(groups.history_["phase"] == "scan")
    assert n_scan == len(one_alpha.history_["score"]) + 1
    assert groups.best_score_ >= one_alpha.best_score_


# --------------------------------------------------------------------------
# E. Splits that cannot measure anything are refused.


def weighted_cases():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = X @ [1.0, -1.0, 0.5] + rng.normal(size=30)
    y_counts = rng.poisson(np.exp(X @ [0.3, -0.2, 0.1])).astype(float)
    return [
        pytest.param(GradientRidgeCV, X, y, id="ridge"),
        pytest.param(GradientKernelRidgeCV, X, y, id="kernel"),
        pytest.param(
            GradientLogisticRegressionCV, X, (y > 0).astype(int), id="logistic"
        ),
        pytest.param(GradientPoissonRegressorCV, X, y_counts, id="poisson"),
    ]


@pytest.mark.parametrize("make, X, y", weighted_cases())
def test_splits_whose_weights_are_all_zero_are_refused(make, X, y):
    """A train split of zero-weight samples has nothing to fit, a test part of
    zero-weight samples nothing to measure (a criterion of 0/0)."""
    first, rest = np.arange(5), np.arange(5, len(y))
    weights = np.ones(len(y))
    weights[first] = 0.0
    with pytest.raises(ValueError, match="train split whose weights are all zero"):
        make(cv=[(first, rest)]).fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match="test splits whose weights are all zero"):
        make(cv=[(rest, first)]).fit(X, y, sample_weight=weights)


# --------------------------------------------------------------------------
# F. Concurrent fits leave every BLAS pool as they found it.


def blas_threads():
    return {
        info["filepath"]: info["num_threads"]
        for info in threadpool_info()
        if info["user_api"] == "blas"
    }


def _yield_in_threadpoolctl(frame, event, arg):
    # Give the other threads the GIL at every call into threadpoolctl: the
    # fits then interleave inside their thread-limit bookkeeping, where a race
    # otherwise shows only once in many runs.
    if event == "call" and frame.f_code.co_filename.endswith("threadpoolctl.py"):
        time.sleep(0)


def concurrent_fits(n_threads=4, n_fits=5):
    """Fit GradientRidgeCV and GradientLogisticRegressionCV ``n_fits`` times in
    each of ``n_threads`` threads started together; return their errors."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = X @ [1.0, 2.0] + rng.normal(size=20)
    labels = (y > 0).astype(int)
    barrier = threading.Barrier(n_threads)
    errors = []

    def work():
        try:
            barrier.wait()
            for _ in range(n_fits):
                GradientRidgeCV().fit(X, y)
                GradientLogisticRegressionCV(cv=3).fit(X, labels)
        except Exception as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    # A thread installs the profile function after start() returns: unset it
    # only once every thread has finished.
    threading.setprofile(_yield_in_threadpoolctl)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        threading.setprofile(None)
    return errors


def test_concurrent_fits_leave_blas_thread_limits_as_found():
    """Fits in 4 threads at once must leave every BLAS library with the number
    of threads it had before: a limit that one fit saves while another fit has
    lowered it must not outlive both. Up to 3 rounds, as the race needs a
    particular interleaving."""
    before = blas_threads()
    for _ in range(3):
        errors = concurrent_fits()
        after = blas_threads()
        if errors or after != before:
            break
    if after != before:
        # Put the limits back for the tests that follow, from a thread that
        # then ends: threadpoolctl lets only one living thread set OpenBLAS's.
        restore = threading.Thread(target=threadpool_limits, args=(before,))
        restore.start()
        restore.join()
    assert not errors, errors
    assert after == before


# --------------------------------------------------------------------------
# G. Large magnitudes: exact rescaling up to 1e150, a clear error beyond.


@pytest.fixture
def regression():
    return make_regression(
        n_samples=60, n_features=5, n_informative=3, noise=10.0, random_state=0
    )


def test_ridge_on_features_times_1e150_is_the_rescaled_model(regression):
    """Features in units 1e150 times larger give coefficients 1e150 times
    smaller and the same predictions."""
    X, y = regression
    base = fit_quietly(GradientRidgeCV(), X, y)
    huge = fit_quietly(GradientRidgeCV(), X * 1e150, y)
    np.testing.assert_allclose(huge.coef_, base.coef_ * 1e-150, rtol=1e-6)
    np.testing.assert_allclose(huge.predict(X * 1e150), base.predict(X), rtol=1e-6)


def test_ridge_on_target_times_1e150_is_the_rescaled_model(regression):
    """A target 1e150 times larger gives coefficients 1e150 times larger and a
    squared-error criterion 1e300 times larger."""
    X, y = regression
    base = fit_quietly(GradientRidgeCV(), X, y)
    huge = fit_quietly(GradientRidgeCV(), X, y * 1e150)
    np.testing.assert_allclose(huge.best_score_, base.best_score_ * 1e300, rtol=1e-6)
    np.testing.assert_allclose(huge.coef_, base.coef_ * 1e150, rtol=1e-6)


def test_ridge_with_one_column_times_1e150_is_finite(regression):
    X, y = regression
    X = X.copy()
    X[:, 0] *= 1e150
    model = fit_quietly(GradientRidgeCV(), X, y)
    assert np.all(np.isfinite(model.coef_))
    assert np.all(np.isfinite(model.predict(X)))


@pytest.mark.parametrize("scaled", ["X", "y"])
def test_ridge_refuses_magnitudes_beyond_1e160(regression, scaled):
    """Squares of 1e160 overflow: a ValueError that says so, not a LinAlgError
    or a model computed from infinities."""
    X, y = regression
    if scaled == "X":
        X = X * 1e160
    else:
        y = y * 1e160
    with pytest.raises(ValueError, match="magnitude"):
        fit_quietly(GradientRidgeCV(), X, y)


def test_kernel_ridge_refuses_features_times_1e160(regression):
    X, y = regression
    with pytest.raises(ValueError):
        fit_quietly(GradientKernelRidgeCV(), X * 1e160, y)


# --------------------------------------------------------------------------
# H. Bad input gets a ValueError that names the parameter.


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    y = X @ [1.0, -1.0, 0.5, 0.0] + rng.normal(size=40)
    y_counts = rng.poisson(np.exp(X @ [0.3, -0.2, 0.1, 0.0])).astype(float)
    return X, {
        GradientRidgeCV: y,
        GradientKernelRidgeCV: y,
        GradientLogisticRegressionCV: (y > 0).astype(int),
        GradientPoissonRegressorCV: y_counts,
    }


ALL = [
    GradientRidgeCV,
    GradientKernelRidgeCV,
    GradientLogisticRegressionCV,
    GradientPoissonRegressorCV,
]


@pytest.mark.parametrize("make", ALL, ids=lambda make: make.__name__)
def test_nan_tol_is_refused(small, make):
    X, targets = small
    with pytest.raises(ValueError, match="tol"):
        make(tol=float("nan")).fit(X, targets[make])


@pytest.mark.parametrize(
    "make",
    [GradientRidgeCV, GradientKernelRidgeCV, GradientPoissonRegressorCV],
    ids=lambda make: make.__name__,
)
def test_string_targets_of_a_regressor_are_refused(small, make):
    X, _ = small
    with pytest.raises(ValueError, match="y"):
        make().fit(X, np.array(["a", "b"] * 20))


@pytest.mark.parametrize("make", ALL, ids=lambda make: make.__name__)
def test_split_indices_beyond_the_data_are_refused(make):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X[:, 0] + rng.normal(size=50)
    if make is GradientLogisticRegressionCV:
        y = (y > 0).astype(int)
    elif make is GradientPoissonRegressorCV:
        y = rng.poisson(np.exp(0.3 * X[:, 0])).astype(float)
    with pytest.raises(ValueError, match="cv"):
        make(cv=[(np.arange(10), np.arange(10, 1000))]).fit(X, y)


@pytest.mark.parametrize(
    "labels",
    [["a", 1, "a", 1], np.array(["a", 1, "a", 1], dtype=object)],
    ids=["list", "object-array"],
)
@pytest.mark.parametrize(
    "make",
    [GradientRidgeCV, GradientLogisticRegressionCV, GradientPoissonRegressorCV],
    ids=lambda make: make.__name__,
)
def test_group_labels_of_mixed_types_are_refused(small, make, labels):
    """Labels "a" and 1 cannot be ordered, and silently reading 1 as "1" would
    merge groups the user kept apart."""
    X, targets = small
    with pytest.raises(ValueError, match="feature_groups"):
        make(feature_groups=labels).fit(X, targets[make])


# --------------------------------------------------------------------------
# I. Warnings: at the caller's line, with feature names, once per kind.


def bound_warning_cases():
    rng = np.random.default_rng(0)
    X_noise, y_noise = rng.normal(size=(60, 4)), rng.normal(size=60)
    X_k, y_k = make_friedman1(n_samples=60, noise=1.0, random_state=0)
    X_s, y_s = separable()
    X_p, y_p = counts(80)
    return [
        pytest.param(
            GradientRidgeCV(alpha_bounds=(1e-3, 10.0)), X_noise, y_noise, id="ridge"
        ),
        pytest.param(
            GradientKernelRidgeCV(alpha_bounds=(1e-8, 1e-6)), X_k, y_k, id="kernel"
        ),
        pytest.param(
            GradientLogisticRegressionCV(cv=3, C_bounds=(1e-2, 1e3)),
            X_s,
            y_s,
            id="logistic",
        ),
        pytest.param(
            GradientPoissonRegressorCV(alpha_bounds=(10.0, 100.0)),
            X_p,
            y_p,
            id="poisson",
        ),
    ]


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["direct", "pipeline"])
@pytest.mark.parametrize("estimator, X, y", bound_warning_cases())
def test_warnings_point_at_the_callers_line(estimator, X, y, in_pipeline):
    """A warning is only useful at the line that called fit: here, whether
    the estimator is fit directly or inside a Pipeline; and an optimum on a
    bound is said once per fit."""
    model = make_pipeline(StandardScaler(), estimator) if in_pipeline else estimator
    caught = fit_recording(model, X, y)
    assert caught, "expected a warning about a bound"
    assert [w.filename for w in caught] == [__file__] * len(caught), [
        (w.filename, w.lineno, str(w.message)) for w in caught
    ]
    bound = [w for w in caught if "sits on its" in str(w.message)]
    assert len(bound) == 1, describe(caught)


def test_bound_warning_names_features_by_their_column_names():
    """Features of a DataFrame are named by their columns in a bound warning,
    not by their positions."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 5))
    y = 3 * X[:, 0] - 2 * X[:, 1] + X[:, 2] + rng.normal(size=50)
    frame = pd.DataFrame(X, columns=["age", "bmi", "bp", "noise1", "noise2"])
    model = GradientRidgeCV(feature_groups="each", alpha_bounds=(1e-3, 1e3))
    caught = fit_recording(model, frame, y)
    at_upper = frame.columns[np.isclose(model.alpha_, 1e3, rtol=1e-6)].tolist()
    assert at_upper, model.alpha_  # the irrelevant features are switched off
    upper = " ".join(str(w.message) for w in caught if "upper bound" in str(w.message))
    assert upper, describe(caught)
    for name in at_upper:
        assert f"'{name}'" in upper, upper


def test_per_target_bound_warning_does_not_speak_of_groups():
    """Without feature_groups, a target's alpha at a bound is no "group"."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    Y = np.column_stack(
        [
            X @ [1.0, -1.0, 0.5, 0.0] + rng.normal(size=60),
            rng.normal(size=60),  # pure noise: its alpha goes to the upper bound
            X[:, 0] + rng.normal(size=60),
        ]
    )
    model = GradientRidgeCV(alpha_per_target=True, alpha_bounds=(1e-3, 10.0))
    caught = fit_recording(model, X, Y)
    bound = [str(w.message) for w in caught if "bound" in str(w.message)]
    assert bound, describe(caught)
    for message in bound:
        assert "group" not in message, message


def warning_kind(warning):
    """Category and message up to its first digit: the same warning about
    another fold, iteration or value."""
    return warning.category, re.split(r"\d", str(warning.message), maxsplit=1)[0]


def test_ten_fold_logistic_emits_each_warning_once():
    """Restarts that each run out of iterations, over 10 folds, must not bury
    the user under copies of the same warning."""
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    model = GradientLogisticRegressionCV(
        cv=10, feature_groups="each", n_restarts=3, max_iter=3, random_state=0
    )
    caught = fit_recording(model, X, y)
    kinds = [warning_kind(w) for w in caught]
    assert len(kinds) == len(set(kinds)), describe(caught)


# --------------------------------------------------------------------------
# J. History and verbose output common to every estimator.


def common_cases():
    X, y = make_friedman1(n_samples=60, noise=1.0, random_state=0)
    X_c, y_c = make_classification(n_samples=60, n_features=4, random_state=0)
    X_p, y_p = counts(60)
    return [
        pytest.param(GradientRidgeCV(), X, y, id="ridge"),
        pytest.param(GradientRidgeCV(feature_groups="each"), X, y, id="ridge-each"),
        pytest.param(GradientKernelRidgeCV(), X, y, id="kernel"),
        pytest.param(GradientLogisticRegressionCV(cv=3), X_c, y_c, id="logistic"),
        pytest.param(GradientPoissonRegressorCV(cv=3), X_p, y_p, id="poisson"),
    ]


def hyperparameter_columns(model):
    if isinstance(model, GradientLogisticRegressionCV):
        return ["C"]
    if isinstance(model, GradientKernelRidgeCV):
        free = [h.name for h in model.kernel_.hyperparameters if not h.fixed]
        return ["alpha", *free]
    return ["alpha"]


@pytest.mark.parametrize("estimator, X, y", common_cases())
def test_history_has_one_row_per_evaluation_with_phase_and_time(estimator, X, y):
    pd = pytest.importorskip("pandas")
    model = fit_quietly(estimator, X, y)
    history = model.history_
    expected = [*hyperparameter_columns(model), "score", "phase", "time"]
    assert list(history) == expected
    lengths = {key: len(column) for key, column in history.items()}
    assert len(set(lengths.values())) == 1 and lengths["score"] > 0, lengths
    assert list(pd.DataFrame(history).columns) == expected
    for phase in history["phase"]:
        assert isinstance(phase, str), phase
        assert phase in ("scan", "search") or phase.startswith("restart "), phase
    times = np.asarray(history["time"])
    assert np.issubdtype(times.dtype, np.floating), times.dtype
    assert np.all(times >= 0) and np.all(np.diff(times) >= 0), times
    assert np.max(history["score"]) == model.best_score_


@pytest.mark.parametrize("estimator, X, y", common_cases())
def test_verbose_prints_one_line_per_evaluation(estimator, X, y, capsys):
    model = fit_quietly(clone(estimator).set_params(verbose=1), X, y)
    prefix = f"[{type(model).__name__}]"
    lines = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith(prefix) and "criterion=" in line
    ]
    assert len(lines) == len(model.history_["score"]), lines[:5]
    name = hyperparameter_columns(model)[0]
    for line in lines:
        assert f"{name}=" in line, line


@pytest.mark.parametrize("make", [classes, counts], ids=["logistic", "poisson"])
@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_2_adds_one_line_per_newton_solve(make, verbose, capsys):
    X, y = make(60)
    estimator = (
        GradientLogisticRegressionCV if make is classes else GradientPoissonRegressorCV
    )
    model = fit_quietly(estimator(cv=3, verbose=verbose), X, y)
    out = capsys.readouterr().out
    # Every evaluation solves the three training folds (40 samples each),
    # and again each coarse one evaluated again accurately ("refined"), then
    # the refit solves all 60 samples once.
    n_evaluations = len(model.history_["score"]) + out.count("(refined)")
    expected = (3 * n_evaluations, 1) if verbose == 2 else (0, 0)
    assert (out.count("Newton on 40 samples:"), out.count("Newton on 60 samples:")) == (
        expected
    ), out


def test_per_target_search_calls_the_users_optimizer():
    """A user's optimizer must not be silently ignored with alpha_per_target:
    it is called once per target."""
    X, Y = make_regression(
        n_samples=60, n_features=5, n_targets=3, noise=10.0, random_state=0
    )
    calls = []

    def optimizer(obj_func, initial_theta, bounds):
        calls.append(initial_theta.copy())
        candidates = np.linspace(bounds[0, 0], bounds[0, 1], 7)[:, None]
        values = [obj_func(theta, eval_gradient=False) for theta in candidates]
        best = int(np.argmin(values))
        return candidates[best], values[best]

    model = fit_quietly(
        GradientRidgeCV(alpha_per_target=True, optimizer=optimizer), X, Y
    )
    assert model.alpha_.shape == (3,)
    assert len(calls) == 3, calls


def test_group_search_leaves_a_start_near_the_one_alpha_optimum():
    # The group search starts at the best single alpha, where the gradient
    # is small; L-BFGS-B's first step (minus the gradient, with bounds) was
    # then too small to gain more than ftol, and it stopped at equal alphas,
    # 1e-3 (relative) above the optimum on this data.
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    labels = ["person"] * 2 + ["body"] * 2 + ["blood"] * 6
    model = GradientRidgeCV(feature_groups=labels, cv=5).fit(X, y)
    tight = GradientRidgeCV(feature_groups=labels, cv=5, tol=1e-10).fit(X, y)
    assert np.ptp(np.log(model.alpha_)) > 1.0
    gap = (tight.best_score_ - model.best_score_) / abs(tight.best_score_)
    assert 0 <= gap < 1e-5
