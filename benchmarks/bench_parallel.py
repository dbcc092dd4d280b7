"""Benchmark ``n_jobs``: the same fit with ``n_jobs=None`` and ``n_jobs=2``,
in one process, and check that both give the same result.

Sections (``--only`` selects one or more by letter or by name):

A. ``per-target``: ``GradientRidgeCV(alpha_per_target=True)`` (exact
   leave-one-out) on 10^4 targets, n = 2000, p = 100: the per-target search
   runs in batches of 256 targets, two at a time with ``n_jobs=2``.
B. ``folds``: ``GradientLogisticRegressionCV(cv=5)`` on digits (1437 x 64,
   ten classes): the folds after the first are solved two at a time.

``n_jobs`` runs joblib's threads here (the default backend of these fits);
with ``--threads 1`` every BLAS pool has one thread, so ``n_jobs=2`` is the
only parallelism. Each table also says whether the two fits are identical
(alphas, coefficients and criterion, bit for bit).

Usage::

    python benchmarks/bench_parallel.py --threads 1
    python benchmarks/bench_parallel.py --quick
"""

import numpy as np
from _harness import (  # noqa: E402  (benchmarks/ is on sys.path)
    fmt_goal,
    fmt_ratio,
    fmt_time,
    make_parser,
    parse_with_sections,
    print_header,
    print_table,
    run_sections,
    runs_text,
    timed_all,
)
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skhypergrad import GradientLogisticRegressionCV, GradientRidgeCV

SECTIONS = {"A": ("a", "per-target"), "B": ("b", "folds")}


def many_targets(n, p, n_targets, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    W = rng.standard_normal((p, n_targets)) * np.logspace(-2, 1, n_targets)
    return X, X @ W + rng.standard_normal((n, n_targets))


def compare(title, goal, data, make, X, y, attributes, args):
    """Time ``make(n_jobs)`` fitted on (X, y) for n_jobs None and 2; print
    the table and whether the fits are identical."""
    print_header(title, goal, data)
    fns = {jobs: (lambda jobs=jobs: make(jobs).fit(X, y)) for jobs in (None, 2)}
    times = timed_all(fns, args.repeat, args.slow, args.min_time)
    serial, parallel = times[None], times[2]
    same = all(
        np.array_equal(getattr(serial.result, a), getattr(parallel.result, a))
        for a in attributes
    )
    speedup = serial.seconds / parallel.seconds
    rows = [
        ["n_jobs=None", fmt_time(serial.seconds), "1.00x", "", ""],
        [
            "n_jobs=2",
            fmt_time(parallel.seconds),
            fmt_ratio(serial.seconds, parallel.seconds),
            fmt_goal(speedup > 1.0),
            "yes" if same else "NO",
        ],
    ]
    print_table(["fit", "s", "speed-up", "goal (> 1x)", "identical"], rows)
    print(
        f"  runs: {runs_text(serial, parallel)}; identical = "
        + ", ".join(attributes)
        + " equal bit for bit"
    )


def section_a(args):
    n, p, n_targets = (500, 50, 2000) if args.quick else (2000, 100, 10_000)
    X, Y = many_targets(n, p, n_targets)
    compare(
        "A. Per-target ridge: GradientRidgeCV(alpha_per_target=True), n_jobs=None vs 2",
        "n_jobs=2 faster than n_jobs=None; identical results.",
        f"X: {n} x {p} standard normal; {n_targets} targets X W + noise, the "
        "columns of W scaled from 0.01 to 10 (seed 0).",
        lambda jobs: GradientRidgeCV(alpha_per_target=True, n_jobs=jobs),
        X,
        Y,
        ("alpha_", "coef_", "best_score_"),
        args,
    )


def section_b(args):
    X, y = load_digits(return_X_y=True)
    if args.quick:
        X, y = X[:600], y[:600]
    X = StandardScaler().fit_transform(X)
    compare(
        "B. Logistic folds: GradientLogisticRegressionCV(cv=5), n_jobs=None vs 2",
        "n_jobs=2 faster than n_jobs=None; identical results.",
        f"load_digits: {X.shape[0]} x {X.shape[1]}, ten classes, standardised.",
        lambda jobs: GradientLogisticRegressionCV(cv=5, n_jobs=jobs),
        X,
        y,
        ("C_", "coef_", "intercept_", "n_iter_"),
        args,
    )


def main(argv=None):
    parser = make_parser(__doc__, "A/per-target, B/folds")
    args = parse_with_sections(parser, argv, SECTIONS)
    runners = {"A": section_a, "B": section_b}
    run_sections("n_jobs: skhypergrad's parallel work", runners, args)


if __name__ == "__main__":
    main()
