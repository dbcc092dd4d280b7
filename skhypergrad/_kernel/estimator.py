"""GradientKernelRidgeCV: kernel ridge whose alpha and kernel follow the gradient."""

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.gaussian_process.kernels import RBF, Kernel
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.estimator import HyperparameterSearchMixin
from .._core.layout import initial_theta, resolve_bounds
from .._core.validation import (
    check_criterion_weights,
    check_magnitude,
    check_regression_target,
    check_sample_weight,
    resolve_cv,
)
from .criteria import KernelCriterion, KernelData
from .search import hold_redundant_fixed, kernel_space, search

DEFAULT_ALPHA_BOUNDS = (1e-8, 1e5)


class GradientKernelRidgeCV(
    HyperparameterSearchMixin, MultiOutputMixin, RegressorMixin, BaseEstimator
):
    """Kernel ridge with alpha and kernel tuned by the gradient of a CV criterion.

    Replaces ``GridSearchCV(KernelRidge(...))``: instead of trying a grid, it
    minimises the selection criterion (exact leave-one-out error by default)
    over ``alpha`` and all free hyperparameters of a scikit-learn kernel at
    once (Bengio, 2000), e.g. one length scale per feature. Unlike
    :class:`~sklearn.kernel_ridge.KernelRidge`, it can fit an unpenalised
    intercept.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel or None, default=None
        The kernel; its free hyperparameters are tuned within its own bounds
        (``"fixed"`` ones stay fixed). None means ``RBF(1.0)``. Hyperparameters
        that cannot change the predictions beyond what alpha does are held
        fixed with a ``UserWarning``: the noise level of a ``WhiteKernel``
        (zero in the ``K(X, X)`` that ``KernelRidge`` evaluates), an additive
        ``ConstantKernel`` when ``fit_intercept=True``, and a ``ConstantKernel``
        amplitude that multiplies the whole kernel.
    alpha : float or None, default=None
        Initial value of the penalty, in ``KernelRidge``'s convention; None
        starts at the scale of the data, the (sample-weighted) mean of the
        diagonal of the kernel matrix. With ``cv=None`` or ``"gcv"``, alpha
        is first scanned over the bounds (four points per decade) at the
        starting kernel, from one eigendecomposition, and the search starts
        from the best point.
    alpha_bounds : tuple of (float, float) or None, default=None
        Lower and upper bounds of alpha. None means ``(1e-8, 1e5)`` times the
        scale of the data (see ``alpha``).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept, refit inside every leave-one-out sample
        and every fold.
    cv : None, "gcv", int, cross-validation generator or iterable, default=None
        Selection criterion. None: exact leave-one-out; ``"gcv"``: generalised
        cross-validation; an int, a splitter or an iterable of (train, test)
        index arrays: k-fold or held-out error (:class:`~sklearn.model_selection.KFold`
        for an int).
    max_iter : int, default=100
        Maximum number of iterations of each search: L-BFGS-B iterations for
        several hyperparameters; for one, steps of the one-dimensional search,
        each one evaluation of the criterion; with a callable ``optimizer``,
        its evaluations of the criterion. A ``ConvergenceWarning`` says when
        it runs out.
    tol : float, default=1e-5
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
    alpha_ : float
        The chosen penalty.
    kernel_ : sklearn.gaussian_process.kernels.Kernel
        The kernel with the chosen hyperparameters (redundant ones fixed).
    dual_coef_ : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Dual coefficients: ``predict(X) = kernel_(X, X_fit_) @ dual_coef_ +
        intercept_``.
    intercept_ : float or ndarray of shape (n_targets,)
        The intercept (zero without ``fit_intercept``).
    X_fit_ : ndarray of shape (n_samples, n_features)
        A copy of the training data.
    best_score_ : float
        Minus the selection criterion at the optimum: the sample-weighted mean
        squared out-of-sample error, averaged over targets, whatever ``cv`` is.
    n_iter_ : int
        Number of iterations of the search (see ``max_iter``).
    history_ : dict of ndarray
        One row per evaluation of the criterion, ready for ``pandas.DataFrame``:
        ``"alpha"``, each free kernel hyperparameter by its name in
        ``kernel_.hyperparameters`` (an object column of arrays for one length scale per
        feature), ``"score"`` (minus the criterion), ``"phase"`` (``"scan"``,
        ``"search"`` or ``"restart k of n"``) and ``"time"`` (seconds since ``fit``
        started).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.kernel_ridge.KernelRidge : Kernel ridge at fixed hyperparameters.
    sklearn.gaussian_process.GaussianProcessRegressor : Kernel hyperparameters
        by the marginal likelihood.

    Notes
    -----
    With sample weights :math:`s`, :math:`W = \\mathrm{diag}(\\sqrt{s})` and
    :math:`K` the kernel matrix, kernel ridge solves
    :math:`(W K W + \\alpha I) c + b \\sqrt{s} = W y`,
    :math:`\\sqrt{s}^T c = 0` (the second equation and :math:`b` only with an
    intercept); ``dual_coef_`` is :math:`W c`. With :math:`P` the top-left block
    of the inverse of this bordered system, the exact leave-one-out residual is
    :math:`e_i = c_i / P_{ii}` (Cawley & Talbot, 2004) and the criterion
    :math:`\\sum_i e_i^2 / \\sum_i s_i`. Its differential is
    :math:`\\langle M, dG \\rangle` with
    :math:`M = 2 (P \\mathrm{diag}(e^2 / P_{ii}) P - \\mathrm{sym}(P u c^T)) /
    \\sum_i s_i`, :math:`u = e / P_{ii}`, :math:`dG = W dK W + d\\alpha I`: one
    :math:`n \\times n` matrix per evaluation serves every hyperparameter, as
    the contraction :math:`\\langle W M W, \\partial K / \\partial \\theta_j
    \\rangle`, computed for RBF, Matern and RationalQuadratic kernels (and
    their sums and products) without the :math:`n \\times n \\times d` tensor of
    ``kernel(X, eval_gradient=True)``. GCV and k-fold errors get theirs from
    the same factorisation and from one adjoint solve per fold. Each
    evaluation costs one Cholesky factorisation of :math:`W K W + \\alpha I`,
    the inverse from the factor and one symmetric product.

    Many hyperparameters (one length scale per feature) can over-fit the
    selection criterion itself: check held-out error.

    References
    ----------
    Y. Bengio, "Gradient-based optimization of hyperparameters", Neural
    Computation 12(8), 2000. G. C. Cawley and N. L. C. Talbot, "Fast exact
    leave-one-out cross-validation of sparse least-squares support vector
    machines", Neural Networks 17(10), 2004.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from skhypergrad import GradientKernelRidgeCV
    >>> X, y = make_friedman1(n_samples=200, noise=1.0, random_state=0)
    >>> model = GradientKernelRidgeCV().fit(X, y)
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    def __init__(
        self,
        kernel=None,
        *,
        alpha=None,
        alpha_bounds=None,
        fit_intercept=True,
        cv=None,
        max_iter=100,
        tol=1e-5,
        n_restarts=0,
        optimizer="l-bfgs-b",
        random_state=None,
        verbose=0,
    ):
        self.kernel = kernel
        self.alpha = alpha
        self.alpha_bounds = alpha_bounds
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.optimizer = optimizer
        self.random_state = random_state
        self.verbose = verbose

    def _check_kernel(self):
        if self.kernel is None:
            return RBF(1.0)
        if not isinstance(self.kernel, Kernel):
            raise TypeError(
                "kernel must be None or a sklearn.gaussian_process.kernels.Kernel, "
                f"got {type(self.kernel).__name__}."
            )
        return self.kernel

    def fit(self, X, y, sample_weight=None):
        """Tune alpha and the kernel on ``(X, y)`` and fit kernel ridge at the optimum.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values; several targets share the hyperparameters.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Weights of the training criterion and of the selection criterion.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._check_params()
        kernel = self._check_kernel()
        check_regression_target(y)
        X, y = validate_data(
            self, X, y, dtype=np.float64, multi_output=True, y_numeric=True
        )
        check_magnitude(X, "X")
        check_magnitude(y, "y")
        n_samples = X.shape[0]
        sample_weight = check_sample_weight(sample_weight, n_samples)
        kind, splits = resolve_cv(self.cv, X, y, allowed_strings=("gcv",))
        check_criterion_weights(kind, splits, sample_weight)
        with self._fitting() as report:
            kernel = hold_redundant_fixed(kernel, self.fit_intercept)
            # alpha adds to the diagonal of W K W: its scale is the kernel's
            # diagonal (a weighted mean, so that a weight of 2 is a repeated row).
            unit = float(sample_weight @ kernel.diag(X) / sample_weight.sum())
            unit = unit if np.isfinite(unit) and unit > 0 else 1.0
            log_bounds = resolve_bounds(
                self.alpha_bounds, "alpha_bounds", DEFAULT_ALPHA_BOUNDS, unit
            )
            log_alpha0 = initial_theta(self.alpha, 1, log_bounds, "alpha", unit)
            space = kernel_space(
                kernel, log_bounds, getattr(self, "feature_names_in_", None)
            )
            data = KernelData(
                X.copy(), y.reshape(n_samples, -1), sample_weight, self.fit_intercept
            )
            criterion = KernelCriterion(data, kernel, kind, splits)
            result = search(
                criterion,
                space,
                np.r_[log_alpha0, kernel.theta],
                self._search_options(),
            )
            theta = space.clip(result.theta)
            dual_coef, intercept = criterion.fit_at(theta)
            self._set_search_attributes(result, space, report)
        self.alpha_ = float(space.values(theta)[0])
        self.kernel_ = criterion.kernel_at(theta)
        self.X_fit_ = data.X
        if y.ndim == 1:
            self.dual_coef_, self.intercept_ = dual_coef[:, 0], float(intercept[0])
        else:
            self.dual_coef_, self.intercept_ = dual_coef, intercept
        return self

    def predict(self, X):
        """Predict with kernel ridge at ``alpha_`` and ``kernel_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predicted values.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.kernel_(X, self.X_fit_) @ self.dual_coef_ + self.intercept_
