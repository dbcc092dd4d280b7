"""Benchmark GradientRidgeCV against scikit-learn's own tools, in one process.

Sections (``--only`` selects one or more by letter or by name):

A. ``loo``: one alpha, exact leave-one-out, against ``RidgeCV`` on a 100-point grid
   and against the "floor" (one eigendecomposition of the covariance or Gram matrix).
B. ``per-target``: one alpha per target (1000 targets) against ``RidgeCV``.
C. ``per-feature``: one alpha per feature (Bengio's input decay) against ``RidgeCV``
   and ``ARDRegression``, scored on held-out data.
D. ``banded``: one alpha per group of features against ``GridSearchCV`` over a
   10 x 10 x 10 grid of group scalings, scored on held-out data.
E. ``float32``: the same fit on float32 and on float64 data, time and peak
   memory (``tracemalloc``, one separate run each), next to ``RidgeCV``.

Every time is wall-clock (``time.perf_counter``) of ``fit`` only (or of the floor's
eigendecomposition), the best of at least ``--repeat`` runs, the contenders of a
table run in turn (interleaved). A fast fit is run again, up to 25 times, until its
runs add up to ``--min-time`` seconds; a run slower than ``--slow`` seconds is not
repeated. Timings of 2-thread OpenBLAS on a small shared machine vary several-fold
from run to run: the best of many runs is the steadiest estimate. Numbers are
whatever this machine measures: nothing is hard-coded.

Usage::

    python benchmarks/bench_ridge.py              # full run (several minutes)
    python benchmarks/bench_ridge.py --quick      # smaller smoke run
    python benchmarks/bench_ridge.py --only A --only banded
"""

import tracemalloc

import numpy as np
import scipy
import scipy.linalg
from _harness import (  # noqa: E402  (benchmarks/ is on sys.path)
    fmt_goal,
    fmt_num,
    fmt_ratio,
    fmt_time,
    make_parser,
    parse_with_sections,
    print_header,
    print_notes,
    print_table,
    run_sections,
    runs_text,
    timed,
    timed_all,
)
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import make_regression
from sklearn.linear_model import ARDRegression, Ridge, RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, ParameterGrid
from sklearn.pipeline import Pipeline

from skhypergrad import GradientRidgeCV

GRID = np.logspace(-6, 6, 100)  # RidgeCV's alphas in every section
GRID_TEXT = "np.logspace(-6, 6, 100)"
# "No higher than" tolerance on LOO errors, relative: the search stops when it
# predicts less than tol (relative) left to gain, so its optimum is located to
# about that; GradientRidgeCV(tol=1e-9) meets a tolerance of 1e-9.
REL_TOL = GradientRidgeCV().tol

SECTIONS = {
    "A": ("a", "loo"),
    "B": ("b", "per-target", "per_target"),
    "C": ("c", "per-feature", "per_feature"),
    "D": ("d", "banded"),
    "E": ("e", "float32"),
}


# ----------------------------------------------------------------------------
# Independent oracles
# ----------------------------------------------------------------------------
def eigh_floor(X):
    """One eigendecomposition of the centred covariance (n >= p) or Gram matrix."""
    Xc = X - X.mean(axis=0)
    M = Xc.T @ Xc if X.shape[0] >= X.shape[1] else Xc @ Xc.T
    return scipy.linalg.eigh(M)


def loo_mse_per_target(X, Y, alphas):
    """Mean squared exact LOO error of ridge with intercept, one alpha per column.

    Uses the thin SVD of the centred X: the hat matrix is
    ``11^T / n + U diag(s^2 / (s^2 + alpha)) U^T``, and the LOO residual is
    ``r_i / (1 - h_ii)``. Independent of skhypergrad and of RidgeCV.
    """
    n = X.shape[0]
    Xc = X - X.mean(axis=0)
    Yc = Y - Y.mean(axis=0)
    U, s, _ = scipy.linalg.svd(Xc, full_matrices=False)
    D = (s**2)[:, None] / ((s**2)[:, None] + np.asarray(alphas)[None, :])
    fitted = U @ (D * (U.T @ Yc))
    h = 1.0 / n + (U * U) @ D
    loo = (Yc - fitted) / (1.0 - h)
    return np.mean(loo**2, axis=0)


# ----------------------------------------------------------------------------
# A. One alpha, exact leave-one-out
# ----------------------------------------------------------------------------
def section_a(args):
    shapes = [(5000, 200), (2000, 1000), (500, 5000)]
    if args.quick:
        shapes = [(1000, 50), (400, 200), (100, 1000)]
    print_header(
        f"A. One alpha, exact LOO: GradientRidgeCV() vs RidgeCV(alphas={GRID_TEXT})",
        f">= 3x faster than RidgeCV on {shapes[0]} and {shapes[1]}, no slower on "
        f"{shapes[2]}; LOO MSE no higher than RidgeCV's on all three (relative "
        f"tolerance {REL_TOL:g}); within 1.5x of the floor (time / floor <= 1.5).",
        "make_regression(n, p, n_informative=max(1, p // 10), noise=10.0, "
        "random_state=0). Floor = centre X, form Xc.T @ Xc (n >= p) or Xc @ Xc.T "
        "(p > n), scipy.linalg.eigh it. Times in seconds, best of `runs`.",
    )
    time_rows, score_rows, notes = [], [], []
    for i, (n, p) in enumerate(shapes):
        X, y = make_regression(
            n, p, n_informative=max(1, p // 10), noise=10.0, random_state=0
        )
        timings = timed_all(
            {
                "floor": lambda X=X: eigh_floor(X),
                "ours": lambda X=X, y=y: GradientRidgeCV().fit(X, y),
                "peer": lambda X=X, y=y: RidgeCV(alphas=GRID).fit(X, y),
            },
            args.repeat,
            args.slow,
            args.min_time,
        )
        floor, ours, peer = timings["floor"], timings["ours"], timings["peer"]
        notes += [(f"{(n, p)} GradientRidgeCV", ours), (f"{(n, p)} RidgeCV", peer)]
        speed_target = 1.0 if i == 2 else 3.0
        speed_up = peer.seconds / ours.seconds if ours.ok and peer.ok else None
        to_floor = ours.seconds / floor.seconds if ours.ok and floor.ok else None
        time_rows.append(
            [
                f"{n} x {p}",
                fmt_time(floor.seconds),
                fmt_time(ours.seconds),
                fmt_time(peer.seconds),
                fmt_ratio(peer.seconds, ours.seconds),
                f">= {speed_target:g}x",
                fmt_goal(None if speed_up is None else speed_up >= speed_target),
                fmt_ratio(ours.seconds, floor.seconds),
                fmt_goal(None if to_floor is None else to_floor <= 1.5),
                runs_text(floor, ours, peer),
            ]
        )
        loo_ours = -ours.result.best_score_ if ours.ok else None
        loo_peer = -peer.result.best_score_ if peer.ok else None
        check = None
        if ours.ok:  # our reported LOO, recomputed by RidgeCV at our alpha_
            at_ours = RidgeCV(alphas=[ours.result.alpha_]).fit(X, y)
            check = abs(loo_ours + at_ours.best_score_) / (-at_ours.best_score_)
        rel = (loo_ours - loo_peer) / loo_peer if ours.ok and peer.ok else None
        score_rows.append(
            [
                f"{n} x {p}",
                fmt_num(loo_ours, ".10g"),
                fmt_num(loo_peer, ".10g"),
                fmt_num(rel, "+.2e"),
                fmt_goal(None if rel is None else rel <= REL_TOL),
                fmt_num(ours.result.alpha_ if ours.ok else None, ".6g"),
                fmt_num(peer.result.alpha_ if peer.ok else None, ".6g"),
                fmt_num(check, ".1e"),
            ]
        )
    print_table(
        [
            "n x p",
            "floor s",
            "ours s",
            "RidgeCV s",
            "RidgeCV/ours",
            "target",
            "speed goal",
            "ours/floor",
            "floor goal",
            "runs (floor/ours/R)",
        ],
        time_rows,
    )
    print()
    print_table(
        [
            "n x p",
            "LOO MSE ours",
            "LOO MSE RidgeCV",
            "(ours-R)/R",
            "LOO goal",
            "alpha_ ours",
            "alpha_ RidgeCV",
            "check",
        ],
        score_rows,
    )
    print(
        "  check = |our best_score_ - RidgeCV(alphas=[our alpha_]).best_score_| / "
        "RidgeCV's, i.e. our reported LOO recomputed by scikit-learn."
    )
    print_notes(notes)


# ----------------------------------------------------------------------------
# B. One alpha per target
# ----------------------------------------------------------------------------
def section_b(args):
    n, p, k = (500, 50, 100) if args.quick else (2000, 100, 1000)
    print_header(
        "B. One alpha per target, exact LOO: GradientRidgeCV(alpha_per_target=True) "
        f"vs RidgeCV(alphas={GRID_TEXT}, alpha_per_target=True)",
        f"per-target LOO MSE no higher than RidgeCV's on every target (relative "
        f"tolerance {REL_TOL:g}); time and ratio reported.",
        f"make_regression({n}, {p}, n_informative={max(1, p // 10)}, "
        f"n_targets={k}, noise=10.0, random_state=0). Times in seconds, "
        "best of `runs`.",
    )
    X, Y = make_regression(
        n, p, n_informative=max(1, p // 10), n_targets=k, noise=10.0, random_state=0
    )
    timings = timed_all(
        {
            "ours": lambda: GradientRidgeCV(alpha_per_target=True).fit(X, Y),
            "peer": lambda: RidgeCV(alphas=GRID, alpha_per_target=True).fit(X, Y),
        },
        args.repeat,
        args.slow,
        args.min_time,
    )
    ours, peer = timings["ours"], timings["peer"]
    worse = max_rel = med_rel = mean_ours = check = None
    mean_peer = float(np.mean(-peer.result.best_score_)) if peer.ok else None
    if ours.ok:
        loo_ours = -np.asarray(ours.result.best_score_, dtype=float)
        mean_ours = float(np.mean(loo_ours))
        oracle = loo_mse_per_target(X, Y, np.asarray(ours.result.alpha_, dtype=float))
        check = float(np.max(np.abs(loo_ours - oracle) / oracle))
        if peer.ok:
            loo_peer = -np.asarray(peer.result.best_score_, dtype=float)
            rel = (loo_ours - loo_peer) / loo_peer
            worse = int(np.sum(rel > REL_TOL))
            max_rel, med_rel = float(np.max(rel)), float(np.median(rel))
    print_table(
        [
            "targets",
            "ours s",
            "RidgeCV s",
            "RidgeCV/ours",
            "worse",
            "max (o-R)/R",
            "median (o-R)/R",
            "mean LOO ours",
            "mean LOO RidgeCV",
            "LOO goal",
            "check",
            "runs (ours/R)",
        ],
        [
            [
                f"{k} ({n} x {p})",
                fmt_time(ours.seconds),
                fmt_time(peer.seconds),
                fmt_ratio(peer.seconds, ours.seconds),
                "n/a" if worse is None else f"{worse}/{k}",
                fmt_num(max_rel, "+.2e"),
                fmt_num(med_rel, "+.2e"),
                fmt_num(mean_ours, ".8g"),
                fmt_num(mean_peer, ".8g"),
                fmt_goal(None if worse is None else worse == 0),
                fmt_num(check, ".1e"),
                runs_text(ours, peer),
            ]
        ],
    )
    print(
        f"  worse = targets where ours exceeds RidgeCV's LOO MSE by > {REL_TOL:g} "
        "relative; (o-R)/R = (ours - RidgeCV) / RidgeCV per target; check = max "
        "relative gap between our best_score_ and an independent SVD LOO formula "
        "at our alpha_."
    )
    print_notes([("GradientRidgeCV", ours), ("RidgeCV", peer)])


# ----------------------------------------------------------------------------
# C. One alpha per feature (Bengio's input decay)
# ----------------------------------------------------------------------------
def per_feature_data(n_train, n_test, p=50, n_informative=10, noise=100.0):
    X, y = make_regression(
        n_train + n_test,
        p,
        n_informative=n_informative,
        noise=noise,
        shuffle=True,
        random_state=0,
    )
    scales = np.random.default_rng(0).permutation(np.logspace(-2, 2, p))
    X = X * scales
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def section_c(args):
    n_train, n_test, p, noise = 1000, 2000, 50, 100.0
    if args.quick:
        n_train, n_test = 300, 1000
    print_header(
        'C. One alpha per feature: GradientRidgeCV(feature_groups="each") vs '
        f"RidgeCV(alphas={GRID_TEXT}) vs ARDRegression()",
        "higher held-out R^2 than RidgeCV; fit under 2 s.",
        f"make_regression({n_train + n_test}, {p}, n_informative=10, noise={noise:g}, "
        "random_state=0), columns multiplied by a shuffled np.logspace(-2, 2, "
        f"{p}); first {n_train} rows train, last {n_test} test. Times in seconds, "
        "best of `runs`.",
    )
    X, y, X_test, y_test = per_feature_data(n_train, n_test, p, noise=noise)
    fits = {
        'GradientRidgeCV(feature_groups="each")': lambda: GradientRidgeCV(
            feature_groups="each"
        ).fit(X, y),
        f"RidgeCV(alphas={GRID_TEXT})": lambda: RidgeCV(alphas=GRID).fit(X, y),
        "ARDRegression()": lambda: ARDRegression().fit(X, y),
    }
    res = timed_all(fits, args.repeat, args.slow, args.min_time)
    names = list(res)
    r2 = {
        name: r2_score(y_test, t.result.predict(X_test)) if t.ok else None
        for name, t in res.items()
    }
    ridge_r2 = r2[names[1]]
    rows = []
    for i, name in enumerate(names):
        t = res[name]
        goal = "(peer)"
        if i == 0:
            met = None
            if t.ok and ridge_r2 is not None:
                met = r2[name] > ridge_r2 and t.seconds < 2.0
            goal = fmt_goal(met)
        rows.append(
            [
                name,
                fmt_time(t.seconds),
                fmt_num(r2[name], ".5f"),
                "" if i == 1 else fmt_num(_diff(r2[name], ridge_r2), "+.5f"),
                goal,
                runs_text(t),
            ]
        )
    print_table(
        ["estimator", "fit s", "test R^2", "R^2 - RidgeCV", "goal", "runs"], rows
    )
    ours = res[names[0]]
    if ours.ok:
        alphas = np.asarray(ours.result.alpha_, dtype=float)
        print(
            f"  ours: alpha_ ranges {alphas.min():.3g} .. {alphas.max():.3g}, "
            f"{int(np.sum(alphas >= 0.999 * 1e6))} of {alphas.size} at the upper "
            f"bound; n_iter_ = {ours.result.n_iter_}; "
            f"LOO MSE {-ours.result.best_score_:.6g}. RidgeCV: alpha_ = "
            f"{res[names[1]].result.alpha_:.3g}, LOO MSE "
            f"{-res[names[1]].result.best_score_:.6g}."
        )
    print_notes(list(res.items()))


def _diff(a, b):
    return None if a is None or b is None else a - b


# ----------------------------------------------------------------------------
# D. Banded ridge: one alpha per group
# ----------------------------------------------------------------------------
class GroupScaler(TransformerMixin, BaseEstimator):
    """Multiply the features of group ``g`` by ``s<g>``.

    ``Ridge(alpha)`` on the scaled features equals ridge on the original features
    with penalty ``alpha / s_g**2`` on group ``g`` (the intercept is unaffected).
    """

    def __init__(self, groups=None, s0=1.0, s1=1.0, s2=1.0):
        self.groups = groups
        self.s0 = s0
        self.s1 = s1
        self.s2 = s2

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X * np.array([self.s0, self.s1, self.s2])[self.groups]


def banded_data(n_train, n_test, group_size, noise=10.0):
    """Three groups: informative, weakly informative, pure noise."""
    rng = np.random.default_rng(0)
    n, p = n_train + n_test, 3 * group_size
    X = rng.standard_normal((n, p))
    coef = np.concatenate(
        [
            rng.standard_normal(group_size),
            0.3 * rng.standard_normal(group_size),
            np.zeros(group_size),
        ]
    )
    y = X @ coef + noise * rng.standard_normal(n)
    groups = np.repeat(np.arange(3), group_size)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:], groups


def grid_search(groups, param_grid):
    pipe = Pipeline([("scale", GroupScaler(groups=groups)), ("ridge", Ridge(1.0))])
    return GridSearchCV(
        pipe, param_grid, cv=5, scoring="neg_mean_squared_error", n_jobs=1
    )


def section_d(args):
    if args.quick:
        n_train, n_test, size, n_grid = 400, 1000, 30, 4
    else:
        n_train, n_test, size, n_grid = 2000, 2000, 100, 10
    scales = np.logspace(-3, 3, n_grid)
    full_grid = {f"scale__s{g}": list(scales) for g in range(3)}
    n_combos = n_grid**3
    print_header(
        "D. Banded ridge, 3 groups: GradientRidgeCV(feature_groups=labels) vs "
        "GridSearchCV(GroupScaler + Ridge(alpha=1), "
        f"{n_grid} x {n_grid} x {n_grid} scalings, cv=5, n_jobs=1)",
        "20x faster than GridSearchCV; held-out R^2 no lower.",
        f"X ~ N(0, 1), {n_train} train + {n_test} test rows, 3 groups of {size} "
        "features; coef: group 0 ~ N(0, 1), group 1 ~ N(0, 0.3^2), group 2 = 0 "
        "(pure noise); noise sd 10. Grid: each group scaling s in "
        f"np.logspace(-3, 3, {n_grid}) (group penalty 1 / s^2 in [1e-6, 1e6]); "
        "GridSearchCV scores by neg. mean squared error. Times in seconds.",
    )
    X, y, X_test, y_test, groups = banded_data(n_train, n_test, size)
    timings = timed_all(
        {
            "ours": lambda: GradientRidgeCV(feature_groups=groups).fit(X, y),
            "ridge": lambda: RidgeCV(alphas=GRID).fit(X, y),
        },
        args.repeat,
        args.slow,
        args.min_time,
    )
    ours, ridge = timings["ours"], timings["ridge"]

    # Estimate the grid's time from a random subset; run it all if within budget.
    rng = np.random.default_rng(0)
    all_params = list(ParameterGrid(full_grid))
    n_sub = min(n_combos, args.grid_subset)
    subset = [
        {k: [v] for k, v in all_params[i].items()}
        for i in rng.choice(n_combos, n_sub, replace=False)
    ]
    sub = timed(lambda: grid_search(groups, subset).fit(X, y), 1, args.slow)
    estimate = sub.seconds * n_combos / n_sub if sub.ok else np.inf
    if estimate <= args.grid_budget:
        grid = timed(lambda: grid_search(groups, full_grid).fit(X, y), 1, args.slow)
        grid_label = f"GridSearchCV, {n_combos} combos x 5 folds (measured)"
        grid_seconds = grid.seconds
    else:
        grid = sub
        grid_label = (
            f"GridSearchCV, {n_combos} combos x 5 folds (EXTRAPOLATED from "
            f"{n_sub} random combos; R^2 is that subset's best)"
        )
        grid_seconds = estimate
    r2_ours = r2_score(y_test, ours.result.predict(X_test)) if ours.ok else None
    r2_grid = r2_score(y_test, grid.result.predict(X_test)) if grid.ok else None
    r2_ridge = r2_score(y_test, ridge.result.predict(X_test)) if ridge.ok else None
    speed = grid_seconds / ours.seconds if ours.ok else None
    met = None
    if speed is not None and r2_grid is not None:
        met = speed >= 20 and r2_ours >= r2_grid
    alphas_ours = "n/a"
    if ours.ok:
        alphas_ours = ", ".join(f"{a:.3g}" for a in np.ravel(ours.result.alpha_))
    alphas_grid = "n/a"
    if grid.ok:
        best = grid.result.best_params_
        alphas_grid = ", ".join(
            f"{1 / best[f'scale__s{g}'] ** 2:.3g}" for g in range(3)
        )
    rows = [
        [
            "GradientRidgeCV(feature_groups=labels)",
            fmt_time(ours.seconds),
            fmt_ratio(grid_seconds, ours.seconds),
            fmt_num(r2_ours, ".5f"),
            fmt_num(_diff(r2_ours, r2_grid), "+.5f"),
            alphas_ours,
            fmt_goal(met),
            runs_text(ours),
        ],
        [
            grid_label,
            fmt_time(grid_seconds),
            "1.00x",
            fmt_num(r2_grid, ".5f"),
            "",
            alphas_grid,
            "(peer)",
            "1",
        ],
        [
            f"RidgeCV(alphas={GRID_TEXT}) (one alpha, context)",
            fmt_time(ridge.seconds),
            fmt_ratio(grid_seconds, ridge.seconds),
            fmt_num(r2_ridge, ".5f"),
            fmt_num(_diff(r2_ridge, r2_grid), "+.5f"),
            fmt_num(ridge.result.alpha_ if ridge.ok else None, ".3g"),
            "",
            runs_text(ridge),
        ],
    ]
    print_table(
        [
            "estimator",
            "fit s",
            "grid/this",
            "test R^2",
            "R^2 - grid",
            "group penalties",
            "goal",
            "runs",
        ],
        rows,
    )
    print(
        f"  grid subset timing: {n_sub} random combos took {fmt_time(sub.seconds)} s "
        f"-> {fmt_time(estimate)} s estimated for all {n_combos}."
    )
    print_notes([("GradientRidgeCV", ours), ("GridSearchCV", grid), ("RidgeCV", ridge)])


# ----------------------------------------------------------------------------
# E. float32 against float64
# ----------------------------------------------------------------------------
def peak_memory(fit):
    """Peak of memory allocated (NumPy arrays included) during ``fit()``."""
    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def section_e(args):
    n, p = (4000, 100) if args.quick else (20000, 500)
    print_header(
        "E. float32 against float64: GradientRidgeCV() and "
        f"RidgeCV(alphas={GRID_TEXT})",
        "float32 X is fitted without a float64 copy of X: a lower peak than "
        "float64; coefficients equal to float32's precision.",
        f"make_regression({n}, {p}, n_informative={p // 10}, noise=10.0, "
        "random_state=0), cast to each dtype (X and y). Times in seconds, best "
        "of `runs`; peak MiB from one separate run under tracemalloc; X is "
        f"{n * p * 4 / 2**20:.1f} MiB in float32, {n * p * 8 / 2**20:.1f} in float64.",
    )
    X, y = make_regression(n, p, n_informative=p // 10, noise=10.0, random_state=0)
    data = {
        dtype: (X.astype(dtype), y.astype(dtype)) for dtype in ("float32", "float64")
    }
    fits = {
        (name, dtype): (lambda make=make, X=Xd, y=yd: make().fit(X, y))
        for name, make in (
            ("GradientRidgeCV", GradientRidgeCV),
            ("RidgeCV", lambda: RidgeCV(alphas=GRID)),
        )
        for dtype, (Xd, yd) in data.items()
    }
    timings = timed_all(fits, args.repeat, args.slow, args.min_time)
    rows = []
    for name in ("GradientRidgeCV", "RidgeCV"):
        t32, t64 = timings[(name, "float32")], timings[(name, "float64")]
        m32 = peak_memory(fits[(name, "float32")])
        m64 = peak_memory(fits[(name, "float64")])
        coef32 = t32.result.coef_ if t32.ok else None
        coef64 = t64.result.coef_ if t64.ok else None
        diff = (
            np.max(np.abs(coef32 - coef64)) / np.max(np.abs(coef64))
            if t32.ok and t64.ok
            else None
        )
        rows.append(
            [
                name,
                fmt_time(t32.seconds),
                fmt_time(t64.seconds),
                fmt_ratio(t64.seconds, t32.seconds),
                f"{m32 / 2**20:.1f}",
                f"{m64 / 2**20:.1f}",
                f"{m32 / m64:.2f}",
                str(coef32.dtype) if coef32 is not None else "-",
                fmt_num(diff, ".1e"),
                runs_text(t32, t64),
            ]
        )
    print_table(
        [
            "estimator",
            "float32 s",
            "float64 s",
            "64/32 time",
            "float32 MiB",
            "float64 MiB",
            "32/64 memory",
            "coef_ dtype",
            "coef diff",
            "runs (32/64)",
        ],
        rows,
    )
    print(
        "  coef diff = max |coef_ float32 - coef_ float64| / max |coef_ float64| "
        "(the data differ by float32's rounding)."
    )


# ----------------------------------------------------------------------------
def parse_args(argv=None):
    parser = make_parser(
        __doc__, "A/loo, B/per-target, C/per-feature, D/banded, E/float32"
    )
    parser.add_argument(
        "--grid-budget",
        type=float,
        default=300.0,
        help="section D: run the full grid only if estimated to take at most this "
        "many seconds, else extrapolate (default 300)",
    )
    parser.add_argument(
        "--grid-subset",
        type=int,
        default=50,
        help="section D: random grid points timed for the estimate (default 50)",
    )
    return parse_with_sections(parser, argv, SECTIONS)


def main(argv=None):
    args = parse_args(argv)
    runners = {
        "A": section_a,
        "B": section_b,
        "C": section_c,
        "D": section_d,
        "E": section_e,
    }
    run_sections("GradientRidgeCV vs scikit-learn", runners, args)


if __name__ == "__main__":
    main()
