"""Benchmark Nystroem kernel ridge, GradientKernelRidgeCV(n_components=1000).

Sections (``--only`` selects one or more by letter or by name):

A. ``grid``: one RBF length scale and alpha on 1000 centres, chosen by 3-fold
   cross-validation, against ``GridSearchCV(Pipeline([Nystroem(n_components=1000,
   random_state=0), Ridge()]))`` over 10 gammas x 10 alphas with ``cv=3`` (the
   same model and criterion, on a grid), run once; plus our leave-one-out
   (``cv=None``, the default) and GCV for reference.
B. ``ard``: one length scale per feature (10) on the same data.
C. ``memory``: the peak resident memory that our fit (``cv=3``) adds to a
   fresh process that has made the data.

Data: ``make_friedman1(noise=1.0)``, 10 features of which 5 informative,
n = 100,000 training rows (10,000 with ``--quick``) and as many held-out rows.
Every time is wall-clock (``time.perf_counter``) of ``fit`` only, the best of
``--repeat`` runs for our fits (a run slower than ``--slow`` seconds is not
repeated); the grid search runs once (``--grid-sample K`` times K of its points, scales
the time to the whole grid, and finds the grid's choice from the same fits
with each fold's Nystroem features shared by the 10 alphas).

Usage::

    python benchmarks/bench_nystroem.py --threads 1       # the goals' setting
    python benchmarks/bench_nystroem.py                   # default threads
    python benchmarks/bench_nystroem.py --quick           # smaller smoke run
    python benchmarks/bench_nystroem.py --only ard --repeat 1
"""

import multiprocessing
import sys

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
    timed,
    timed_all,
)
from bench_kernel_ridge import friedman, r2
from sklearn.gaussian_process.kernels import RBF
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from skhypergrad import GradientKernelRidgeCV

SECTIONS = {"A": ("a", "grid"), "B": ("b", "ard"), "C": ("c", "memory")}
N_COMPONENTS = 1000
ALPHAS = np.logspace(-8, 1, 10)
GAMMAS = np.logspace(-4, 1, 10)
GRID_TEXT = "gamma np.logspace(-4, 1, 10) x alpha np.logspace(-8, 1, 10)"


def n_train(args):
    return 10_000 if args.quick else 100_000


def ours(kernel=None, cv=3):
    return GradientKernelRidgeCV(
        kernel, n_components=N_COMPONENTS, random_state=0, cv=cv
    )


def grid_search():
    pipeline = Pipeline(
        [
            ("nystroem", Nystroem(n_components=N_COMPONENTS, random_state=0)),
            ("ridge", Ridge()),
        ]
    )
    return GridSearchCV(
        pipeline,
        {"nystroem__gamma": GAMMAS, "ridge__alpha": ALPHAS},
        cv=3,
        scoring="neg_mean_squared_error",
        n_jobs=1,
    )


def describe(model):
    if hasattr(model, "best_params_"):
        return ", ".join(
            f"{k.split('__')[1]} {v:.3g}" for k, v in model.best_params_.items()
        )
    evals = int(np.sum(model.history_["phase"] != "scan"))
    return f"alpha {model.alpha_:.3g}, {model.kernel_}, {evals} evaluations"


def _resident_kib(field):
    """A field of ``/proc/self/status`` in KiB (``VmRSS``, ``VmHWM``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


def _fit_in_child(n, threads, queue):
    """Make the data and fit ours in this fresh process; report the resident
    memory before the fit and its peak during the fit (bytes)."""
    X, y, _, _ = friedman(n)
    limits = threadpool_limits(limits=1) if threads == "1" else None
    # Writing 5 to clear_refs resets the peak (VmHWM) to the current RSS.
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = _resident_kib("VmRSS")
    ours().fit(X, y)
    peak = _resident_kib("VmHWM")
    if limits is not None:
        limits.unregister()
    queue.put((before * 1024, peak * 1024))


def peak_rss(n, threads):
    """Resident memory (bytes) of a fresh process that has made the data,
    and its peak while it fits ours."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_fit_in_child, args=(n, threads, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def time_grid(X, y, args):
    """The grid search, run once; with ``--grid-sample K``, ``K`` of its 100
    points (3 folds each, random, fixed seed) are timed and the time is scaled
    to the whole grid plus its refit, and the fitted search is
    :func:`emulated_grid_search`'s (the same choice, computed faster).

    Returns
    -------
    Timed, bool
        The grid's timing (its ``result`` the fitted search) and whether the
        time is extrapolated.
    """
    if not args.grid_sample:
        return timed(lambda: grid_search().fit(X, y), 1, args.slow), False
    rng = np.random.RandomState(0)
    points = [(g, a) for g in GAMMAS for a in ALPHAS]
    chosen = [points[i] for i in rng.choice(len(points), args.grid_sample, False)]
    search = GridSearchCV(
        grid_search().estimator,
        [{"nystroem__gamma": [g], "ridge__alpha": [a]} for g, a in chosen],
        cv=3,
        scoring="neg_mean_squared_error",
        n_jobs=1,
    )
    sample = timed(lambda: search.fit(X, y), 1, args.slow)
    # K points x 3 folds + 1 refit, scaled to 100 points x 3 folds + 1 refit.
    one_fit = sample.seconds / (3 * args.grid_sample + 1)
    sample.seconds = one_fit * (3 * len(points) + 1)
    sample.result = emulated_grid_search(X, y)
    return sample, True


def emulated_grid_search(X, y):
    """What ``grid_search().fit(X, y)`` chooses and refits, from the same 300
    fits made faster: each fold's ``Nystroem`` features (fitted on the fold's
    training rows with ``random_state=0``, as the pipeline does) serve the 10
    alphas, whose ``Ridge`` fits come from one eigendecomposition of the
    centred Gram matrix. The scores are the grid's mean over the 3 folds of
    ``KFold(3)``."""
    scores = np.zeros((GAMMAS.size, ALPHAS.size))
    for g, gamma in enumerate(GAMMAS):
        for train, test in KFold(3).split(X):
            nystroem = Nystroem(
                n_components=N_COMPONENTS, gamma=gamma, random_state=0
            ).fit(X[train])
            features = nystroem.transform(X[train])
            mean, y_mean = features.mean(axis=0), y[train].mean()
            features -= mean
            eigenvalues, V = np.linalg.eigh(features.T @ features)
            projected = V.T @ (features.T @ (y[train] - y_mean))
            del features
            test_features = nystroem.transform(X[test]) - mean
            for a, alpha in enumerate(ALPHAS):
                coef = V @ (projected / (eigenvalues + alpha))
                residual = y[test] - test_features @ coef - y_mean
                scores[g, a] -= np.mean(residual**2) / 3
    g, a = np.unravel_index(np.argmax(scores), scores.shape)
    search = grid_search().estimator.set_params(
        nystroem__gamma=GAMMAS[g], ridge__alpha=ALPHAS[a]
    )
    search = search.fit(X, y)
    search.best_params_ = {"nystroem__gamma": GAMMAS[g], "ridge__alpha": ALPHAS[a]}
    return search


# ----------------------------------------------------------------------------
def section_a(args):
    n = n_train(args)
    print_header(
        f"A. Nystroem, RBF + alpha, m = {N_COMPONENTS}: GradientKernelRidgeCV("
        f"n_components={N_COMPONENTS}, cv=3) vs GridSearchCV(Pipeline([Nystroem("
        f"n_components={N_COMPONENTS}, random_state=0), Ridge()]), {GRID_TEXT}, "
        "cv=3)",
        "fit < 60 s, held-out R^2 >= the grid's - 0.002, "
        ">= 10x faster than the grid (judged with --threads 1).",
        f"make_friedman1(noise=1.0): {n} train + {n} test rows, 10 features "
        "(5 informative). Times in seconds.",
    )
    X, y, X_test, y_test = friedman(n)
    fast = timed_all(
        {
            "cv=3": lambda: ours().fit(X, y),
            "gcv": lambda: ours(cv="gcv").fit(X, y),
            "loo": lambda: ours(cv=None).fit(X, y),
        },
        args.repeat,
        args.slow,
        args.min_time,
    )
    grid, extrapolated = time_grid(X, y, args)
    main, r2_grid = fast["cv=3"], r2(grid, X_test, y_test)
    rows = []
    for name, t in [
        (f"GradientKernelRidgeCV(n_components={N_COMPONENTS}, cv=3)", main),
        ("  cv='gcv'", fast["gcv"]),
        ("  cv=None (leave-one-out)", fast["loo"]),
        (
            "GridSearchCV(Nystroem + Ridge), 100 x 3 fits"
            + (" (time extrapolated)" if extrapolated else ""),
            grid,
        ),
    ]:
        score = r2(t, X_test, y_test)
        rows.append(
            [
                name,
                fmt_time(t.seconds),
                fmt_ratio(t.seconds, main.seconds),
                fmt_num(score, ".5f"),
                fmt_num(
                    None if score is None or r2_grid is None else score - r2_grid,
                    "+.5f",
                ),
                describe(t.result) if t.ok else t.error,
                runs_text(t),
            ]
        )
    print_table(
        ["estimator", "fit s", "this/ours", "test R^2", "R^2 - grid", "chosen", "runs"],
        rows,
    )
    if extrapolated:
        print(
            f"  the grid's time: {args.grid_sample} of its points timed, scaled to "
            "100 points and the refit; its choice and test R^2: the same 300 fits "
            "with each fold's Nystroem features shared by the 10 alphas"
        )
    met = None
    if main.ok and grid.ok:
        met = (
            main.seconds < 60
            and r2(main, X_test, y_test) >= r2_grid - 0.002
            and grid.seconds >= 10 * main.seconds
        )
    print(f"  goal: {fmt_goal(met)}")
    print_notes([*fast.items(), ("grid", grid)])


# ----------------------------------------------------------------------------
def section_b(args):
    n, d = n_train(args), 10
    print_header(
        f"B. One length scale per feature: GradientKernelRidgeCV(RBF(np.ones({d})), "
        f"n_components={N_COMPONENTS}, cv=3) vs the isotropic RBF",
        "the per-feature fit < 300 s (judged with --threads 1).",
        f"make_friedman1(noise=1.0): {n} train + {n} test rows, {d} features "
        "(x1..x5 informative, x6..x10 noise). Times in seconds.",
    )
    X, y, X_test, y_test = friedman(n)
    res = timed_all(
        {
            "per feature": lambda: ours(RBF(np.ones(d))).fit(X, y),
            "isotropic": lambda: ours().fit(X, y),
        },
        args.repeat,
        args.slow,
        args.min_time,
    )
    rows = []
    for name, t in res.items():
        scales = "n/a"
        if t.ok:
            scales = np.array2string(
                np.atleast_1d(t.result.kernel_.length_scale),
                precision=2,
                max_line_width=200,
            )
        evals = int(np.sum(t.result.history_["phase"] != "scan")) if t.ok else "-"
        rows.append(
            [
                name,
                fmt_time(t.seconds),
                fmt_ratio(t.seconds, res["per feature"].seconds),
                fmt_num(r2(t, X_test, y_test), ".5f"),
                str(evals),
                scales,
                runs_text(t),
            ]
        )
    print_table(
        ["kernel", "fit s", "this/ARD", "test R^2", "evals", "length scales", "runs"],
        rows,
    )
    ard = res["per feature"]
    print(f"  goal: {fmt_goal(ard.seconds < 300 if ard.ok else None)}")
    print_notes(list(res.items()))


# ----------------------------------------------------------------------------
def section_c(args):
    n = n_train(args)
    print_header(
        f"C. Memory: GradientKernelRidgeCV(n_components={N_COMPONENTS}, cv=3).fit in "
        "a fresh process",
        "the peak resident memory during the fit, above the process's before it, "
        "< 3 n m 8 bytes.",
        f"make_friedman1(noise=1.0): {n} train rows, 10 features. Peak RSS: "
        "VmHWM of /proc/self/status, reset (clear_refs) once the data are made.",
    )
    before, peak = peak_rss(n, args.threads)
    budget = 3 * n * N_COMPONENTS * 8
    print_table(
        ["RSS before the fit", "peak RSS in the fit", "added by the fit", "budget"],
        [[f"{x / 1e9:.2f} GB" for x in (before, peak, peak - before, budget)]],
    )
    print(f"  goal: {fmt_goal(peak - before < budget)}")


# ----------------------------------------------------------------------------
def parse_args(argv=None):
    parser = make_parser(__doc__, "A/grid, B/ard, C/memory")
    parser.add_argument(
        "--grid-sample",
        type=int,
        default=0,
        metavar="K",
        help="time K random points of the grid and extrapolate to the 100; "
        "the grid's choice from the same fits sharing each fold's features "
        "across alphas; default 0: run the whole grid",
    )
    return parse_with_sections(parser, argv, SECTIONS)


def main(argv=None):
    args = parse_args(argv)
    runners = {"A": section_a, "B": section_b, "C": section_c}
    run_sections(
        "GradientKernelRidgeCV(n_components=...) vs scikit-learn", runners, args
    )


if __name__ == "__main__":
    sys.exit(main())
