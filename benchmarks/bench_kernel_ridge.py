"""Benchmark GradientKernelRidgeCV against scikit-learn's own tools, in one process.

Sections (``--only`` selects one or more by letter or by name):

A. ``grid``: one RBF length scale and alpha, exact leave-one-out, against
   ``GridSearchCV(KernelRidge(kernel="rbf"))`` over a 10 x 10 alpha x gamma
   grid with 5 folds, and against ``GaussianProcessRegressor`` with
   ``ConstantKernel() * RBF() + WhiteKernel()`` (marginal likelihood).
B. ``ard``: one length scale per feature, against the isotropic kernel and the
   Gaussian process with an ARD RBF.
C. ``scaling``: n = 1000, 2000, 4000: criterion evaluations, and the fit time
   divided by (evaluations x one Cholesky factorisation of an n x n matrix
   timed in the same run).
D. ``strings``: KernelRidge's constructor, ``GradientKernelRidgeCV(kernel="rbf")``
   (with and without intercept), against the same grid as A.

Data: ``make_friedman1(noise=1.0)``, 10 features of which 5 informative, a
held-out test set as large as the training set. Every time is wall-clock
(``time.perf_counter``) of ``fit`` only, the best of ``--repeat`` runs for the
fast contenders; a run slower than ``--slow`` seconds is not repeated.

Usage::

    python benchmarks/bench_kernel_ridge.py           # full run
    python benchmarks/bench_kernel_ridge.py --quick   # smaller smoke run
    python benchmarks/bench_kernel_ridge.py --only scaling
    python benchmarks/bench_kernel_ridge.py --only strings --threads 1
"""

import numpy as np
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
from sklearn.datasets import make_friedman1
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV

from skhypergrad import GradientKernelRidgeCV
from skhypergrad._core.threads import shared_blas_threads
from skhypergrad._kernel.criteria import KernelCriterion, KernelData

SECTIONS = {
    "A": ("a", "grid"),
    "B": ("b", "ard"),
    "C": ("c", "scaling"),
    "D": ("d", "strings"),
}
ALPHAS = np.logspace(-8, 1, 10)
GAMMAS = np.logspace(-4, 1, 10)
GRID_TEXT = "alpha np.logspace(-8, 1, 10) x gamma np.logspace(-4, 1, 10)"


def friedman(n, seed=0):
    """``n`` training and ``n`` held-out rows of make_friedman1(noise=1.0)."""
    X, y = make_friedman1(n_samples=2 * n, noise=1.0, random_state=seed)
    return X[:n], y[:n], X[n:], y[n:]


def grid_search():
    return GridSearchCV(
        KernelRidge(kernel="rbf"),
        {"alpha": ALPHAS, "gamma": GAMMAS},
        cv=5,
        scoring="neg_mean_squared_error",
        n_jobs=1,
    )


def gp(ard, n_features):
    length = np.ones(n_features) if ard else 1.0
    kernel = ConstantKernel() * RBF(length) + WhiteKernel()
    return GaussianProcessRegressor(kernel, random_state=0)


def r2(timing, X_test, y_test):
    return r2_score(y_test, timing.result.predict(X_test)) if timing.ok else None


def n_evaluations(model):
    """Criterion evaluations with a gradient (one Cholesky each); not the scan."""
    return int(np.sum(model.history_["phase"] != "scan"))


def describe(model):
    if isinstance(model, GradientKernelRidgeCV) and hasattr(model, "gamma_"):
        return f"alpha {model.alpha_:.3g}, gamma {model.gamma_:.3g}"
    if isinstance(model, GradientKernelRidgeCV):
        return f"alpha {model.alpha_:.3g}, {model.kernel_}"
    if isinstance(model, GridSearchCV):
        return ", ".join(f"{k} {v:.3g}" for k, v in model.best_params_.items())
    return str(model.kernel_)


# ----------------------------------------------------------------------------
def section_a(args):
    n = 500 if args.quick else 2000
    print_header(
        "A. RBF + alpha: GradientKernelRidgeCV() (exact LOO) vs GridSearchCV("
        f"KernelRidge(kernel='rbf'), {GRID_TEXT}, cv=5) vs "
        "GaussianProcessRegressor(C() * RBF() + WhiteKernel())",
        ">= 10x faster than the grid, faster than the GP, held-out R^2 >= the "
        "grid's - 0.005.",
        f"make_friedman1(noise=1.0): {n} train + {n} test rows, 10 features "
        "(5 informative). Times in seconds.",
    )
    X, y, X_test, y_test = friedman(n)
    fast = timed_all(
        {
            "ours": lambda: GradientKernelRidgeCV().fit(X, y),
            "gp": lambda: gp(False, X.shape[1]).fit(X, y),
        },
        args.repeat,
        args.slow,
        args.min_time,
    )
    grid = timed(lambda: grid_search().fit(X, y), 1, args.slow)
    ours, peer_gp = fast["ours"], fast["gp"]
    r2_grid = r2(grid, X_test, y_test)
    rows = []
    for name, t in [
        ("GradientKernelRidgeCV()", ours),
        ("GridSearchCV(KernelRidge), 100 x 5 fits", grid),
        ("GaussianProcessRegressor", peer_gp),
    ]:
        score = r2(t, X_test, y_test)
        rows.append(
            [
                name,
                fmt_time(t.seconds),
                fmt_ratio(t.seconds, ours.seconds),
                fmt_num(score, ".5f"),
                fmt_num(None if score is None else score - r2_grid, "+.5f"),
                describe(t.result) if t.ok else t.error,
                runs_text(t),
            ]
        )
    met = None
    if ours.ok and grid.ok and peer_gp.ok:
        met = (
            grid.seconds >= 10 * ours.seconds
            and peer_gp.seconds > ours.seconds
            and r2(ours, X_test, y_test) >= r2_grid - 0.005
        )
    print_table(
        ["estimator", "fit s", "this/ours", "test R^2", "R^2 - grid", "chosen", "runs"],
        rows,
    )
    if ours.ok:
        model = ours.result
        print(
            f"  ours: {n_evaluations(model)} criterion evaluations after an "
            f"alpha scan, n_iter_ = {model.n_iter_}, LOO MSE {-model.best_score_:.6g}"
        )
    print(f"  goal: {fmt_goal(met)}")
    print_notes([("ours", ours), ("grid", grid), ("GP", peer_gp)])


# ----------------------------------------------------------------------------
def section_b(args):
    n, d = (500, 10) if args.quick else (2000, 10)
    print_header(
        "B. One length scale per feature (ARD): GradientKernelRidgeCV(RBF(np.ones(10)))"
        " vs GradientKernelRidgeCV() (isotropic) vs GaussianProcessRegressor("
        "C() * RBF(np.ones(10)) + WhiteKernel())",
        "report held-out R^2 and time (no numeric goal).",
        f"make_friedman1(noise=1.0): {n} train + {n} test rows, {d} features "
        "(x1..x5 informative, x6..x10 noise). Times in seconds.",
    )
    X, y, X_test, y_test = friedman(n)
    fits = {
        "ours ARD": lambda: GradientKernelRidgeCV(RBF(np.ones(d))).fit(X, y),
        "ours isotropic": lambda: GradientKernelRidgeCV().fit(X, y),
        "GP ARD": lambda: gp(True, d).fit(X, y),
    }
    res = timed_all(fits, args.repeat, args.slow, args.min_time)
    rows = []
    for name, t in res.items():
        scales = "n/a"
        if t.ok:
            kernel = t.result.kernel_
            rbf = kernel if isinstance(kernel, RBF) else kernel.k1.k2
            scales = np.array2string(
                np.atleast_1d(rbf.length_scale), precision=2, max_line_width=200
            )
        evals = n_evaluations(t.result) if t.ok and "ours" in name else "-"
        rows.append(
            [
                name,
                fmt_time(t.seconds),
                fmt_ratio(t.seconds, res["ours ARD"].seconds),
                fmt_num(r2(t, X_test, y_test), ".5f"),
                str(evals),
                scales,
                runs_text(t),
            ]
        )
    print_table(
        [
            "estimator",
            "fit s",
            "this/ARD",
            "test R^2",
            "evals",
            "length scales",
            "runs",
        ],
        rows,
    )
    print_notes(list(res.items()))


# ----------------------------------------------------------------------------
def cholesky_seconds(n, repeat):
    """Best time of one Cholesky factorisation of an n x n RBF matrix + 0.1 I."""
    X = friedman(n)[0]
    G = RBF(1.0)(X) + 0.1 * np.eye(n)
    with shared_blas_threads():
        return timed(
            lambda: scipy.linalg.cho_factor(G, lower=True, check_finite=False),
            max(repeat, 5),
            60.0,
        ).seconds


def one_evaluation_seconds(model, X, y, repeat):
    """Best time of one criterion evaluation (value and gradient) at the optimum."""
    data = KernelData(X, y[:, None], np.ones(len(y)), True)
    criterion = KernelCriterion(data, model.kernel_, "loo")
    theta = np.r_[np.log(model.alpha_), model.kernel_.theta]
    with shared_blas_threads():
        return timed(lambda: criterion(theta), repeat, 60.0).seconds


def section_c(args):
    sizes = [250, 500, 1000] if args.quick else [1000, 2000, 4000]
    print_header(
        "C. Scaling: GradientKernelRidgeCV() (RBF + alpha, exact LOO)",
        "at most 25 criterion evaluations; one evaluation (value + gradient) "
        "<= 8 n x n Cholesky factorisations (eval/chol).",
        "make_friedman1(noise=1.0), n train rows. chol = best time of "
        "scipy.linalg.cho_factor on an n x n RBF matrix (same run, same thread "
        "limits as the fit); evals = criterion evaluations with a gradient (the "
        "fit time also holds the alpha scan's one eigendecomposition and the "
        "refit); eval/chol = one criterion evaluation (value + gradient) at the "
        "optimum over chol.",
    )
    rows = []
    notes = []
    for n in sizes:
        X, y, X_test, y_test = friedman(n)
        repeat = args.repeat if n <= 2000 else 1
        fit = timed(lambda X=X, y=y: GradientKernelRidgeCV().fit(X, y), repeat, 1.0)
        notes.append((f"n={n}", fit))
        chol = cholesky_seconds(n, args.repeat)
        if not fit.ok:
            rows.append([str(n), "n/a"] + [""] * 8)
            continue
        model = fit.result
        evals = n_evaluations(model)
        one = one_evaluation_seconds(model, X, y, args.repeat)
        per_eval = fit.seconds / (evals * chol)
        rows.append(
            [
                str(n),
                fmt_time(fit.seconds),
                str(evals),
                fmt_goal(evals <= 25),
                f"{chol:.4f}",
                f"{per_eval:.2f}",
                f"{one / chol:.2f}",
                fmt_goal(one / chol <= 8),
                fmt_num(r2(fit, X_test, y_test), ".5f"),
                runs_text(fit),
            ]
        )
    print_table(
        [
            "n",
            "fit s",
            "evals",
            "<= 25",
            "chol s",
            "fit/(evals x chol)",
            "eval/chol",
            "<= 8",
            "test R^2",
            "runs",
        ],
        rows,
    )
    print_notes(notes)


# ----------------------------------------------------------------------------
def section_d(args):
    n = 500 if args.quick else 2000
    print_header(
        "D. KernelRidge's constructor: GradientKernelRidgeCV(kernel='rbf') (exact "
        f"LOO) vs GridSearchCV(KernelRidge(kernel='rbf'), {GRID_TEXT}, cv=5)",
        ">= 10x faster than the grid, held-out R^2 >= the grid's - 0.005 (the "
        "default, with intercept; without it, the model is KernelRidge's).",
        f"make_friedman1(noise=1.0): {n} train + {n} test rows, 10 features "
        "(5 informative). Times in seconds.",
    )
    X, y, X_test, y_test = friedman(n)
    fast = timed_all(
        {
            "ours": lambda: GradientKernelRidgeCV(kernel="rbf").fit(X, y),
            "ours, no intercept": lambda: GradientKernelRidgeCV(
                kernel="rbf", fit_intercept=False
            ).fit(X, y),
        },
        args.repeat,
        args.slow,
        args.min_time,
    )
    grid = timed(lambda: grid_search().fit(X, y), 1, args.slow)
    ours, r2_grid = fast["ours"], r2(grid, X_test, y_test)
    rows = []
    for name, t in [
        ("GradientKernelRidgeCV(kernel='rbf')", ours),
        ("  fit_intercept=False", fast["ours, no intercept"]),
        ("GridSearchCV(KernelRidge(kernel='rbf')), 100 x 5 fits", grid),
    ]:
        score = r2(t, X_test, y_test)
        rows.append(
            [
                name,
                fmt_time(t.seconds),
                fmt_ratio(t.seconds, ours.seconds),
                fmt_num(score, ".5f"),
                fmt_num(None if score is None else score - r2_grid, "+.5f"),
                describe(t.result) if t.ok else t.error,
                runs_text(t),
            ]
        )
    met = None
    if ours.ok and grid.ok:
        met = (
            grid.seconds >= 10 * ours.seconds
            and r2(ours, X_test, y_test) >= r2_grid - 0.005
        )
    print_table(
        ["estimator", "fit s", "this/ours", "test R^2", "R^2 - grid", "chosen", "runs"],
        rows,
    )
    for name, t in fast.items():
        if t.ok:
            print(
                f"  {name}: {n_evaluations(t.result)} criterion evaluations after "
                f"an alpha scan, LOO MSE {-t.result.best_score_:.6g}"
            )
    print(f"  goal: {fmt_goal(met)}")
    print_notes([*fast.items(), ("grid", grid)])


# ----------------------------------------------------------------------------
def parse_args(argv=None):
    parser = make_parser(__doc__, "A/grid, B/ard, C/scaling, D/strings")
    return parse_with_sections(parser, argv, SECTIONS)


def main(argv=None):
    args = parse_args(argv)
    runners = {"A": section_a, "B": section_b, "C": section_c, "D": section_d}
    run_sections("GradientKernelRidgeCV vs scikit-learn", runners, args)


if __name__ == "__main__":
    main()
