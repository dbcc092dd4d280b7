"""GradientRidgeCV: ridge regression whose penalties follow the criterion's gradient."""

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.estimator import HyperparameterSearchMixin
from .._core.layout import build_layout, penalty_space
from .._core.routing import split_params, splitter_router
from .._core.validation import (
    check_criterion_weights,
    check_magnitude,
    check_regression_target,
    check_sample_weight,
    resolve_cv,
)
from .._core.weighting import (
    clear_weighting_attributes,
    make_scheme,
    set_weighting_attributes,
)
from .chunk_folds import chunk_folds
from .cv_results import leave_one_out_results
from .dask_input import (
    as_row_chunks,
    dask_statistics,
    is_dask_collection,
    predict_chunks,
    rescaled,
)
from .params import check_alphas, check_gcv_mode
from .scoring import (
    check_constant_targets,
    check_scoring,
    check_scoring_setting,
    constant_fraction,
    scores_from_criterion,
    split_scales,
    target_scale,
)
from .search import RidgeProblem
from .weighted_search import check_weighting_setting, search_with_weights

DEFAULT_ALPHA_BOUNDS = (1e-6, 1e6)


class GradientRidgeCV(
    HyperparameterSearchMixin, MultiOutputMixin, RegressorMixin, BaseEstimator
):
    """Ridge regression with penalties tuned by the gradient of a CV criterion.

    A drop-in replacement for :class:`~sklearn.linear_model.RidgeCV` that,
    instead of trying a grid, minimises the selection criterion (exact
    leave-one-out error by default) over a continuous ``alpha`` by its gradient
    (Bengio, 2000). It can tune one alpha per feature, per group of features
    ("banded ridge") and per target, where grids are hopeless.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,), float or None, default=None
        As in :class:`~sklearn.linear_model.RidgeCV`, positive penalties to
        try: here they are the points of the first scan, and (unless
        ``alpha_bounds`` is given) their range bounds the continuous search
        that follows. None (unlike ``RidgeCV``'s ``(0.1, 1.0, 10.0)``) scans
        two points per decade over ``alpha_bounds``.
    alpha : float, array-like of shape (n_groups,) or None, default=None
        Initial value of the penalty, in :class:`~sklearn.linear_model.Ridge`'s
        convention; None starts at the scale of the data, the mean
        (sample-weighted) variance of the features (their mean square with
        ``fit_intercept=False``). A single alpha is first
        scanned (at ``alphas``, or two points per decade over the bounds, one
        with ``alpha_per_target``, plus this value) along the
        eigendecomposition path. Several alphas start from the best of this
        value, the best single alpha and the best single alpha on groups
        rescaled to unit variance.
    alpha_bounds : tuple of (float, float) or None, default=None
        Lower and upper bounds of every alpha. None means the range of
        ``alphas`` if given, else ``(1e-6, 1e6)`` times the mean
        (sample-weighted) variance of the features, so that the search, and
        its result, do not depend on the units of ``X``.
    feature_groups : None, "each", array-like of shape (n_features,), dict or \
            callable, default=None
        None: one alpha for all features. ``"each"``: one alpha per feature
        (Bengio's input decay). Otherwise one alpha per group of features
        (banded ridge), the groups given by an array of one label per
        feature; by a dict from group label to the group's columns (names in
        ``feature_names_in_`` or indices), such as
        ``{"num": ["age", "bmi"], "cat": ["sex"]}``, with every feature in
        exactly one group; or by a callable from a feature name to its group
        label, such as ``lambda name: name.split("__")[0]`` for the prefixes
        a :class:`~sklearn.compose.ColumnTransformer` adds. Names are
        resolved at each fit, so groups follow encoders whose number of
        columns changes between folds; without column names (a NumPy array)
        the features are called ``"x0"``, ``"x1"``, ... as by
        ``get_feature_names_out``. Labels are all strings or all numbers.
        ``groups_`` gives the label of each group, in the order of the last
        axis of ``alpha_`` (and of ``alpha`` given per group): the dict's
        order for a dict, sorted labels otherwise. An estimator holding a
        lambda cannot be pickled: pass a function defined with ``def`` at
        module level instead.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept; it is refit inside every leave-one-out
        sample and every fold.
    scoring : {None, "neg_mean_squared_error", "neg_root_mean_squared_error", \
            "r2"}, default=None
        The score the search maximises. Only scores that are differentiable
        functions of the squared errors can be followed by their gradient;
        any other raises a ``ValueError``. None is the (sample-weighted) mean
        squared out-of-sample error over all samples; with ``cv`` splits, a
        named scorer is averaged over the splits with equal weights, as
        :class:`~sklearn.model_selection.GridSearchCV` does (``"r2"``: the
        mean of the splits' R², as ``RidgeCV(cv=k)`` ranks alphas by
        default). ``"neg_root_mean_squared_error"`` needs one error to rank:
        leave-one-out or GCV on one target or with ``alpha_per_target``.
    cv : None, "gcv", int, cross-validation generator or iterable, default=None
        Selection criterion. None: exact leave-one-out; ``"gcv"``: generalised
        cross-validation; an int, a splitter or an iterable of (train, test)
        index arrays: k-fold or held-out error (:class:`~sklearn.model_selection.KFold`
        for an int). ``fit(X, y, groups=groups)`` passes ``groups`` to the
        splitter.
    gcv_mode : {None, "auto", "svd", "eigen"}, default=None
        Accepted for compatibility with ``RidgeCV``: the decomposition is
        chosen by the shape of ``X`` (an eigendecomposition of ``X^T X``
        when ``n_samples >= n_features``, of ``X X^T`` otherwise), which
        gives the same result as every ``gcv_mode``.
    store_cv_results : bool, default=False
        Keep, in ``cv_results_``, the leave-one-out result of every sample at
        every alpha the search evaluated (``cv=None`` only).
    alpha_per_target : bool, default=False
        With a 2-D ``y``, tune the alpha (or the alphas of the groups)
        separately for each target.
    max_iter : int, default=100
        Maximum number of iterations of each search: L-BFGS-B iterations for
        several hyperparameters; for one, steps of the one-dimensional search,
        each one evaluation of the criterion; with a callable ``optimizer``,
        its evaluations of the criterion. A ``ConvergenceWarning`` says when
        it runs out.
    tol : float, default=1e-6
        Relative tolerance of the search: it stops when further steps are
        predicted to lower the criterion by less than ``tol`` times its value
        (for several hyperparameters, when the projected gradient of the
        criterion divided by its value at the start is below ``tol``).
    n_restarts : int, default=0
        Extra starts of the search, drawn log-uniformly within the bounds. A
        restart's best point replaces the one kept so far when it lowers the
        criterion by more than ``tol`` times its value. Each is an
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
    verbose : int, default=0
        1 prints one line per evaluation of the criterion: its number, the
        phase of the search, the hyperparameters, the criterion, the norm of
        its gradient and the seconds since ``fit`` started. 2 adds the inner
        solvers' detail.
    n_jobs : int or None, default=None
        Number of joblib jobs over targets when ``alpha_per_target=True`` with
        feature groups, and over the restarts (``n_restarts``), in threads
        unless a joblib backend is chosen (``joblib.parallel_config``, e.g.
        ``"dask"``). The result is the same for every ``n_jobs`` and
        backend.
    sample_weighting : None, "time_decay" or "group", default=None
        Tune the training weights jointly with the penalties (Bengio and
        Dugas): ``"time_decay"`` weighs sample ``i`` by
        ``sample_weight[i] * 2 ** (-(t_ref - t_i) / half_life)``, ``t`` the
        ``sample_time`` passed to ``fit`` and ``t_ref`` the latest time of
        each training set (of all the data for the final refit);
        ``"group"`` weighs each group of ``sample_group`` by its own tuned
        weight. Works with exact leave-one-out (``cv=None``, a time decay
        from the latest time of all the data) and with ``cv`` splits (k-fold,
        held-out, or :class:`~sklearn.model_selection.TimeSeriesSplit` for a
        time decay), not GCV, and with the squared error; the selection
        criterion keeps the user's ``sample_weight``.
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
    alpha_ : float or ndarray
        The chosen penalty: a float; shape (n_groups,) with feature groups;
        (n_targets,) per target; (n_targets, n_groups) per target with groups.
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients at ``alpha_`` (``(n_features,)`` also for ``y`` of shape
        (n_samples, 1), as ``RidgeCV``), in the floating dtype of ``X``.
    intercept_ : numpy scalar, ndarray of shape (n_targets,) or float
        Intercept at ``alpha_`` (shape (1,) for ``y`` of shape (n_samples, 1));
        ``0.0`` with ``fit_intercept=False``, as ``RidgeCV``.
    best_score_ : numpy scalar or ndarray of shape (n_targets,)
        The score (see ``scoring``) at ``alpha_``; per target when
        ``alpha_per_target=True``. With ``scoring=None``, minus the
        sample-weighted mean squared out-of-sample error, averaged over
        targets: the same loss whatever ``cv`` is.
    cv_results_ : ndarray of shape (n_samples, n_evaluations) or \
            (n_samples, n_targets, n_evaluations)
        With ``store_cv_results=True``: at each alpha of ``history_["alpha"]``
        (in its order), the weighted squared leave-one-out error of every
        sample (``scoring=None``) or its leave-one-out prediction, as
        ``RidgeCV``'s.
    groups_ : ndarray of shape (n_groups,)
        Label of each group (only with ``feature_groups``).
    n_iter_ : int or ndarray of shape (n_targets,)
        Number of iterations of the search (see ``max_iter``); one per target
        with ``alpha_per_target`` and ``feature_groups``.
    half_life_ : float
        The tuned half-life (with ``sample_weighting="time_decay"``).
    group_weights_ : dict
        The weight of every group, the reference's 1.0 (with
        ``sample_weighting="group"``).
    history_ : dict of ndarray
        One row per evaluation of the criterion, ready for ``pandas.DataFrame``:
        ``"alpha"`` (a float, or an array of the group alphas), ``"score"`` (minus the
        criterion), ``"phase"`` (``"scan"``, ``"search"`` or ``"restart k of n"``) and
        ``"time"`` (seconds since ``fit`` started); with ``alpha_per_target``, also
        ``"target"``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.RidgeCV : Ridge regression with a grid of alphas.

    Notes
    -----
    The training criterion is
    :math:`\\sum_i s_i (y_i - x_i^T w - b)^2 + \\sum_j \\lambda_j w_j^2` with
    sample weights :math:`s` and one :math:`\\lambda_j` per feature, taken from
    its group's alpha. The exact leave-one-out residual is
    :math:`e_i = r_i / (1 - h_i)` (Allen's PRESS), with :math:`r` the residual and
    :math:`h` the hat diagonal including the intercept; the criterion is
    :math:`\\sum_i s_i e_i^2 / \\sum_i s_i`. Its gradient in :math:`\\lambda_k` is
    :math:`\\partial e_i / \\partial \\lambda_k = B_{ik} w_k / (1 - h_i) -
    r_i B_{ik}^2 / (1 - h_i)^2` with :math:`B = X A^{-1}`,
    :math:`A = X^T S X + \\mathrm{diag}(\\lambda)` (centred data). k-fold errors
    get their gradient from one adjoint solve per fold,
    :math:`\\partial E / \\partial \\lambda_k = 2 (A^{-1} g)_k w_k` with
    :math:`g` the gradient of the validation error in :math:`w` (Bengio, 2000).
    A single alpha (or one per target) uses one eigendecomposition, after which
    every evaluation is a few matrix-vector products; several alphas use one
    Cholesky factorisation per evaluation, of the ``p x p`` matrix when
    ``n >= p`` and of the ``n x n`` one otherwise. The search runs in
    ``log(alpha)``: a scan and a safeguarded secant search on the derivative
    for one alpha (vectorised over targets), L-BFGS-B for several.

    Many hyperparameters can over-fit the selection criterion itself: check
    held-out error when tuning one alpha per feature on few samples.

    References
    ----------
    Y. Bengio, "Gradient-based optimization of hyperparameters", Neural
    Computation 12(8), 2000. D. M. Allen, "The relationship between variable
    selection and data augmentation and a method for prediction",
    Technometrics 16(1), 1974. G. H. Golub, M. Heath and G. Wahba, "Generalized
    cross-validation as a method for choosing a good ridge parameter",
    Technometrics 21(2), 1979.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skhypergrad import GradientRidgeCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = GradientRidgeCV().fit(X, y)
    >>> bool(0.0 < model.alpha_ < 1.0)
    True
    """

    _bool_params = ("fit_intercept", "alpha_per_target", "store_cv_results")

    def __init__(
        self,
        alphas=None,
        *,
        alpha=None,
        alpha_bounds=None,
        feature_groups=None,
        fit_intercept=True,
        scoring=None,
        cv=None,
        gcv_mode=None,
        store_cv_results=False,
        alpha_per_target=False,
        max_iter=100,
        tol=1e-6,
        n_restarts=0,
        optimizer="l-bfgs-b",
        random_state=None,
        verbose=0,
        n_jobs=None,
        sample_weighting=None,
        half_life=None,
        half_life_bounds=None,
        group_weight=None,
        group_weight_bounds=None,
        target_group=None,
    ):
        self.alphas = alphas
        self.alpha = alpha
        self.alpha_bounds = alpha_bounds
        self.feature_groups = feature_groups
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.optimizer = optimizer
        self.random_state = random_state
        self.verbose = verbose
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
        """Tune the penalties on ``(X, y)`` and fit the ridge model at the optimum.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Training data. Sparse input is never densified; float32 input is
            not copied to float64. A dask array (or data frame) chunked by
            rows is read once, chunk by chunk where dask runs: ``cv`` must
            then be an int or a :class:`~sklearn.model_selection.KFold`
            (see :ref:`user-dask`).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values (a dask array with ``X``'s row chunks for a dask
            ``X``).
        sample_weight : float or array-like of shape (n_samples,), default=None
            Weights of the training criterion and of the selection criterion.
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
        check_gcv_mode(self.gcv_mode)
        weighting = (sample_time, sample_group)
        return self._fit(
            X, y, sample_weight, self.cv, split_params(self, params), weighting
        )

    def _fit(self, X, y, sample_weight, cv, splitter_params, weighting=None):
        """:meth:`fit` with ``cv`` (the parameter, or splits a subclass made),
        the keyword arguments of its ``split`` and ``(sample_time,
        sample_group)`` for tuned sample weights (None without them)."""
        self._check_params()
        scoring = check_scoring(self.scoring)
        if is_dask_collection(X) or is_dask_collection(y):
            return self._fit_dask(X, y, sample_weight, cv, scoring, weighting)
        check_regression_target(y)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=True,
            ensure_all_finite=False,  # check_magnitude's pass refuses NaN, inf
        )
        y = y.astype(np.float64, copy=False)
        x_scale, y_scale = check_magnitude(X, "X"), check_magnitude(y, "y")
        n_samples = X.shape[0]
        sample_weight = check_sample_weight(sample_weight, n_samples)
        kind, splits = resolve_cv(
            cv, X, y, allowed_strings=("gcv",), split_params=splitter_params
        )
        if self.store_cv_results and kind != "loo":
            raise ValueError(
                "store_cv_results=True needs cv=None (exact leave-one-out), "
                f"got cv={cv!r}."
            )
        check_criterion_weights(kind, splits, sample_weight)
        scheme = None if weighting is None else make_scheme(self, n_samples, *weighting)
        y2 = y.reshape(n_samples, -1)
        per_target = self.alpha_per_target and y2.shape[1] > 1
        if scheme is not None:
            check_weighting_setting(self, kind, per_target)
        check_scoring_setting(scoring, kind, y2.shape[1], per_target)
        # Data of extreme magnitude are searched in other units (exactly):
        # alpha scales with the square of X's, the criterion with y's. A
        # scorer may also rescale each target (``"r2"``).
        X_search = X if x_scale == 1.0 else X * (1.0 / x_scale)
        y_search = y2 / y_scale
        scale = np.ones(y2.shape[1])
        if kind != "splits":
            check_constant_targets(
                scoring, y_search, sample_weight, kind, self.fit_intercept
            )
            scale = target_scale(scoring, y_search, sample_weight)
            y_search = y_search * scale
        with self._fitting() as report:
            problem = RidgeProblem(
                X_search,
                y_search,
                sample_weight,
                self.fit_intercept,
                kind,
                splits,
                split_scales=split_scales(scoring, y_search, sample_weight, splits)
                if kind == "splits"
                else None,
                scan_points=self._scan_points(x_scale),
            )
            constant = constant_fraction(
                scoring, y_search, sample_weight, splits, self.fit_intercept
            )
            weighted = None
            if scheme is not None:
                data = (X_search, y_search, sample_weight, splits, self.fit_intercept)
                weighted = (scheme, data)
            fit, space, layout, labels = self._search(
                problem,
                report,
                scoring,
                per_target,
                constant,
                (x_scale, y_scale),
                weighted,
            )
        self._set_fit(fit, space, layout, labels, scheme, per_target)
        self._set_coefficients(fit, x_scale, y_scale / scale, y.ndim, X.dtype)
        if self.store_cv_results:
            offset = 2.0 * np.log(x_scale)
            self._set_cv_results(
                problem, X_search, y2, layout, offset, y_scale / scale, X.dtype
            )
            if y.ndim == 1:
                self.cv_results_ = self.cv_results_[:, 0]
        return self

    def _fit_dask(self, X, y, sample_weight, cv, scoring, weighting):
        """:meth:`fit` on dask arrays: the k-fold statistics in one pass over
        the row chunks (:mod:`skhypergrad._ridge.dask_input`), then the
        search on them."""
        given = weighting is not None and any(w is not None for w in weighting)
        if given or getattr(self, "sample_weighting", None) is not None:
            raise ValueError("sample_weighting is not available for dask arrays.")
        if scoring is not None:
            raise ValueError(
                f"With dask arrays, scoring must be None (the mean squared error "
                f"pooled over the folds); got scoring={self.scoring!r}."
            )
        if self.store_cv_results:
            raise ValueError("store_cv_results=True needs the rows in memory.")
        columns = getattr(X, "columns", None)
        X, y = as_row_chunks(X, "X", (2,)), as_row_chunks(y, "y")
        if y.chunks[0] != X.chunks[0]:
            raise ValueError(
                "y must have the row chunks of X: rechunk it with "
                "y.rechunk({0: X.chunks[0]})."
            )
        if sample_weight is not None:
            sample_weight = as_row_chunks(sample_weight, "sample_weight", (1,))
            if sample_weight.chunks[0] != X.chunks[0]:
                raise ValueError("sample_weight must have the row chunks of X.")
        n_samples, n_features = X.shape
        self.n_features_in_ = n_features
        if columns is not None:
            self.feature_names_in_ = np.asarray(columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        folds = chunk_folds(cv, n_samples)
        if folds.patterns() is None and self.feature_groups is not None:
            raise ValueError(
                "With dask arrays, feature_groups needs cv splits (an int or a "
                "KFold): GCV with one alpha per group needs the rows in memory."
            )
        y2 = y.reshape(n_samples, -1) if y.ndim == 1 else y
        statistics, (x_max, y_max) = dask_statistics(X, y2, sample_weight, folds)
        x_scale = check_magnitude(np.array([x_max]), "X")
        y_scale = check_magnitude(np.array([y_max]), "y")
        n_targets = y2.shape[1]
        statistics = rescaled(statistics, 1.0 / x_scale, 1.0 / y_scale)
        per_target = self.alpha_per_target and n_targets > 1
        with self._fitting() as report:
            problem = RidgeProblem(
                None,
                None,
                None,
                self.fit_intercept,
                "gcv" if folds.patterns() is None else "splits",
                None,
                scan_points=self._scan_points(x_scale),
                statistics=statistics,
            )
            constant = np.zeros(n_targets if per_target else 1)
            fit, space, layout, labels = self._search(
                problem, report, None, per_target, constant, (x_scale, y_scale)
            )
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        self._set_fit(fit, space, layout, labels, None, per_target)
        self._set_coefficients(fit, x_scale, np.full(n_targets, y_scale), y.ndim, dtype)
        return self

    def _scan_points(self, x_scale):
        """The user's ``alphas`` as log-penalties of the search's units (X
        divided by ``x_scale``), or None."""
        alphas = check_alphas(self.alphas)
        return None if alphas is None else np.log(alphas) - 2.0 * np.log(x_scale)

    def _search(
        self, problem, report, scoring, per_target, constant, units, weighted=None
    ):
        """The search on ``problem`` and the search's attributes (``history_``,
        ``best_score_``, ...).

        ``units`` is ``(x_scale, y_scale)``, the divisors of X and y in the
        search; ``weighted`` is ``(scheme, data)`` for tuned sample weights
        (:func:`search_with_weights`), or None.

        Returns
        -------
        fit, space, layout, labels
            The search's fit, its space and penalty layout, and the group
            labels (None without groups).
        """
        x_scale, y_scale = units
        alphas = check_alphas(self.alphas)
        offset = 2.0 * np.log(x_scale)
        layout, theta0, labels = build_layout(
            self.feature_groups,
            problem.design.n_features,
            self.alpha,
            self._alpha_bounds(alphas),
            "alpha",
            default=DEFAULT_ALPHA_BOUNDS,
            unit=problem.alpha_unit(),
            offset=offset,
            feature_names=getattr(self, "feature_names_in_", None),
        )
        space = penalty_space(
            "alpha",
            layout,
            *self._entry_labels(labels),
            off_side="upper",
            offset=offset,
            value_scale=y_scale**2,
        )
        options = self._search_options()
        if weighted is None:
            fit = problem.search(
                layout, space, theta0, per_target=per_target, options=options
            )
        else:
            scheme, data = weighted
            fit, space = search_with_weights(
                data, layout, space, theta0, scheme, options
            )
        if not per_target:
            constant = constant.mean()

        def score(values, targets):
            shift = constant if np.ndim(constant) == 0 else constant[targets]
            return scores_from_criterion(scoring, values, space.value_scale, shift)

        self._set_search_attributes(fit.result, space, report, score)
        return fit, space, layout, labels

    def _set_fit(self, fit, space, layout, labels, scheme, per_target):
        """``alpha_``, ``groups_`` and the weighting attributes of a search."""
        alpha = space.values(fit.result.theta)
        if scheme is not None:
            theta = np.asarray(fit.result.theta)
            alpha = alpha[: layout.n_groups]
            set_weighting_attributes(self, scheme, theta[layout.n_groups :])
        else:
            clear_weighting_attributes(self)
        self.alpha_ = (
            float(alpha.ravel()[0]) if alpha.size == 1 and not per_target else alpha
        )
        if labels is not None:
            self.groups_ = labels
        elif hasattr(self, "groups_"):  # from an earlier fit with groups
            del self.groups_

    def _alpha_bounds(self, alphas):
        """The user's ``alpha_bounds``, else the range of ``alphas``."""
        if self.alpha_bounds is not None or alphas is None:
            return self.alpha_bounds
        return (alphas.min(), alphas.max())

    def _set_coefficients(self, fit, x_scale, y_unit, y_ndim, dtype):
        """``coef_`` and ``intercept_`` in the user's units and dtype, from
        the refit in the search's (``X / x_scale``, ``y / y_unit``)."""
        design = fit.design
        intercept = y_unit * (design.y_offset - design.x_offset @ fit.coef)
        coef = fit.coef * (y_unit / x_scale)  # (n_features, n_targets)
        intercept = intercept.astype(dtype, copy=False)
        coef = coef.astype(dtype, copy=False)
        if y_ndim == 1:
            self.coef_, self.intercept_ = coef[:, 0], intercept[0]
        elif coef.shape[1] == 1:  # y of shape (n, 1): RidgeCV's shapes
            self.coef_, self.intercept_ = coef[:, 0], intercept
        else:
            self.coef_, self.intercept_ = coef.T.copy(), intercept
        if not self.fit_intercept:  # as scikit-learn's linear models
            self.intercept_ = 0.0

    def _set_cv_results(self, problem, X_search, y, layout, offset, y_unit, dtype):
        """``cv_results_`` at every alpha of ``history_``."""
        alphas = [np.atleast_1d(alpha) for alpha in self.history_["alpha"]]
        log_alpha = np.log(np.array(alphas, dtype=float)) - offset
        penalties = np.array([layout.feature_penalties(theta) for theta in log_alpha])
        results = leave_one_out_results(
            problem, X_search, y, penalties, self.scoring, y_unit
        )
        self.cv_results_ = results.astype(dtype, copy=False)

    def predict(self, X):
        """Predict with the ridge model fitted at ``alpha_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predicted values, in the floating dtype of ``coef_`` (a dask
            array, chunked as ``X``'s rows, for a dask ``X``).
        """
        check_is_fitted(self)
        if is_dask_collection(X):
            return predict_chunks(X, self.coef_, self.intercept_, self.n_features_in_)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        return safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_

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
        tags.target_tags.multi_output = True
        return tags
