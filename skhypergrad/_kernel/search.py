"""How GradientKernelRidgeCV searches: redundant hyperparameters, start,
search.

- Redundant hyperparameters (identifiability: predictions depend on
  ``K / alpha`` only) are held fixed at their initial values, with a warning:
  a ``WhiteKernel`` (zero in ``KernelRidge``'s ``K(X, X)``; alpha plays its
  role), an additive constant when the intercept is fitted (``w^T c = 0``
  cancels it), and a ``ConstantKernel`` amplitude that scales the whole
  kernel.
- The start: every length scale is multiplied by the best of a few factors
  of the user's values, and of the data's scale too when those factors do not
  reach it, each scored at every alpha by leave-one-out (or GCV) on a
  subsample, from one eigendecomposition; so the start does not depend on the
  units of ``X``.
  For leave-one-out and GCV, one eigendecomposition of ``W K W`` at that
  kernel then gives the criterion at every alpha on all the data: a scan over
  the alpha bounds picks the start of the search over
  ``[log alpha, kernel.theta]``. For k-fold (and the sigmoid kernel, which
  is not positive semi-definite) the subsample's best alpha starts it.
"""

from dataclasses import replace

import numpy as np
from sklearn.base import clone
from sklearn.gaussian_process.kernels import (
    ConstantKernel,
    Product,
    Sum,
)

from .._core.criterion import Criterion
from .._core.report import notify
from .._core.search import Search, scan_grid
from .._core.space import Hyperparameter, SearchSpace
from .._core.spectral import SpectralPath, eigh_on_complement
from .criteria import KernelData, weight_both_sides
from .gradients import contains_white, training_kernel, white_leaves
from .pairwise import GammaKernel, PairwiseKernelMatrix, Sigmoid

_SCAN_PER_DECADE = 4
# Rows on which the start's candidates are scored. A small subsample favours
# short length scales: on make_friedman1 with 2000 rows, 400 rows pick a
# length scale of 1.4 to 2, where all the rows want 5.4, and L-BFGS-B then
# walks 14 evaluations up the valley; 600 rows pick 5.6 (5 evaluations). An
# eigendecomposition of 600 rows costs a thirtieth of one of 2000.
_SUBSAMPLE = 600
_LENGTH_FACTORS = 2.0 ** np.arange(-3, 5)
# Near a small alpha the criterion carries rounding errors up to 1e-7
# relative: L-BFGS-B stops when an iteration gains less than tol (ftol = tol,
# not 1e-3 tol) and makes at most 10 evaluations per line search, or it spends
# evaluations on that noise.
_MAX_LINE_SEARCH = 10


def _terms(kernel, prefix, operator):
    """Flatten a tree of one operator into ``(prefix, kernel)`` terms."""
    if type(kernel) is operator:
        return _terms(kernel.k1, prefix + "k1__", operator) + _terms(
            kernel.k2, prefix + "k2__", operator
        )
    return [(prefix, kernel)]


def redundant_hyperparameters(kernel, fit_intercept):
    """Free hyperparameters that do not change kernel ridge's predictions
    (beyond what alpha does), with the reason.

    Returns
    -------
    list of (str, str)
        ``(parameter name, reason)``; the name is the hyperparameter's
        ``set_params`` name (e.g. ``"k1__constant_value"``).
    """
    found = [
        (
            prefix + "noise_level",
            "WhiteKernel is zero in K(X, X), the matrix KernelRidge uses, and "
            "alpha plays its role",
        )
        for prefix, white in white_leaves(kernel)
        if not white.hyperparameter_noise_level.fixed
    ]
    summands = [
        (prefix, term)
        for prefix, term in _terms(kernel, "", Sum)
        if not contains_white(term)
    ]
    if fit_intercept:
        constants = [t for t in summands if type(t[1]) is ConstantKernel]
        found += [
            (
                prefix + "constant_value",
                "an additive constant is absorbed by the intercept",
            )
            for prefix, term in constants
            if not term.hyperparameter_constant_value.fixed
        ]
        summands = [t for t in summands if type(t[1]) is not ConstantKernel]
    scales = []
    for prefix, summand in summands:
        free = [
            p + "constant_value"
            for p, factor in _terms(summand, prefix, Product)
            if type(factor) is ConstantKernel
            and not factor.hyperparameter_constant_value.fixed
        ]
        scales.append(free)
    if scales and all(scales):
        found.append(
            (
                scales[0][0],
                "a ConstantKernel amplitude that scales the whole kernel is "
                "redundant with alpha, as predictions depend on K / alpha only",
            )
        )
    return found


def hold_redundant_fixed(kernel, fit_intercept):
    """Clone ``kernel`` with its redundant hyperparameters fixed, and warn
    once for all of them."""
    kernel = clone(kernel)
    redundant = redundant_hyperparameters(kernel, fit_intercept)
    if not redundant:
        return kernel
    params = kernel.get_params()
    reasons = "; ".join(
        f"{name}={params[name]!r} ({reason})" for name, reason in redundant
    )
    many = len(redundant) > 1
    notify(
        UserWarning,
        f"Kernel hyperparameter{'s' if many else ''} held fixed at "
        f"{'their initial values' if many else 'its initial value'}, as "
        f"{'they' if many else 'it'} cannot change the predictions beyond what "
        f"alpha and the intercept do: {reasons}. Give "
        f"{'them' if many else 'it'} bounds='fixed' in the kernel to silence "
        "this warning.",
        key="redundant kernel hyperparameters",
    )
    kernel.set_params(**{name + "_bounds": "fixed" for name, _ in redundant})
    return kernel


def is_positive_semidefinite(kernel):
    """False for the sigmoid string kernel, True for every other kernel
    (scikit-learn's kernels do not say)."""
    return not isinstance(kernel, Sigmoid)


def is_precomputed(kernel):
    """Whether ``X`` is the kernel matrix itself."""
    return isinstance(kernel, PairwiseKernelMatrix) and kernel.metric == "precomputed"


def start_length_scales(criterion, theta0, bounds):
    """Multiply every length scale by the best of a few factors, around the
    initial values and around the data's own scale.

    Each candidate costs one eigendecomposition of the kernel matrix of at
    most ``_SUBSAMPLE`` samples, after which every alpha is free
    (:class:`~skhypergrad._kernel.criteria.AlphaPath`; leave-one-out stands
    for k-fold). Returns the start, with the best alpha of the best
    candidate.
    """
    sub = _subsample(criterion.data, is_precomputed(criterion.kernel))
    if sub.n_effective < 2:
        return theta0
    grid = scan_grid(bounds[0], _SCAN_PER_DECADE, extra=theta0[0])
    best, best_value = theta0, np.inf
    # The initial length scales first: on a flat criterion they stay.
    for theta in _candidates(criterion.kernel, theta0, bounds, criterion.data):
        values = alpha_path(criterion, theta[1:], sub).scan(grid)
        if np.min(values) < best_value * (1.0 - 1e-9):
            best, best_value = theta.copy(), np.min(values)
            best[0] = grid[int(np.argmin(values))]
    return best


def _subsample(data, precomputed=False):
    """At most ``_SUBSAMPLE`` rows of the training data (fixed seed)."""
    n = data.X.shape[0]
    rows = np.arange(n)
    if n > _SUBSAMPLE:
        rows = np.sort(np.random.RandomState(0).choice(n, _SUBSAMPLE, replace=False))
    # A precomputed kernel matrix is subsampled on both sides.
    X = data.X[np.ix_(rows, rows)] if precomputed else data.X[rows]
    return KernelData(X, data.y[rows], data.sample_weight[rows], data.fit_intercept)


def _candidates(kernel, theta0, bounds, data):
    """Starting points: every length scale (or gamma) times each factor, from
    the initial values; and from the data's scale (:func:`_data_scale`) too
    when the factors do not reach it from the initial values (features in
    other units than the kernel's initial length scales)."""
    blocks = _scale_blocks(kernel)
    if not blocks:
        return [theta0]
    scaled = theta0.copy()
    for hyper, block, _ in blocks:
        scaled[block] = _data_scale(kernel, data, hyper)
    factors = np.log(np.r_[1.0, _LENGTH_FACTORS[_LENGTH_FACTORS != 1.0]])
    origins = [theta0]
    # The log of the data's length scale over the initial one.
    offset = np.mean(
        np.concatenate([(scaled[b] - theta0[b]) / power for _, b, power in blocks])
    )
    if not factors.min() <= offset <= factors.max():
        origins.append(scaled)
    candidates = []
    for origin in origins:
        for shift in factors:
            theta = origin.copy()
            for _, block, power in blocks:
                theta[block] = np.clip(theta[block] + power * shift, *bounds[block].T)
            candidates.append(theta)
    return candidates


def _scale_blocks(kernel):
    """The free hyperparameters that set the scale at which the kernel sees
    the data, with the power of a length they scale as: length scales (1),
    and the gamma of KernelRidge's string kernels (minus one or two)."""
    blocks = []
    for hyper, block in free_blocks(kernel):
        if hyper.name.endswith("length_scale"):
            blocks.append((hyper, block, 1.0))
        elif hyper.name == "gamma" and isinstance(kernel, GammaKernel):
            blocks.append((hyper, block, -float(kernel.gamma_power)))
    return blocks


def _data_scale(kernel, data, hyper):
    """The log of the hyperparameter at which the kernel sees the data at
    unit scale."""
    if hyper.name == "gamma":
        return np.log(kernel.gamma_unit(data.X))
    return np.log(data_length_scales(data, hyper.n_elements))


def data_length_scales(data, n_elements):
    """Length scales at which the kernel sees the data at unit scale: with
    ``l_k`` the feature's (weighted) standard deviation times
    ``sqrt(n_features)``, or ``sqrt`` of the summed variances for one length
    scale, the scaled squared distance between two samples is about 2."""
    w = data.sample_weight / data.weight_sum
    mean = w @ data.X
    variance = np.maximum(w @ (data.X - mean) ** 2, 0.0)
    if not np.any(variance > 0):
        variance = np.ones_like(variance)
    if n_elements == 1:
        return np.array([np.sqrt(variance.sum())])
    variance = np.where(variance > 0, variance, variance[variance > 0].mean())
    return np.sqrt(variance * variance.size)


def free_blocks(kernel):
    """Where each free hyperparameter of ``kernel`` sits in ``theta``.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel

    Returns
    -------
    list of (Hyperparameter, slice)
        In the order of ``kernel.theta``; the slices index
        ``theta = [log alpha, kernel.theta...]``.
    """
    blocks, start = [], 1
    for hyper in kernel.hyperparameters:
        if not hyper.fixed:
            blocks.append((hyper, slice(start, start + hyper.n_elements)))
            start += hyper.n_elements
    return blocks


def length_scale_columns(kernel):
    """Positions in ``[log alpha, kernel.theta]`` of the free length scales."""
    columns = [
        column
        for hyper, block in free_blocks(kernel)
        if hyper.name.endswith("length_scale")
        for column in range(block.start, block.stop)
    ]
    return np.array(columns, dtype=int)


def kernel_space(kernel, log_alpha_bounds, feature_names=None):
    """The search space ``[log alpha, kernel.theta]``: alpha, then every free
    kernel hyperparameter by its ``set_params`` name, within its own bounds.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel
    log_alpha_bounds : ndarray of shape (2,)
    feature_names : ndarray or None
        Labels of one length scale per feature, in warnings.

    Returns
    -------
    SearchSpace
    """
    hyperparameters = [
        Hyperparameter("alpha", log_alpha_bounds[None, :], "alpha_bounds")
    ]
    bounds = kernel.bounds.reshape(-1, 2)
    for hyper, block in free_blocks(kernel):
        per_feature = feature_names is not None and hyper.n_elements == len(
            feature_names
        )
        hyperparameters.append(
            Hyperparameter(
                hyper.name,
                bounds[block.start - 1 : block.stop - 1],
                f"{hyper.name}_bounds",
                labels=feature_names if per_feature else None,
                label_kind="feature" if hyper.n_elements > 1 else "value",
                off_side="upper" if hyper.name.endswith("length_scale") else None,
            )
        )
    return SearchSpace(tuple(hyperparameters))


def search(criterion, space, theta0, options):
    """The start (:func:`start_length_scales`), the alpha scan for
    leave-one-out and GCV, then the search over all of ``theta``.

    Returns
    -------
    SearchResult
    """
    bounds = space.bounds
    start = space.clip(theta0)
    options = replace(options, max_line_search=_MAX_LINE_SEARCH, ftol_factor=1.0)
    search = Search(space, options)
    first_step = np.log(10.0)
    start = space.clip(start_length_scales(criterion, start, bounds))
    if _profiles_alpha(criterion, bounds, options):
        return _profiled_search(criterion, space, start, options)
    # The scan's eigendecomposition clips negative eigenvalues: it is the
    # criterion only for a positive semi-definite kernel (not the sigmoid).
    positive = is_positive_semidefinite(criterion.kernel)
    if bounds[0, 0] < bounds[0, 1] and criterion.kind != "splits" and positive:
        grid = scan_grid(bounds[0], _SCAN_PER_DECADE, extra=start[0])
        kernel_theta = start[1:]
        start = search.scan(
            full_alpha_path(criterion, kernel_theta),
            grid,
            embed=lambda log_alpha: np.r_[log_alpha, kernel_theta],
        )
        first_step = grid[1] - grid[0]
    return search.minimize(criterion, start, first_step=first_step)


def _profiles_alpha(criterion, bounds, options):
    """Whether the search profiles alpha out: a free alpha, a criterion that
    offers it (Nystroem's), and no user's ``optimizer``
    (which is promised every hyperparameter, alpha first)."""
    return (
        hasattr(criterion, "profiled_value_and_grad")
        and bounds[0, 0] < bounds[0, 1]
        and not callable(options.optimizer)
    )


def _profiled_search(criterion, space, start, options):
    """Search the kernel's hyperparameters with alpha at its best at each
    kernel (:class:`ProfiledAlpha`); the points, with their alphas, are
    recorded and shown in the whole space."""
    whole = Search(space, options)
    profile = ProfiledAlpha(criterion, space.bounds[0], whole.add)
    if space.size == 1:
        profile.value_and_grad(start[1:])
        return whole.result()
    kernel_space = SearchSpace(space.hyperparameters[1:], space.value_scale)
    search = Search(kernel_space, options, report=False)
    # The start's length scales were chosen among factors of two.
    search.minimize(profile, start[1:], first_step=np.log(2.0))
    for name in ("n_iter", "converged", "stalled", "message"):
        setattr(whole, name, getattr(search, name))
    return whole.result()


class ProfiledAlpha(Criterion):
    """A k-fold or held-out criterion at its best alpha, as a function of the
    kernel's hyperparameters: by the envelope theorem its gradient is the
    criterion's gradient in them at that alpha.

    Parameters
    ----------
    criterion : NystroemCriterion
    log_alpha_bounds : ndarray of shape (2,)
    record : callable or None
        ``record(theta, value, phase, grad)`` of every evaluation, with
        ``theta = [log alpha, kernel.theta]`` (:meth:`Search.add`); None
        keeps them for :meth:`restart_log`.
    """

    def __init__(self, criterion, log_alpha_bounds, record=None):
        self.criterion = criterion
        self.log_alpha_bounds = log_alpha_bounds
        self.record = record
        self._evaluations = []

    def value_and_grad(self, theta):
        """The criterion at its best alpha and its gradient in ``theta``, the
        kernel's hyperparameters."""
        value, grad, log_alpha = self.criterion.profiled_value_and_grad(
            theta, self.log_alpha_bounds
        )
        point = np.r_[log_alpha, theta]
        if self.record is None:
            self._evaluations.append((point, value, grad))
        else:
            self.record(point, value, "search", grad)
        return value, grad[1:]

    def restart_copy(self):
        """A copy on a copy of the criterion, keeping its evaluations."""
        return ProfiledAlpha(self.criterion.restart_copy(), self.log_alpha_bounds)

    def restart_log(self):
        """The evaluations of this restart's copy, with their alphas."""
        return self._evaluations

    def keep_restart_log(self, log, phase):
        """Record a restart's evaluations."""
        for point, value, grad in log:
            self.record(point, value, phase, grad)


def search_indefinite_aware(criterion, space, theta0, options):
    """:func:`search`; for a kernel that is not positive semi-definite (the
    sigmoid), a failed factorisation says which kernel and what to change."""
    try:
        return search(criterion, space, theta0, options)
    except np.linalg.LinAlgError as error:
        if is_positive_semidefinite(criterion.kernel):
            raise
        raise np.linalg.LinAlgError(
            f"{criterion.kernel!r} is not positive semi-definite on these data: "
            "the search reached hyperparameters where the kernel matrix plus "
            "alpha has no Cholesky factor. Raise the lower bound of alpha_bounds, "
            "lower the upper bound of gamma_bounds (or fix a small gamma), or use "
            "a positive definite kernel."
        ) from error


def alpha_path(criterion, kernel_theta, data=None):
    """The criterion along ``log(alpha)`` at the kernel ``kernel_theta``, on
    ``data`` (the training data when None), for a scan: leave-one-out, or
    GCV when ``criterion`` is GCV (leave-one-out stands for k-fold)."""
    kernel = criterion.kernel.clone_with_theta(np.asarray(kernel_theta, dtype=float))
    data = criterion.data if data is None else data
    return AlphaPath(data, kernel, gcv=criterion.kind == "gcv")


def full_alpha_path(criterion, kernel_theta):
    """The criterion along ``log(alpha)`` on all the training data: the
    criterion's own path when it has one (Nystroem), else
    :func:`alpha_path`'s."""
    own = getattr(criterion, "alpha_path", None)
    if own is not None:
        return own(kernel_theta)
    return alpha_path(criterion, kernel_theta)


class AlphaPath(Criterion):
    """Leave-one-out or GCV along ``log(alpha)`` at a fixed kernel, from one
    eigendecomposition of ``W K W`` on the complement of the intercept's
    direction: the bordered system at every ``alpha`` is ridge in the dual
    on that complement (:class:`~skhypergrad._core.spectral.SpectralPath`).

    Parameters
    ----------
    data : KernelData
    kernel : sklearn.gaussian_process.kernels.Kernel
    gcv : bool
    """

    def __init__(self, data, kernel, gcv):
        w = data.sqrt_sw
        K = weight_both_sides(training_kernel(kernel, data.X), w, data.unit_weights)
        y = data.y
        q = np.zeros_like(w)
        if data.fit_intercept:
            q = w / np.linalg.norm(w)
            y = y - data.sample_weight @ y / data.weight_sum
        sigma, U = eigh_on_complement(K, q if data.fit_intercept else None)
        del K
        self.gcv = gcv
        self.n_targets = y.shape[1]
        self._path = SpectralPath(
            U,
            sigma,
            w[:, None] * y,
            q,
            data.weight_sum,
            data.n_effective,
            data.fit_intercept,
        )

    @property
    def _criterion(self):
        """The path's leave-one-out or GCV."""
        path = self._path
        return path.generalized_cross_validation if self.gcv else path.leave_one_out

    def scan(self, points):
        """The criterion (mean over targets) at each ``log(alpha)``.

        With one target, the path takes one alpha per column: the whole scan
        costs one pass over the eigenvectors.
        """
        criterion = self._criterion
        points = np.asarray(points, dtype=float)
        if self.n_targets == 1:
            return criterion(points, with_grad=False)[0]
        return np.array(
            [criterion(np.array([p]), with_grad=False)[0].mean() for p in points]
        )

    def value_and_derivative(self, log_alpha):
        """The criterion (mean over targets) and its derivative in
        ``log(alpha)`` at one point."""
        values, grad = self._criterion(np.array([log_alpha], dtype=float))
        return float(values.mean()), float(grad[0]) / self.n_targets
