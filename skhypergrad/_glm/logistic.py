"""GradientLogisticRegressionCV: logistic regression tuned by the CV gradient."""

import numpy as np
from scipy.special import expit, log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.layout import mean_column_variance
from .._core.validation import (
    check_criterion_weights,
    check_sample_weight,
    resolve_cv,
)
from .base import PenaltySearchMixin
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
    C : float, array-like of shape (n_groups,) or None, default=None
        Initial inverse penalty, in
        :class:`~sklearn.linear_model.LogisticRegression`'s convention. The
        search starts here and steps downhill; None starts at the scale of
        the data, one over the mean (sample-weighted) variance of the
        features.
    C_bounds : tuple of (float, float) or None, default=None
        Bounds of every ``C``. None means ``(1e-4, 1e4)`` times the scale of
        the data (see ``C``), so that the search, and its result, do not
        depend on the units of ``X``.
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
    cv : int, "alo", cross-validation generator or iterable, default=5
        An int (stratified k-fold), a splitter or an iterable of (train, test)
        index arrays: mean log-loss of the validation folds. ``"alo"``:
        approximate leave-one-out from one fit on all the data (any number of
        classes; see Notes).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (in every fold).
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes, multiplied into ``sample_weight``, as in
        :class:`~sklearn.linear_model.LogisticRegression`.
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
        Extra starts of the search, drawn log-uniformly within the bounds; the
        best point of all is kept.
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

    Attributes
    ----------
    C_ : float or ndarray of shape (n_groups,)
        The chosen inverse penalty.
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
        With more than two classes, centred (softmax ignores a common shift).
    best_score_ : float
        Minus the mean (sample-weighted) validation log-loss at ``C_``.
    groups_ : ndarray of shape (n_groups,)
        Label of each group (only with ``feature_groups``).
    n_iter_ : int
        Number of iterations of the search (see ``max_iter``).
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

    def __init__(
        self,
        C=None,
        *,
        C_bounds=None,
        feature_groups=None,
        cv=5,
        fit_intercept=True,
        class_weight=None,
        max_iter=100,
        tol=1e-6,
        n_restarts=0,
        optimizer="l-bfgs-b",
        random_state=None,
        verbose=0,
    ):
        self.C = C
        self.C_bounds = C_bounds
        self.feature_groups = feature_groups
        self.cv = cv
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.optimizer = optimizer
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Tune ``C`` and fit the logistic regression at the optimum.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (any type).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the training and of the selection criterion.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._check_params()
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
        codes, sample_weight = self._encode_classes(y, sample_weight)
        n_classes = len(self.classes_)
        kind, splits = resolve_cv(
            self.cv, X, codes, allowed_strings=("alo",), classifier=True
        )
        if kind == "loo":
            raise ValueError("cv=None is not available; use an int, 'alo' or splits.")
        check_criterion_weights(kind, splits, sample_weight)
        _check_folds_have_all_classes(codes, splits, n_classes)
        loss = BinaryLogLoss() if n_classes == 2 else MultinomialLogLoss(n_classes)
        target = codes.astype(float) if n_classes == 2 else codes
        coef = self._fit_penalties(
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
            ),
        )
        W = coef.reshape(1 if n_classes == 2 else n_classes, -1)
        n_features = X.shape[1]
        self.coef_ = W[:, :n_features].copy()
        if self.fit_intercept:
            self.intercept_ = W[:, n_features].copy()
        else:
            self.intercept_ = np.zeros(W.shape[0])
        return self

    def _encode_classes(self, y, sample_weight):
        """Set ``classes_``; return the class codes and the sample weights
        times the class weights, every class with a positive total."""
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
        if np.any(class_weight_sums <= 0):
            empty = self.classes_[class_weight_sums <= 0].tolist()
            raise ValueError(
                f"Every class needs a positive total sample weight; class(es) "
                f"{empty} have none."
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
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _check_folds_have_all_classes(codes, splits, n_classes):
    """A training fold without some class has no finite intercept for it."""
    for k, (train, _) in enumerate(splits or []):
        missing = n_classes - len(np.unique(codes[train]))
        if missing:
            raise ValueError(
                f"The training set of split {k} lacks {missing} of the "
                f"{n_classes} classes; use a stratified splitter or fewer folds."
            )
