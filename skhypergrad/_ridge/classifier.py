"""GradientRidgeClassifierCV: ridge regression on +1/-1 class targets, its
penalty tuned by the gradient of the regression criterion on those targets."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import compute_sample_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from .._core.routing import split_params, splitter_router, uses_splitter
from .._core.validation import check_sample_weight, resolve_cv
from .dask_input import dask_class_targets, is_dask_collection, predict_chunks
from .estimator import GradientRidgeCV


class GradientRidgeClassifierCV(ClassifierMixin, GradientRidgeCV):
    """Ridge classifier with its penalty tuned by the gradient of a CV criterion.

    A drop-in replacement for :class:`~sklearn.linear_model.RidgeClassifierCV`.
    Each class gets a target of +1 for its samples and -1 for the others (one
    column for two classes; one per label for a multilabel indicator matrix),
    as in :class:`~sklearn.linear_model.RidgeClassifier`, and ridge regression
    is fitted to these targets. Instead of trying a grid, the penalty minimises
    the selection criterion of :class:`~skhypergrad.GradientRidgeCV` on them
    (exact leave-one-out squared error by default), by its gradient (Bengio,
    2000). Options tune one alpha per class, per feature or per group of
    features.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,), float or None, default=None
        As in :class:`~sklearn.linear_model.RidgeClassifierCV`, positive
        penalties to try: here the points of the first scan and, unless
        ``alpha_bounds`` is given, the bounds of the continuous search. None
        (unlike ``RidgeClassifierCV``'s ``(0.1, 1.0, 10.0)``) scans two points
        per decade over ``alpha_bounds``.
    alpha : float, array-like of shape (n_groups,) or None, default=None
        Initial value of the penalty, in
        :class:`~sklearn.linear_model.RidgeClassifier`'s convention; None
        starts at the scale of the data (see
        :class:`~skhypergrad.GradientRidgeCV`).
    alpha_bounds : tuple of (float, float) or None, default=None
        Lower and upper bounds of every alpha. None means the range of
        ``alphas`` if given, else ``(1e-6, 1e6)`` times the mean
        (sample-weighted) variance of the features.
    feature_groups : None, "each", array-like of shape (n_features,), dict or \
            callable, default=None
        None: one alpha for all features. ``"each"``: one alpha per feature.
        Otherwise one alpha per group of features, the groups given by one
        label per feature, a dict from group label to columns, or a callable
        from feature name to group label, as in
        :class:`~skhypergrad.GradientRidgeCV`.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept per class; it is refit inside every
        leave-one-out sample and every fold.
    scoring : None, default=None
        The criterion is the (sample-weighted) mean squared error of the
        decision function against the +1/-1 targets, averaged over the
        classes, which is what
        :class:`~sklearn.linear_model.RidgeClassifierCV` minimises with
        ``cv=None`` and ``scoring=None``. Scorers of predicted labels
        (``"accuracy"``, ...) are not differentiable in alpha and raise a
        ``ValueError``.
    cv : None, "gcv", int, cross-validation generator or iterable, default=None
        Selection criterion. None: exact leave-one-out; ``"gcv"``: generalised
        cross-validation; an int, a splitter or an iterable of (train, test)
        index arrays: k-fold or held-out error. An int means
        :class:`~sklearn.model_selection.StratifiedKFold` (
        :class:`~sklearn.model_selection.KFold` for multilabel ``y``), and a
        splitter splits on the class labels, as in
        :class:`~sklearn.linear_model.RidgeClassifierCV`.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, ``{class_label: weight}``; ``"balanced"``
        weighs each class by ``n_samples / (n_classes * n_samples_in_class)``.
        They multiply ``sample_weight`` in the training criterion and in the
        selection criterion.
    store_cv_results : bool, default=False
        Keep the leave-one-out squared errors of every evaluated alpha in
        ``cv_results_``, in :class:`~sklearn.linear_model.RidgeClassifierCV`'s
        layout (``cv=None`` only).
    alpha_per_target : bool, default=False
        Tune the alpha (or the alphas of the groups) separately for each
        class (each label for multilabel ``y``); with two classes there is
        one target, hence one alpha.
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
        Number of joblib jobs over classes when ``alpha_per_target=True`` with
        feature groups, and over the restarts (``n_restarts``), in threads
        unless a joblib backend is chosen (``joblib.parallel_config``, e.g.
        ``"dask"``). The result is the same for every ``n_jobs`` and
        backend.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (the label indices for multilabel ``y``).
    coef_ : ndarray of shape (n_features,) or (n_classes, n_features)
        Coefficients of the decision function at ``alpha_``; shape
        (n_features,) for two classes, as in
        :class:`~sklearn.linear_model.RidgeClassifierCV`.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts of the decision function (zeros with
        ``fit_intercept=False``).
    alpha_ : float or ndarray
        The chosen penalty: a float; shape (n_groups,) with feature groups;
        (n_classes,) per class; (n_classes, n_groups) per class with groups.
    best_score_ : float or ndarray of shape (n_classes,)
        Minus the selection criterion at ``alpha_``: the sample-weighted mean
        squared out-of-sample error of the decision function against the
        +1/-1 targets, averaged over the classes (per class with
        ``alpha_per_target=True``), whatever ``cv`` is. With ``cv=None``,
        ``RidgeClassifierCV``'s is the same times the mean weight (it divides
        by the number of samples, not the sum of the weights); with ``cv``
        set, it is the accuracy.
    cv_results_ : ndarray of shape (n_samples, n_targets, n_alphas)
        Leave-one-out squared errors at each evaluated alpha, ``n_targets``
        being 1 for two classes (only with ``store_cv_results=True`` and
        ``cv=None``).
    groups_ : ndarray of shape (n_groups,)
        Label of each group (only with ``feature_groups``).
    n_iter_ : int or ndarray of shape (n_classes,)
        Number of iterations of the search (see ``max_iter``).
    history_ : dict of ndarray
        One row per evaluation of the criterion, as in
        :class:`~skhypergrad.GradientRidgeCV`; ``"target"`` is the class index.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.RidgeClassifierCV : Ridge classifier with a grid of
        alphas.
    GradientRidgeCV : The same search for regression.

    Notes
    -----
    With :math:`Y_{ik} = +1` when sample :math:`i` is in class :math:`k` and
    :math:`-1` otherwise, the training criterion of class :math:`k` is
    :math:`\\sum_i s_i (Y_{ik} - x_i^T w_k - b_k)^2 + \\sum_j \\lambda_j
    w_{jk}^2`, with :math:`s` the sample weights times the class weights. The
    selection criterion is the regression criterion of
    :class:`~skhypergrad.GradientRidgeCV` on the columns of :math:`Y`,
    averaged over them; for exact leave-one-out,
    :math:`\\frac{1}{K} \\sum_k \\sum_i s_i e_{ik}^2 / \\sum_i s_i` with
    :math:`e_{ik} = r_{ik} / (1 - h_i)` (Allen's PRESS), :math:`r` the
    training residuals and :math:`h` the hat diagonal including the
    intercept. The classes share the eigendecomposition of the design, so a
    single alpha costs one decomposition and a few products with :math:`Y`
    per evaluation. A sample is assigned the class of largest decision value
    (its sign for two classes; every label with a positive one for
    multilabel ``y``).

    The criterion is a squared error, not the accuracy: accuracy is piecewise
    constant in alpha and has no useful gradient. With ``cv`` set,
    :class:`~sklearn.linear_model.RidgeClassifierCV` ranks its grid by
    accuracy instead.

    References
    ----------
    Y. Bengio, "Gradient-based optimization of hyperparameters", Neural
    Computation 12(8), 2000. D. M. Allen, "The relationship between variable
    selection and data augmentation and a method for prediction",
    Technometrics 16(1), 1974.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from skhypergrad import GradientRidgeClassifierCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = GradientRidgeClassifierCV().fit(X, y)
    >>> bool(clf.score(X, y) > 0.95)
    True
    """

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
        class_weight=None,
        store_cv_results=False,
        alpha_per_target=False,
        max_iter=100,
        tol=1e-6,
        n_restarts=0,
        optimizer="l-bfgs-b",
        random_state=None,
        verbose=0,
        n_jobs=None,
    ):
        self.alphas = alphas
        self.alpha = alpha
        self.alpha_bounds = alpha_bounds
        self.feature_groups = feature_groups
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.class_weight = class_weight
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.optimizer = optimizer
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    def fit(self, X, y, sample_weight=None, **params):
        """Tune the penalty on ``(X, y)`` and fit the classifier at the optimum.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Weights of the training criterion and of the selection criterion,
            multiplied by the class weights.
        **params : dict
            Passed to the splitter's ``split`` (e.g. ``groups``).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._check_classifier_params()
        if is_dask_collection(X) or is_dask_collection(y):
            return self._fit_dask_labels(X, y, sample_weight)
        y, Y = self._binarize(y)
        sample_weight = self._combined_weights(sample_weight, y)
        cv, splitter_params = self.cv, split_params(self, params)
        if uses_splitter(cv):
            # Split on the class labels (stratified for an int), as
            # RidgeClassifierCV does, not on the +1/-1 columns.
            X_split = check_array(
                X, accept_sparse=True, dtype=None, ensure_all_finite=False
            )
            _, cv = resolve_cv(
                cv, X_split, y, ("gcv",), classifier=True, split_params=splitter_params
            )
            splitter_params = {}
        return self._fit(X, Y, sample_weight, cv, splitter_params)

    def _fit_dask_labels(self, X, y, sample_weight):
        """:meth:`fit` on dask arrays: the +1/-1 targets and class weights
        chunk by chunk, then the regression's dask path. An int ``cv`` means
        :class:`~sklearn.model_selection.KFold` here (folds from the rows'
        positions, not stratified)."""
        if not is_dask_collection(y):
            raise TypeError("With a dask X, y must be a dask array too.")
        if hasattr(y, "to_dask_array"):
            y = y.to_dask_array(lengths=True)
        if y.ndim != 1:
            raise ValueError("With dask arrays, y must hold one label per row.")
        classes, Y, row_weight = dask_class_targets(y, self.class_weight)
        self.classes_ = classes
        self._label_binarizer = LabelBinarizer(pos_label=1, neg_label=-1).fit(classes)
        if row_weight is not None:
            sample_weight = (
                row_weight if sample_weight is None else sample_weight * row_weight
            )
        return self._fit(X, Y, sample_weight, self.cv, {})

    def _check_classifier_params(self):
        if self.scoring is not None:
            raise ValueError(
                f"scoring={self.scoring!r} is not supported: the penalty follows "
                "the gradient of the criterion, which must be differentiable in "
                "alpha, and a score of predicted labels (accuracy, ...) is "
                "piecewise constant. "
                "GradientRidgeClassifierCV minimises the squared error of the "
                "decision function against the +1/-1 class targets (scoring=None, "
                "as RidgeClassifierCV with cv=None); measure accuracy on held-out "
                "data, e.g. with cross_val_score(..., scoring='accuracy')."
            )
        weights = self.class_weight
        if not (weights is None or weights == "balanced" or isinstance(weights, dict)):
            raise ValueError(
                "class_weight must be None, 'balanced' or a dict "
                f"{{class_label: weight}}, got {weights!r}."
            )

    def _binarize(self, y):
        """Validated labels and their +1/-1 target matrix (one column for two
        classes); sets ``classes_``."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        check_classification_targets(y)
        self._label_binarizer = LabelBinarizer(pos_label=1, neg_label=-1)
        Y = self._label_binarizer.fit_transform(y)
        self.classes_ = self._label_binarizer.classes_
        if not self._label_binarizer.y_type_.startswith("multilabel"):
            y = column_or_1d(y, warn=True)
            if self.classes_.size < 2:
                raise ValueError(
                    f"y has only one class ({self.classes_[0]!r}): a classifier "
                    "needs at least 2 classes."
                )
        return y, np.asarray(Y, dtype=np.float64)

    def _combined_weights(self, sample_weight, y):
        """``sample_weight`` times the class weights (None if both are)."""
        if not self.class_weight:
            return sample_weight
        weights = check_sample_weight(sample_weight, y.shape[0])
        return weights * compute_sample_weight(self.class_weight, y)

    def decision_function(self, X):
        """Decision values: the ridge regression of the +1/-1 targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Confidence of the positive class for two classes, else one column
            per class.
        """
        check_is_fitted(self)
        if is_dask_collection(X):
            return predict_chunks(X, self.coef_, self.intercept_, self.n_features_in_)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True)
        return scores + self.intercept_

    def predict(self, X):
        """Predict class labels.

        For a multilabel ``y``, every label whose decision is positive.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted class labels, or an indicator matrix for multilabel ``y``.
        """
        scores = self.decision_function(X)
        if is_dask_collection(scores):
            return scores.map_blocks(
                _labels_of_scores,
                self.classes_,
                dtype=self.classes_.dtype,
                drop_axis=1 if scores.ndim == 2 else None,
            )
        if self._label_binarizer.y_type_.startswith("multilabel"):
            return self._label_binarizer.inverse_transform(2 * (scores > 0) - 1)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def get_metadata_routing(self):
        """Metadata routing of ``fit``: to the ``cv`` splitter's ``split``.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        return splitter_router(self, classifier=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags = None
        tags.target_tags.multi_output = False
        tags.classifier_tags.multi_label = True
        return tags


def _labels_of_scores(scores, classes):
    """The class of each row's decision values (a block of a dask array)."""
    if scores.ndim == 1:
        return classes[(scores > 0).astype(int)]
    return classes[np.argmax(scores, axis=1)]
