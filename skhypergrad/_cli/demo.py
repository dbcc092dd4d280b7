"""Command-line demo: ``GradientRidgeCV`` next to ``RidgeCV``.

``python -m skhypergrad`` fits ``GradientRidgeCV()`` (one alpha),
``GradientRidgeCV(feature_groups="each")`` (one alpha per feature) and
``RidgeCV`` over a grid of 100 alphas on scikit-learn's diabetes data and on a
synthetic problem whose features live on very different scales, and prints one
table: chosen hyperparameters, the leave-one-out mean squared error they were
selected by, the R^2 on a held-out split and the fit time.

``python -m skhypergrad --csv PATH --target COLUMN`` does the same on the
user's CSV file (a header row, then numbers only); every column other than
``COLUMN`` is a feature. Input problems are reported as a one-line
``error: ...`` message on stderr with exit code 2.
"""

import argparse
import os
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split

from .._ridge.estimator import GradientRidgeCV
from .csv_input import InputError, read_csv

RANDOM_STATE = 0
TEST_SIZE = 0.25
RIDGECV_ALPHAS = np.logspace(-6, 6, 100)
COLUMNS = ("dataset", "estimator", "LOO MSE", "test R^2", "fit s", "hyperparameters")
ALIGN = ("<", "<", ">", ">", ">", "<")
BOUND_RTOL = 0.01  # an alpha within 1% of a bound counts as on it


class FitError(Exception):
    """An estimator failed to fit the data (exit code 1)."""


@dataclass
class FitResult:
    """What the table shows about one fitted estimator on one dataset."""

    dataset: str
    estimator: str
    alpha: np.ndarray
    loo_mse: float
    test_r2: float
    seconds: float
    bounds: tuple
    n_on_bound: tuple
    n_convergence_warnings: int


def make_estimators():
    """Return the estimators the demo compares, each with its display name.

    Returns
    -------
    estimators : list of (str, estimator)
        ``GradientRidgeCV()``, ``GradientRidgeCV(feature_groups="each")`` and
        ``RidgeCV`` over ``np.logspace(-6, 6, 100)``, all with leave-one-out.
    """
    return [
        ("GradientRidgeCV()", GradientRidgeCV()),
        (
            'GradientRidgeCV(feature_groups="each")',
            GradientRidgeCV(feature_groups="each"),
        ),
        ("RidgeCV(alphas=logspace(-6,6,100))", RidgeCV(alphas=RIDGECV_ALPHAS)),
    ]


def make_synthetic(random_state=RANDOM_STATE):
    """Make a regression problem whose features are on very different scales.

    Parameters
    ----------
    random_state : int, default=0
        Seed of the data and of the feature scales.

    Returns
    -------
    X : ndarray of shape (300, 80)
        Features of ``make_regression`` (10 informative) multiplied by scales
        drawn log-uniformly in ``[1e-2, 1e2]``, so that one ridge penalty
        shrinks some features far more than others.
    y : ndarray of shape (300,)
        Target, with noise of standard deviation 50 (at noise 10 the best
        ridge is nearly least squares and no penalty matters).
    """
    X, y = make_regression(
        n_samples=300,
        n_features=80,
        n_informative=10,
        noise=50,
        random_state=random_state,
    )
    rng = np.random.default_rng(random_state)
    scales = 10.0 ** rng.uniform(-2, 2, size=X.shape[1])
    return X * scales, y


def demo_datasets():
    """Return the built-in demo datasets.

    Returns
    -------
    datasets : list of (str, ndarray, ndarray)
        ``("diabetes", X, y)`` and ``("synthetic", X, y)``.
    """
    X, y = load_diabetes(return_X_y=True)
    return [("diabetes", X, y), ("synthetic", *make_synthetic())]


def alpha_bounds(estimator):
    """Return the range a fitted estimator's alpha was searched in.

    Parameters
    ----------
    estimator : GradientRidgeCV or RidgeCV
        The fitted estimator.

    Returns
    -------
    low, high : float
        The ends of ``RidgeCV``'s grid; for ``GradientRidgeCV``, its
        ``alpha_bounds``, or, when they follow the data (None), the ends of
        its start scan, which covers them.
    """
    if isinstance(estimator, RidgeCV):
        alphas = np.asarray(estimator.alphas, dtype=float)
        return float(alphas.min()), float(alphas.max())
    if estimator.alpha_bounds is not None:
        low, high = estimator.alpha_bounds
        return float(low), float(high)
    history = estimator.history_
    scanned = np.concatenate(
        [np.ravel(a) for a in history["alpha"][history["phase"] == "scan"]]
    )
    return float(scanned.min()), float(scanned.max())


def count_on_bounds(alpha, bounds, rtol=BOUND_RTOL):
    """Count the hyperparameters that sit on (or within ``rtol`` of) each bound.

    Parameters
    ----------
    alpha : float or array-like
        Chosen hyperparameter(s), all positive.
    bounds : (float, float)
        Lower and upper bound.
    rtol : float, default=0.01
        Relative distance to a bound under which a value counts as on it.

    Returns
    -------
    n_low, n_high : int
        Number of entries of ``alpha`` on the lower and on the upper bound.

    Examples
    --------
    >>> count_on_bounds([1e-6, 0.5, 1e6, 9.999e5], (1e-6, 1e6))
    (1, 2)
    """
    log_alpha = np.log(np.ravel(np.asarray(alpha, dtype=float)))
    slack = np.log1p(rtol)
    n_low = np.count_nonzero(log_alpha <= np.log(bounds[0]) + slack)
    n_high = np.count_nonzero(log_alpha >= np.log(bounds[1]) - slack)
    return int(n_low), int(n_high)


def summarize_alpha(alpha):
    """Summarise chosen alpha(s) in one short cell.

    Parameters
    ----------
    alpha : float or array-like
        One alpha, or one per feature (group).

    Returns
    -------
    text : str
        ``"alpha=0.0123"`` for a scalar;
        ``"80 alphas, median 1.2e-01 [3.0e-04 .. 1.0e+06]"`` for an array.

    Examples
    --------
    >>> summarize_alpha(0.0123)
    'alpha=0.0123'
    >>> summarize_alpha([1.0, 2.0, 4.0])
    '3 alphas, median 2.0e+00 [1.0e+00 .. 4.0e+00]'
    """
    alpha = np.ravel(np.asarray(alpha, dtype=float))
    if alpha.size == 1:
        return f"alpha={alpha[0]:.3g}"
    return (
        f"{alpha.size} alphas, median {np.median(alpha):.1e} "
        f"[{alpha.min():.1e} .. {alpha.max():.1e}]"
    )


def format_table(header, rows, align):
    """Lay out rows of strings as an aligned plain-text table.

    Columns are separated by two spaces, so a row can be split back into
    cells with ``re.split(r"\\s{2,}", line.strip())`` as long as no cell
    contains two consecutive spaces.

    Parameters
    ----------
    header : sequence of str
        Column titles.
    rows : sequence of sequence of str
        Cells, one sequence per row.
    align : sequence of {"<", ">"}
        Left or right alignment of each column.

    Returns
    -------
    table : str
        Header line, a rule of dashes, then one line per row.
    """
    widths = [
        max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)
    ]

    def line(cells):
        padded = (f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths, strict=True))
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def result_row(result):
    """Return the table cells of one result.

    Parameters
    ----------
    result : FitResult
        One fitted estimator on one dataset.

    Returns
    -------
    cells : list of str
        In the order of ``COLUMNS``.
    """
    return [
        result.dataset,
        result.estimator,
        f"{result.loo_mse:.5g}",
        f"{result.test_r2:.4f}",
        f"{result.seconds:.3f}",
        summarize_alpha(result.alpha),
    ]


def footnotes(results):
    """Return the lines printed under the table.

    Parameters
    ----------
    results : list of FitResult
        The rows of the table.

    Returns
    -------
    lines : list of str
        What the columns mean, then one ``note:`` line per row whose
        hyperparameters sit on a bound or whose fit warned.
    """
    lines = [
        "LOO MSE: mean squared leave-one-out error on the training split "
        "(the selection criterion, lower is better); test R^2 on a held-out "
        f"{TEST_SIZE:.0%} (random_state={RANDOM_STATE}).",
    ]
    for r in results:
        n_low, n_high = r.n_on_bound
        if not (n_low or n_high or r.n_convergence_warnings):
            continue
        note = (
            f"note: {r.dataset} / {r.estimator}: {n_low + n_high} of "
            f"{np.size(r.alpha)} alpha(s) on a bound ({n_low} at "
            f"{r.bounds[0]:.0e}, {n_high} at {r.bounds[1]:.0e})"
        )
        if r.n_convergence_warnings:
            note += f"; {r.n_convergence_warnings} ConvergenceWarning(s) hidden"
        lines.append(note + ".")
    return lines


def format_report(results):
    """Return the table of results with its footnotes.

    Parameters
    ----------
    results : list of FitResult
        One entry per (dataset, estimator).

    Returns
    -------
    report : str
        The aligned table, a blank line and the footnotes.
    """
    table = format_table(COLUMNS, [result_row(r) for r in results], ALIGN)
    return "\n".join([table, "", *footnotes(results)])


def _fit_quietly(estimator, X, y):
    """Fit, timing it and counting (not showing) ConvergenceWarnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
        seconds = time.perf_counter() - start
    n_convergence = 0
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            n_convergence += 1
        else:  # not ours to hide: show it as it would have been shown
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return seconds, n_convergence


def fit_one(dataset, name, estimator, split):
    """Fit one estimator on a training split and score it on the test split.

    Parameters
    ----------
    dataset, name : str
        Names of the dataset and the estimator, for the table.
    estimator : GradientRidgeCV or RidgeCV
        Unfitted estimator with leave-one-out selection.
    split : tuple of ndarray
        ``(X_train, X_test, y_train, y_test)``.

    Returns
    -------
    result : FitResult
        The row of the table.
    """
    X_train, X_test, y_train, y_test = split
    try:
        seconds, n_warnings = _fit_quietly(estimator, X_train, y_train)
        test_r2 = float(estimator.score(X_test, y_test))
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        raise FitError(f"{name} failed on {dataset}: {exc}") from exc
    alpha = np.asarray(estimator.alpha_, dtype=float)
    bounds = alpha_bounds(estimator)
    return FitResult(
        dataset=dataset,
        estimator=name,
        alpha=alpha,
        loo_mse=-float(np.mean(estimator.best_score_)),
        test_r2=test_r2,
        seconds=seconds,
        bounds=bounds,
        n_on_bound=count_on_bounds(alpha, bounds),
        n_convergence_warnings=n_warnings,
    )


def run(datasets):
    """Fit every demo estimator on every dataset.

    Parameters
    ----------
    datasets : list of (str, ndarray, ndarray)
        Name, features and target of each dataset.

    Returns
    -------
    results : list of FitResult
        One per (dataset, estimator), datasets in the given order.
    """
    results = []
    for dataset, X, y in datasets:
        split = train_test_split(X, y, test_size=TEST_SIZE, random_state=RANDOM_STATE)
        for name, estimator in make_estimators():
            results.append(fit_one(dataset, name, estimator, split))
    return results


def build_parser():
    """Return the command-line parser of ``python -m skhypergrad``.

    Returns
    -------
    parser : argparse.ArgumentParser
        Options ``--csv PATH`` and ``--target COLUMN``, given together or not
        at all.
    """
    parser = argparse.ArgumentParser(
        prog="python -m skhypergrad",
        description=(
            "Compare GradientRidgeCV (one alpha, and one alpha per feature) with "
            "RidgeCV over 100 alphas: leave-one-out error, held-out R^2, fit "
            "time. Without options: the diabetes data and a synthetic problem."
        ),
    )
    parser.add_argument(
        "--csv", metavar="PATH", help="numeric CSV file with a header row"
    )
    parser.add_argument(
        "--target", metavar="COLUMN", help="header name of the target column"
    )
    return parser


def _parse_args(argv):
    """Parse the arguments; return (namespace, None) or (None, exit code)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if (args.csv is None) != (args.target is None):
            parser.error("--csv and --target must be given together")
    except SystemExit as exc:  # argparse has printed usage or help
        code = exc.code
        return None, code if isinstance(code, int) else (0 if code is None else 2)
    return args, None


def main(argv=None):
    """Run the demo and print its table.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments without the program name; ``None`` reads
        ``sys.argv[1:]``.

    Returns
    -------
    code : int
        0 on success, 2 for a usage or input error, 1 if an estimator failed
        to fit. Errors are printed on stderr as one ``error: ...`` line.
    """
    args, code = _parse_args(argv)
    if args is None:
        return code
    try:
        if args.csv is None:
            datasets = demo_datasets()
        else:
            datasets = [read_csv(args.csv, args.target)]
        results = run(datasets)
    except (InputError, FitError) as exc:
        message = " ".join(str(exc).split())
        print(f"error: {message}", file=sys.stderr)
        return 2 if isinstance(exc, InputError) else 1
    try:
        print(format_report(results), flush=True)
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0
