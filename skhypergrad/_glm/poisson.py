"""GradientPoissonRegressorCV: Poisson regression tuned by its criterion's gradient."""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import d2_tweedie_score
from sklearn.model_selection import LeaveOneOut
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.groups import resolve_groups
from .._core.layout import mean_column_variance
from .._core.routing import split_params, splitter_router
from .._core.validation import (
    check_criterion_weights,
    check_magnitude,
    check_regression_target,
    check_sample_weight,
    resolve_cv,
)
from .._core.weighting import make_scheme
from .base import PenaltySearchMixin
from .losses import PoissonLoss

DEFAULT_ALPHA_BOUNDS = (1e-6, 1e4)
FLOATS = [np.float64, np.float32]
# PoissonRegressor's solvers: both minimise the same objective.
SOLVERS = ("lbfgs", "newton-cholesky")


# The first step of a search from the previous fit's alpha_ (warm_start): a
# fifth of a decade. A refit on the same or similar data starts near its
# optimum; a step of a decade overshoots it and costs evaluations to come back
# (warm refits of 12 Poisson problems: 105 evaluations against 124).
_WARM_FIRST_STEP = np.log(10.0) / 5


class GradientPoissonRegressorCV(PenaltySearchMixin, RegressorMixin, BaseEstimator):
    """Poisson regression with penalties tuned by the gradient of a CV criterion.

    Replaces ``GridSearchCV(PoissonRegressor(), {"alpha": [...]})``: the penalty
    (or one penalty per feature or per group of features) minimises the mean
    Poisson deviance of out-of-sample predictions, followed by its gradient
    from the implicit function theorem (Bengio, 2000).

    :class:`~sklearn.linear_model.PoissonRegressor`'s arguments come first,
    with its meaning, except two: its fixed ``alpha`` is where the search
    starts here, and ``verbose`` prints the search's progress (one line per
    evaluation of the criterion) where PoissonRegressor's prints its lbfgs
    solver's. The search's own arguments follow.

    Parameters
    ----------
    alpha : float, array-like of shape (n_groups,) or None, default=None
        Where the search starts, in PoissonRegressor's convention: the
        training criterion is the mean deviance halved plus
        ``alpha / 2 * ||w||^2``. PoissonRegressor's fixed ``alpha`` becomes
        the start here: the search steps downhill from it; to fix alpha at
        ``a``, pass ``alpha_bounds=(a, a)``. A float starts every group
        there, an array one value per group (see ``groups_``). None, unlike
        PoissonRegressor's 1.0, starts at the scale of the data, the mean
        (sample-weighted) variance of the features times the mean of ``y``,
        so that the search does not depend on their units.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (in every fold).
    solver : {"lbfgs", "newton-cholesky"}, default="lbfgs"
        Accepted for PoissonRegressor's calls: both minimise the same
        objective, whose optimum Newton's method finds here (exactly, as the
        hypergradient needs). Any other value raises an error.
    max_iter : int, default=100
        Maximum number of Newton iterations of each fit (the folds' and the
        final refit), as PoissonRegressor's ``max_iter``. A
        ``ConvergenceWarning`` says when they run out.
    tol : float, default=1e-4
        The fits' gradient tolerance, as PoissonRegressor's ``tol``. Newton's
        method goes on to working precision within ``max_iter`` (the
        hypergradient needs exact solutions); ``tol`` decides whether running
        out of iterations is worth a warning.
    warm_start : bool, default=False
        True: a refit of a fitted estimator, on data with as many features,
        starts the search at the previous ``alpha_`` instead of at ``alpha``:
        PoissonRegressor reuses its previous solution to initialise its
        solver, and the search's solution is ``alpha_``. Its first step is
        a fifth of a decade (not a decade): the optimum is likely close.
        Per-group alphas are reused when the groups are the previous fit's;
        otherwise, and for another number of features, the search starts at
        ``alpha``.
    verbose : int, default=0
        1 prints one line per evaluation of the criterion: its number, the
        phase of the search, the hyperparameters, the criterion, the norm of
        its gradient and the seconds since ``fit`` started. 2 adds the inner
        solvers' detail.
    alpha_bounds : tuple of (float, float) or None, default=None
        Bounds of every alpha. None means ``(1e-6, 1e4)`` times the scale of
        the data (see ``alpha``), so that the search, and its result, do not
        depend on the units of ``X`` or ``y``.
    feature_groups : None, "each", array-like of shape (n_features,), dict or \
            callable, default=None
        None: one alpha. ``"each"``: one per feature. Otherwise one per group
        of features, the groups given by an array of one label per feature;
        by a dict from group label to the group's columns (names in
        ``feature_names_in_`` or indices), such as
        ``{"num": ["age", "bmi"], "cat": ["sex"]}``, with every feature in
        exactly one group; or by a callable from a feature name to its group
        label, such as ``lambda name: name.split("__")[0]`` for the prefixes
        a :class:`~sklearn.compose.ColumnTransformer` adds. Names are
        resolved at each fit, so groups follow encoders whose number of
        columns changes between folds; without column names (a NumPy array)
        the features are called ``"x0"``, ``"x1"``, ... as by
        ``get_feature_names_out``. Labels are all strings or all numbers.
        ``groups_`` gives the label of each entry of ``alpha_`` (and of
        ``alpha`` given per group): the dict's order for a dict, sorted
        labels otherwise. An estimator holding a lambda cannot be pickled:
        pass a function defined with ``def`` at module level instead.
    cv : int, "alo", None, cross-validation generator or iterable, default=5
        An int, a splitter or an iterable of (train, test) index arrays: k-fold
        or held-out deviance (:class:`~sklearn.model_selection.KFold` for an
        int); ``"alo"``: approximate leave-one-out, from one fit on all the
        data; None: exact leave-one-out (one fit per sample: slow).
    early_stopping : bool, default=True
        With ``feature_groups`` and a ``cv`` of at least 3 splits, guard the
        search over several penalties against over-fitting the criterion:
        it descends the criterion of two thirds of the splits, scores every
        point it evaluates on the other third (the check folds), returns the
        point best there (the one-penalty optimum included) and stops after
        10 evaluations without improvement there. ``best_score_`` and
        ``history_`` give the criterion of all the splits. False searches all
        the splits' criterion to its optimum, which can over-fit with many
        penalties (one per pixel on ``load_digits``: 5-fold log-loss 0.065,
        held-out 0.40, against 0.112 and 0.129 with one penalty). Not
        applied with ``sample_weighting``.
    search_max_iter : int, default=100
        Maximum number of iterations of each search: L-BFGS-B iterations for
        several hyperparameters; for one, steps of the one-dimensional search,
        each one evaluation of the criterion; with a callable ``optimizer``,
        its evaluations of the criterion. A ``ConvergenceWarning`` says when
        it runs out.
    search_tol : float, default=1e-6
        Relative tolerance of the search: it stops when further steps are
        predicted to lower the criterion by less than ``search_tol`` times its
        value (for several hyperparameters, when the projected gradient of the
        criterion divided by its value at the start is below ``search_tol``).
    n_restarts : int, default=0
        Extra starts of the search, drawn log-uniformly within the bounds. A
        restart's best point replaces the one kept so far when it lowers the
        criterion by more than ``search_tol`` times its value. Each is an
        independent search, run over ``n_jobs`` joblib jobs.
    optimizer : "l-bfgs-b" or callable, default="l-bfgs-b"
        A callable is called as ``optimizer(obj_func, initial_theta, bounds)``,
        as in :class:`~sklearn.gaussian_process.GaussianProcessRegressor`:
        ``obj_func(theta, eval_gradient=True)`` returns the criterion, divided
        by its value at ``initial_theta``, and its gradient in ``theta``, the
        log of the hyperparameters. It replaces the one-dimensional search and
        L-BFGS-B; with one hyperparameter per target, it runs on each target
        in turn.
    random_state : int, RandomState instance or None, default=None
        Seeds the restarts.
    n_jobs : int or None, default=None
        Joblib jobs over the folds (at each evaluation of the criterion the
        first fold is solved, then the others, each starting from its
        solution, in parallel) and over the restarts (``n_restarts``), in
        threads unless a joblib backend is chosen (``joblib.parallel_config``,
        e.g. ``"dask"``). The result is the same for every ``n_jobs`` and
        backend.
    sample_weighting : None, "time_decay" or "group", default=None
        Tune the training weights jointly with the penalties (Bengio and
        Dugas): ``"time_decay"`` weighs sample ``i`` by
        ``sample_weight[i] * 2 ** (-(t_ref - t_i) / half_life)``, ``t`` the
        ``sample_time`` passed to ``fit`` and ``t_ref`` the latest time of
        each training set (of all the data for the final refit);
        ``"group"`` weighs each group of ``sample_group`` by its own tuned
        weight. Needs ``cv`` splits (k-fold, held-out, or
        :class:`~sklearn.model_selection.TimeSeriesSplit` for a time decay,
        or ``cv=None``: leave-one-out by refits); the selection criterion
        keeps the user's ``sample_weight``.
    half_life : float or None, default=None
        Start of the half-life search, in the units of ``sample_time`` (days
        for datetime64; rows by default); None: the span of the times.
    half_life_bounds : tuple of (float, float) or None, default=None
        Bounds of the half-life; None: from the mean step between distinct
        times (shorter, a fit learns from about one sample) to 100 times their
        span. An optimum on the upper bound means no decay.
    group_weight : None, float or dict, default=None
        Start of the group weights (a dict from group label to weight); None:
        1.
    group_weight_bounds : tuple of (float, float) or None, default=None
        Bounds of every group weight; None: ``(1e-3, 1e3)``.
    target_group : object or None, default=None
        The group that is predicted: its weight is fixed at 1 and only its
        validation samples count in the criterion. None: every group counts,
        and the first label (sorted) is fixed at 1.

    Attributes
    ----------
    alpha_ : float or ndarray of shape (n_groups,)
        The chosen penalty.
    coef_ : ndarray of shape (n_features,)
        Of ``X``'s dtype (float32 or float64), as PoissonRegressor's.
    intercept_ : numpy.float32, numpy.float64 or float
        A NumPy scalar of ``X``'s dtype; ``0.0`` (a Python float) when
        ``fit_intercept=False``, as PoissonRegressor's.
    best_score_ : float
        Minus the mean Poisson deviance of the out-of-sample predictions at
        ``alpha_`` (sample-weighted), whatever ``cv`` is.
    groups_ : ndarray of shape (n_groups,)
        Label of each group (only with ``feature_groups``).
    n_iter_ : int
        Newton iterations of the final refit (see ``max_iter``).
    search_n_iter_ : int
        Number of iterations of the search (see ``search_max_iter``).
    half_life_ : float
        The tuned half-life (with ``sample_weighting="time_decay"``).
    group_weights_ : dict
        The weight of every group, the reference's 1.0 (with
        ``sample_weighting="group"``).
    history_ : dict of ndarray
        One row per evaluation of the criterion, ready for ``pandas.DataFrame``:
        ``"alpha"`` (a float, or an array of the group alphas), ``"score"`` (minus the
        criterion), ``"phase"`` (``"scan"``, ``"search"`` or ``"restart k of n"``) and
        ``"time"`` (seconds since ``fit`` started).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    sklearn.linear_model.PoissonRegressor : The model fitted at ``alpha_``.

    Notes
    -----
    At the optimum of :math:`F(w) = \\sum_i s_i (e^{z_i} - y_i z_i) +
    \\frac{1}{2} \\sum_j \\lambda_j w_j^2` (:math:`\\lambda_j` the feature's alpha
    times the training weight sum), the implicit function theorem gives the
    gradient of the validation deviance :math:`E`:
    :math:`\\partial E / \\partial \\lambda_j = -(H^{-1} \\nabla_w E)_j w_j`, one
    solve with the Hessian :math:`H` that Newton's method has factored. The
    approximate leave-one-out predictions are
    :math:`z_{-i} = z_i + s_i l'_i h_i / (1 - s_i l''_i h_i)`,
    :math:`h_i = x_i^T H^{-1} x_i` (Rad and Maleki, 2020), and their gradient
    follows :math:`z`, :math:`l'`, :math:`l''` and :math:`h` through the same
    theorem.

    References
    ----------
    Y. Bengio, "Gradient-based optimization of hyperparameters", Neural
    Computation 12(8), 2000. K. R. Rad and A. Maleki, "A scalable estimate of
    the out-of-sample prediction error via approximate leave-one-out
    cross-validation", JRSS-B 82(4), 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skhypergrad import GradientPoissonRegressorCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = rng.poisson(np.exp(X @ [0.3, -0.2, 0.0]))
    >>> model = GradientPoissonRegressorCV().fit(X, y)
    >>> bool(model.best_score_ < 0)
    True
    """

    _bool_params = ("fit_intercept", "warm_start", "early_stopping")

    def __init__(
        self,
        *,
        alpha=None,
        fit_intercept=True,
        solver="lbfgs",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
        alpha_bounds=None,
        feature_groups=None,
        cv=5,
        early_stopping=True,
        search_max_iter=100,
        search_tol=1e-6,
        n_restarts=0,
        optimizer="l-bfgs-b",
        random_state=None,
        n_jobs=None,
        sample_weighting=None,
        half_life=None,
        half_life_bounds=None,
        group_weight=None,
        group_weight_bounds=None,
        target_group=None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.alpha_bounds = alpha_bounds
        self.feature_groups = feature_groups
        self.early_stopping = early_stopping
        self.cv = cv
        self.search_max_iter = search_max_iter
        self.search_tol = search_tol
        self.n_restarts = n_restarts
        self.optimizer = optimizer
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.sample_weighting = sample_weighting
        self.half_life = half_life
        self.half_life_bounds = half_life_bounds
        self.group_weight = group_weight
        self.group_weight_bounds = group_weight_bounds
        self.target_group = target_group

    def fit(
        self, X, y, sample_weight=None, *, sample_time=None, sample_group=None, **params
    ):
        """Tune the penalties and fit the Poisson regression at the optimum.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 is fitted in float64 and kept in the
            fitted coefficients.
        y : array-like of shape (n_samples,)
            Non-negative counts (or rates).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the training and of the selection criterion.
        sample_time : array-like of shape (n_samples,), default=None
            The time of each sample (numbers, or datetime64 counted in days),
            for ``sample_weighting="time_decay"``; None means the row order.
        sample_group : array-like of shape (n_samples,), default=None
            The group of each sample, for ``sample_weighting="group"``.
        **params : dict
            ``groups`` for the ``cv`` splitter (e.g.
            :class:`~sklearn.model_selection.GroupKFold`); with metadata
            routing enabled, whatever the splitter requests.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._check_params()
        routed = split_params(self, params)
        previous = self._previous_fit()
        check_regression_target(y)
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=FLOATS, y_numeric=True
        )
        dtype = X.dtype
        X = X.astype(np.float64, copy=False)
        y = np.asarray(y, dtype=np.float64)
        check_magnitude(y, "y")
        if np.any(y < 0):
            raise ValueError("y must be non-negative for Poisson regression.")
        if not np.any(y > 0):
            raise ValueError("y must have at least one positive value.")
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        kind, splits = resolve_cv(
            self.cv, X, y, allowed_strings=("alo",), split_params=routed
        )
        if kind == "loo":
            splits = list(LeaveOneOut().split(X))
            kind = "splits"
        if X.shape[0] < 2:
            raise ValueError(
                f"At least 2 samples are needed, got n_samples = {X.shape[0]}."
            )
        check_criterion_weights(kind, splits, sample_weight)
        scheme = make_scheme(self, X.shape[0], sample_time, sample_group)
        fit = self._fit_penalties(
            X,
            y,
            sample_weight,
            PoissonLoss(),
            kind,
            splits,
            dict(
                name="alpha",
                power=1.0,
                default=DEFAULT_ALPHA_BOUNDS,
                scale_by_weight=True,
                off_side="upper",
                **self._search_start(previous, X.shape[1]),
            ),
            scheme,
        )
        n = X.shape[1]
        self.coef_ = fit.coef[:n].astype(dtype)
        # As PoissonRegressor: a NumPy scalar of X's dtype, or the float 0.0.
        self.intercept_ = dtype.type(fit.coef[n]) if self.fit_intercept else 0.0
        self.n_iter_ = fit.refit_n_iter
        return self

    def _check_params(self):
        super()._check_params()
        if not (isinstance(self.solver, str) and self.solver in SOLVERS):
            raise ValueError(
                f"solver must be one of {list(SOLVERS)}, got {self.solver!r}: "
                "GradientPoissonRegressorCV finds their common optimum by "
                "Newton's method."
            )

    def _previous_fit(self):
        """With ``warm_start``, the previous fit's ``alpha_``, number of
        features and group labels (None before a first fit)."""
        if not self.warm_start or not hasattr(self, "alpha_"):
            return None
        return self.alpha_, self.n_features_in_, getattr(self, "groups_", None)

    def _search_start(self, previous, n_features):
        """Where the search starts (``value``): the previous ``alpha_`` (see
        ``warm_start``) when it fits this data's features and groups, with a
        first step of a fifth of a decade (the optimum is likely close), else
        ``alpha``."""
        if previous is None or previous[1] != n_features:
            return dict(value=self.alpha)
        alpha, _, labels_before = previous
        if np.ndim(alpha) > 0:
            _, labels = resolve_groups(
                self.feature_groups,
                n_features,
                getattr(self, "feature_names_in_", None),
            )
            same = labels is not None and labels_before is not None
            if not (same and np.array_equal(labels, labels_before)):
                return dict(value=self.alpha)
        return dict(value=alpha, first_step=_WARM_FIRST_STEP)

    def _penalty_unit(self, X, y, sample_weight):
        """The mean (weighted) variance of the features times the mean count:
        about the curvature of the mean deviance halved."""
        mean_count = sample_weight @ y / sample_weight.sum()
        return mean_column_variance(X, sample_weight) * mean_count

    def predict(self, X):
        """Predict the expected counts ``exp(X coef_ + intercept_)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted means: float32 when ``X`` and ``coef_`` are.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=FLOATS, reset=False)
        # In the dtypes of X and coef_, as PoissonRegressor's.
        return np.exp(safe_sparse_dot(X, self.coef_) + self.intercept_)

    def score(self, X, y, sample_weight=None):
        """D^2, the fraction of Poisson deviance explained, as PoissonRegressor.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            D^2 of the predictions.
        """
        return d2_tweedie_score(
            y, self.predict(X), sample_weight=sample_weight, power=1
        )

    def get_metadata_routing(self):
        """Metadata routing of ``fit``: to the ``cv`` splitter's ``split``.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        return splitter_router(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.positive_only = True
        return tags
