"""Timing and printing helpers shared by the benchmark scripts.

Every time is wall-clock (``time.perf_counter``), the best of several runs of
contenders run in turn; see ``bench_ridge.py``'s docstring for the method.
"""

import argparse
import contextlib
import datetime
import gc
import os
import platform
import shlex
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy
import sklearn
from threadpoolctl import threadpool_info, threadpool_limits

import skhypergrad

MAX_RUNS = 25  # cap on the runs of a fast callable (see --min-time)


# ----------------------------------------------------------------------------
# Timing and printing helpers
# ----------------------------------------------------------------------------
@dataclass
class Timed:
    """Best wall time of a few calls, the last call's result and its warnings."""

    seconds: float = np.nan
    runs: int = 0
    result: object = None
    error: str = ""
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.error


def _run_once(fn, out):
    """Call ``fn()`` once and update ``out``; return its time (None if it raised)."""
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:  # reported in the table
            out.error = f"{type(exc).__name__}: {exc}".strip(": ")
            out.seconds, out.result = np.nan, None
            return None
        elapsed = time.perf_counter() - start
    out.seconds = min(out.seconds, elapsed)
    out.runs += 1
    out.result = result
    out.warnings = sorted(
        {f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught}
    )
    return elapsed


def timed_all(fns, repeat, slow, min_time=0.0, max_runs=MAX_RUNS):
    """Time several callables, interleaved: each round calls each of them once.

    Keeps the best time of ``repeat`` calls of each. A fast callable is called
    again (up to ``max_runs`` calls) until its calls add up to ``min_time``
    seconds, as ``timeit`` does: the best of many short runs is steadier. A
    callable whose call took more than ``slow`` seconds (or raised) is not called
    again. Interleaving spreads any change in the machine's load over all of them
    alike. An exception is recorded (``error``) instead of raised, so that the
    other numbers print.
    """
    out = {name: Timed(seconds=np.inf) for name in fns}
    total = dict.fromkeys(fns, 0.0)
    active = dict(fns)
    while active:
        for name, fn in list(active.items()):
            elapsed = _run_once(fn, out[name])
            if elapsed is None or elapsed > slow:
                del active[name]
                continue
            total[name] += elapsed
            runs = out[name].runs
            if not (runs < repeat or (total[name] < min_time and runs < max_runs)):
                del active[name]
    return out


def timed(fn, repeat, slow, min_time=0.0):
    """Best time of calls of one callable (see ``timed_all``)."""
    return timed_all({"fn": fn}, repeat, slow, min_time)["fn"]


def fmt_time(t):
    if t is None or not np.isfinite(t):
        return "n/a"
    return f"{t:.3f}" if t < 100 else f"{t:.1f}"


def fmt_ratio(num, den):
    if num is None or den is None or not (np.isfinite(num) and np.isfinite(den)):
        return "n/a"
    return f"{num / den:.2f}x"


def fmt_num(x, spec=".6g"):
    if x is None:
        return "n/a"
    x = float(x)
    return format(x, spec) if np.isfinite(x) else "n/a"


def fmt_goal(met):
    if met is None:
        return "n/a"
    return "met" if met else "MISSED"


def print_table(headers, rows):
    """Plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[j]) for row in cells) for j in range(len(headers))]

    def line(row):
        first = row[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def print_header(title, goal, data):
    print()
    print("=" * 79)
    print(title)
    print(f"(load average at start of section: {load_text()})")
    print("Goal: " + goal)
    print("Data: " + data)
    print("=" * 79)


def print_notes(named):
    """Print errors and warnings of each timed fit, if any."""
    for name, t in named:
        if t.error:
            print(f"  {name} failed: {t.error}")
        for w in t.warnings:
            print(f"  {name} warned: {w}")


def runs_text(*timings):
    """Runs behind each best time, in the order of the table's time columns."""
    runs = [str(t.runs) if t is not None and t.ok else "-" for t in timings]
    return runs[0] if len(set(runs)) == 1 else "/".join(runs)


def load_text():
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def thread_limits(threads):
    """Context of the run's thread mode: ``"1"`` caps every pool that
    threadpoolctl sees (BLAS and OpenMP) at one thread; ``"default"`` changes
    nothing."""
    if threads == "1":
        return threadpool_limits(limits=1)
    return contextlib.nullcontext()


def threads_text(threads):
    if threads == "1":
        return "1 (threadpoolctl limits on every pool)"
    return "default"


def print_environment(title, threads="default"):
    """Print the versions, the load, the thread mode and the thread pools (as
    they are where it is called: inside the limits of ``--threads 1``)."""
    print(f"skhypergrad benchmark: {title}")
    print(f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} logical cores, "
        f"{platform.processor() or platform.system()}, {platform.platform()}"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"skhypergrad {skhypergrad.__version__}"
    )
    print(f"load average (1, 5, 15 min) at start: {load_text()}")
    print(f"threads: {threads_text(threads)}")
    for lib in threadpool_info():
        print(
            f"threadpool: {lib.get('user_api')} {lib.get('internal_api')} "
            f"{lib.get('version')} ({lib.get('architecture', '-')}, "
            f"{lib.get('threading_layer', '-')}), "
            f"num_threads={lib.get('num_threads')}, "
            f"{os.path.basename(lib.get('filepath', ''))}"
        )


def select_sections(parser, only, sections):
    """The keys of ``sections`` named in ``only`` (by key or any alias), in
    the order of ``sections``; all of them when ``only`` is empty.

    ``sections`` maps a key (``"A"``) to its aliases; an unknown name is a
    command-line error.
    """
    selected = []
    for name in only or list(sections):
        key = next(
            (k for k, names in sections.items() if name.lower() in (k.lower(), *names)),
            None,
        )
        if key is None:
            parser.error(f"unknown section {name!r}; choose from {list(sections)}")
        selected.append(key)
    return [k for k in sections if k in selected]


def run_sections(title, runners, args):
    """Print the environment, run the selected sections (``args.sections``)
    in order, then the total wall time, the load and the command line; all of
    it inside the thread limits of ``args.threads``."""
    with thread_limits(args.threads):
        print_environment(title, args.threads)
        start = time.perf_counter()
        for key in args.sections:
            runners[key](args)
            sys.stdout.flush()
        print()
        print(f"total wall time: {time.perf_counter() - start:.1f} s")
    print(f"load average (1, 5, 15 min) at end: {load_text()}")
    print("command: python " + shlex.join(sys.argv))


def make_parser(doc, sections_help):
    """The options every benchmark script takes: ``--quick``, ``--only``,
    ``--repeat``, ``--min-time``, ``--slow`` and ``--threads``
    (``sections_help`` lists the sections and their names for ``--only``)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller smoke run")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only this section: {sections_help} (repeatable)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per timing, best kept (default 3)"
    )
    parser.add_argument(
        "--min-time",
        type=float,
        default=2.0,
        help=f"a fast fit is run again (at most {MAX_RUNS} times) until its runs "
        "add up to this many seconds; the best run is kept (default 2)",
    )
    parser.add_argument(
        "--slow",
        type=float,
        default=30.0,
        help="a run slower than this many seconds is not repeated (default 30)",
    )
    parser.add_argument(
        "--threads",
        choices=["1", "default"],
        default="default",
        help="1: run every contender with every BLAS and OpenMP pool capped at "
        "one thread (threadpoolctl); default: the pools as they are "
        "(default: default)",
    )
    return parser


def parse_with_sections(parser, argv, sections):
    """Parse ``argv`` and set ``args.sections`` from ``--only``."""
    args = parser.parse_args(argv)
    args.sections = select_sections(parser, args.only, sections)
    return args
