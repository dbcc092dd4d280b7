"""What every estimator shares: checks and options of the hyperparameter search."""

import numpy as np

from .._core.validation import check_scalar_param


class SearchParamsMixin:
    """Validation of the search parameters and the options handed to the search.

    Expects the attributes ``max_iter``, ``tol``, ``n_restarts``, ``verbose``,
    ``optimizer``, ``random_state`` and ``fit_intercept``.
    """

    _bool_params = ("fit_intercept",)

    def _check_params(self):
        check_scalar_param(self.max_iter, "max_iter", "int", low=1)
        check_scalar_param(self.tol, "tol", "real", low=0)
        check_scalar_param(self.n_restarts, "n_restarts", "int", low=0)
        check_scalar_param(self.verbose, "verbose", "int", low=0)
        if not callable(self.optimizer) and self.optimizer != "l-bfgs-b":
            raise ValueError(
                f"optimizer must be 'l-bfgs-b' or a callable, got {self.optimizer!r}."
            )
        for name in self._bool_params:
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise TypeError(f"{name} must be a bool.")

    def _search_options(self):
        return dict(
            optimizer=self.optimizer,
            max_iter=self.max_iter,
            tol=self.tol,
            n_restarts=self.n_restarts,
            random_state=self.random_state,
            verbose=self.verbose,
        )

    def _set_search_attributes(self, name, outcome, bounds, labels, scalar):
        """Set ``<name>_``, ``best_score_``, ``n_iter_``, ``history_``, ``groups_``.

        ``scalar`` makes a single hyperparameter (and its score) a float.
        """
        # exp(log(bound)) may miss the bound by an ulp: clip to the bounds.
        value = np.clip(np.exp(outcome.theta), *bounds)
        score = -np.asarray(outcome.value, dtype=float)
        setattr(self, f"{name}_", float(value.ravel()[0]) if scalar else value)
        self.best_score_ = float(score) if score.ndim == 0 else score
        self.n_iter_ = outcome.n_iter
        self.history_ = outcome.history
        if labels is not None:
            self.groups_ = labels
