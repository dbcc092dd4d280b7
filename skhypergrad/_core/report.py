"""What a fit tells its user: ``verbose`` lines, and each warning once, at the
line of the user's code that called ``fit``.

A fit runs inside :func:`reporting`, which makes a :class:`FitReport` current
for the thread (a :class:`contextvars.ContextVar`, so that concurrent fits in
threads keep their own). Lower layers never call :func:`warnings.warn`
themselves during a fit: they :func:`notify` the report, which keeps one entry
per kind of event and counts repeats (a jitter in every fold of a 10-fold
split is one warning, not ten), and the estimator emits them once at the end
of ``fit``. Outside a fit (a criterion used on its own) :func:`notify` warns
at once.
"""

import contextlib
import sys
import time
import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import joblib
import sklearn

# Frames in these files or folders are not the user's (contextlib runs the
# end of the estimators' fit context).
_INTERNAL = (
    *(str(Path(module.__file__).resolve().parent) for module in (joblib, sklearn)),
    str(Path(__file__).resolve().parent.parent),
    contextlib.__file__,
)

_CURRENT = ContextVar("skhypergrad_fit_report", default=None)


def caller_stacklevel():
    """The ``stacklevel`` that makes :func:`warnings.warn`, called by the
    function that calls this one, point at the first frame outside
    skhypergrad, scikit-learn and joblib: the user's line, also when ``fit``
    is reached through a ``Pipeline`` or ``cross_val_score``."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame = frame.f_back
        level += 1
    return level


class FitReport:
    """The verbose printer and the warnings of one fit.

    Parameters
    ----------
    name : str
        The estimator's class name, the prefix of every printed line.
    verbose : int
        1 prints one line per criterion evaluation; 2 adds inner detail.
    """

    def __init__(self, name, verbose=0):
        self.name = name
        self.verbose = verbose
        self._start = time.perf_counter()
        self._events = {}

    def elapsed(self):
        """Seconds since the fit started."""
        return time.perf_counter() - self._start

    def say(self, text, level=1):
        """Print ``[name] text`` when ``verbose >= level``."""
        if self.verbose >= level:
            print(f"[{self.name}] {text}", flush=True)

    def note(self, category, message, key=None):
        """Keep a warning for the end of the fit; a repeat of ``key`` (the
        message by default) is counted, not kept again."""
        key = message if key is None else key
        if key in self._events:
            self._events[key][2] += 1
        else:
            self._events[key] = [category, message, 1]

    def emit(self):
        """Warn once for every kept event, at the user's line."""
        for category, message, count in self._events.values():
            if count > 1:
                message = f"{message} (This happened {count} times during the fit.)"
            warnings.warn(message, category, stacklevel=caller_stacklevel())
        self._events.clear()


@contextmanager
def reporting(name, verbose=0):
    """Make a new :class:`FitReport` current while the block runs."""
    with reporting_into(FitReport(name, verbose)) as report:
        yield report


@contextmanager
def reporting_into(report):
    """Make an existing report current (in a worker thread of the fit)."""
    token = _CURRENT.set(report)
    try:
        yield report
    finally:
        _CURRENT.reset(token)


def current_report():
    """The report of the running fit, or None."""
    return _CURRENT.get()


def notify(category, message, key=None):
    """Report a warning from a lower layer: kept for the end of the running
    fit (once per ``key``), or warned at once outside a fit."""
    report = _CURRENT.get()
    if report is None:
        warnings.warn(message, category, stacklevel=caller_stacklevel())
    else:
        report.note(category, message, key)


def detail(text):
    """A ``verbose=2`` line of inner detail (folds, Newton steps)."""
    report = _CURRENT.get()
    if report is not None:
        report.say(text, level=2)
