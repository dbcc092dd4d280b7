"""What the smooth-loss estimators share: the fit of their penalties."""

from dataclasses import replace

import numpy as np

from .._core.bracket import DECADE
from .._core.estimator import HyperparameterSearchMixin
from .._core.layout import build_layout, penalty_space
from .._core.validation import check_magnitude, check_scalar_param
from .._core.weighting import (
    clear_weighting_attributes,
    criterion_weights,
    refit_weights,
    set_weighting_attributes,
)
from .._core.weighting_search import search_with_scheme
from .search import SmoothFit, SmoothProblem
from .weighted import WeightedSmoothSplits


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

    def _fit_penalties(
        self, X, y, sample_weight, loss, kind, splits, hyper, scheme=None
    ):
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
            and ``name + "_bounds"``, and ``first_step``, the first step of a
            one-hyperparameter search (in the log of the hyperparameter; a
            decade by default).
        scheme : TimeDecay, GroupWeights or None, default=None
            Training weights tuned with the penalties
            (:mod:`skhypergrad._core.weighting`); they need ``splits``.
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
            if scheme is not None:
                fit, space = self._search_with_scheme(
                    (X_search, y, sample_weight, loss, kind, splits),
                    layout,
                    space,
                    theta0,
                    scheme,
                    hyper["scale_by_weight"],
                )
                self._set_search_attributes(fit.result, space, report)
                return self._finish(
                    fit, space, layout, labels, name, X, x_scale, loss, scheme
                )
            options = self._search_options()
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
                early_stopping=self.early_stopping,
                n_jobs=getattr(self, "n_jobs", None),
                search_tol=options.tol,
            )
            fit = problem.search(
                space,
                theta0,
                options,
                refit=getattr(self, "refit", True),
                first_step=hyper.get("first_step", DECADE),
            )
            self._set_search_attributes(fit.result, space, report)
        return self._finish(fit, space, layout, labels, name, X, x_scale, loss)

    def _search_with_scheme(self, data, layout, space, theta0, scheme, by_weight):
        """The joint search of the penalties and a weighting scheme, and the
        refit on all the data (weights from the latest time of all of it)."""
        X, y, sample_weight, loss, kind, splits = data
        if kind != "splits":
            raise ValueError(
                f"sample_weighting={self.sample_weighting!r} needs cv splits: an "
                "int, a splitter (TimeSeriesSplit for a time decay) or an "
                f"iterable of (train, test) arrays; got cv={self.cv!r}."
            )
        criterion = WeightedSmoothSplits(
            X,
            y,
            sample_weight,
            self.fit_intercept,
            loss,
            criterion_weights(sample_weight, scheme),
            splits,
            layout,
            scheme,
            by_weight,
            dict(max_iter=self.max_iter, tol=self.tol),
        )
        result, space = search_with_scheme(
            criterion, space, theta0, scheme, self._search_options()
        )
        weight = refit_weights(scheme, result.theta[layout.n_groups :], sample_weight)
        solver = criterion.solver(np.arange(X.shape[0]), weight)
        state = solver.solve(layout.feature_penalties(result.theta[: layout.n_groups]))
        iterations = np.array(criterion.iterations, dtype=np.int32).T
        return SmoothFit(result, state.coef, state.n_iter, iterations, None), space

    def _finish(self, fit, space, layout, labels, name, X, x_scale, loss, scheme=None):
        """Set the fitted hyperparameters; the fit in the units of ``X``."""
        self.search_n_iter_ = self.n_iter_
        theta = np.asarray(fit.result.theta)
        values = space.values(theta)[: layout.n_groups]
        if scheme is not None:
            set_weighting_attributes(self, scheme, theta[layout.n_groups :])
        else:
            clear_weighting_attributes(self)
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
            coef=None
            if fit.coef is None
            else _in_units_of_x(fit.coef, loss, n_features, x_scale),
            fold_coefs=fold_coefs,
        )


def _in_units_of_x(coef, loss, n_features, x_scale):
    """Coefficients of the search's rescaled ``X`` in ``X``'s units."""
    coef = coef.reshape(loss.n_outputs, -1).copy()
    coef[:, :n_features] /= x_scale
    return coef.ravel()
