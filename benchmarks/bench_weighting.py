"""Benchmark GradientRidgeCV's tuned time decay against a grid search over the
half-life and alpha, in one process.

Sections (``--only`` selects one or more by letter or by name):

A. ``macro``: the series of ``examples/plot_time_decay.py``, US inflation one
   quarter ahead from four lags of inflation, unemployment and the T-bill rate
   (statsmodels' bundled ``macrodata``), the first 80% of the quarters to
   train, the last 20% held out. ``GradientRidgeCV(cv=TimeSeriesSplit(10),
   sample_weighting="time_decay")`` against ``GridSearchCV`` over 20 alphas x
   20 half-lives of a ridge that weighs its rows ``2 ** (-age / half_life)``
   (``DecayedRidge`` below), with the same splits, and against
   ``GradientRidgeCV(cv=TimeSeriesSplit(10))`` without decay.
B. ``drift``: synthetic data whose coefficients turn at a known rate (as
   ``drifting`` in ``tests/test_weighting_ridge.py``): the same three
   contenders on ``TimeSeriesSplit(5)`` for several rates, no drift included.

Both compare the time of ``fit``, the forward-chaining error each reaches (the
validation blocks of ``TimeSeriesSplit`` all have the same size, so the grid's
mean over splits equals our pooled mean), the chosen half-life and the error on
the held-out rows that follow the training rows. ``check`` recomputes our
forward-chaining error with scikit-learn's ``Ridge`` and the decay at our
``alpha_`` and ``half_life_``. Where the grid reaches a lower criterion than
ours, our search runs once more (not timed), started at the grid's best
half-life, and its result is printed as a diagnosis: a start in another valley
of the criterion, or a search that cannot reach the grid's point.

Every time is wall-clock (``time.perf_counter``) of ``fit`` only, the best of at
least ``--repeat`` runs, the contenders run in turn (interleaved); see
``bench_ridge.py`` for the method and ``--threads`` for the thread modes.

Usage::

    python benchmarks/bench_weighting.py               # full run
    python benchmarks/bench_weighting.py --threads 1   # one thread
    python benchmarks/bench_weighting.py --quick       # smoke run (10 x 10 grids)
    python benchmarks/bench_weighting.py --only drift
"""

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
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
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from skhypergrad import GradientRidgeCV

SPEED_GOAL = 10.0  # ours at least this many times faster than the grid
REL_TOL = 1e-6  # "no worse": our CV error <= the grid's best * (1 + REL_TOL)
N_GRID, N_GRID_QUICK = 20, 10  # points per axis of the grid

SECTIONS = {"A": ("a", "macro"), "B": ("b", "drift")}


class DecayedRidge(RegressorMixin, BaseEstimator):
    """Ridge whose rows (in time order) weigh ``2 ** (-age / half_life)``, the
    age counted in rows from the last one: a ``TimeSeriesSplit`` training set
    decays from its own latest row, as ``GradientRidgeCV`` does."""

    def __init__(self, alpha=1.0, half_life=np.inf):
        self.alpha = alpha
        self.half_life = half_life

    def fit(self, X, y):
        age = np.arange(len(y))[::-1]
        weight = 2.0 ** (-age / self.half_life)
        self.ridge_ = Ridge(alpha=self.alpha).fit(X, y, sample_weight=weight)
        return self

    def predict(self, X):
        return self.ridge_.predict(X)


def forward_mse(X, y, splitter, alpha, half_life):
    """Independent check: the pooled validation MSE of ``DecayedRidge`` over
    the splits."""
    errors, count = 0.0, 0
    for train, test in splitter.split(X):
        model = DecayedRidge(alpha, half_life).fit(X[train], y[train])
        errors += np.sum((y[test] - model.predict(X[test])) ** 2)
        count += len(test)
    return errors / count


def mse(model, X, y):
    return float(np.mean((model.predict(X) - y) ** 2))


def _rel(a, b):
    return None if a is None or b is None else (a - b) / b


def fmt_no_worse(rel):
    if rel is None:
        return "n/a"
    return "no worse" if rel <= REL_TOL else "WORSE"


def compare(X, y, X_test, y_test, splitter, alphas, half_lives, args):
    """Time the three contenders and gather what the tables print.

    Returns
    -------
    dict
        ``res`` (the timings), ``cv``, ``future``, ``half_life``, ``alpha`` by
        contender, ``check`` (relative gap of our CV error recomputed with
        ``DecayedRidge``), ``evals`` (our criterion evaluations) and
        ``grid_edge`` (the grid's best on an edge of its half-lives).
    """
    grid = GridSearchCV(
        DecayedRidge(),
        {"alpha": alphas, "half_life": half_lives},
        cv=splitter,
        scoring="neg_mean_squared_error",
    )
    fits = {
        "ours": lambda: GradientRidgeCV(cv=splitter, sample_weighting="time_decay").fit(
            X, y
        ),
        "grid": lambda: grid.fit(X, y),
        "flat": lambda: GradientRidgeCV(cv=splitter).fit(X, y),
    }
    res = timed_all(fits, args.repeat, args.slow, args.min_time)
    out = {"res": res, "cv": {}, "future": {}, "half_life": {}, "alpha": {}}
    for key, t in res.items():
        if not t.ok:
            for field in ("cv", "future", "half_life", "alpha"):
                out[field][key] = None
            continue
        out["cv"][key] = -float(t.result.best_score_)
        out["future"][key] = mse(t.result, X_test, y_test)
        if key == "grid":
            out["half_life"][key] = t.result.best_params_["half_life"]
            out["alpha"][key] = t.result.best_params_["alpha"]
        else:
            out["half_life"][key] = getattr(t.result, "half_life_", np.inf)
            out["alpha"][key] = t.result.alpha_
    ours = res["ours"]
    out["check"] = None
    out["evals"] = None
    if ours.ok:
        again = forward_mse(X, y, splitter, ours.result.alpha_, ours.result.half_life_)
        out["check"] = abs(again - out["cv"]["ours"]) / again
        out["evals"] = len(ours.result.history_["score"])
    out["grid_edge"] = res["grid"].ok and out["half_life"]["grid"] in (
        half_lives[0],
        half_lives[-1],
    )
    # When the grid found a lower criterion: our search again (once, not
    # timed), started at the grid's best half-life, to tell a start in the
    # wrong valley from a search that cannot reach the grid's point.
    out["restart"] = out["restart_future"] = None
    if ours.ok and res["grid"].ok and _rel(out["cv"]["ours"], out["cv"]["grid"]) > 0:
        start = out["half_life"]["grid"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = GradientRidgeCV(
                cv=splitter, sample_weighting="time_decay", half_life=start
            ).fit(X, y)
        out["restart"] = (start, model)
        out["restart_future"] = mse(model, X_test, y_test)
    return out


def goals(out, drifts=True):
    """(speed met, CV met, future met or None): ours >= SPEED_GOAL x faster
    than the grid; our CV error no worse than the grid's best; a lower
    held-out error than no decay (only where the series drifts)."""
    res = out["res"]
    if not (res["ours"].ok and res["grid"].ok):
        return None, None, None
    speed = res["grid"].seconds / res["ours"].seconds >= SPEED_GOAL
    cv = _rel(out["cv"]["ours"], out["cv"]["grid"]) <= REL_TOL
    future = None
    if drifts and res["flat"].ok:
        future = out["future"]["ours"] < out["future"]["flat"]
    return speed, cv, future


def grid_text(alphas, half_lives, n):
    return (
        f"GridSearchCV(DecayedRidge(), {{alpha: {alphas}, half_life: {half_lives}}}"
        f" ({n} x {n}), scoring='neg_mean_squared_error')"
    )


# ----------------------------------------------------------------------------
# A. US inflation (the example's series)
# ----------------------------------------------------------------------------
def macro_data():
    """The example's data: lags 1-4 of infl, unemp and tbilrate; 80/20 in time."""
    macro = sm.datasets.macrodata.load_pandas().data
    series = macro[["infl", "unemp", "tbilrate"]]
    lags = range(1, 5)
    features = pd.concat(
        {f"{name}_lag{k}": series[name].shift(k) for name in series for k in lags},
        axis=1,
    ).iloc[len(lags) :]
    X, y = features.to_numpy(), series["infl"].iloc[len(lags) :].to_numpy()
    n_train = int(0.8 * len(y))
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def section_a(args):
    n = N_GRID_QUICK if args.quick else N_GRID
    alphas, half_lives = np.logspace(-2, 4, n), np.geomspace(2, 2000, n)
    alphas_text = f"np.logspace(-2, 4, {n})"
    half_lives_text = f"np.geomspace(2, 2000, {n})"
    X, y, X_test, y_test = macro_data()
    print_header(
        'A. US inflation: GradientRidgeCV(cv=TimeSeriesSplit(10), sample_weighting="'
        'time_decay") vs ' + grid_text(alphas_text, half_lives_text, n),
        f"ours >= {SPEED_GOAL:g}x faster than the grid; forward-chaining MSE no "
        f"worse than the grid's best (ours <= grid's * (1 + {REL_TOL:g})); held-out "
        "MSE of the future lower than without decay (the relation drifts).",
        f"statsmodels macrodata, 1960Q1-2009Q3: y = infl, X = lags 1-4 of infl, "
        f"unemp, tbilrate ({X.shape[1]} features); first {len(y)} quarters train, "
        f"last {len(y_test)} held out (the future). Half-lives in quarters (rows). "
        "Times in seconds, best of `runs`.",
    )
    out = compare(X, y, X_test, y_test, TimeSeriesSplit(10), alphas, half_lives, args)
    print_comparison(out, drifts=True)


def print_comparison(out, drifts):
    res = out["res"]
    speed, cv_met, future_met = goals(out, drifts)
    rows = []
    names = {
        "ours": 'ours (sample_weighting="time_decay")',
        "grid": f"grid ({len(res['grid'].result.cv_results_['params'])} points)"
        if res["grid"].ok
        else "grid",
        "flat": "ours, no decay",
    }
    for key in ("ours", "grid", "flat"):
        t = res[key]
        rel = _rel(out["cv"][key], out["cv"]["grid"])
        rows.append(
            [
                names[key],
                fmt_time(t.seconds),
                fmt_ratio(res["grid"].seconds, t.seconds),
                fmt_goal(speed) if key == "ours" else "",
                "none" if key == "flat" else fmt_num(out["half_life"][key], ".4g"),
                fmt_num(out["alpha"][key], ".4g"),
                fmt_num(out["cv"][key], ".6f"),
                fmt_num(rel, "+.2e") if key != "grid" else "",
                fmt_goal(cv_met) if key == "ours" else "",
                fmt_num(out["future"][key], ".4f"),
                fmt_goal(future_met) if key == "ours" else "",
                runs_text(t),
            ]
        )
    print_table(
        [
            "estimator",
            "fit s",
            "grid/this",
            "speed goal",
            "half-life",
            "alpha",
            "CV MSE",
            "(o-G)/G",
            "CV goal",
            "future MSE",
            "future goal",
            "runs",
        ],
        rows,
    )
    print(
        "  CV MSE = forward-chaining validation MSE (what each search minimises); "
        "(o-G)/G = (this - grid) / grid; future MSE = on the held-out rows after "
        "the training rows; future goal = ours below no decay."
    )
    if res["ours"].ok:
        print(
            f"  ours: {out['evals']} criterion evaluations, n_iter_ = "
            f"{res['ours'].result.n_iter_}; check = {fmt_num(out['check'], '.1e')} "
            "(our CV MSE recomputed with Ridge and the decay at our alpha_, "
            "half_life_)."
        )
    if out["grid_edge"]:
        print("  the grid's best half-life is on an edge of its grid.")
    print_notes([(names[k], t) for k, t in res.items()])
    if cv_met is False and out["restart"] is not None:
        start, model = out["restart"]
        rel = _rel(-model.best_score_, out["cv"]["grid"])
        print(
            f"  diagnosis (not timed): ours started at half_life={start:.4g} (the "
            f"grid's best) reaches half_life_ = {model.half_life_:.4g}, alpha_ = "
            f"{model.alpha_:.4g}, CV MSE {-model.best_score_:.6f} ((o-G)/G "
            f"{rel:+.2e}), future MSE {out['restart_future']:.4f}."
        )


# ----------------------------------------------------------------------------
# B. A drift of known rate
# ----------------------------------------------------------------------------
def drifting(n, p, rate, noise, seed=0):
    """``tests/test_weighting_ridge.py``'s drift: ``y = x1 sin(rate t) + x2
    cos(rate t) + 0.5 x3 + 2 + noise``, ``x ~ N(1, 1)``, ``p - 3`` features
    irrelevant; the coefficients turn by ``rate`` radians per row."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    X = rng.normal(size=(n, p)) + 1.0
    coef = np.column_stack(
        [np.sin(rate * t), np.cos(rate * t), np.full(n, 0.5)] + [np.zeros(n)] * (p - 3)
    )
    y = np.sum(X * coef, axis=1) + 2.0 + noise * rng.normal(size=n)
    return X, y


def section_b(args):
    if args.quick:
        n_train, n_test, rates = 400, 50, (1 / 100, 1 / 400, 0.0)
    else:
        n_train, n_test, rates = 1000, 100, (1 / 100, 1 / 200, 1 / 400, 1 / 800, 0.0)
    p, noise = 10, 1.0
    n = N_GRID_QUICK if args.quick else N_GRID
    span = n_train - 1
    # The grid covers our default bounds of the half-life: one row to 100 spans.
    alphas, half_lives = np.logspace(-2, 5, n), np.geomspace(1.0, span * 100, n)
    alphas_text = f"np.logspace(-2, 5, {n})"
    half_lives_text = f"np.geomspace(1, {span * 100:g}, {n})"
    print_header(
        "B. A drift of known rate: GradientRidgeCV(cv=TimeSeriesSplit(5), "
        'sample_weighting="time_decay") vs '
        + grid_text(alphas_text, half_lives_text, n),
        f"for every rate: ours >= {SPEED_GOAL:g}x faster than the grid and "
        f"forward-chaining MSE no worse than the grid's best (ours <= grid's * (1 + "
        f"{REL_TOL:g})); held-out MSE lower than without decay where the "
        "coefficients drift (rate > 0).",
        f"{n_train} train + {n_test} held-out rows (the next ones), p = {p}: y = x1 "
        f"sin(rate t) + x2 cos(rate t) + 0.5 x3 + 2 + {noise:g} N(0, 1), x ~ N(1, 1) "
        f"(numpy default_rng(0)), t = row; the half-life grid spans our default "
        f"half_life_bounds (one row, 100 x {span}). Times in seconds, best of "
        "`runs`.",
    )
    summary = []
    for rate in rates:
        X, y = drifting(n_train + n_test, p, rate, noise)
        print()
        print(f"rate = {rate:g} rad per row" + (" (no drift)" if rate == 0 else ""))
        out = compare(
            X[:n_train],
            y[:n_train],
            X[n_train:],
            y[n_train:],
            TimeSeriesSplit(5),
            alphas,
            half_lives,
            args,
        )
        print_comparison(out, drifts=rate > 0)
        summary.append((rate, out))
    print()
    print("Summary of section B:")
    rows = []
    for rate, out in summary:
        res = out["res"]
        speed, cv_met, future_met = goals(out, drifts=rate > 0)
        rows.append(
            [
                f"{rate:g}",
                fmt_ratio(res["grid"].seconds, res["ours"].seconds),
                fmt_goal(speed),
                fmt_num(out["half_life"]["ours"], ".4g"),
                fmt_num(out["half_life"]["grid"], ".4g"),
                fmt_num(_rel(out["cv"]["ours"], out["cv"]["grid"]), "+.2e"),
                fmt_goal(cv_met),
                fmt_num(out["future"]["ours"] / out["future"]["flat"], ".3f")
                if res["flat"].ok and res["ours"].ok
                else "n/a",
                fmt_goal(future_met),
            ]
        )
    print_table(
        [
            "rate",
            "grid/ours",
            "speed goal",
            "h ours",
            "h grid",
            "CV (o-G)/G",
            "CV goal",
            "future ours/no decay",
            "future goal",
        ],
        rows,
    )


# ----------------------------------------------------------------------------
def parse_args(argv=None):
    parser = make_parser(__doc__, "A/macro, B/drift")
    return parse_with_sections(parser, argv, SECTIONS)


def main(argv=None):
    args = parse_args(argv)
    run_sections(
        "GradientRidgeCV's tuned time decay vs GridSearchCV",
        {"A": section_a, "B": section_b},
        args,
    )


if __name__ == "__main__":
    main()
