"""Benchmark GradientLogisticRegressionCV and GradientPoissonRegressorCV against
scikit-learn's own tools, in one process.

Sections (``--only`` selects one or more by letter or by name):

A. ``logistic``: one C, 5-fold and approximate leave-one-out (ALO), against
   ``LogisticRegressionCV(Cs=20, cv=5, scoring="neg_log_loss")`` on breast
   cancer, digits (10 classes) and a 5000 x 200 ``make_classification``, scored
   on a held-out test split; the 5-fold log-loss at each chosen C is recomputed
   with scikit-learn's ``LogisticRegression``. If our multinomial fit (digits)
   takes more than ``--profile-above`` times ``LogisticRegressionCV``'s time, one
   fit is profiled with ``cProfile`` and the functions that take the time are
   printed.
B. ``per-feature``: one C per feature against one C overall and
   ``LogisticRegressionCV`` on a problem with 95 irrelevant features of 100.
C. ``poisson``: ``GradientPoissonRegressorCV`` (5-fold and ALO) against
   ``GridSearchCV(PoissonRegressor(max_iter=1000), 20 alphas, cv=5)``.
D. ``tolerance``: section A's 5-fold fit against ``LogisticRegressionCV`` with
   ``tol`` 1e-4 (its default), 1e-6 and 1e-8: the peer at our inner accuracy.
E. ``twenty``: twenty classes, 20000 x 100 ``make_classification``, 5-fold
   against ``LogisticRegressionCV(Cs=20, cv=5, scoring="neg_log_loss")``.
F. ``each-digits``: one C per pixel of digits (64 C, 10 classes) against one
   C: time, convergence and held-out log-loss.

Section A's held-out log-losses are the mean over 5 stratified random splits
(untimed fits).

Every time is wall-clock (``time.perf_counter``) of ``fit`` only, the best of at
least ``--repeat`` runs, the contenders of a table run in turn (interleaved). A
fast fit is run again, up to 25 times, until its runs add up to ``--min-time``
seconds; a run slower than ``--slow`` seconds is not repeated. Timings of 2-thread
OpenBLAS on a small shared machine vary from run to run: the best of many runs is
the steadiest estimate. Numbers are whatever this machine measures: nothing is
hard-coded.

Usage::

    python benchmarks/bench_logistic.py              # full run (several minutes)
    python benchmarks/bench_logistic.py --quick      # smaller smoke run
    python benchmarks/bench_logistic.py --only A --only poisson
"""

import cProfile
import gc
import os
import pstats
import warnings

import numpy as np
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
    timed_all,
)
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.linear_model import (
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
)
from sklearn.metrics import log_loss, mean_poisson_deviance
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler

from skhypergrad import GradientLogisticRegressionCV, GradientPoissonRegressorCV

N_CS = 20  # LogisticRegressionCV's Cs: np.logspace(-4, 4, 20)
ALPHAS = np.logspace(-6, 4, 20)  # GridSearchCV's alphas for PoissonRegressor
ALPHAS_TEXT = "np.logspace(-6, 4, 20)"
LRCV_TEXT = f'LogisticRegressionCV(Cs={N_CS}, cv=5, scoring="neg_log_loss")'
GRID_TEXT = (
    f'GridSearchCV(PoissonRegressor(max_iter=1000), {{"alpha": {ALPHAS_TEXT}}}, '
    'cv=5, scoring="neg_mean_poisson_deviance")'
)
REL_TOL = 1e-3  # "no worse": ours <= peer * (1 + REL_TOL) on held-out loss
KFOLD_SPEED = 3.0  # goal: k-fold at least this many times faster than the peer
ALO_SPEED = 10.0  # goal: ALO at least this many times faster than the peer
# Section A's goals per data set, (k-fold, ALO) times faster than LRCV: the
# multinomial digits, whose Newton steps need the (K q)^2 Hessian, have their
# own.
SPEED_GOALS = {
    "breast_cancer": (KFOLD_SPEED, ALO_SPEED),
    "digits": (1.0, 3.0),
    "make_classification": (KFOLD_SPEED, ALO_SPEED),
}
TEST_SIZE = 0.2  # held-out share of sections A (stratified, random_state=0)
SPLIT_SEEDS = (0, 1, 2, 3, 4)  # held-out losses: the mean over these splits
DIGITS_TOL_SPEED = 2.0  # section D: digits k-fold vs LRCV at tol=1e-6
TWENTY_SPEED = 2.0  # section E: twenty classes, k-fold vs LRCV
EACH_SECONDS = 10.0  # section F: one C per feature on digits, under this

SECTIONS = {
    "A": ("a", "logistic", "lrcv"),
    "B": ("b", "per-feature", "per_feature"),
    "C": ("c", "poisson"),
    "D": ("d", "tolerance"),
    "E": ("e", "twenty", "twenty-classes"),
    "F": ("f", "each-digits", "per-feature-digits"),
}


def fmt_no_worse(rel):
    if rel is None:
        return "n/a"
    return "no worse" if rel <= REL_TOL else "WORSE"


def _diff(a, b):
    return None if a is None or b is None else a - b


def _rel(a, b):
    return None if a is None or b is None else (a - b) / b


# ----------------------------------------------------------------------------
# Contenders
# ----------------------------------------------------------------------------
def fit_lrcv(X, y):
    """LogisticRegressionCV with its defaults (no l1_ratios passed); its
    FutureWarnings about changing defaults and attributes are silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return LogisticRegressionCV(Cs=N_CS, cv=5, scoring="neg_log_loss").fit(X, y)


def lrcv_C(model):
    """The C of a one-C fit (LogisticRegressionCV's and ours): ``C_`` holds
    it once per class, all equal (multinomial)."""
    return float(np.ravel(model.C_)[0])


def test_log_loss(model, X_test, y_test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        proba = model.predict_proba(X_test)
    return log_loss(y_test, proba, labels=model.classes_)


def cv_log_loss(X, y, C):
    """Independent check: mean validation log-loss over all rows of
    StratifiedKFold(5) (the folds of both 5-fold methods) of a tightly converged
    scikit-learn LogisticRegression(C)."""
    total = 0.0
    labels = np.unique(y)
    for train, test in StratifiedKFold(5).split(X, y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            model = LogisticRegression(C=C, tol=1e-10, max_iter=10_000)
            proba = model.fit(X[train], y[train]).predict_proba(X[test])
        total += log_loss(y[test], proba, labels=labels) * len(test)
    return total / len(y)


def split_scale(X, y, test_size=TEST_SIZE, train_size=None, random_state=0):
    """Stratified split; StandardScaler fitted on train only."""
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=test_size,
        train_size=train_size,
        stratify=y,
        random_state=random_state,
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


# ----------------------------------------------------------------------------
# A. One C: k-fold and ALO against LogisticRegressionCV
# ----------------------------------------------------------------------------
def section_a_data(args):
    """The three classification problems of sections A and D, and the size of
    the synthetic one."""
    n_syn, p_syn = (1250, 50) if args.quick else (6250, 200)
    datasets = [
        ("breast_cancer", load_breast_cancer(return_X_y=True)),
        ("digits", load_digits(return_X_y=True)),
        (
            "make_classification",
            make_classification(
                n_samples=n_syn, n_features=p_syn, n_informative=20, random_state=0
            ),
        ),
    ]
    return datasets, n_syn, p_syn


SECTION_A_FITS = {
    "kfold": lambda X, y: GradientLogisticRegressionCV(cv=5).fit(X, y),
    "lrcv": fit_lrcv,
    "alo": lambda X, y: GradientLogisticRegressionCV(cv="alo").fit(X, y),
}


def split_losses(X, y, fits, seeds=SPLIT_SEEDS):
    """Held-out log-loss of each contender on stratified splits of each seed
    (untimed fits): ``{name: [loss per seed]}``."""
    losses = {name: [] for name in fits}
    for seed in seeds:
        X_train, X_test, y_train, y_test = split_scale(X, y, random_state=seed)
        for name, fit in fits.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = fit(X_train, y_train)
            losses[name].append(test_log_loss(model, X_test, y_test))
    return losses


def section_a(args):
    datasets, n_syn, p_syn = section_a_data(args)
    goals = ", ".join(
        f"{name} k-fold >= {k:g}x and ALO >= {a:g}x"
        for name, (k, a) in SPEED_GOALS.items()
    )
    print_header(
        'A. One C: GradientLogisticRegressionCV(cv=5) and (cv="alo") vs ' + LRCV_TEXT,
        f"faster than LogisticRegressionCV by: {goals}; k-fold with a held-out "
        f"log-loss no worse (ours <= LRCV's * (1 + {REL_TOL:g})), the mean over "
        f"{len(SPLIT_SEEDS)} random splits.",
        "load_breast_cancer (2 classes), load_digits (10 classes), "
        f"make_classification(n_samples={n_syn}, n_features={p_syn}, "
        "n_informative=20, random_state=0) (2 classes); stratified "
        f"train_test_split(test_size={TEST_SIZE:g}, random_state=0) for the times "
        f"(random_state in {SPLIT_SEEDS} for the held-out losses, untimed fits); "
        "StandardScaler fitted on the training split. Both 5-fold methods use "
        "StratifiedKFold(5) (the same folds). Times in seconds, best of `runs`.",
    )
    time_rows, score_rows, check_rows, notes, extra = [], [], [], [], []
    split_rows = []
    digits = None
    for name, (X, y) in datasets:
        X_train, X_test, y_train, y_test = split_scale(X, y)
        fits = {
            key: lambda X=X_train, y=y_train, fit=fit: fit(X, y)
            for key, fit in SECTION_A_FITS.items()
        }
        res = timed_all(fits, args.repeat, args.slow, args.min_time)
        kfold_goal, alo_goal = SPEED_GOALS[name]
        kfold, lrcv, alo = res["kfold"], res["lrcv"], res.get("alo")
        notes += [(f"{name} k-fold", kfold), (f"{name} LRCV", lrcv)]
        if alo is not None:
            notes.append((f"{name} ALO", alo))
        if name == "digits":
            digits = (X_train, y_train, kfold, lrcv)

        def speed(t, lrcv=lrcv):
            ok = t is not None and t.ok and lrcv.ok
            return lrcv.seconds / t.seconds if ok else None

        s_kfold, s_alo = speed(kfold), speed(alo)
        losses = split_losses(X, y, SECTION_A_FITS)
        for i, seed in enumerate(SPLIT_SEEDS):
            split_rows.append(
                [name, str(seed)]
                + [f"{losses[key][i]:.5f}" for key in ("kfold", "alo", "lrcv")]
                + [fmt_num(_rel(losses["kfold"][i], losses["lrcv"][i]), "+.2e")]
            )
        l_kfold, l_alo, l_lrcv = (
            float(np.mean(losses[key])) for key in ("kfold", "alo", "lrcv")
        )
        split_rows.append(
            [name, "mean", f"{l_kfold:.5f}", f"{l_alo:.5f}", f"{l_lrcv:.5f}"]
            + [fmt_num(_rel(l_kfold, l_lrcv), "+.2e")]
        )
        rel_kfold, rel_alo = _rel(l_kfold, l_lrcv), _rel(l_alo, l_lrcv)
        shape = f"{X_train.shape[0]} x {X_train.shape[1]}"
        classes = len(np.unique(y_train))
        time_rows.append(
            [
                name,
                shape,
                str(classes),
                fmt_time(kfold.seconds),
                fmt_time(alo.seconds) if alo else "-",
                fmt_time(lrcv.seconds),
                fmt_ratio(lrcv.seconds, kfold.seconds),
                f">= {kfold_goal:g}x",
                fmt_goal(None if s_kfold is None else s_kfold >= kfold_goal),
                fmt_ratio(lrcv.seconds, alo.seconds) if alo else "-",
                f">= {alo_goal:g}x",
                fmt_goal(None if s_alo is None else s_alo >= alo_goal) if alo else "-",
                runs_text(kfold, alo, lrcv),
            ]
        )
        met = None
        if s_kfold is not None and rel_kfold is not None:
            met = s_kfold >= kfold_goal and rel_kfold <= REL_TOL
        score_rows.append(
            [
                name,
                fmt_num(lrcv_C(kfold.result) if kfold.ok else None, ".4g"),
                (
                    fmt_num(lrcv_C(alo.result) if alo.ok else None, ".4g")
                    if alo
                    else "-"
                ),
                fmt_num(lrcv_C(lrcv.result) if lrcv.ok else None, ".4g"),
                fmt_num(l_kfold, ".5f"),
                fmt_num(l_alo, ".5f") if alo else "-",
                fmt_num(l_lrcv, ".5f"),
                fmt_num(rel_kfold, "+.2e"),
                fmt_no_worse(rel_kfold),
                fmt_num(rel_alo, "+.2e") if alo else "-",
                fmt_goal(met),
            ]
        )
        cv_at = {
            key: cv_log_loss(X_train, y_train, C) if C is not None else None
            for key, C in (
                ("kfold", lrcv_C(kfold.result) if kfold.ok else None),
                ("alo", lrcv_C(alo.result) if alo is not None and alo.ok else None),
                ("lrcv", lrcv_C(lrcv.result) if lrcv.ok else None),
            )
        }
        own = -kfold.result.best_score_ if kfold.ok else None
        check_rows.append(
            [
                name,
                fmt_num(cv_at["kfold"], ".6f"),
                fmt_num(cv_at["alo"], ".6f") if alo else "-",
                fmt_num(cv_at["lrcv"], ".6f"),
                fmt_num(_diff(cv_at["kfold"], cv_at["lrcv"]), "+.2e"),
                fmt_num(own, ".6f"),
                fmt_num(None if own is None else abs(_rel(own, cv_at["kfold"])), ".1e"),
            ]
        )
        for label, t in (("k-fold", kfold), ("ALO", alo)):
            if t is not None and t.ok:
                extra.append(
                    f"  {name} {label}: search_n_iter_ = {t.result.search_n_iter_}, "
                    f"{int(np.sum(t.result.n_iter_))} Newton iterations, "
                    f"{len(t.result.history_['C'])} criterion evaluations, "
                    f"criterion (-best_score_) {-t.result.best_score_:.5f}"
                )
    print_table(
        [
            "dataset",
            "n_train x p",
            "classes",
            "k-fold s",
            "ALO s",
            "LRCV s",
            "LRCV/k-fold",
            "k-fold goal",
            "k-fold",
            "LRCV/ALO",
            "ALO goal",
            "ALO",
            "runs (k/A/L)",
        ],
        time_rows,
    )
    print()
    print_table(
        [
            "dataset",
            "split",
            "test LL k-fold",
            "test LL ALO",
            "test LL LRCV",
            "(k-L)/L",
        ],
        split_rows,
    )
    print(
        f"  Held-out log-loss on stratified train_test_split(test_size={TEST_SIZE:g}, "
        "random_state=split), the fits untimed; mean = over the splits."
    )
    print()
    print_table(
        [
            "dataset",
            "C_ k-fold",
            "C_ ALO",
            "C_ LRCV",
            "mean LL k-fold",
            "mean LL ALO",
            "mean LL LRCV",
            "(k-L)/L",
            "k-fold vs LRCV",
            "(A-L)/L",
            "k-fold goal",
        ],
        score_rows,
    )
    print(
        "  C_ on the timed split (random_state=0); mean LL = held-out log-loss, "
        f"the mean over the {len(SPLIT_SEEDS)} splits; (k-L)/L = (k-fold - LRCV) / "
        f'LRCV. "no worse" means ours <= LRCV\'s * (1 + {REL_TOL:g}). k-fold goal = '
        "speed and no worse. LRCV's Cs = np.logspace(-4, 4, 20)."
    )
    print()
    print_table(
        [
            "dataset",
            "CV LL at C_ k-fold",
            "at C_ ALO",
            "at C_ LRCV",
            "k-fold - LRCV",
            "k-fold -best_score_",
            "check",
        ],
        check_rows,
    )
    print(
        "  CV LL at C = mean validation log-loss over StratifiedKFold(5), the folds "
        "of both 5-fold methods, recomputed by scikit-learn's LogisticRegression(C, "
        "tol=1e-10, max_iter=10000) (not timed); k-fold - LRCV < 0: our C_ is the "
        "better minimiser of the 5-fold criterion. check = |our -best_score_ - "
        "recomputed| / recomputed at our k-fold C_."
    )
    for line in extra:
        print(line)
    print_notes(notes)
    if digits is not None:
        maybe_profile(args, *digits)


def maybe_profile(args, X, y, ours, peer):
    """Profile one multinomial fit if it is much slower than LRCV."""
    if not (ours.ok and peer.ok):
        return
    slower = ours.seconds / peer.seconds
    if args.profile_above <= 0 or slower <= args.profile_above:
        why = (
            "--profile-above 0"
            if args.profile_above <= 0
            else f"not above --profile-above {args.profile_above:g}"
        )
        print(f"  digits: ours/LRCV time = {slower:.2f}x, {why}: not profiled.")
        return
    print()
    print(
        f"Profile of one GradientLogisticRegressionCV(cv=5) fit on digits (ours is "
        f"{slower:.2f}x LRCV's time, above --profile-above {args.profile_above:g}):"
    )
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    model = GradientLogisticRegressionCV(cv=5).fit(X, y)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    entries = []
    for (path, line, func), (_, calls, own, cum, _) in stats.stats.items():
        entries.append((path, line, func, calls, own, cum))

    def label(path, line, func):
        if "skhypergrad" in path:
            return f"skhypergrad/{os.path.basename(path)}:{line} {func}"
        if "site-packages" in path:
            return f"{path.split('site-packages' + os.sep)[-1]}:{line} {func}"
        return func if path == "~" else f"{os.path.basename(path)}:{line} {func}"

    def rows(selected):
        return [
            [
                label(path, line, func),
                str(calls),
                f"{own:.3f}",
                f"{100 * own / total:.1f}%",
                f"{cum:.3f}",
                f"{100 * cum / total:.1f}%",
            ]
            for path, line, func, calls, own, cum in selected
        ]

    headers = ["function", "calls", "own s", "own %", "cum. s", "cum. %"]
    print(
        f"  cProfile total {total:.3f} s (profiling overhead included); "
        f"search_n_iter_ = {model.search_n_iter_}, "
        f"{len(model.history_['C'])} criterion evaluations."
    )
    print("  Own time (time in the function itself, BLAS calls included), top 8:")
    by_own = sorted(entries, key=lambda e: e[4], reverse=True)[:8]
    print_table(headers, rows(by_own))
    print("  skhypergrad functions by cumulative time, top 12:")
    ours_only = [e for e in entries if "skhypergrad" in e[0]]
    by_cum = sorted(ours_only, key=lambda e: e[5], reverse=True)[:12]
    print_table(headers, rows(by_cum))


# ----------------------------------------------------------------------------
# B. One C per feature
# ----------------------------------------------------------------------------
def section_b(args):
    n_train, n_test, p = (300, 600, 100) if args.quick else (500, 1000, 100)
    n = n_train + n_test
    print_header(
        'B. One C per feature: GradientLogisticRegressionCV(feature_groups="each", '
        "cv=5) vs GradientLogisticRegressionCV(cv=5) vs " + LRCV_TEXT,
        "with many irrelevant features, one C per feature gives a lower held-out "
        "log-loss than one C overall (ours, cv=5) and than LogisticRegressionCV; "
        "times reported.",
        f"make_classification(n_samples={n}, n_features={p}, n_informative=5, "
        f"n_redundant=0, random_state=0): {p - 5} of {p} features irrelevant; "
        f"stratified train_test_split(train_size={n_train}, random_state=0) -> "
        f"{n_train} train / {n_test} test; StandardScaler fitted on train. Times in "
        "seconds, best of `runs`.",
    )
    X, y = make_classification(
        n_samples=n, n_features=p, n_informative=5, n_redundant=0, random_state=0
    )
    X_train, X_test, y_train, y_test = split_scale(
        X, y, test_size=None, train_size=n_train
    )
    names = [
        'GradientLogisticRegressionCV(feature_groups="each", cv=5)',
        "GradientLogisticRegressionCV(cv=5)",
        LRCV_TEXT,
    ]
    fits = dict(
        zip(
            names,
            [
                lambda: GradientLogisticRegressionCV(feature_groups="each", cv=5).fit(
                    X_train, y_train
                ),
                lambda: GradientLogisticRegressionCV(cv=5).fit(X_train, y_train),
                lambda: fit_lrcv(X_train, y_train),
            ],
            strict=True,
        )
    )
    res = timed_all(fits, args.repeat, args.slow, args.min_time)
    losses = {
        name: test_log_loss(t.result, X_test, y_test) if t.ok else None
        for name, t in res.items()
    }
    l_each, l_one, l_lrcv = (losses[name] for name in names)
    met = None
    if None not in (l_each, l_one, l_lrcv):
        met = l_each < l_one and l_each < l_lrcv
    rows = []
    for i, name in enumerate(names):
        t = res[name]
        rows.append(
            [
                name,
                fmt_time(t.seconds),
                fmt_ratio(res[names[2]].seconds, t.seconds),
                fmt_num(losses[name], ".5f"),
                fmt_num(_diff(losses[name], l_one), "+.5f") if i != 1 else "",
                fmt_num(_diff(losses[name], l_lrcv), "+.5f") if i != 2 else "",
                fmt_goal(met) if i == 0 else "(peer)",
                runs_text(t),
            ]
        )
    print_table(
        [
            "estimator",
            "fit s",
            "LRCV/this",
            "test LL",
            "LL - one C",
            "LL - LRCV",
            "goal",
            "runs",
        ],
        rows,
    )
    print("  test LL = held-out log-loss (lower is better).")
    each, one, lrcv = (res[name] for name in names)
    if each.ok:
        c_each = np.asarray(each.result.C_, dtype=float)
        # The default C_bounds follow the units of X: (1e-4, 1e4) over the
        # mean variance of the features, 1 on these standardised ones.
        low, high = 1e-4, 1e4
        at_low = int(np.count_nonzero(c_each < 1.001 * low))
        at_high = int(np.count_nonzero(c_each > high / 1.001))
        print(
            f"  per-feature C_: {at_low} of {c_each.size} at the lower bound "
            f"{low:g}, {at_high} at the upper bound {high:g}, median "
            f"{np.median(c_each):.3g}; search_n_iter_ = "
            f"{each.result.search_n_iter_}; CV log-loss "
            f"(-best_score_) {-each.result.best_score_:.5f}."
        )
    if one.ok and lrcv.ok:
        print(
            f"  one C: C_ = {lrcv_C(one.result):.4g}, CV log-loss (-best_score_) "
            f"{-one.result.best_score_:.5f}; LRCV: C_ = {lrcv_C(lrcv.result):.4g}."
        )
    print_notes(list(res.items()))


# ----------------------------------------------------------------------------
# C. Poisson regression
# ----------------------------------------------------------------------------
POISSON_W = np.array([0.4, -0.3, 0.25, -0.2, 0.15, 0.1, -0.05, 0.05])
POISSON_W_TEXT = "(0.4, -0.3, 0.25, -0.2, 0.15, 0.1, -0.05, 0.05, 0, ..., 0)"


def poisson_data(n_train, n_test, p=20):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_train + n_test, p))
    w = np.zeros(p)
    w[: len(POISSON_W)] = POISSON_W
    y = rng.poisson(np.exp(X @ w)).astype(float)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def section_c(args):
    n_train, n_test, p = (500, 500, 20) if args.quick else (2000, 2000, 20)
    print_header(
        'C. Poisson, one alpha: GradientPoissonRegressorCV(cv=5) and (cv="alo") vs '
        + GRID_TEXT,
        f"(section A's goals, applied to Poisson) k-fold >= {KFOLD_SPEED:g}x faster "
        f"than GridSearchCV with held-out mean Poisson deviance no worse (ours <= "
        f"grid's * (1 + {REL_TOL:g})); ALO >= {ALO_SPEED:g}x faster.",
        f"X ~ N(0, 1), {n_train} train + {n_test} test rows, p = {p}; y ~ "
        f"Poisson(exp(X @ w)), w = {POISSON_W_TEXT}, no intercept in the truth "
        "(every model fits one); numpy default_rng(0); no scaling. Both 5-fold "
        "methods use KFold(5) (the same folds). Times in seconds, best of `runs`.",
    )
    X, y, X_test, y_test = poisson_data(n_train, n_test, p)
    fits = {
        "kfold": lambda: GradientPoissonRegressorCV(cv=5).fit(X, y),
        "alo": lambda: GradientPoissonRegressorCV(cv="alo").fit(X, y),
        "grid": lambda: GridSearchCV(
            PoissonRegressor(max_iter=1000),
            {"alpha": ALPHAS},
            cv=5,
            scoring="neg_mean_poisson_deviance",
        ).fit(X, y),
    }
    res = timed_all(fits, args.repeat, args.slow, args.min_time)
    grid = res["grid"]
    dev = {
        k: mean_poisson_deviance(y_test, t.result.predict(X_test)) if t.ok else None
        for k, t in res.items()
    }
    grid_alpha = grid.result.best_params_["alpha"] if grid.ok else None
    rows = []
    for key, name, target in (
        ("kfold", "GradientPoissonRegressorCV(cv=5)", KFOLD_SPEED),
        ("alo", 'GradientPoissonRegressorCV(cv="alo")', ALO_SPEED),
        ("grid", "GridSearchCV(PoissonRegressor, 20 alphas)", None),
    ):
        t = res[key]
        alpha = grid_alpha if key == "grid" else (t.result.alpha_ if t.ok else None)
        rel = _rel(dev[key], dev["grid"])
        met = None
        if target is not None and t.ok and grid.ok:
            met = grid.seconds / t.seconds >= target
            if key == "kfold":
                met = met and rel <= REL_TOL
        rows.append(
            [
                name,
                fmt_time(t.seconds),
                fmt_ratio(grid.seconds, t.seconds),
                f">= {target:g}x" if target else "",
                fmt_num(alpha),
                fmt_num(dev[key], ".6f"),
                fmt_num(rel, "+.2e") if key != "grid" else "",
                fmt_no_worse(rel) if key != "grid" else "",
                fmt_goal(met) if target else "(peer)",
                runs_text(t),
            ]
        )
    print_table(
        [
            "estimator",
            "fit s",
            "grid/this",
            "target",
            "alpha_",
            "test deviance",
            "(o-G)/G",
            "vs grid",
            "goal",
            "runs",
        ],
        rows,
    )
    print(
        "  test deviance = held-out mean Poisson deviance (lower is better); (o-G)/G "
        f'= (ours - grid) / grid; "no worse" means ours <= grid\'s * (1 + '
        f"{REL_TOL:g}). The k-fold goal is speed and no worse, the ALO goal speed "
        "only."
    )
    for key in ("kfold", "alo"):
        t = res[key]
        if t.ok:
            print(
                f"  {key}: n_iter_ = {t.result.n_iter_}, "
                f"{len(t.result.history_['alpha'])} criterion evaluations, "
                f"CV deviance (-best_score_) {-t.result.best_score_:.6f}"
            )
    if grid.ok:
        print(f"  grid: best CV deviance {-grid.result.best_score_:.6f}")
    print_notes([(k, t) for k, t in res.items()])


# ----------------------------------------------------------------------------
# D. The peer at our accuracy
# ----------------------------------------------------------------------------
PEER_TOLS = (1e-4, 1e-6, 1e-8)  # 1e-4 is LogisticRegressionCV's default


def fit_lrcv_tol(X, y, tol):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return LogisticRegressionCV(
            Cs=N_CS, cv=5, scoring="neg_log_loss", tol=tol, max_iter=10_000
        ).fit(X, y)


def section_d(args):
    datasets, n_syn, p_syn = section_a_data(args)
    print_header(
        "D. The peer at our accuracy: GradientLogisticRegressionCV(cv=5) vs "
        f'LogisticRegressionCV(Cs={N_CS}, cv=5, scoring="neg_log_loss", tol=t, '
        "max_iter=10000) for t in " + ", ".join(f"{t:g}" for t in PEER_TOLS),
        f"on digits, ours >= {DIGITS_TOL_SPEED:g}x faster than LogisticRegressionCV "
        "at tol=1e-6 (the others are context for section A): our inner solves are "
        "converged to about 1e-12 relative in the objective, because exact "
        "hypergradients need them; LogisticRegressionCV's default tol=1e-4 stops "
        "its L-BFGS fits much earlier.",
        "section A's data sets and splits. Times in seconds, best of `runs`; "
        "L-BFGS its = total iterations of LogisticRegressionCV's fits (n_iter_).",
    )
    rows, goal_lines = [], []
    for name, (X, y) in datasets:
        X_train, _, y_train, _ = split_scale(X, y)
        fits = {
            "ours": lambda X=X_train, y=y_train: GradientLogisticRegressionCV(cv=5).fit(
                X, y
            )
        }
        for tol in PEER_TOLS:
            fits[tol] = lambda X=X_train, y=y_train, tol=tol: fit_lrcv_tol(X, y, tol)
        res = timed_all(fits, args.repeat, args.slow, args.min_time)
        ours = res["ours"]
        row = [name, fmt_time(ours.seconds)]
        for tol in PEER_TOLS:
            peer = res[tol]
            its = int(np.sum(peer.result.n_iter_)) if peer.ok else None
            row += [
                fmt_time(peer.seconds),
                fmt_ratio(peer.seconds, ours.seconds),
                fmt_num(its, ".0f"),
            ]
        rows.append(row + [runs_text(ours, *(res[t] for t in PEER_TOLS))])
        if name == "digits" and ours.ok and res[1e-6].ok:
            ratio = res[1e-6].seconds / ours.seconds
            goal_lines.append(
                f"  digits: LRCV at tol=1e-6 takes {ratio:.2f}x our time; goal "
                f">= {DIGITS_TOL_SPEED:g}x: {fmt_goal(ratio >= DIGITS_TOL_SPEED)}."
            )
    headers = ["dataset", "ours s"]
    for tol in PEER_TOLS:
        headers += [f"LRCV {tol:g} s", f"LRCV {tol:g}/ours", "L-BFGS its"]
    print_table(headers + ["runs"], rows)
    for line in goal_lines:
        print(line)


# ----------------------------------------------------------------------------
# E. Twenty classes
# ----------------------------------------------------------------------------
def twenty_data(args):
    n, p = (5000, 50) if args.quick else (25000, 100)
    X, y = make_classification(
        n_samples=n,
        n_features=p,
        n_informative=30,
        n_classes=20,
        n_clusters_per_class=1,
        random_state=0,
    )
    return X, y, n, p


def section_e(args):
    X, y, n, p = twenty_data(args)
    n_train = int(0.8 * n)
    print_header(
        "E. Twenty classes: GradientLogisticRegressionCV(cv=5) vs " + LRCV_TEXT,
        f"k-fold >= {TWENTY_SPEED:g}x faster than LogisticRegressionCV; held-out "
        "log-loss reported.",
        f"make_classification(n_samples={n}, n_features={p}, n_informative=30, "
        "n_classes=20, n_clusters_per_class=1, random_state=0); stratified "
        f"train_test_split(train_size={n_train}, random_state=0) -> {n_train} train / "
        f"{n - n_train} test; StandardScaler fitted on train. Both 5-fold methods "
        "use StratifiedKFold(5). Times in seconds, best of `runs`.",
    )
    X_train, X_test, y_train, y_test = split_scale(
        X, y, test_size=None, train_size=n_train
    )
    fits = {
        "kfold": lambda: GradientLogisticRegressionCV(cv=5).fit(X_train, y_train),
        "lrcv": lambda: fit_lrcv(X_train, y_train),
    }
    res = timed_all(fits, args.repeat, args.slow, args.min_time)
    kfold, lrcv = res["kfold"], res["lrcv"]
    ratio = lrcv.seconds / kfold.seconds if kfold.ok and lrcv.ok else None
    rows = []
    for key, name in (
        ("kfold", "GradientLogisticRegressionCV(cv=5)"),
        ("lrcv", LRCV_TEXT),
    ):
        t = res[key]
        C = lrcv_C(t.result) if t.ok else None
        rows.append(
            [
                name,
                fmt_time(t.seconds),
                fmt_ratio(lrcv.seconds, t.seconds),
                f">= {TWENTY_SPEED:g}x" if key == "kfold" else "",
                fmt_goal(None if ratio is None else ratio >= TWENTY_SPEED)
                if key == "kfold"
                else "(peer)",
                fmt_num(C, ".4g"),
                fmt_num(
                    test_log_loss(t.result, X_test, y_test) if t.ok else None, ".5f"
                ),
                runs_text(t),
            ]
        )
    print_table(
        ["estimator", "fit s", "LRCV/this", "target", "goal", "C_", "test LL", "runs"],
        rows,
    )
    if kfold.ok:
        print(
            f"  k-fold: search_n_iter_ = {kfold.result.search_n_iter_}, "
            f"{len(kfold.result.history_['C'])} criterion evaluations, "
            f"{int(np.sum(kfold.result.n_iter_))} Newton iterations over the folds, "
            f"criterion (-best_score_) {-kfold.result.best_score_:.5f}"
        )
    print_notes(list(res.items()))


# ----------------------------------------------------------------------------
# F. One C per feature on digits
# ----------------------------------------------------------------------------
def section_f(args):
    X, y = load_digits(return_X_y=True)
    print_header(
        'F. One C per pixel: GradientLogisticRegressionCV(feature_groups="each", '
        "cv=5) vs GradientLogisticRegressionCV(cv=5) on digits",
        f'feature_groups="each" (64 C, 10 classes) fits in under {EACH_SECONDS:g} s, '
        "converged (no ConvergenceWarning), with a held-out log-loss no worse than "
        "one C's (ours <= one C's * (1 + 0.001)).",
        f"load_digits; stratified train_test_split(test_size={TEST_SIZE:g}, "
        "random_state=0); StandardScaler fitted on train. Each fit timed once.",
    )
    X_train, X_test, y_train, y_test = split_scale(X, y)
    fits = {
        "each": lambda: GradientLogisticRegressionCV(feature_groups="each", cv=5).fit(
            X_train, y_train
        ),
        "one": lambda: GradientLogisticRegressionCV(cv=5).fit(X_train, y_train),
    }
    res = timed_all(fits, 1, 0.0)
    each, one = res["each"], res["one"]
    loss = {
        k: test_log_loss(t.result, X_test, y_test) if t.ok else None
        for k, t in res.items()
    }
    converged = each.ok and not any("ConvergenceWarning" in w for w in each.warnings)
    met = None
    if each.ok and one.ok:
        met = (
            each.seconds < EACH_SECONDS
            and converged
            and loss["each"] <= loss["one"] * (1 + REL_TOL)
        )
    rows = []
    for key, name in (
        ("each", 'GradientLogisticRegressionCV(feature_groups="each", cv=5)'),
        ("one", "GradientLogisticRegressionCV(cv=5)"),
    ):
        t = res[key]
        rows.append(
            [
                name,
                fmt_time(t.seconds),
                fmt_num(-t.result.best_score_ if t.ok else None, ".5f"),
                fmt_num(loss[key], ".5f"),
                str(t.result.search_n_iter_) if t.ok else "n/a",
                str(len(t.result.history_["C"])) if t.ok else "n/a",
                fmt_goal(met) if key == "each" else "(peer)",
            ]
        )
    print_table(
        ["estimator", "fit s", "CV LL", "test LL", "search_n_iter_", "evaluations"]
        + ["goal"],
        rows,
    )
    print(
        "  CV LL = the 5-fold criterion at the chosen C (-best_score_); test LL = "
        "held-out log-loss. A CV LL far below the test LL is the criterion "
        "over-fitted by its 64 hyperparameters."
    )
    if each.ok:
        C = np.asarray(each.result.C_, dtype=float)
        print(
            f"  per-pixel C_: min {C.min():.3g}, median {np.median(C):.3g}, max "
            f"{C.max():.3g}; converged (no ConvergenceWarning): {converged}."
        )
    print_notes(list(res.items()))


# ----------------------------------------------------------------------------
def parse_args(argv=None):
    parser = make_parser(
        __doc__,
        "A/logistic, B/per-feature, C/poisson, D/tolerance, E/twenty, F/each-digits",
    )
    parser.add_argument(
        "--profile-above",
        type=float,
        default=2.0,
        help="section A: profile one digits fit if ours takes more than this many "
        "times LogisticRegressionCV's time; 0 never profiles (default 2)",
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
        "F": section_f,
    }
    run_sections(
        "GradientLogisticRegressionCV and GradientPoissonRegressorCV vs scikit-learn",
        runners,
        args,
    )


if __name__ == "__main__":
    main()
