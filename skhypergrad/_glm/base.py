"""What the smooth-loss estimators share: the fit of their penalties."""

from dataclasses import replace

import numpy as np

from .._core.estimator import HyperparameterSearchMixin
from .._core.layout import build_layout, penalty_space
from .._core.validation import check_magnitude, check_scalar_param
from .search import SmoothProblem


class PenaltySearchMixin(HyperparameterSearchMixin):
    """The search of the penalties of a smooth-loss estimator.

    Expects, beyond :class:`HyperparameterSearchMixin`'s, the attributes
    ``feature_groups``, ``fit_intercept``, the inner solver's ``max_iter`` and
    ``tol`` (the search's are ``search_max_iter`` and ``search_tol``), and a
    method ``_penalty_unit(X, y, sample_weight)``: the hyperparameter's scale
    on the data, so that default bounds and start follow the units of ``X``
    and ``y``.
    """

    _search_limits = ("search_max_iter", "search_tol")

    def _check_params(self):
        super()._check_params()
        check_scalar_param(self.max_iter, "max_iter", "int", low=1)
        check_scalar_param(self.tol, "tol", "real", low=0)

    def _fit_penalties(self, X, y, sample_weight, loss, kind, splits, hyper):
        """Search the penalties, set ``<name>_``, ``groups_``,
        ``best_score_``, ``search_n_iter_`` and ``history_``, and return the
        search's :class:`~skhypergrad._glm.search.SmoothFit`, its coefficients
        (class-major ``(w, b)``) in the units of ``X``.

        Parameters
        ----------
        X, y, sample_weight
            Validated training data (``y`` encoded for ``loss``).
        loss : Loss
        kind : {"alo", "splits"}
        splits : list of (train, test) or None
        hyper : dict
            ``name`` (``"C"`` or ``"alpha"``), ``power`` (-1 for ``C``),
            ``default`` bounds (see
            :func:`~skhypergrad._core.layout.build_layout`),
            ``scale_by_weight`` (penalties scaled by the training weights, as
            PoissonRegressor) and ``off_side`` (the bound that switches
            features off); optionally ``value`` and ``bounds``, the start and
            bounds of the search, when they are not the attributes ``name``
            and ``name + "_bounds"``.
        """
        name, power = hyper["name"], hyper["power"]
        # Features of extreme magnitude are searched in other units (exactly):
        # the penalty scales with the square of X's.
        x_scale = check_magnitude(X, "X")
        X_search = X if x_scale == 1.0 else X * (1.0 / x_scale)
        offset = 2.0 * power * np.log(x_scale)
        layout, theta0, labels = build_layout(
            self.feature_groups,
            X.shape[1],
            hyper.get("value", getattr(self, name)),
            hyper.get("bounds", getattr(self, f"{name}_bounds")),
            name,
            default=hyper["default"],
            unit=self._penalty_unit(X_search, y, sample_weight),
            power=power,
            offset=offset,
            feature_names=getattr(self, "feature_names_in_", None),
        )
        space = penalty_space(
            name,
            layout,
            *self._entry_labels(labels),
            off_side=hyper["off_side"],
            offset=offset,
        )
        with self._fitting() as report:
            problem = SmoothProblem(
                X_search,
                y,
                sample_weight,
                self.fit_intercept,
                loss,
                kind,
                splits,
                layout,
                hyper["scale_by_weight"],
                max_iter=self.max_iter,
                tol=self.tol,
            )
            fit = problem.search(space, theta0, self._search_options())
            self._set_search_attributes(fit.result, space, report)
        self.search_n_iter_ = self.n_iter_
        values = space.values(fit.result.theta)
        setattr(self, f"{name}_", float(values[0]) if layout.n_groups == 1 else values)
        if labels is not None:
            self.groups_ = labels
        elif hasattr(self, "groups_"):  # from a fit with other feature_groups
            del self.groups_
        n_features = X.shape[1]
        fold_coefs = fit.fold_coefs
        if fold_coefs is not None:

            def fold_coefs(raw=fit.fold_coefs):
                return [_in_units_of_x(c, loss, n_features, x_scale) for c in raw()]

        return replace(
            fit,
            coef=_in_units_of_x(fit.coef, loss, n_features, x_scale),
            fold_coefs=fold_coefs,
        )


def _in_units_of_x(coef, loss, n_features, x_scale):
    """Coefficients of the search's rescaled ``X`` in ``X``'s units."""
    coef = coef.reshape(loss.n_outputs, -1).copy()
    coef[:, :n_features] /= x_scale
    return coef.ravel()
