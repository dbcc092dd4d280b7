"""GradientLogisticRegressionCV: logistic regression tuned by the CV gradient."""

import numpy as np
from scipy.special import expit, log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import log_loss
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.layout import mean_column_variance
from .._core.report import notify
from .._core.routing import split_params, splitter_router
from .._core.validation import (
    check_criterion_weights,
    check_sample_weight,
    resolve_cv,
)
from .._core.weighting import make_scheme
from .base import PenaltySearchMixin
from .logistic_params import check_logistic_params, resolve_Cs
from .losses import BinaryLogLoss, MultinomialLogLoss

DEFAULT_C_BOUNDS = (1e-4, 1e4)


class GradientLogisticRegressionCV(PenaltySearchMixin, ClassifierMixin, BaseEstimator):
    """Logistic regression with ``C`` tuned by the gradient of a CV criterion.

    Replaces :class:`~sklearn.linear_model.LogisticRegressionCV`: instead of
    refitting a path of ``Cs`` on every fold, the inverse penalty (or one per
    feature or per group of features) follows the gradient of the mean
    validation log-loss, given by the implicit function theorem (Bengio, 2000).

    Parameters
    ----------
    Cs : int or array-like of float, default=10
        As in :class:`~sklearn.linear_model.LogisticRegressionCV`, where a
        grid of ``Cs`` values is searched. An int keeps LogisticRegressionCV's
        range, ``1e-4`` to ``1e4`` (times the scale of the data, see
        ``C_bounds``): the search is continuous, so the number of points does
        not matter. A list or array bounds the search by its smallest and
        largest values (unless ``C_bounds`` is given), and the search starts
        at their geometric mean (unless ``C`` is given); one value fixes
        ``C``. The search does not evaluate the points one by one: each
        evaluation costs a Newton solve per fold.
    l1_ratios : "warn", None or array-like of float, default="warn"
        Only the L2 penalty is supported (its training criterion is smooth):
        ``"warn"``, None and zeros are accepted, anything else is an error.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (in every fold).
    cv : None, int, "alo", cross-validation generator or iterable, default=None
        None: 5-fold, as LogisticRegressionCV. An int (stratified k-fold), a
        splitter or an iterable of (train, test) index arrays: the log-loss
        of the validation samples of all the folds, pooled (weighted by
        ``sample_weight`` and ``class_weight``); ``groups`` passed to ``fit``
        go to the splitter. ``"alo"``: approximate leave-one-out from one
        fit on all the data (any number of classes; see Notes). A training
        fold that lacks a class is fitted with all classes (see Notes), with
        one warning per fit naming the classes.
    dual : bool, default=False
        Only False: the primal problem is solved (``dual=True`` is
        liblinear's formulation).
    penalty : "deprecated" or "l2", default="deprecated"
        Only the L2 penalty is supported; ``"l1"``, ``"elasticnet"`` and
        None raise an error.
    scoring : None, "warn" or "neg_log_loss", default=None
        What the search minimises and ``score`` returns. ``"neg_log_loss"``:
        the mean validation log-loss, and ``score`` is minus the log-loss,
        as LogisticRegressionCV's. None (and ``"warn"``): the same
        criterion, but ``score`` is the accuracy, as for LogisticRegressionCV
        with ``scoring=None``. The criterion must be differentiable in the
        coefficients: accuracy and other scores of hard predictions raise an
        error.
    solver : {"lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"}, \
            default="lbfgs"
        Accepted for LogisticRegressionCV's calls: these solvers all reach the
        same optimum, which Newton's method finds here (exactly, as the
        hypergradient needs). ``"liblinear"`` (penalised intercept,
        one-vs-rest) raises an error.
    tol : float, default=1e-4
        The fits' gradient tolerance, as LogisticRegression's ``tol``: the
        largest entry of the gradient of the training criterion divided by
        the sum of the sample weights. Newton's method goes on to working
        precision within ``max_iter`` (the hypergradient needs exact
        solutions); ``tol`` decides whether running out of iterations is
        worth a warning.
    max_iter : int, default=100
        Maximum number of Newton iterations of each fit (the folds' and the
        final refit), as LogisticRegression's ``max_iter``. A
        ``ConvergenceWarning`` says when they run out.
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes, multiplied into ``sample_weight``, as in
        :class:`~sklearn.linear_model.LogisticRegression`. A class of zero
        weight is fitted as a class absent from the data (see Notes) when
        two classes with weight remain.
    n_jobs : int or None, default=None
        Joblib jobs over the folds: at each evaluation of the criterion the
        first fold is solved, then the others (each starting from its
        solution) in parallel, and over the restarts (``n_restarts``), in
        threads unless a joblib backend is chosen (``joblib.parallel_config``,
        e.g. ``"dask"``). The result is the same for every ``n_jobs`` and
        backend.
    verbose : int, default=0
        1 prints one line per evaluation of the criterion: its number, the
        phase of the search, the hyperparameters, the criterion, the norm of
        its gradient and the seconds since ``fit`` started. 2 adds the inner
        solvers' detail.
    refit : bool, default=True
        True: refit on all the data at ``C_``. False: as LogisticRegressionCV,
        no refit; ``coef_`` and ``intercept_`` are the means of the folds'
        fits, here at the ``C_`` that minimises the mean validation log-loss
        (LogisticRegressionCV averages each fold's best grid point). Needs
        folds: an error with ``cv="alo"``.
    intercept_scaling : float, default=1.0
        Accepted for LogisticRegressionCV's calls; as there, it has no effect
        outside liblinear.
    random_state : int, RandomState instance or None, default=None
        Seeds the restarts.
    use_legacy_attributes : "warn" or bool, default="warn"
        As in LogisticRegressionCV: True (and ``"warn"``) gives ``C_`` one
        value per class and ``n_iter_`` of shape (1, n_folds, n_evaluations);
        False gives ``C_`` a float and ``n_iter_`` of shape (n_folds, 1,
        n_evaluations).
    C : float, array-like of shape (n_groups,) or None, default=None
        Where the search starts, in LogisticRegression's convention. None
        starts at the middle of a ``Cs`` grid, or at the scale of the data,
        one over the mean (sample-weighted) variance of the features.
    C_bounds : tuple of (float, float) or None, default=None
        Bounds of every ``C``. None means the range of a ``Cs`` grid, or
        ``(1e-4, 1e4)`` times the scale of the data (see ``C``), so that the
        search, and its result, do not depend on the units of ``X``.
    feature_groups : None, "each", array-like of shape (n_features,), dict or \
            callable, default=None
        None: one ``C``. ``"each"``: one per feature. Otherwise one per group
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
        ``groups_`` gives the label of each entry of ``C_`` (and of
        ``C`` given per group): the dict's order for a dict, sorted
        labels otherwise. An estimator holding a lambda cannot be pickled:
        pass a function defined with ``def`` at module level instead.
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
    sample_weighting : None, "time_decay" or "group", default=None
        Tune the training weights jointly with the penalties (Bengio and
        Dugas): ``"time_decay"`` weighs sample ``i`` by
        ``sample_weight[i] * 2 ** (-(t_ref - t_i) / half_life)``, ``t`` the
        ``sample_time`` passed to ``fit`` and ``t_ref`` the latest time of
        each training set (of all the data for the final refit);
        ``"group"`` weighs each group of ``sample_group`` by its own tuned
        weight. Needs ``cv`` splits (k-fold, held-out, or
        :class:`~sklearn.model_selection.TimeSeriesSplit` for a time decay)
        and ``refit=True``; the selection criterion keeps the user's
        ``sample_weight``.
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
    C_ : ndarray of shape (n_classes,), (1,) or (n_groups,), or float
        The chosen inverse penalty. One ``C``: repeated for every class
        (shape (1,) for two classes), as LogisticRegressionCV's, or a float
        with ``use_legacy_attributes=False``. With ``feature_groups``: one
        value per group.
    Cs_ : ndarray of shape (n_evaluations,) or (n_evaluations, n_groups)
        The values of ``C`` where the criterion was evaluated, in order (the
        rows of ``history_``).
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        float64, for float32 ``X`` too (as LogisticRegressionCV's).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        With more than two classes, centred (softmax ignores a common shift).
    best_score_ : float
        Minus the validation log-loss at ``C_``, pooled over the folds'
        validation samples (weighted by ``sample_weight`` and
        ``class_weight``).
    groups_ : ndarray of shape (n_groups,)
        Label of each group (only with ``feature_groups``).
    n_iter_ : ndarray of shape (1, n_folds, n_evaluations)
        Newton iterations of each fold's fit at each evaluation of the
        criterion (``n_folds`` is 1 for ``cv="alo"``, the fit on all the
        data), as LogisticRegressionCV's for each fold and ``C``; of shape
        (n_folds, 1, n_evaluations) with ``use_legacy_attributes=False``.
    search_n_iter_ : int
        Number of iterations of the search (see ``search_max_iter``).
    half_life_ : float
        The tuned half-life (with ``sample_weighting="time_decay"``).
    group_weights_ : dict
        The weight of every group, the reference's 1.0 (with
        ``sample_weighting="group"``).
    history_ : dict of ndarray
        One row per evaluation of the criterion, ready for ``pandas.DataFrame``: ``"C"``
        (a float, or an array of the group values), ``"score"`` (minus the criterion),
        ``"phase"`` (``"scan"``, ``"search"`` or ``"restart k of n"``) and ``"time"``
        (seconds since ``fit`` started).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    sklearn.linear_model.LogisticRegressionCV : Logistic regression over a grid.

    Notes
    -----
    The training criterion is
    :math:`\\sum_i s_i \\ell(y_i, z_i) + \\frac{1}{2} \\sum_j w_j^2 / C_j`, the
    log-loss :math:`\\ell` of the softmax (the logistic function for two
    classes). At its optimum, the implicit function theorem gives the gradient
    of the validation log-loss :math:`E`:
    :math:`\\partial E / \\partial (1/C_j) = -\\sum_k (H^{-1} \\nabla E)_{jk}
    w_{jk}`, one solve with the Hessian :math:`H` that Newton's method has
    factored, whatever the number of hyperparameters.

    With ``cv="alo"``, :math:`E` is the mean log-loss of approximate
    leave-one-out predictions: one Newton step from the full-data optimum on
    each leave-one-out problem, :math:`z_{-i} = z_i + V_i (I - Q_i V_i)^{-1}
    s_i \\ell'_i` with :math:`Q_i = s_i \\ell''_i` and :math:`V_i = A_i H^{-1}
    A_i^T` (:math:`A_i = I_K \\otimes x_i^T`, the rows of sample :math:`i` in
    every class; scalars for two classes). Its gradient is exact (through the
    implicit function theorem and the loss's third derivative); one
    evaluation costs about one Newton step, :math:`O(n K^2 q^2 + (K q)^3)`
    with :math:`q` coefficients per class.

    A training fold without some class (or where it has zero weight) has no
    finite optimum: that class's intercept would go to minus infinity. It is
    held by a penalty instead, as if it were the coefficient of a feature of
    the data's mean variance :math:`v`: :math:`\\bar\\lambda b_k^2 / (2 v)`,
    :math:`\\bar\\lambda` the mean of the penalties :math:`1 / C_j`
    (LogisticRegressionCV leaves it to wherever its solver stops). The
    fold's validation samples of that class count in the criterion.

    References
    ----------
    Y. Bengio, "Gradient-based optimization of hyperparameters", Neural
    Computation 12(8), 2000.

    K. R. Rad and A. Maleki, "A scalable estimate of the out-of-sample
    prediction error via approximate leave-one-out cross-validation", JRSS-B
    82(4), 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skhypergrad import GradientLogisticRegressionCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), GradientLogisticRegressionCV())
    >>> bool(model.fit(X, y).score(X, y) > 0.95)
    True
    """

    _bool_params = ("fit_intercept", "early_stopping")

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios="warn",
        fit_intercept=True,
        cv=None,
        dual=False,
        penalty="deprecated",
        scoring=None,
        solver="lbfgs",
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        n_jobs=None,
        verbose=0,
        refit=True,
        intercept_scaling=1.0,
        random_state=None,
        use_legacy_attributes="warn",
        C=None,
        C_bounds=None,
        feature_groups=None,
        early_stopping=True,
        search_max_iter=100,
        search_tol=1e-6,
        n_restarts=0,
        optimizer="l-bfgs-b",
        sample_weighting=None,
        half_life=None,
        half_life_bounds=None,
        group_weight=None,
        group_weight_bounds=None,
        target_group=None,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes
        self.C = C
        self.C_bounds = C_bounds
        self.feature_groups = feature_groups
        self.early_stopping = early_stopping
        self.search_max_iter = search_max_iter
        self.search_tol = search_tol
        self.n_restarts = n_restarts
        self.optimizer = optimizer
        self.sample_weighting = sample_weighting
        self.half_life = half_life
        self.half_life_bounds = half_life_bounds
        self.group_weight = group_weight
        self.group_weight_bounds = group_weight_bounds
        self.target_group = target_group

    def fit(
        self, X, y, sample_weight=None, *, sample_time=None, sample_group=None, **params
    ):
        """Tune ``C`` and fit the logistic regression at the optimum.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 is fitted in float64, and the
            coefficients are float64 (as LogisticRegressionCV's).
        y : array-like of shape (n_samples,)
            Class labels (any type).
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
        check_logistic_params(self)
        if self.refit is False and self.cv == "alo":
            raise ValueError(
                "refit=False averages the folds' fits; cv='alo' has no folds. "
                "Use refit=True or a k-fold cv."
            )
        routed = split_params(self, params)
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32]
        )
        X = X.astype(np.float64)
        codes, sample_weight = self._encode_classes(y, sample_weight)
        n_classes = len(self.classes_)
        kind, splits = resolve_cv(
            self._splitter_cv(),
            X,
            codes,
            allowed_strings=("alo",),
            classifier=True,
            split_params=routed,
        )
        check_criterion_weights(kind, splits, sample_weight)
        scheme = make_scheme(self, len(codes), sample_time, sample_group)
        if scheme is not None and not self.refit:
            raise ValueError("sample_weighting needs refit=True.")
        _warn_absent_classes(self.classes_, codes, sample_weight, splits)
        loss = BinaryLogLoss() if n_classes == 2 else MultinomialLogLoss(n_classes)
        target = codes.astype(float) if n_classes == 2 else codes
        start, bounds = resolve_Cs(self.Cs, self.C, self.C_bounds)
        fit = self._fit_penalties(
            X,
            target,
            sample_weight,
            loss,
            kind,
            splits,
            dict(
                name="C",
                power=-1.0,
                default=DEFAULT_C_BOUNDS,
                scale_by_weight=False,
                off_side="lower",
                value=start,
                bounds=bounds,
            ),
            scheme,
        )
        coef = fit.coef if self.refit else np.mean(fit.fold_coefs(), axis=0)
        self._set_coefficients(coef.reshape(loss.n_outputs, -1), X.shape[1])
        self._set_legacy_attributes(fit.fold_iterations, loss.n_outputs)
        return self

    def _splitter_cv(self):
        """``cv`` as the splitter sees it: None means 5 folds."""
        return 5 if self.cv is None else self.cv

    def _set_coefficients(self, W, n_features):
        self.coef_ = W[:, :n_features].copy()
        if self.fit_intercept:
            self.intercept_ = W[:, n_features].copy()
        else:
            self.intercept_ = np.zeros(W.shape[0])

    def _set_legacy_attributes(self, fold_iterations, n_outputs):
        """``C_``, ``Cs_`` and ``n_iter_`` in LogisticRegressionCV's layout."""
        Cs = self.history_["C"]
        self.Cs_ = np.vstack(Cs) if Cs.dtype == object else np.asarray(Cs)
        legacy = self.use_legacy_attributes is not False
        if legacy:
            self.n_iter_ = fold_iterations[None, :, :]
        else:
            self.n_iter_ = fold_iterations[:, None, :]
        if np.ndim(self.C_) == 0:
            self.C_ = np.full(n_outputs, self.C_) if legacy else self.C_

    def _encode_classes(self, y, sample_weight):
        """Set ``classes_``; return the class codes and the sample weights
        times the class weights, with at least two classes of positive
        total weight."""
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {self.classes_[0]!r}."
            )
        sample_weight = check_sample_weight(sample_weight, len(y))
        if self.class_weight is not None:
            sample_weight = sample_weight * compute_sample_weight(self.class_weight, y)
        class_weight_sums = np.bincount(codes, weights=sample_weight)
        if np.sum(class_weight_sums > 0) < 2:
            raise ValueError(
                "At least two classes need a positive total sample weight; "
                f"only {self.classes_[class_weight_sums > 0].tolist()} have one."
            )
        return codes, sample_weight

    def _penalty_unit(self, X, y, sample_weight):
        """One over the mean (weighted) variance of the features: 1 / C
        penalises the coefficients as alpha does in ridge."""
        return 1.0 / mean_column_variance(X, sample_weight)

    def decision_function(self, X):
        """Linear predictor of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the log-odds of ``classes_[1]``.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_log_proba(self, X):
        """Log-probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns ordered as ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack(
                [-np.logaddexp(0, scores), -np.logaddexp(0, -scores)]
            )
        return log_softmax(scores, axis=1)

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns ordered as ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            positive = expit(scores)
            return np.column_stack([1.0 - positive, positive])
        return np.exp(log_softmax(scores, axis=1))

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]

    def score(self, X, y, sample_weight=None):
        """Score the predictions as LogisticRegressionCV does for ``scoring``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            Minus the mean log-loss for ``scoring="neg_log_loss"``, else the
            accuracy.
        """
        if self.scoring != "neg_log_loss":
            return super().score(X, y, sample_weight=sample_weight)
        proba = self.predict_proba(X)
        return -log_loss(y, proba, sample_weight=sample_weight, labels=self.classes_)

    def get_metadata_routing(self):
        """Metadata routing of ``fit``: to the ``cv`` splitter's ``split``.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        return splitter_router(self, classifier=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _warn_absent_classes(classes, codes, sample_weight, splits):
    """One warning naming the classes that some training fold lacks (or
    holds with zero weight only), classes of zero weight in all the data
    (the user's choice) aside."""
    absent, n_splits = set(), 0
    weighted = np.bincount(codes, sample_weight, len(classes)) > 0
    for train, _ in splits or []:
        weights = np.bincount(codes[train], sample_weight[train], len(classes))
        missing = np.flatnonzero((weights <= 0) & weighted)
        n_splits += bool(missing.size)
        absent.update(missing.tolist())
    if absent:
        names = classes[sorted(absent)].tolist()
        notify(
            UserWarning,
            f"The training sets of {n_splits} of {len(splits)} splits lack "
            f"class(es) {names}: each such fold fits all the classes, the "
            "missing ones' intercepts held by the penalty, and its validation "
            "samples of those classes count in the criterion. A stratified "
            "splitter avoids this.",
        )
