"""Benchmark GradientRidgeClassifierCV against RidgeClassifierCV, in one process.

Sections (``--only`` selects one or more by letter or by name):

A. ``classes20``: a 20-class problem, ``make_classification`` with 5000 training
   and 5000 test rows and 200 features.
B. ``digits``: ``load_digits`` (10 classes, 64 features), a stratified 70/30
   split.

Both compare ``GradientRidgeClassifierCV()`` with
``RidgeClassifierCV(alphas=np.logspace(-6, 6, 100))``, both with ``cv=None``
(exact leave-one-out squared error on the +1/-1 class targets, one alpha shared
by the classes): the time of ``fit``, the leave-one-out error each reaches, and
the accuracy on the held-out rows. The leave-one-out error at our ``alpha_`` is
recomputed by ``RidgeClassifierCV(alphas=[alpha_])`` as a check.

The held-out accuracy of one split is noisy (on A one test row in 5000 is
0.0002), so the accuracy goal is judged on the mean over 5 random train/test
splits of the same data (``--quick``: the same 5 splits of its smaller data):
A pools the 10000 rows that ``make_classification`` makes and B all of
``load_digits``, and re-splits them with ``train_test_split(test_size=0.5``
(A) or ``0.3`` (B) ``, stratify=y, random_state=s)`` for ``s`` in 0..4. Each
estimator is fitted once per split (not timed) and its test accuracy recorded;
the table gives the per-split accuracies, their differences, the mean
difference and its paired standard error (the standard deviation of the 5
differences over sqrt(5)). "No lower" is judged as "not significantly lower":
the goal is met unless a one-sided paired t-test over the 5 splits finds our
mean accuracy lower at the 5% level (mean difference below -t(0.95, 4) = -2.13
standard errors). Both estimators minimise the same criterion, the
leave-one-out squared error; accuracy is another, noisier quantity, and a
strict "ours >= peer" on a mean of 5 splits is decided by test-set noise when
the two alphas are close (whether it holds strictly is printed too). The timed
fits, their leave-one-out errors, ``alpha_`` and their
accuracy on the original split are as before.

Every time is wall-clock (``time.perf_counter``) of ``fit`` only, the best of at
least ``--repeat`` runs, the two contenders run in turn (interleaved); see
``bench_ridge.py`` for the method and ``--threads`` for the thread modes.

Usage::

    python benchmarks/bench_ridge_classifier.py               # full run
    python benchmarks/bench_ridge_classifier.py --threads 1   # one thread
    python benchmarks/bench_ridge_classifier.py --quick       # smoke run
    python benchmarks/bench_ridge_classifier.py --only digits
"""

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
from scipy.stats import t as t_distribution
from sklearn.datasets import load_digits, make_classification
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import train_test_split

from skhypergrad import GradientRidgeClassifierCV

GRID = np.logspace(-6, 6, 100)
GRID_TEXT = "np.logspace(-6, 6, 100)"
# The search stops when it predicts less than tol (relative) left to gain.
REL_TOL = GradientRidgeClassifierCV().tol
SPEED_GOAL = 3.0
# The accuracy goal is judged on the mean over these random train/test splits.
SPLIT_SEEDS = range(5)

SECTIONS = {"A": ("a", "classes20"), "B": ("b", "digits")}


def seeds_text():
    return f"{SPLIT_SEEDS[0]}..{SPLIT_SEEDS[-1]}"


def random_splits(X, y, test_size):
    """``{seed: (X_train, y_train, X_test, y_test)}``, stratified random splits."""
    out = {}
    for seed in SPLIT_SEEDS:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=test_size, stratify=y, random_state=seed
        )
        out[seed] = (X_train, y_train, X_test, y_test)
    return out


def split_accuracies(splits):
    """Fit both estimators once on each split (untimed); their test accuracy,
    ``alpha_`` and any error or warning, per split."""
    rows = {}
    for seed, (X, y, X_test, y_test) in splits.items():
        fits = timed_all(
            {
                "ours": lambda X=X, y=y: GradientRidgeClassifierCV().fit(X, y),
                "peer": lambda X=X, y=y: RidgeClassifierCV(alphas=GRID).fit(X, y),
            },
            1,
            np.inf,
        )
        rows[seed] = {
            "fits": fits,
            "n_test": len(y_test),
            "acc": {
                name: t.result.score(X_test, y_test) if t.ok else None
                for name, t in fits.items()
            },
            "alpha": {
                name: t.result.alpha_ if t.ok else None for name, t in fits.items()
            },
        }
    return rows


def summarise_splits(rows):
    """Mean accuracies, mean difference (ours - peer), its paired standard
    error, and whether the goal is met on the mean (None if a fit failed)."""
    acc = [r["acc"] for r in rows.values()]
    if any(None in a.values() for a in acc):
        return dict.fromkeys(["ours", "peer", "diff", "se", "strict", "met"])
    ours = np.array([a["ours"] for a in acc])
    peer = np.array([a["peer"] for a in acc])
    diff = ours - peer
    se = diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else 0.0
    # Not significantly lower: a one-sided paired t-test at the 5% level.
    margin = t_distribution.ppf(0.95, diff.size - 1) * se if diff.size > 1 else 0.0
    return {
        "ours": ours.mean(),
        "peer": peer.mean(),
        "diff": diff.mean(),
        "se": se,
        # Accuracies are multiples of 1 / n_test, so a real difference of the
        # means is far above 1e-12; the tolerance only absorbs the rounding of
        # two equal means summed in different orders.
        "strict": bool(diff.mean() >= -1e-12),
        "met": bool(diff.mean() >= -margin - 1e-12),
    }


def print_splits(rows, summary, splits_text):
    # Every split of a section has the same number of test rows.
    n_test = next(iter(rows.values()))["n_test"]
    print(
        f"  Held-out accuracy over {len(rows)} random splits ({splits_text}), "
        "one untimed fit of each per split:"
    )
    table = []
    for seed, r in rows.items():
        a = r["acc"]
        d = None if None in a.values() else a["ours"] - a["peer"]
        table.append(
            [
                f"random_state={seed}",
                fmt_num(a["ours"], ".4f"),
                fmt_num(a["peer"], ".4f"),
                fmt_num(d, "+.4f"),
                "n/a" if d is None else f"{d * n_test:+.0f}",
                fmt_num(r["alpha"]["ours"], ".4g"),
                fmt_num(r["alpha"]["peer"], ".4g"),
            ]
        )
    mean_rows = None if summary["diff"] is None else summary["diff"] * n_test
    table.append(
        [
            "mean",
            fmt_num(summary["ours"], ".4f"),
            fmt_num(summary["peer"], ".4f"),
            fmt_num(summary["diff"], "+.4f"),
            fmt_num(mean_rows, "+.1f"),
            "",
            "",
        ]
    )
    print_table(
        [
            "split",
            "ours acc",
            "R acc",
            "ours-R",
            f"rows of {n_test}",
            "ours alpha_",
            "R alpha_",
        ],
        table,
    )
    strict = {None: "n/a", True: "yes", False: "no"}[summary["strict"]]
    print(
        f"  mean difference ours - R = {fmt_num(summary['diff'], '+.5f')}, paired "
        f"standard error {fmt_num(summary['se'], '.5f')} (sd of the "
        f"{len(rows)} differences / sqrt({len(rows)})); ours >= R strictly: "
        f"{strict}. "
        f"Accuracy goal (not significantly lower, one-sided paired t-test at "
        f"5%): {fmt_goal(summary['met'])}."
    )
    for seed, r in rows.items():
        print_notes(
            [
                (f"GradientRidgeClassifierCV (random_state={seed})", r["fits"]["ours"]),
                (f"RidgeClassifierCV (random_state={seed})", r["fits"]["peer"]),
            ]
        )


def classes20_data(quick):
    n_train, p = (1000, 50) if quick else (5000, 200)
    X, y = make_classification(
        2 * n_train,
        p,
        n_informative=p // 4,
        n_redundant=p // 10,
        n_classes=20,
        n_clusters_per_class=1,
        flip_y=0.05,
        random_state=0,
    )
    data = (X[:n_train], y[:n_train], X[n_train:], y[n_train:])
    splits = random_splits(X, y, 0.5)
    text = (
        f"make_classification({2 * n_train}, {p}, n_informative={p // 4}, "
        f"n_redundant={p // 10}, n_classes=20, n_clusters_per_class=1, "
        f"flip_y=0.05, random_state=0): first {n_train} rows train, last "
        f"{n_train} test."
    )
    splits_text = (
        f"the {2 * n_train} rows pooled, train_test_split(test_size=0.5, "
        f"stratify=y, random_state=s) for s = {seeds_text()}"
    )
    return data, text, splits, splits_text


def digits_data(quick):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    text = (
        f"load_digits(): {len(y_train)} train / {len(y_test)} test rows, "
        "train_test_split(test_size=0.3, stratify=y, random_state=0), 64 "
        "features, 10 classes."
    )
    splits_text = (
        "load_digits(), train_test_split(test_size=0.3, stratify=y, "
        f"random_state=s) for s = {seeds_text()}"
    )
    data = (X_train, y_train, X_test, y_test)
    return data, text, random_splits(X, y, 0.3), splits_text


def compare(title, data, text, splits, splits_text, args):
    X, y, X_test, y_test = data
    print_header(
        f"{title}: GradientRidgeClassifierCV() vs RidgeClassifierCV(alphas="
        f"{GRID_TEXT}), cv=None",
        f">= {SPEED_GOAL:g}x faster; held-out accuracy no lower, judged on the "
        f"mean over {len(splits)} random train/test splits as not significantly "
        f"lower (one-sided paired t-test at 5%; the single timed split's "
        f"accuracy is shown too); LOO squared error no higher (relative "
        f"tolerance {REL_TOL:g}).",
        text + " Times in seconds, best of `runs`.",
    )
    timings = timed_all(
        {
            "ours": lambda: GradientRidgeClassifierCV().fit(X, y),
            "peer": lambda: RidgeClassifierCV(alphas=GRID).fit(X, y),
        },
        args.repeat,
        args.slow,
        args.min_time,
    )
    ours, peer = timings["ours"], timings["peer"]
    acc = {
        name: t.result.score(X_test, y_test) if t.ok else None
        for name, t in timings.items()
    }
    loo = {name: -t.result.best_score_ if t.ok else None for name, t in timings.items()}
    speed = peer.seconds / ours.seconds if ours.ok and peer.ok else None
    split_rows = split_accuracies(splits)
    summary = summarise_splits(split_rows)
    rel = check = differ = None
    if ours.ok and peer.ok:
        differ = int(np.sum(ours.result.predict(X_test) != peer.result.predict(X_test)))
        rel = (loo["ours"] - loo["peer"]) / loo["peer"]
        at_ours = RidgeClassifierCV(alphas=[ours.result.alpha_]).fit(X, y)
        check = abs(loo["ours"] + at_ours.best_score_) / (-at_ours.best_score_)
    print_table(
        [
            "estimator",
            "fit s",
            "R/ours",
            "speed goal",
            "test accuracy",
            f"mean of {len(splits)}",
            "acc goal",
            "LOO sq. error",
            "(ours-R)/R",
            "LOO goal",
            "alpha_",
            "runs",
        ],
        [
            [
                "GradientRidgeClassifierCV()",
                fmt_time(ours.seconds),
                fmt_ratio(peer.seconds, ours.seconds),
                fmt_goal(None if speed is None else speed >= SPEED_GOAL),
                fmt_num(acc["ours"], ".4f"),
                fmt_num(summary["ours"], ".4f"),
                fmt_goal(summary["met"]),
                fmt_num(loo["ours"], ".8g"),
                fmt_num(rel, "+.2e"),
                fmt_goal(None if rel is None else rel <= REL_TOL),
                fmt_num(ours.result.alpha_ if ours.ok else None, ".4g"),
                runs_text(ours),
            ],
            [
                f"RidgeClassifierCV(alphas={GRID_TEXT})",
                fmt_time(peer.seconds),
                "1.00x",
                "(peer)",
                fmt_num(acc["peer"], ".4f"),
                fmt_num(summary["peer"], ".4f"),
                "(peer)",
                fmt_num(loo["peer"], ".8g"),
                "",
                "(peer)",
                fmt_num(peer.result.alpha_ if peer.ok else None, ".4g"),
                runs_text(peer),
            ],
        ],
    )
    if ours.ok:
        history = ours.result.history_
        print(
            f"  ours: {len(history['score'])} evaluations of the criterion "
            f"({int(np.sum(history['phase'] == 'scan'))} in the scan), n_iter_ = "
            f"{ours.result.n_iter_}; RidgeClassifierCV evaluates {GRID.size} alphas. "
            f"check = |our LOO - RidgeClassifierCV's at our alpha_| / theirs = "
            f"{fmt_num(check, '.1e')}. Held-out predictions that differ: "
            f"{'n/a' if differ is None else differ} of {len(y_test)}."
        )
    print_notes([("GradientRidgeClassifierCV", ours), ("RidgeClassifierCV", peer)])
    print_splits(split_rows, summary, splits_text)


def section_a(args):
    compare("A. 20 classes", *classes20_data(args.quick), args)


def section_b(args):
    compare("B. Digits", *digits_data(args.quick), args)


def main(argv=None):
    parser = make_parser(__doc__, "A/classes20, B/digits")
    args = parse_with_sections(parser, argv, SECTIONS)
    runners = {"A": section_a, "B": section_b}
    run_sections("GradientRidgeClassifierCV vs RidgeClassifierCV", runners, args)


if __name__ == "__main__":
    main()
