"""KernelRidge's constructor (``kernel`` as a string, ``gamma``, ``degree``,
``coef0``, ``kernel_params``) mapped to a tunable kernel.

==================  ==========================================  ==========
``kernel``          tunable kernel (its ``theta``)              fitted
==================  ==========================================  ==========
``"rbf"``           ``RBF(1 / sqrt(2 gamma))`` (length scale)   ``gamma_``
``"laplacian"``     :class:`~.pairwise.Laplacian` (gamma)       ``gamma_``
``"polynomial"``    :class:`~.pairwise.Polynomial` (gamma)      ``gamma_``
``"sigmoid"``       :class:`~.pairwise.Sigmoid` (gamma)         ``gamma_``
``"chi2"``          :class:`~.pairwise.Chi2` (gamma)            ``gamma_``
linear, cosine,     :class:`~.pairwise.PairwiseKernelMatrix`    alpha only
precomputed,        (none)
a callable
==================  ==========================================  ==========

The default bounds of gamma follow the data: ``(1e-5, 1e5)`` (polynomial:
``(1e-4, 1e2)``) times one over the typical value of what gamma multiplies
(the mean squared distance between samples for rbf, the mean L1 or
chi-squared distance for laplacian and chi2, the mean squared norm of the
samples for polynomial and sigmoid), widened to hold the initial gamma.
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.gaussian_process.kernels import RBF, Kernel

from .._core.layout import check_bounds
from .._core.validation import check_scalar_param
from .pairwise import (
    Chi2,
    GammaKernel,
    Laplacian,
    PairwiseKernelMatrix,
    Polynomial,
    Sigmoid,
)

GAMMA_KERNELS = {
    "laplacian": Laplacian,
    "polynomial": Polynomial,
    "poly": Polynomial,
    "sigmoid": Sigmoid,
    "chi2": Chi2,
}
FIXED_KERNELS = ("linear", "cosine", "precomputed")
STRING_KERNELS = ("rbf", *GAMMA_KERNELS, *FIXED_KERNELS)
# Kernels whose scikit-learn function takes sparse X.
SPARSE_KERNELS = ("laplacian", "polynomial", "poly", "sigmoid", "linear", "cosine")
DEFAULT_GAMMA_BOUNDS = (1e-5, 1e5)


def check_kernel_spec(kernel, gamma, degree, coef0, kernel_params, gamma_bounds):
    """Validate the kernel parameters; ValueError or TypeError naming the
    parameter.

    Returns
    -------
    str
        A name of the kernel for messages: the string, ``"callable"``, or the
        kernel object's class name.
    """
    if kernel is None or isinstance(kernel, Kernel):
        name = "RBF" if kernel is None else type(kernel).__name__
    elif isinstance(kernel, str):
        if kernel == "additive_chi2":
            raise ValueError(
                "kernel='additive_chi2' is not supported: it is only conditionally "
                "positive definite, so the kernel matrix plus a small alpha has no "
                "Cholesky factor, which every criterion needs. Use kernel='chi2', "
                "its exponentiated (positive definite) version."
            )
        if kernel not in STRING_KERNELS:
            raise ValueError(
                f"kernel must be one of {sorted(STRING_KERNELS)}, a callable or a "
                f"sklearn.gaussian_process.kernels.Kernel, got {kernel!r}."
            )
        name = kernel
    elif callable(kernel):
        name = "callable"
    else:
        hint = (
            " KernelRidge's first positional argument is alpha: pass alpha=... "
            "by keyword."
            if isinstance(kernel, Real)
            else ""
        )
        raise TypeError(
            "kernel must be None, a string, a callable or a "
            f"sklearn.gaussian_process.kernels.Kernel, got "
            f"{type(kernel).__name__}.{hint}"
        )
    if gamma is not None:
        check_scalar_param(gamma, "gamma", "real")
        if gamma <= 0:
            raise ValueError(f"gamma must be positive (or None), got {gamma!r}.")
    polynomial = name in ("polynomial", "poly")
    check_scalar_param(degree, "degree", "real", low=1 if polynomial else 0)
    check_scalar_param(coef0, "coef0", "real")
    if kernel_params is not None and not isinstance(kernel_params, dict):
        raise TypeError(
            f"kernel_params must be a dict or None, got {type(kernel_params).__name__}."
        )
    if gamma_bounds is not None and not (
        isinstance(gamma_bounds, str) and gamma_bounds == "fixed"
    ):
        check_bounds(gamma_bounds, "gamma_bounds")
    return name


def accepts_sparse(kernel):
    """Whether the kernel's matrix can be computed from sparse X."""
    return isinstance(kernel, str) and kernel in SPARSE_KERNELS


def check_sparse(X, name, kernel):
    """TypeError naming the kernel when X is sparse and the kernel needs dense."""
    if sp.issparse(X) and not accepts_sparse(kernel):
        raise TypeError(
            f"kernel={name!r} does not accept sparse X: its matrix needs dense "
            f"data. Pass X.toarray(), or use one of {list(SPARSE_KERNELS)}."
        )


def resolve_kernel(kernel, X, gamma, degree, coef0, kernel_params, gamma_bounds):
    """The tunable kernel: the user's kernel object, ``RBF(1.0)`` for None,
    or what a KernelRidge string (or callable) maps to on ``X``, its
    ``gamma`` within its bounds.

    Returns
    -------
    sklearn.gaussian_process.kernels.Kernel
    """
    if kernel is None:
        return RBF(1.0)
    if isinstance(kernel, Kernel):
        return kernel
    if kernel == "precomputed" and X.shape[0] != X.shape[1]:
        raise ValueError(
            "With kernel='precomputed', X must be the square kernel matrix of the "
            f"training samples, got shape {X.shape}."
        )
    built = build_kernel(kernel, X, gamma, degree, coef0, kernel_params, gamma_bounds)
    if built.n_dims == 0:
        return built
    bounds = built.bounds
    return built.clone_with_theta(np.clip(built.theta, bounds[:, 0], bounds[:, 1]))


def build_kernel(kernel, X, gamma, degree, coef0, kernel_params, gamma_bounds):
    """The tunable kernel for a ``kernel`` string (or callable) on ``X``.

    ``gamma=None`` is ``KernelRidge``'s value (``1 / n_features``, 1.0 for
    chi2) when gamma is fixed, and the data's scale when it is tuned.

    Returns
    -------
    sklearn.gaussian_process.kernels.Kernel
    """
    if kernel in FIXED_KERNELS or callable(kernel):
        return PairwiseKernelMatrix(kernel, kernel_params)
    cls = GAMMA_KERNELS.get(kernel)
    # With coef0 = 0, the polynomial kernel's gamma only scales the kernel:
    # alpha does that.
    fixed = isinstance(gamma_bounds, str) or (cls is Polynomial and coef0 == 0)
    unit = _rbf_gamma_unit(X) if cls is None else cls.gamma_unit(X)
    if gamma is not None:
        start = float(gamma)
    elif fixed:
        start = 1.0 if kernel == "chi2" else 1.0 / X.shape[1]
    else:
        start = unit
    default = DEFAULT_GAMMA_BOUNDS if cls is None else cls.default_bounds
    bounds = "fixed" if fixed else _gamma_bounds(gamma_bounds, start, unit, default)
    if cls is None:  # rbf
        scale = 1.0 / np.sqrt(2.0 * start)
        if fixed:
            return RBF(scale, length_scale_bounds="fixed")
        low, high = bounds
        return RBF(scale, (1.0 / np.sqrt(2.0 * high), 1.0 / np.sqrt(2.0 * low)))
    if cls is Polynomial:
        return cls(start, degree, coef0, bounds)
    if cls is Sigmoid:
        return cls(start, coef0, bounds)
    return cls(start, bounds)


def _rbf_gamma_unit(X):
    """One over the mean squared distance between samples, twice the summed
    variances."""
    variance = np.var(X, axis=0)
    total = 2.0 * float(np.sum(variance))
    return 1.0 / total if np.isfinite(total) and total > 0 else 1.0


def _gamma_bounds(gamma_bounds, start, unit, default):
    """``(low, high)``: the user's, or ``default`` times the data's
    ``unit``, widened to hold ``start``."""
    if gamma_bounds is None:
        low, high = np.multiply(default, unit)
        return min(low, start), max(high, start)
    return tuple(float(b) for b in gamma_bounds)


def fitted_gamma(kernel_string, kernel_):
    """``gamma_`` in KernelRidge's terms, or None for kernels without one."""
    if kernel_string == "rbf":
        return float(1.0 / (2.0 * kernel_.length_scale**2))
    if isinstance(kernel_, GammaKernel):
        return float(kernel_.gamma)
    return None
