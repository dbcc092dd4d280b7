"""KernelRidge's string kernels as kernels in scikit-learn's Kernel API.

Each kernel computes its matrix with the function of
:mod:`sklearn.metrics.pairwise` that ``KernelRidge(kernel=<string>)`` calls,
so that the matrix is ``KernelRidge``'s own, dense or sparse as that function
allows. ``gamma`` is the one tuned hyperparameter (in log space, as every
scikit-learn kernel's ``theta``); ``degree`` and ``coef0`` stay fixed. The
gradients in ``log(gamma)``:

- laplacian ``K = exp(-gamma ||x - y||_1)`` and chi2
  ``K = exp(-gamma sum_k (x_k - y_k)^2 / (x_k + y_k))``:
  ``dK/dlog gamma = K log K``;
- polynomial ``K = (gamma <x, y> + coef0)^degree``:
  ``dK/dlog gamma = degree (gamma <x, y> + coef0)^(degree - 1) gamma <x, y>``;
- sigmoid ``K = tanh(gamma <x, y> + coef0)``:
  ``dK/dlog gamma = (1 - K^2) gamma <x, y>``.

Kernels without a hyperparameter (linear, cosine, a callable and
``"precomputed"``) are :class:`PairwiseKernelMatrix`.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.gaussian_process.kernels import Hyperparameter, Kernel
from sklearn.metrics.pairwise import (
    additive_chi2_kernel,
    chi2_kernel,
    laplacian_kernel,
    manhattan_distances,
    pairwise_kernels,
    polynomial_kernel,
    sigmoid_kernel,
)
from sklearn.utils.extmath import row_norms, safe_sparse_dot

_UNIT_SAMPLE = 400  # rows used to measure a distance's typical value


class GammaKernel(Kernel):
    """A KernelRidge string kernel whose ``gamma`` is tuned.

    Subclasses set ``gamma_power`` (gamma scales as the data's units to this
    power, negated) and implement ``_matrix``, ``gamma_gradient``, ``diag``
    and ``gamma_unit``.
    """

    gamma_power = 1
    # Default bounds, times ``gamma_unit``.
    default_bounds = (1e-5, 1e5)

    @property
    def hyperparameter_gamma(self):
        return Hyperparameter("gamma", "numeric", self.gamma_bounds)

    def __call__(self, X, Y=None, eval_gradient=False):
        """The kernel matrix ``k(X, Y)`` and, with ``eval_gradient``, its
        gradient in ``log(gamma)``.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples_X, n_features)
        Y : {ndarray, sparse matrix} of shape (n_samples_Y, n_features), default=None
            None means ``X``.
        eval_gradient : bool, default=False
            Only when ``Y`` is None.

        Returns
        -------
        K : ndarray of shape (n_samples_X, n_samples_Y)
        K_gradient : ndarray of shape (n_samples_X, n_samples_X, n_dims)
            Only with ``eval_gradient``.
        """
        if eval_gradient and Y is not None:
            raise ValueError("Gradient can only be evaluated when Y is None.")
        K = self._matrix(X, Y)
        if not eval_gradient:
            return K
        if self.hyperparameter_gamma.fixed:
            return K, np.empty(K.shape + (0,))
        return K, self.gamma_gradient(X, K)[:, :, None]

    def gamma_gradient(self, X, K=None, Y=None):
        """``dK/dlog(gamma)`` between ``X`` and ``Y`` (None: ``X``), from
        ``K = k(X, Y)`` if given."""
        raise NotImplementedError

    def is_stationary(self):
        """Whether the kernel depends on ``x - y`` only."""
        return False

    def __repr__(self):
        params = ", ".join(
            f"{name}={value:.3g}" if isinstance(value, float) else f"{name}={value!r}"
            for name, value in self.get_params().items()
            if not name.endswith("_bounds")
        )
        return f"{type(self).__name__}({params})"


def _log_gradient(K):
    """``K log K`` (zero where ``K`` underflowed to zero): ``dK/dlog gamma``
    of ``K = exp(-gamma D)``."""
    gradient = np.zeros_like(K)
    positive = K > 0.0
    gradient[positive] = K[positive] * np.log(K[positive])
    return gradient


def _mean_off_diagonal(D):
    n = D.shape[0]
    return float(D.sum() / max(n * (n - 1), 1))


def _unit_rows(X):
    """At most ``_UNIT_SAMPLE`` rows of ``X`` (fixed seed)."""
    n = X.shape[0]
    if n <= _UNIT_SAMPLE:
        return X
    rows = np.sort(np.random.RandomState(0).choice(n, _UNIT_SAMPLE, replace=False))
    return X[rows]


def _inverse(value):
    return 1.0 / value if np.isfinite(value) and value > 0 else 1.0


class _DistanceKernel(GammaKernel):
    """``exp(-gamma D(x, y))`` for a distance ``D``, as the scikit-learn
    function ``_function`` computes it: ``dK/dlog gamma = K log K``, and
    ``k(x, x) = 1``.

    Parameters
    ----------
    gamma : float, default=1.0
    gamma_bounds : pair of floats or "fixed", default=(1e-5, 1e5)
    """

    def __init__(self, gamma=1.0, gamma_bounds=(1e-5, 1e5)):
        self.gamma = gamma
        self.gamma_bounds = gamma_bounds

    def _matrix(self, X, Y):
        return type(self)._function(X, Y, gamma=self.gamma)

    def gamma_gradient(self, X, K=None, Y=None):
        """``K log K``."""
        return _log_gradient(self._matrix(X, Y) if K is None else K)

    def diag(self, X):
        """Ones: ``k(x, x) = 1``."""
        return np.ones(X.shape[0])


class Laplacian(_DistanceKernel):
    """``exp(-gamma ||x - y||_1)``, as ``laplacian_kernel``.

    Parameters
    ----------
    gamma : float, default=1.0
    gamma_bounds : pair of floats or "fixed", default=(1e-5, 1e5)
    """

    _function = laplacian_kernel

    def is_stationary(self):
        """True: the kernel depends on ``x - y`` only."""
        return True

    @staticmethod
    def gamma_unit(X):
        """One over the mean L1 distance between samples."""
        return _inverse(_mean_off_diagonal(manhattan_distances(_unit_rows(X))))


class Chi2(_DistanceKernel):
    """``exp(-gamma sum_k (x_k - y_k)^2 / (x_k + y_k))``, as ``chi2_kernel``
    (non-negative dense data).

    Parameters
    ----------
    gamma : float, default=1.0
    gamma_bounds : pair of floats or "fixed", default=(1e-5, 1e5)
    """

    _function = chi2_kernel

    @staticmethod
    def gamma_unit(X):
        """One over the mean chi-squared distance between samples."""
        return _inverse(-_mean_off_diagonal(additive_chi2_kernel(_unit_rows(X))))


class _DotProductKernel(GammaKernel):
    """A function of ``gamma <x, y> + coef0``; gamma scales as the squared
    units of the data."""

    gamma_power = 2

    def _scaled_products(self, X, Y=None):
        products = safe_sparse_dot(X, (X if Y is None else Y).T, dense_output=True)
        products *= self.gamma
        return products

    def _diag_argument(self, X):
        return self.gamma * row_norms(X, squared=True) + self.coef0

    @staticmethod
    def gamma_unit(X):
        """One over the mean squared norm of the samples."""
        return _inverse(float(np.mean(row_norms(X, squared=True))))


class Polynomial(_DotProductKernel):
    """``(gamma <x, y> + coef0)^degree``, as ``polynomial_kernel``.

    Parameters
    ----------
    gamma : float, default=1.0
    degree : float, default=3
        Fixed.
    coef0 : float, default=1.0
        Fixed: ``(t gamma, t coef0)`` gives the kernel times ``t^degree``,
        which alpha absorbs, so only ``gamma / coef0`` matters.
    gamma_bounds : pair of floats or "fixed", default=(1e-4, 1e2)
        Narrower than the other kernels' by default: the kernel's magnitude
        grows as ``gamma^degree``, and beyond these bounds (times the data's
        scale) it is homogeneous or affine, its limits at any ``coef0``.
    """

    default_bounds = (1e-4, 1e2)

    def __init__(self, gamma=1.0, degree=3, coef0=1.0, gamma_bounds=(1e-4, 1e2)):
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.gamma_bounds = gamma_bounds

    def _matrix(self, X, Y):
        return polynomial_kernel(
            X, Y, degree=self.degree, gamma=self.gamma, coef0=self.coef0
        )

    def gamma_gradient(self, X, K=None, Y=None):
        """``degree (gamma <x, y> + coef0)^(degree - 1) gamma <x, y>``: one
        product ``X Y^T``, whether or not ``K`` is given."""
        scaled = self._scaled_products(X, Y)
        base = scaled + self.coef0
        np.power(base, self.degree - 1, out=base)
        base *= scaled
        base *= self.degree
        return base

    def diag(self, X):
        """``(gamma ||x||^2 + coef0)^degree``."""
        return self._diag_argument(X) ** self.degree


class Sigmoid(_DotProductKernel):
    """``tanh(gamma <x, y> + coef0)``, as ``sigmoid_kernel``; not positive
    semi-definite in general.

    Parameters
    ----------
    gamma : float, default=1.0
    coef0 : float, default=1.0
        Fixed.
    gamma_bounds : pair of floats or "fixed", default=(1e-5, 1e5)
    """

    def __init__(self, gamma=1.0, coef0=1.0, gamma_bounds=(1e-5, 1e5)):
        self.gamma = gamma
        self.coef0 = coef0
        self.gamma_bounds = gamma_bounds

    def _matrix(self, X, Y):
        return sigmoid_kernel(X, Y, gamma=self.gamma, coef0=self.coef0)

    def gamma_gradient(self, X, K=None, Y=None):
        """``(1 - K^2) gamma <x, y>``: one product ``X Y^T``."""
        scaled = self._scaled_products(X, Y)
        if K is None:
            K = np.tanh(scaled + self.coef0)
        gradient = K * K
        np.subtract(1.0, gradient, out=gradient)
        gradient *= scaled
        return gradient

    def diag(self, X):
        """``tanh(gamma ||x||^2 + coef0)``."""
        return np.tanh(self._diag_argument(X))


class PairwiseKernelMatrix(Kernel):
    """A kernel without hyperparameters, as ``pairwise_kernels`` computes it.

    Parameters
    ----------
    metric : {"linear", "cosine", "precomputed"} or callable
        With ``"precomputed"``, ``X`` is the kernel matrix (between the
        samples and the training samples) and ``Y`` is ignored, as in
        ``pairwise_kernels``.
    kernel_params : dict or None
        Keyword arguments of a callable ``metric``.
    """

    def __init__(self, metric="linear", kernel_params=None):
        self.metric = metric
        self.kernel_params = kernel_params

    def __call__(self, X, Y=None, eval_gradient=False):
        """The kernel matrix (a new array); with ``eval_gradient``, an empty
        gradient."""
        if self.metric == "precomputed":
            K = X.toarray() if sp.issparse(X) else np.array(X, dtype=float)
        else:
            params = self.kernel_params if callable(self.metric) else None
            K = pairwise_kernels(X, Y, metric=self.metric, **(params or {}))
            K = K.toarray() if sp.issparse(K) else np.asarray(K, dtype=float)
        if eval_gradient:
            return K, np.empty(K.shape + (0,))
        return K

    def diag(self, X):
        """``k(x, x)`` of every sample."""
        if self.metric == "precomputed":
            return np.asarray(X.diagonal(), dtype=float).copy()
        if self.metric == "linear":
            return row_norms(X, squared=True)
        if self.metric == "cosine":
            return (row_norms(X) > 0).astype(float)
        return np.array([self(X[i : i + 1])[0, 0] for i in range(X.shape[0])])

    def is_stationary(self):
        """False."""
        return False

    def __repr__(self):
        name = getattr(self.metric, "__name__", self.metric)
        return f"{type(self).__name__}(metric={name!r})"
