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
from sklearn.datasets import load_digits, make_classification
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import train_test_split

from skhypergrad import GradientRidgeClassifierCV

GRID = np.logspace(-6, 6, 100)
GRID_TEXT = "np.logspace(-6, 6, 100)"
# The search stops when it predicts less than tol (relative) left to gain.
REL_TOL = GradientRidgeClassifierCV().tol
SPEED_GOAL = 3.0

SECTIONS = {"A": ("a", "classes20"), "B": ("b", "digits")}


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
    text = (
        f"make_classification({2 * n_train}, {p}, n_informative={p // 4}, "
        f"n_redundant={p // 10}, n_classes=20, n_clusters_per_class=1, "
        f"flip_y=0.05, random_state=0): first {n_train} rows train, last "
        f"{n_train} test."
    )
    return data, text


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
    return (X_train, y_train, X_test, y_test), text


def compare(title, data, text, args):
    X, y, X_test, y_test = data
    print_header(
        f"{title}: GradientRidgeClassifierCV() vs RidgeClassifierCV(alphas="
        f"{GRID_TEXT}), cv=None",
        f">= {SPEED_GOAL:g}x faster; held-out accuracy no lower; LOO squared error "
        f"no higher (relative tolerance {REL_TOL:g}).",
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
    acc_met = None if None in acc.values() else acc["ours"] >= acc["peer"]
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
                fmt_goal(acc_met),
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


def section_a(args):
    data, text = classes20_data(args.quick)
    compare("A. 20 classes", data, text, args)


def section_b(args):
    data, text = digits_data(args.quick)
    compare("B. Digits", data, text, args)


def main(argv=None):
    parser = make_parser(__doc__, "A/classes20, B/digits")
    args = parse_with_sections(parser, argv, SECTIONS)
    runners = {"A": section_a, "B": section_b}
    run_sections("GradientRidgeClassifierCV vs RidgeClassifierCV", runners, args)


if __name__ == "__main__":
    main()
