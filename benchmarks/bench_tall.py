"""Benchmark GradientRidgeCV on tall data in memory against its floor.

Sections (``--only`` selects one or more by letter or by name):

A. ``floor``: n = 10^6 rows, p = 100 features (X is 0.8 GB in float64):
   ``GradientRidgeCV`` with ``cv=5``, a held-out split (80/20) and ``cv=None``
   (exact leave-one-out) and ``cv="gcv"``, against the time of one ``X.T @ X``
   and of ``X.T @ X`` plus one n x p product (``X @ (X.T @ X)``, a new array);
   the peak memory of each fit over the data, measured in a fresh process.
B. ``ridgecv``: n = 10^5, for context: the same fits next to
   ``RidgeCV(alphas=np.logspace(-6, 6, 100))`` (exact leave-one-out) and
   ``RidgeCV(alphas=np.logspace(-6, 6, 13), cv=5)``.

Times are wall-clock seconds (``time.perf_counter``) of ``fit`` only (or of the
floor's products), the best of at least ``--repeat`` runs of contenders run in
turn (see ``bench_ridge.py``). Peak memory is the increase of the peak resident
set size during one fit (Linux's ``VmHWM``, reset before the fit) over the
resident set size before it, in a fresh Python process per contender that has
imported everything and made the data; it is divided by the size of X. Numbers are
whatever this machine measures: nothing is hard-coded.

Usage::

    python benchmarks/bench_tall.py --threads 1 --repeat 5
    python benchmarks/bench_tall.py --quick       # n = 10^5 and 10^4
"""

import json
import os
import resource
import subprocess
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
    thread_limits,
    timed_all,
)
from sklearn.linear_model import RidgeCV

from skhypergrad import GradientRidgeCV

N_FEATURES = 100
SECTIONS = {"A": ("a", "floor"), "B": ("b", "ridgecv")}
# Goals: k-fold and held-out within 2x of one X.T @ X; LOO and GCV within 3x
# of X.T @ X plus one n x p product; peak memory at most 2x the size of X.
SPLIT_GOAL, LOO_GOAL, MEMORY_GOAL = 2.0, 3.0, 2.0


def make_data(n_samples, seed=0):
    """Features of unit spread about offsets of 5 to 15 (raw data are not
    centred), a linear target of small coefficients with noise (an optimal
    alpha inside the bounds); no temporary the size of X."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, N_FEATURES))
    X += rng.uniform(5.0, 15.0, size=N_FEATURES)
    y = X @ (0.1 * rng.normal(size=N_FEATURES))
    y += 10.0 * rng.standard_normal(n_samples)
    return X, y


def held_out(n_samples):
    """One split: the first 80% of the rows train, the rest validate."""
    cut = int(0.8 * n_samples)
    return [(np.arange(cut), np.arange(cut, n_samples))]


def contenders(n_samples):
    """name -> (label, function of (X, y), kind)."""
    return {
        "gram": ("X.T @ X", lambda X, y: X.T @ X, "floor"),
        "gram+product": (
            "X.T @ X + X @ (p x p)",
            lambda X, y: X @ (X.T @ X),
            "floor",
        ),
        "kfold": (
            "GradientRidgeCV(cv=5)",
            lambda X, y: GradientRidgeCV(cv=5).fit(X, y),
            "split",
        ),
        "held-out": (
            "GradientRidgeCV(cv=[80/20 split])",
            lambda X, y: GradientRidgeCV(cv=held_out(len(y))).fit(X, y),
            "split",
        ),
        "loo": (
            "GradientRidgeCV() (exact LOO)",
            lambda X, y: GradientRidgeCV().fit(X, y),
            "loo",
        ),
        "gcv": (
            'GradientRidgeCV(cv="gcv")',
            lambda X, y: GradientRidgeCV(cv="gcv").fit(X, y),
            "loo",
        ),
        "RidgeCV": (
            "RidgeCV(alphas=logspace(-6, 6, 100))",
            lambda X, y: RidgeCV(alphas=np.logspace(-6, 6, 100)).fit(X, y),
            "peer",
        ),
        "RidgeCV-5": (
            "RidgeCV(alphas=logspace(-6, 6, 13), cv=5)",
            lambda X, y: RidgeCV(alphas=np.logspace(-6, 6, 13), cv=5).fit(X, y),
            "peer",
        ),
    }


# ----------------------------------------------------------------------------
# Peak memory, one fresh process per contender
# ----------------------------------------------------------------------------
def _status_bytes(field):
    """A memory field of /proc/self/status (``VmRSS``, ``VmHWM``) in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(field)


def child(name, n_samples, threads):
    """Run one contender once and print its peak RSS increase in bytes: the
    peak resident set size during the fit (reset before it where Linux
    allows, else ``ru_maxrss``, which an exec may inherit from the parent)
    minus the resident set size before it."""
    with thread_limits(threads):
        X, y = make_data(n_samples)
        fn = contenders(n_samples)[name][1]
        try:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # resets the peak (VmHWM) to the current RSS
            before = _status_bytes("VmRSS")
            fn(X, y)
            peak = _status_bytes("VmHWM") - before
        except OSError:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            fn(X, y)
            peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    print(json.dumps({"peak": peak, "X": X.nbytes}))


def peak_ratio(name, n_samples, threads):
    """Peak RSS increase of one fit over the size of X, from a fresh process."""
    env = dict(os.environ)
    if threads == "1":
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [sys.executable, __file__, "--child", name, str(n_samples), threads]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        return None
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out["peak"] / out["X"]


# ----------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------
def run_table(args, n_samples, names, judge=True):
    X, y = make_data(n_samples)
    table = contenders(n_samples)
    timings = timed_all(
        {name: (lambda fn=table[name][1]: fn(X, y)) for name in names},
        args.repeat,
        args.slow,
        args.min_time,
    )
    gram = timings["gram"].seconds
    floor = timings["gram+product"].seconds
    rows = []
    for name in names:
        label, _, kind = table[name]
        t = timings[name]
        memory = None if kind == "floor" else peak_ratio(name, n_samples, args.threads)
        base = {"split": gram, "loo": floor}.get(kind)
        goal = {"split": SPLIT_GOAL, "loo": LOO_GOAL}.get(kind) if judge else None
        ratio = t.seconds / base if base and t.ok else None
        met = None
        if goal is not None and ratio is not None:
            met = ratio <= goal and (memory or 0.0) <= MEMORY_GOAL
        # RidgeCV's best_score_ with cv set is an R^2, not the criterion.
        result = t.result if t.ok and kind != "floor" else None
        criterion = None
        if result is not None and not (isinstance(result, RidgeCV) and result.cv):
            criterion = -result.best_score_
        rows.append(
            [
                label,
                fmt_time(t.seconds),
                fmt_ratio(t.seconds, base) if base else "",
                f"<= {goal:g}x" if goal else "",
                fmt_num(memory, ".2f") if memory is not None else "",
                fmt_goal(met) if goal else "",
                fmt_num(getattr(result, "alpha_", None), ".5g") if result else "",
                fmt_num(criterion, ".8g") if criterion is not None else "",
                runs_text(t),
            ]
        )
    print(
        f"one X.T @ X: {fmt_time(gram)} s; X.T @ X + one n x p product: "
        f"{fmt_time(floor)} s; X is {X.nbytes / 1e9:.2f} GB"
    )
    print_table(
        [
            "contender",
            "time s",
            "/ floor",
            "goal",
            "peak / X",
            "goal met",
            "alpha_",
            "criterion",
            "runs",
        ],
        rows,
    )
    print_notes([(table[name][0], timings[name]) for name in names])


def section_a(args):
    n = 10**5 if args.quick else 10**6
    print_header(
        f"A. Tall data at its floor: n = {n}, p = {N_FEATURES}",
        f"k-fold and held-out fits within {SPLIT_GOAL:g}x of one X.T @ X; exact "
        f"LOO and GCV within {LOO_GOAL:g}x of X.T @ X plus one n x p product; "
        f"peak memory over the data at most {MEMORY_GOAL:g}x the size of X.",
        "X ~ N(offset_j, 1), offsets uniform in [5, 15]; y = X b + 10 N(0, 1), "
        "b ~ N(0, 0.1^2). "
        "'/ floor' divides by one X.T @ X (k-fold, held-out) or by X.T @ X + "
        "X @ (p x p) (LOO, GCV); 'peak / X' is the peak RSS increase of one fit "
        "in a fresh process over the bytes of X; 'criterion' is -best_score_.",
    )
    names = ["gram", "gram+product", "kfold", "held-out", "loo", "gcv"]
    run_table(args, n, names)


def section_b(args):
    n = 10**4 if args.quick else 10**5
    print_header(
        f"B. RidgeCV for context: n = {n}, p = {N_FEATURES}",
        "none (context): the same fits next to scikit-learn's RidgeCV.",
        "As in A. RidgeCV with cv=None is exact leave-one-out on 100 alphas; "
        "with cv=5 a grid of 13 alphas refitted on every fold (its best_score_ "
        "is then an R^2: no criterion shown).",
    )
    names = ["gram", "gram+product", "kfold", "loo", "RidgeCV", "RidgeCV-5"]
    run_table(args, n, names, judge=False)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        name, n_samples, threads = argv[1], int(argv[2]), argv[3]
        child(name, n_samples, threads)
        return
    parser = make_parser(__doc__, "A/floor, B/ridgecv")
    args = parse_with_sections(parser, argv, SECTIONS)
    runners = {"A": section_a, "B": section_b}
    run_sections("GradientRidgeCV on tall data", runners, args)


if __name__ == "__main__":
    main()
