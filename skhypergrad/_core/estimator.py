"""What every estimator shares: the search parameters, the fit's report, and
the fitted attributes and warnings that come from a search's result."""

from contextlib import contextmanager

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from .groups import default_feature_names
from .report import reporting
from .search import SearchOptions
from .threads import shared_blas_threads
from .validation import check_scalar_param


class HyperparameterSearchMixin:
    """Validation of the search parameters, and what a fit does around its
    search.

    Expects the attributes named in ``_search_limits`` (the search's
    iteration cap and relative tolerance), ``n_restarts``, ``verbose``,
    ``optimizer``, ``random_state`` and the booleans named in
    ``_bool_params``.
    """

    _bool_params = ("fit_intercept",)
    # The names of the search's iteration cap and tolerance. Estimators whose
    # scikit-learn counterpart means max_iter and tol for its inner solver
    # call the search's ("search_max_iter", "search_tol").
    _search_limits = ("max_iter", "tol")

    def _check_params(self):
        max_iter_name, tol_name = self._search_limits
        check_scalar_param(getattr(self, max_iter_name), max_iter_name, "int", low=1)
        check_scalar_param(getattr(self, tol_name), tol_name, "real", low=0)
        check_scalar_param(self.n_restarts, "n_restarts", "int", low=0)
        # scikit-learn's estimators take verbose=True as well as a level.
        verbose = int(self.verbose) if isinstance(self.verbose, bool) else self.verbose
        check_scalar_param(verbose, "verbose", "int", low=0)
        if not callable(self.optimizer) and self.optimizer != "l-bfgs-b":
            raise ValueError(
                f"optimizer must be 'l-bfgs-b' or a callable, got {self.optimizer!r}."
            )
        for name in self._bool_params:
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise TypeError(f"{name} must be a bool.")
        try:
            check_random_state(self.random_state)
        except (TypeError, ValueError):
            raise ValueError(
                "random_state must be None, an int or a numpy.random.RandomState "
                f"instance, got {self.random_state!r}."
            ) from None

    def _search_options(self):
        max_iter_name, tol_name = self._search_limits
        return SearchOptions(
            max_iter=getattr(self, max_iter_name),
            tol=float(getattr(self, tol_name)),
            n_restarts=self.n_restarts,
            optimizer=self.optimizer,
            random_state=self.random_state,
            n_jobs=getattr(self, "n_jobs", None),
        )

    @contextmanager
    def _fitting(self):
        """The context of a fit's search and refit: BLAS threads shared, a
        :class:`~skhypergrad._core.report.FitReport` current; its warnings
        are emitted once each, at the user's line, when the block ends."""
        with (
            reporting(type(self).__name__, self.verbose) as report,
            shared_blas_threads(),
        ):
            yield report
        report.emit()

    def _entry_labels(self, labels):
        """What each alpha stands for, in warnings: feature names for one
        alpha per feature (``x0, x1, ...`` without column names, as
        scikit-learn's ``get_feature_names_out``), else the group labels
        (whose features the search space adds)."""
        if isinstance(self.feature_groups, str):  # "each"
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                names = default_feature_names(len(labels))
            return names, "feature"
        return labels, "group"

    def _set_search_attributes(self, result, space, report, score=None):
        """``best_score_``, ``n_iter_`` and ``history_`` from a search's
        result (a :class:`~skhypergrad._core.search.SearchResult` over
        ``space``), and its warnings kept for the end of the fit.

        ``score(values, targets)`` maps criterion values (in the search's
        units; ``targets`` the target of each, or None) to the reported
        scores; by default minus the criterion in the user's units."""
        values = np.asarray(result.value, dtype=float)
        self.n_iter_ = result.n_iter
        self.history_ = result.history
        if score is None:
            self.best_score_ = (-space.value_scale * values)[()]
        else:
            targets = np.arange(values.size) if values.ndim else None
            self.best_score_ = score(values, targets)[()]
            # The history holds minus the criterion in the user's units.
            recorded = -self.history_["score"] / space.value_scale
            self.history_["score"] = score(recorded, self.history_.get("target"))
        refit = "refit" if getattr(self, "refit", True) else "optimum (no refit)"
        report.say(
            f"{refit} at {space.describe(result.theta)}  best_score_="
            f"{np.mean(self.best_score_):.10g}  {report.elapsed():.2f} s"
        )
        note_search_warnings(report, result, self._search_limits[0])


def note_search_warnings(report, result, max_iter_name="max_iter"):
    """One ``ConvergenceWarning`` for each way a search can fail silently:
    ``max_iter`` ran out, the criterion was flat at the start, the optimum
    sits on a bound."""
    if not result.converged:
        report.note(
            ConvergenceWarning,
            f"The search stopped before converging: {result.message}. Increase "
            f"{max_iter_name}, or check the scale of the data.",
            key="max_iter",
        )
    if result.stalled:
        report.note(
            ConvergenceWarning,
            "The search stalled at its start: the selection criterion does not "
            "change (to tol) anywhere the search looked within the bounds, so "
            "the hyperparameters are the initial ones. Check the bounds against "
            "the scale of the data.",
            key="stalled",
        )
        return
    if result.bounds_hit:
        report.note(ConvergenceWarning, " ".join(result.bounds_hit), key="bounds")
