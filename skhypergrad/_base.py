"""What every estimator shares: checks and options of the hyperparameter search."""

import numpy as np

from ._validation import check_scalar_param


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
