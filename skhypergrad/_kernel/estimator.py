"""GradientKernelRidgeCV: kernel ridge whose alpha and kernel follow the gradient."""

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
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
from .nystroem import check_n_components, sample_centres
from .nystroem_criteria import NystroemCriterion
from .search import hold_redundant_fixed, kernel_space, search_indefinite_aware
from .strings import (
    accepts_sparse,
    check_kernel_spec,
    check_sparse,
    fitted_gamma,
    resolve_kernel,
)

DEFAULT_ALPHA_BOUNDS = (1e-8, 1e5)


class GradientKernelRidgeCV(
    HyperparameterSearchMixin, MultiOutputMixin, RegressorMixin, BaseEstimator
):
    """Kernel ridge with alpha and kernel tuned by the gradient of a CV criterion.

    Replaces ``GridSearchCV(KernelRidge(...))``: instead of trying a grid, it
    minimises the selection criterion (exact leave-one-out error by default)
    over ``alpha`` and all free hyperparameters of the kernel at once
    (Bengio, 2000), e.g. ``gamma`` or one length scale per feature.
    :class:`~sklearn.kernel_ridge.KernelRidge`'s constructor arguments
    (``kernel="rbf"``, ``gamma``, ``degree``, ``coef0``, ``kernel_params``)
    keep their meaning; ``alpha`` and ``gamma`` are where the search starts.

    .. important::

       Unlike :class:`~sklearn.kernel_ridge.KernelRidge`, the model has an
       unpenalised intercept by default (``fit_intercept=True``): predictions
       are ``K(x, X) dual_coef_ + intercept_``. With ``fit_intercept=False``
       the fitted model is ``KernelRidge``'s at ``alpha_`` and ``kernel_``
       (or ``gamma_``).

    Parameters
    ----------
    kernel : str, callable, sklearn.gaussian_process.kernels.Kernel or None, \
            default=None
        The kernel. None means ``RBF(1.0)``.

        - A scikit-learn kernel object: its free hyperparameters are tuned
          within its own bounds (``"fixed"`` ones stay fixed). Hyperparameters
          that cannot change the predictions beyond what alpha and the
          intercept do are held fixed, with one ``UserWarning`` per fit: the
          noise level of a ``WhiteKernel`` (zero in the ``K(X, X)`` that
          ``KernelRidge`` evaluates), an additive ``ConstantKernel`` when
          ``fit_intercept=True``, and a ``ConstantKernel`` amplitude that
          multiplies the whole kernel.
        - A string, as in ``KernelRidge``: the matrix is
          :func:`~sklearn.metrics.pairwise.pairwise_kernels`'s with
          ``gamma``, ``degree`` and ``coef0``, and ``gamma`` is tuned.
          ``"rbf"`` is ``RBF(length_scale=1 / sqrt(2 gamma))``;
          ``"laplacian"``, ``"polynomial"`` (or ``"poly"``), ``"sigmoid"``
          and ``"chi2"`` are kernels with ``gamma`` as their hyperparameter;
          ``"linear"``, ``"cosine"`` and ``"precomputed"`` (``X`` is the
          kernel matrix, and ``predict`` takes the kernel between the new and
          the training samples) have none: only alpha is tuned.
          ``"additive_chi2"`` is refused (not positive definite).
        - A callable on two samples, as in ``KernelRidge``, with
          ``kernel_params``: only alpha is tuned.

        Sparse ``X`` is accepted by ``"linear"``, ``"cosine"``,
        ``"polynomial"``, ``"sigmoid"`` and ``"laplacian"``; other kernels
        raise a ``TypeError``.
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
    gamma : float or None, default=None
        Initial value of the string kernels' ``gamma``, in ``KernelRidge``'s
        meaning. None starts at the scale of the data (one over the typical
        size of what gamma multiplies, see ``gamma_bounds``; for standardised
        features, about ``1 / n_features``, ``KernelRidge``'s default), so
        that the fit does not depend on the units of ``X``. When gamma is not
        tuned (``gamma_bounds="fixed"``), None means ``KernelRidge``'s value:
        ``1 / n_features``, or 1.0 for ``"chi2"`` (``chi2_kernel``'s
        default). Ignored by other kernels.
    degree : float, default=3
        Degree of the polynomial kernel, fixed. Ignored by other kernels.
    coef0 : float, default=1
        Zero coefficient of the polynomial and sigmoid kernels, fixed (for the
        polynomial kernel, scaling ``gamma`` and ``coef0`` together only
        scales the kernel, which alpha does: ``gamma`` covers every model).
        With ``coef0=0`` the polynomial kernel's ``gamma`` only scales the
        kernel and is held fixed. Ignored by other kernels.
    kernel_params : dict or None, default=None
        Keyword arguments of a callable ``kernel``, as in ``KernelRidge``.
        Ignored by other kernels.
    gamma_bounds : tuple of (float, float), "fixed" or None, default=None
        Bounds of ``gamma`` for the string kernels that have one; ``"fixed"``
        keeps ``gamma`` at its initial value. None means ``(1e-5, 1e5)``
        (``(1e-4, 1e2)`` for ``"polynomial"``, whose magnitude grows as
        ``gamma^degree``) times one over the typical size of what gamma
        multiplies on the training data (the mean squared distance between samples for
        ``"rbf"``, the mean L1 distance for ``"laplacian"``, the mean
        chi-squared distance for ``"chi2"``, the mean squared norm of the
        samples for ``"polynomial"`` and ``"sigmoid"``), widened to hold the
        initial ``gamma``.
    n_components : int or None, default=None
        None: exact kernel ridge on all the training samples (memory and time
        grow as ``n_samples^2`` and ``n_samples^3``). An int ``m``: Nystroem
        kernel ridge, ``f(x) = k(x, Z) dual_coef_ + intercept_`` on ``m``
        centres ``Z`` drawn uniformly from the training rows (as
        :class:`~sklearn.kernel_approximation.Nystroem`), penalised by
        ``alpha dual_coef_^T k(Z, Z) dual_coef_``; every criterion is exact for
        this model and costs ``O(n_samples m^2)`` time and ``O(n_samples m)``
        memory per evaluation. Between 1 and ``n_samples``; with
        ``m = n_samples`` the model is the exact one. With
        ``kernel="precomputed"``, the model reads the kernel's columns of the
        centres (``predict`` still takes the kernel with all the training
        samples).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept, refit inside every leave-one-out sample
        and every fold. ``KernelRidge`` has none: ``False`` fits its model.
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
    n_jobs : int or None, default=None
        Joblib jobs over the restarts (``n_restarts``), in threads unless a
        joblib backend is chosen (``joblib.parallel_config``, e.g.
        ``"dask"``). The result is the same for every ``n_jobs`` and
        backend.
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
        The kernel with the chosen hyperparameters (redundant ones fixed);
        for a string ``kernel``, the kernel it maps to.
    gamma_ : float
        The chosen ``gamma`` in ``KernelRidge``'s meaning:
        ``KernelRidge(kernel=kernel, gamma=gamma_, degree=degree,
        coef0=coef0, alpha=alpha_)`` is the fitted model when
        ``fit_intercept=False``. Only for the string kernels with a
        ``gamma`` (``"rbf"``, ``"laplacian"``, ``"polynomial"``,
        ``"sigmoid"``, ``"chi2"``).
    dual_coef_ : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Dual coefficients: ``predict(X) = kernel_(X, X_fit_) @ dual_coef_ +
        intercept_``, in the floating dtype of ``X`` (float32 kept, as
        ``KernelRidge``; the fit itself runs in float64). One row per centre
        with ``n_components``.
    intercept_ : numpy scalar or ndarray of shape (n_targets,)
        The intercept (zero without ``fit_intercept``).
    X_fit_ : {ndarray, sparse matrix} of shape (n_samples, n_features)
        A copy of the training data (the training kernel matrix for
        ``kernel="precomputed"``); the centres, ``components_``, with
        ``n_components``.
    components_ : {ndarray, sparse matrix} of shape (n_components, n_features)
        The centres of the Nystroem model: the training rows
        ``component_indices_``. Only with ``n_components``.
    component_indices_ : ndarray of shape (n_components,)
        Indices of the centres in the training data, sorted. Only with
        ``n_components``.
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

    With ``n_components``, the model is ridge in the features
    :math:`\\Phi = k(X, Z') R^{-T}`, :math:`R R^T = k(Z', Z')` the pivoted
    Cholesky factor of the centres' kernel matrix truncated at its numerical
    rank (:math:`Z'` the centres it keeps), with the identity penalty: the
    same criteria from the :math:`r \\times r` system
    :math:`\\Phi^T S \\Phi + \\alpha I` (the leave-one-out hat diagonal by one
    triangular solve with :math:`\\Phi^T`), and gradients chained back to
    :math:`k(X, Z')` and :math:`k(Z', Z')` as one :math:`n \\times r`
    contraction (Williams & Seeger, 2001). The search moves the kernel's
    hyperparameters only, each evaluation at the best alpha for its kernel
    (one :math:`r \\times r` eigendecomposition per split, or of
    :math:`\\Phi^T \\Phi` for leave-one-out and GCV, makes every alpha
    cheap); ``history_`` shows that alpha with each kernel.

    Many hyperparameters (one length scale per feature) can over-fit the
    selection criterion itself: check held-out error.

    References
    ----------
    Y. Bengio, "Gradient-based optimization of hyperparameters", Neural
    Computation 12(8), 2000. G. C. Cawley and N. L. C. Talbot, "Fast exact
    leave-one-out cross-validation of sparse least-squares support vector
    machines", Neural Networks 17(10), 2004. C. K. I. Williams and M. Seeger,
    "Using the Nystroem method to speed up kernel machines", NIPS 13, 2001.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from skhypergrad import GradientKernelRidgeCV
    >>> X, y = make_friedman1(n_samples=200, noise=1.0, random_state=0)
    >>> model = GradientKernelRidgeCV().fit(X, y)
    >>> bool(model.score(X, y) > 0.9)
    True

    A ``KernelRidge`` call, with ``alpha`` and ``gamma`` as starting values:

    >>> model = GradientKernelRidgeCV(alpha=1.0, kernel="rbf", gamma=0.1)
    >>> bool(model.fit(X, y).gamma_ > 0)
    True
    """

    def __init__(
        self,
        kernel=None,
        *,
        alpha=None,
        alpha_bounds=None,
        gamma=None,
        degree=3,
        coef0=1,
        kernel_params=None,
        gamma_bounds=None,
        n_components=None,
        fit_intercept=True,
        cv=None,
        max_iter=100,
        tol=1e-5,
        n_restarts=0,
        optimizer="l-bfgs-b",
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.kernel = kernel
        self.alpha = alpha
        self.alpha_bounds = alpha_bounds
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.gamma_bounds = gamma_bounds
        self.n_components = n_components
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.optimizer = optimizer
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = accepts_sparse(self.kernel)
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags

    def _check_kernel_spec(self):
        return check_kernel_spec(
            self.kernel,
            self.gamma,
            self.degree,
            self.coef0,
            self.kernel_params,
            self.gamma_bounds,
        )

    def _draw_centres(self, n_samples):
        """The Nystroem centres (sorted training rows), or None for the exact
        model."""
        if self.n_components is None:
            return None
        n_components = check_n_components(self.n_components, n_samples)
        return sample_centres(n_samples, n_components, self.random_state)

    def fit(self, X, y, sample_weight=None):
        """Tune alpha and the kernel on ``(X, y)`` and fit kernel ridge at the optimum.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; the kernel matrix, of shape (n_samples, n_samples),
            for ``kernel="precomputed"``.
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
        name = self._check_kernel_spec()
        check_sparse(X, name, self.kernel)
        check_regression_target(y)
        X, y = validate_data(
            self,
            X,
            y,
            dtype=[np.float64, np.float32],
            accept_sparse=("csr", "csc"),
            accept_large_sparse=self.kernel != "laplacian",
            multi_output=True,
            y_numeric=True,
        )
        # The kernel and the criterion are computed in float64; float32 data
        # get float32 coefficients, as KernelRidge's.
        dtype = X.dtype
        X, y = X.astype(np.float64), y.astype(np.float64, copy=False)
        kernel = resolve_kernel(
            self.kernel,
            X,
            self.gamma,
            self.degree,
            self.coef0,
            self.kernel_params,
            self.gamma_bounds,
        )
        check_magnitude(X, "X")
        check_magnitude(y, "y")
        n_samples = X.shape[0]
        sample_weight = check_sample_weight(sample_weight, n_samples)
        kind, splits = resolve_cv(self.cv, X, y, allowed_strings=("gcv",))
        check_criterion_weights(kind, splits, sample_weight)
        centres = self._draw_centres(n_samples)
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
            if centres is None:
                criterion = KernelCriterion(data, kernel, kind, splits)
            else:
                criterion = NystroemCriterion(data, kernel, kind, splits, centres)
            result = search_indefinite_aware(
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
        gamma = fitted_gamma(self.kernel, self.kernel_)
        if gamma is not None:
            self.gamma_ = gamma
        self.X_fit_ = data.X.astype(dtype, copy=False)
        if centres is not None:
            self.component_indices_ = centres
            self.components_ = self.X_fit_ = self.X_fit_[centres]
        dual_coef = dual_coef.astype(dtype, copy=False)
        intercept = intercept.astype(dtype, copy=False)
        if y.ndim == 1:
            self.dual_coef_, self.intercept_ = dual_coef[:, 0], intercept[0]
        else:
            self.dual_coef_, self.intercept_ = dual_coef, intercept
        return self

    def predict(self, X):
        """Predict with kernel ridge at ``alpha_`` and ``kernel_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples to predict; for ``kernel="precomputed"``, their kernel
            with the training samples, of shape (n_samples, n_samples_fitted).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predicted values.
        """
        check_is_fitted(self)
        check_sparse(X, self._check_kernel_spec(), self.kernel)
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            accept_sparse=("csr", "csc"),
            accept_large_sparse=self.kernel != "laplacian",
            reset=False,
        )
        dtype = np.result_type(X.dtype, self.dual_coef_.dtype)
        if self.kernel == "precomputed" and hasattr(self, "component_indices_"):
            X = X[:, self.component_indices_]
        K = self.kernel_(
            X.astype(np.float64, copy=False), self.X_fit_.astype(np.float64, copy=False)
        )
        prediction = K @ self.dual_coef_.astype(np.float64, copy=False)
        prediction += self.intercept_
        return prediction.astype(dtype, copy=False)
