"""The contraction ``<M, dK/dtheta_j>`` of a kernel's gradient with a matrix.

Every hypergradient of the kernel ridge criteria is ``<M, dK/dtheta_j>`` for one
``n x n`` matrix ``M`` per evaluation (the maths page, "Kernel ridge").
scikit-learn's ``kernel(X, eval_gradient=True)`` builds the ``n x n x n_dims``
tensor of ``dK/dtheta``; :func:`contract_kernel_gradient` contracts it without
building it, by recursion over the kernel tree:

- ``Sum``: the children's contractions, concatenated;
- ``Product``: the product rule, ``<M, dK1 * K2> = <M * K2, dK1>``;
- ``ConstantKernel``: ``dK/dlog c = K``; ``DotProduct``:
  ``dK/dlog sigma_0 = 2 sigma_0^2``;
- KernelRidge's string kernels (laplacian, chi2, polynomial, sigmoid): their
  one ``n x n`` gradient in ``log(gamma)``, contracted;
- ``WhiteKernel``: zero, since kernel ridge evaluates ``K(X, X)``, where
  scikit-learn's white kernel vanishes (:func:`training_kernel`);
- stationary kernels ``K = F(s)`` of the scaled squared distance
  ``s = ||(x - x') / l||^2`` (RBF, Matern with nu in 0.5, 1.5, 2.5, inf,
  RationalQuadratic): ``dK/dlog l_k = Phi * D_k`` with ``Phi = -2 F'(s)`` and
  ``D_k = (x_k - x_k^T)^2 / l_k^2``. With ``A = M * Phi``,
  ``<A, D_k> = 2 (x_k^2)^T A 1 - 2 x_k^T A x_k``: all length scales at once
  from one ``n x n`` by ``n x d`` product, by blocks of rows, so that memory
  stays a few blocks beyond ``M`` whatever ``d`` is.

Other kernels fall back to ``kernel(X, eval_gradient=True)``.
"""

import numpy as np
from scipy.linalg import blas
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    DotProduct,
    Exponentiation,
    Matern,
    Product,
    RationalQuadratic,
    Sum,
    WhiteKernel,
)

from .pairwise import Chi2, Laplacian, Polynomial, Sigmoid

_BLOCK_ELEMENTS = 2**21  # entries of one block of rows of an n x n matrix


def white_leaves(kernel):
    """Every ``WhiteKernel`` in the kernel tree, with its ``set_params`` prefix.

    Returns
    -------
    list of (str, WhiteKernel)
        E.g. ``("k2__", kernel.k2)``; the prefix of ``kernel`` itself is ``""``.
    """
    found = [("", kernel)] if isinstance(kernel, WhiteKernel) else []
    return found + [
        (name + "__", part)
        for name, part in kernel.get_params(deep=True).items()
        if isinstance(part, WhiteKernel)
    ]


def contains_white(kernel):
    """Whether a ``WhiteKernel`` appears in the kernel tree."""
    return bool(white_leaves(kernel))


def training_kernel(kernel, X):
    """The kernel matrix of the training data, as ``KernelRidge`` evaluates it.

    ``KernelRidge`` calls ``kernel(X, X)``, where scikit-learn's ``WhiteKernel``
    is zero; ``kernel(X)`` (cheaper, exactly symmetric) is the same matrix for
    kernels without one.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    K : ndarray of shape (n_samples, n_samples)
        A new array.
    """
    return kernel(X, X) if contains_white(kernel) else kernel(X)


def contract_kernel_gradient(kernel, X, M):
    """Return ``<M, dK/dtheta_j>`` for every free hyperparameter of ``kernel``.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel
    X : ndarray of shape (n_samples, n_features)
    M : ndarray of shape (n_samples, n_samples)
        Symmetric; not modified.

    Returns
    -------
    grad : ndarray of shape (len(kernel.theta),)
        In the order of ``kernel.theta`` (log hyperparameters).
    """
    if kernel.n_dims == 0:
        return np.zeros(0)
    rule = _RULES.get(type(kernel), _generic)
    return np.asarray(rule(kernel, X, M), dtype=float)


def _generic(kernel, X, M):
    _, gradient = kernel(X, eval_gradient=True)
    return np.einsum("ij,ijk->k", M, gradient)


def _sum(kernel, X, M):
    return np.concatenate(
        [
            contract_kernel_gradient(kernel.k1, X, M),
            contract_kernel_gradient(kernel.k2, X, M),
        ]
    )


def _product(kernel, X, M):
    return np.concatenate(
        [
            _factor_gradient(kernel.k1, kernel.k2, X, M),
            _factor_gradient(kernel.k2, kernel.k1, X, M),
        ]
    )


def _factor_gradient(factor, other, X, M):
    """``<M, dK_factor * K_other>`` by the product rule, ``<M * K_other, dK>``."""
    if factor.n_dims == 0:
        return np.zeros(0)
    if type(other) is ConstantKernel:  # K_other = c 1 1^T: no n x n product
        return other.constant_value * contract_kernel_gradient(factor, X, M)
    weighted = training_kernel(other, X)
    weighted *= M
    return contract_kernel_gradient(factor, X, weighted)


def _exponentiation(kernel, X, M):
    """``K = K1^p``: ``dK = p K1^(p - 1) dK1``."""
    weighted = training_kernel(kernel.kernel, X)
    np.power(weighted, kernel.exponent - 1.0, out=weighted)
    weighted *= kernel.exponent
    weighted *= M
    return contract_kernel_gradient(kernel.kernel, X, weighted)


def _constant(kernel, X, M):
    return [kernel.constant_value * M.sum()]


def _white(kernel, X, M):
    return np.zeros(kernel.n_dims)


def _dot_product(kernel, X, M):
    return [2.0 * kernel.sigma_0**2 * M.sum()]


def _gamma(kernel, X, M):
    """KernelRidge's string kernels: ``<M, dK/dlog gamma>``."""
    return [np.vdot(M, kernel.gamma_gradient(X))]


def _rbf(kernel, X, M):
    return _stationary(kernel, X, M, _rbf_phi)


def _rbf_phi(s):
    # F(s) = exp(-s / 2): Phi = exp(-s / 2).
    s *= -0.5
    return np.exp(s, out=s)


def _matern(kernel, X, M):
    phi = _MATERN_PHI.get(float(kernel.nu))
    if phi is None:
        return _generic(kernel, X, M)
    return _stationary(kernel, X, M, phi)


def _matern05_phi(s):
    # F = exp(-r), r = sqrt(s): Phi = exp(-r) / r, zero where r = 0 (D_k = 0).
    r = np.sqrt(s, out=s)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.exp(-r) / r
    phi[r == 0.0] = 0.0
    return phi


def _matern15_phi(s):
    # F = (1 + sqrt(3) r) exp(-sqrt(3) r): Phi = 3 exp(-sqrt(3) r).
    r = np.sqrt(s, out=s)
    r *= -np.sqrt(3.0)
    np.exp(r, out=r)
    r *= 3.0
    return r


def _matern25_phi(s):
    # F = (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r):
    # Phi = 5 / 3 (1 + sqrt(5) r) exp(-sqrt(5) r).
    r = np.sqrt(s, out=s)
    r *= np.sqrt(5.0)
    phi = np.exp(-r)
    r += 1.0
    phi *= r
    phi *= 5.0 / 3.0
    return phi


_MATERN_PHI = {
    0.5: _matern05_phi,
    1.5: _matern15_phi,
    2.5: _matern25_phi,
    np.inf: _rbf_phi,
}


def _rational_quadratic(kernel, X, M):
    """``F(s) = B^-a`` with ``B = 1 + s / (2 a)``: ``Phi = B^(-a-1)`` and
    ``dK/dlog a = K (s / (2 B) - a log B)``; ``theta = [log a, log l]``."""
    a = kernel.alpha
    grads = []
    if not kernel.hyperparameter_alpha.fixed:

        def alpha_term(s):
            base = 1.0 + s / (2.0 * a)
            return base**-a * (s / (2.0 * base) - a * np.log(base))

        grads.append(_stationary_sum(kernel, X, M, alpha_term))
    if not kernel.hyperparameter_length_scale.fixed:

        def phi(s):
            s /= 2.0 * a
            s += 1.0
            return np.power(s, -a - 1.0, out=s)

        grads.extend(_stationary(kernel, X, M, phi))
    return grads


def _scaled_rows(kernel, X):
    """``X / l``, centred (distances do not change, cancellation does)."""
    scaled = X / kernel.length_scale
    return scaled - scaled.mean(axis=0)


def _row_blocks(n):
    size = max(1, min(n, _BLOCK_ELEMENTS // max(n, 1)))
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def _squared_distances(Z, norms, rows):
    """Block ``s[rows, :]`` of the squared distances between the rows of ``Z``."""
    block = np.add.outer(norms[rows], norms)
    # block.T is Fortran-ordered: BLAS adds -2 Z Z[rows]^T to it in place.
    blas.dgemm(-2.0, Z, Z[rows], beta=1.0, c=block.T, trans_b=1, overwrite_c=1)
    np.maximum(block, 0.0, out=block)
    index = np.arange(block.shape[0])
    block[index, index + rows.start] = 0.0
    return block


def _stationary(kernel, X, M, phi):
    """``<M, Phi * D_k>`` for each length scale (one value if isotropic)."""
    if kernel.hyperparameter_length_scale.fixed:
        return np.zeros(0)
    Z = _scaled_rows(kernel, X)
    norms = np.einsum("ij,ij->i", Z, Z)
    isotropic = not getattr(kernel, "anisotropic", False)
    total = 0.0
    row_sums = np.empty(Z.shape[0])
    AZ = np.empty_like(Z)
    for rows in _row_blocks(Z.shape[0]):
        s = _squared_distances(Z, norms, rows)
        if isotropic:  # sum_k D_k = s: contract exactly, no cancellation
            A = phi(s.copy())
            A *= M[rows]
            total += np.vdot(A, s)
            continue
        A = phi(s)
        A *= M[rows]
        row_sums[rows] = A.sum(axis=1)
        AZ[rows] = A @ Z
    if isotropic:
        return np.array([total])
    return 2.0 * (Z * Z).T @ row_sums - 2.0 * np.einsum("ik,ik->k", Z, AZ)


def _stationary_sum(kernel, X, M, term):
    """``<M, term(s)>`` for an elementwise function of the scaled distance."""
    Z = _scaled_rows(kernel, X)
    norms = np.einsum("ij,ij->i", Z, Z)
    total = 0.0
    for rows in _row_blocks(Z.shape[0]):
        total += np.vdot(term(_squared_distances(Z, norms, rows)), M[rows])
    return total


_RULES = {
    Sum: _sum,
    Product: _product,
    Exponentiation: _exponentiation,
    ConstantKernel: _constant,
    WhiteKernel: _white,
    DotProduct: _dot_product,
    RBF: _rbf,
    Matern: _matern,
    RationalQuadratic: _rational_quadratic,
    Laplacian: _gamma,
    Chi2: _gamma,
    Polynomial: _gamma,
    Sigmoid: _gamma,
}
