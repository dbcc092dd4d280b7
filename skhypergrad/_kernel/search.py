"""Wiring of GradientKernelRidgeCV: redundant hyperparameters, start, search.

- Redundant hyperparameters (MATH.md section 2, identifiability) are held fixed
  at their initial values, with a warning: a ``WhiteKernel`` (zero in
  ``KernelRidge``'s ``K(X, X)``; alpha plays its role), an additive constant
  when the intercept is fitted (``w^T c = 0`` cancels it), and a
  ``ConstantKernel`` amplitude that scales the whole kernel (predictions depend
  on ``K / alpha`` only).
- For leave-one-out and GCV, one eigendecomposition of ``W K W`` at the initial
  kernel gives the criterion at every alpha for a few ``n x n`` products
  (MATH.md section 3): a scan over ``alpha_bounds`` picks the start of
  L-BFGS-B over ``[log alpha, kernel.theta]``.
"""

import warnings

import numpy as np
from scipy import linalg
from sklearn.base import clone
from sklearn.gaussian_process.kernels import (
    ConstantKernel,
    Product,
    Sum,
)

from .._core.optimize import SearchRecord, minimize_criterion, scan_grid
from .._kernel.criteria import KernelCriterion, KernelData, rescaled_system
from .._kernel.gradients import contains_white, training_kernel, white_leaves

_SCAN_PER_DECADE = 4
_SUBSAMPLE = 400
_LENGTH_FACTORS = 2.0 ** np.arange(-3, 5)


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
            "WhiteKernel is zero in K(X, X), the matrix KernelRidge uses; alpha "
            "plays its role",
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
                "redundant with alpha (predictions depend on K / alpha only)",
            )
        )
    return found


def hold_redundant_fixed(kernel, fit_intercept):
    """Clone ``kernel`` with its redundant hyperparameters fixed, and warn."""
    kernel = clone(kernel)
    for name, reason in redundant_hyperparameters(kernel, fit_intercept):
        warnings.warn(
            f"The kernel hyperparameter {name} is held fixed at its initial value "
            f"{kernel.get_params()[name]!r}: {reason}.",
            UserWarning,
            stacklevel=3,
        )
        kernel.set_params(**{name + "_bounds": "fixed"})
    return kernel


def spectral_alpha_values(criterion, kernel_theta, log_alphas):
    """Leave-one-out or GCV at every alpha of a grid, for a fixed kernel.

    One eigendecomposition ``W K W = U diag(sigma) U^T``; then
    ``G^{-1} = U diag(1 / (sigma + alpha)) U^T`` for every alpha (MATH.md
    section 3), with the intercept's correction ``- v v^T / (w^T v)``.
    """
    data = criterion.data
    kernel = criterion.kernel.clone_with_theta(kernel_theta)
    Kt = rescaled_system(
        training_kernel(kernel, data.X), 0.0, data.sqrt_sw, data.unit_weights
    )
    sigma, U = linalg.eigh(Kt, overwrite_a=True, check_finite=False, driver="evd")
    del Kt
    sigma = np.clip(sigma, 0.0, None)
    w = data.sqrt_sw
    z = U.T @ (w[:, None] * data.y)
    uw = U.T @ w
    alphas = np.exp(np.asarray(log_alphas, dtype=float))
    F = 1.0 / (sigma[:, None] + alphas[None, :])  # (n, n_alphas)
    diag = (U * U) @ F
    values = np.empty(alphas.size)
    n = sigma.size
    for j, alpha in enumerate(alphas):
        coef = U @ (F[:, j, None] * z)
        g = diag[:, j]
        if data.fit_intercept:
            fw = F[:, j] * uw
            v = U @ fw
            wv = uw @ fw
            coef -= np.outer(v, (fw @ z) / wv)
            g = g - v * v / wv
        if criterion.kind == "gcv":
            T = alpha * g.sum() - (n - data.n_effective)
            k = data.n_effective**2 / criterion.scale
            values[j] = k * alpha**2 * np.sum(coef * coef) / T**2 if T > 0 else np.inf
        else:
            values[j] = np.sum((coef / g[:, None]) ** 2) / criterion.scale
    return values


def start_length_scales(criterion, theta0, bounds):
    """Multiply every length scale by the best of a few common factors.

    Each factor costs one eigendecomposition of the kernel matrix of at most
    ``_SUBSAMPLE`` samples, after which every alpha is free (MATH.md section
    3); the factor of the best (factor, alpha) pair moves the start, and alpha
    is left to the full-data scan.
    """
    columns = length_scale_columns(criterion.kernel)
    if columns.size == 0:
        return theta0
    data = criterion.data
    n = data.X.shape[0]
    rows = np.arange(n)
    if n > _SUBSAMPLE:
        rows = np.sort(np.random.RandomState(0).choice(n, _SUBSAMPLE, replace=False))
    sub = KernelData(
        data.X[rows], data.y[rows], data.sample_weight[rows], data.fit_intercept
    )
    sub_criterion = KernelCriterion(sub, criterion.kernel, criterion.kind)
    if sub.n_effective < 2:
        return theta0
    grid = scan_grid(bounds[0], _SCAN_PER_DECADE, extra=theta0[0])
    best, best_value = theta0, np.inf
    # The initial length scales first: on a flat criterion they stay.
    for shift in np.log(np.r_[1.0, _LENGTH_FACTORS[_LENGTH_FACTORS != 1.0]]):
        theta = theta0.copy()
        theta[columns] = np.clip(theta[columns] + shift, *bounds[columns].T)
        value = np.min(spectral_alpha_values(sub_criterion, theta[1:], grid))
        if value < best_value * (1.0 - 1e-9):
            best, best_value = theta, value
    return best


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


def search(criterion, theta0, bounds, options):
    """Scan alpha (leave-one-out and GCV), then minimise over all of theta.

    Returns
    -------
    result : SearchResult
        Its record holds the scan points first.
    n_scan : int
        Number of scan points in the record.
    """
    record = SearchRecord()
    start = np.array(theta0, dtype=float)
    if criterion.kind != "splits" and bounds[0, 0] < bounds[0, 1]:
        start = start_length_scales(criterion, start, bounds)
        grid = scan_grid(bounds[0], _SCAN_PER_DECADE, extra=start[0])
        values = spectral_alpha_values(criterion, start[1:], grid)
        for log_alpha, value in zip(grid, values, strict=True):
            record.add(np.r_[log_alpha, start[1:]], value)
        # The best scan point starts the search; minimize_criterion takes the
        # criterion's scale from its record entry.
        start[0] = grid[int(np.argmin(values))]
    n_scan = len(record.values)
    # Near a small alpha the criterion is computed from (K + alpha I)^{-1} and
    # carries rounding errors of about eps * cond, up to 1e-7 relative: with
    # L-BFGS-B's default gain test (1e-3 tol) the line searches spend tens of
    # evaluations on that noise.
    result = minimize_criterion(
        criterion,
        start,
        bounds,
        record=record,
        ftol=options["tol"],
        max_line_search=10,
        **options,
    )
    return result, n_scan


def history(record, kernel, n_scan):
    """The record as a dict of columns, one row per criterion evaluation.

    ``"alpha"``, one column per free kernel hyperparameter (floats, or arrays
    in an object column for one length scale per feature), ``"score"`` (minus
    the criterion) and ``"scan"`` (True for the points of the initial alpha
    scan, which cost no factorisation).
    """
    thetas = np.array(record.thetas).reshape(len(record.thetas), -1)
    out = {"alpha": np.exp(thetas[:, 0])}
    for hyper, block in free_blocks(kernel):
        values = np.exp(thetas[:, block])
        if hyper.n_elements == 1:
            out[hyper.name] = values[:, 0]
        else:
            out[hyper.name] = np.empty(len(values), dtype=object)
            out[hyper.name][:] = list(values)
    out["score"] = -np.array(record.values, dtype=float).ravel()
    out["scan"] = np.arange(len(thetas)) < n_scan
    return out
