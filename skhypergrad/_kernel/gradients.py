"""The contraction ``<M, dK/dtheta_j>`` of a kernel's gradient with a matrix.

Every hypergradient of the kernel ridge criteria is ``<M, dK/dtheta_j>`` for one
matrix ``M`` per evaluation (the maths page, "Kernel ridge"): ``n x n`` for
the training kernel ``K = k(X, X)``, ``n x m`` for the rectangular kernel
``K = k(X, Y)`` between the samples and ``m`` centres (Nystroem).
scikit-learn's ``kernel(X, eval_gradient=True)`` builds the ``n x n x n_dims``
tensor of ``dK/dtheta`` (and has none for ``k(X, Y)``);
:func:`contract_kernel_gradient` contracts it without building it, by
recursion over the kernel tree:

- ``Sum``: the children's contractions, concatenated;
- ``Product``: the product rule, ``<M, dK1 * K2> = <M * K2, dK1>``;
- ``ConstantKernel``: ``dK/dlog c = K``; ``DotProduct``:
  ``dK/dlog sigma_0 = 2 sigma_0^2``;
- KernelRidge's string kernels (laplacian, chi2, polynomial, sigmoid): their
  one gradient in ``log(gamma)``, contracted;
- ``WhiteKernel``: zero, since kernel ridge evaluates ``K(X, X)``, where
  scikit-learn's white kernel vanishes (:func:`training_kernel`);
- stationary kernels ``K = F(s)`` of the scaled squared distance
  ``s = ||(x - y) / l||^2`` (RBF, Matern with nu in 0.5, 1.5, 2.5, inf,
  RationalQuadratic): ``dK/dlog l_k = Phi * D_k`` with ``Phi = -2 F'(s)`` and
  ``D_k = (x_k - y_k^T)^2 / l_k^2``. With ``A = M * Phi``,
  ``<A, D_k> = (x_k^2)^T A 1 + 1^T A y_k^2 - 2 x_k^T A y_k``: all length
  scales at once from one product ``A Y``, by blocks of rows, so that memory
  stays a few blocks beyond ``M`` whatever ``d`` is.

Other kernels fall back to ``kernel(X, eval_gradient=True)`` for ``k(X, X)``
and to central differences in ``theta`` (by blocks of rows) for ``k(X, Y)``.
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


def cross_kernel(kernel, X, Y, out=None):
    """The kernel matrix ``k(X, Y)``, evaluated by blocks of rows of ``X``
    so that the kernel's temporaries stay a few blocks.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : {ndarray, sparse matrix} of shape (n_centres, n_features)
    out : ndarray of shape (n_samples, n_centres) or None
        C-ordered; a reused array saves the page faults of a new one.

    Returns
    -------
    K : ndarray of shape (n_samples, n_centres)
    """
    K = np.empty((X.shape[0], Y.shape[0])) if out is None else out
    if type(kernel) is RBF:  # exp(-s / 2) written in place, distances by BLAS
        ZX, norms_x, ZY, norms_y, blocks = _scaled_distances(kernel, X, Y)
        for rows in blocks:
            _rbf_phi(_squared_distances(ZX, norms_x, ZY, norms_y, rows, out=K[rows]))
        return K
    for rows in _row_blocks(X.shape[0], Y.shape[0]):
        K[rows] = kernel(X[rows], Y)
    return K


def _kernel_matrix(kernel, X, Y):
    """``k(X, X)`` as kernel ridge sees it (Y None), else ``k(X, Y)``."""
    return training_kernel(kernel, X) if Y is None else cross_kernel(kernel, X, Y)


def contract_kernel_gradient(kernel, X, M, Y=None):
    """Return ``<M, dK/dtheta_j>`` for every free hyperparameter of ``kernel``.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel
    X : ndarray of shape (n_samples, n_features)
    M : ndarray of shape (n_samples, n_samples) or (n_samples, n_centres)
        Symmetric when square; not modified.
    Y : ndarray of shape (n_centres, n_features) or None
        None: ``K = k(X, X)``; else ``K = k(X, Y)``.

    Returns
    -------
    grad : ndarray of shape (len(kernel.theta),)
        In the order of ``kernel.theta`` (log hyperparameters).
    """
    if kernel.n_dims == 0:
        return np.zeros(0)
    rule = _RULES.get(type(kernel), _generic)
    return np.asarray(rule(kernel, X, M, Y), dtype=float)


_DIFFERENCE_STEP = 1e-5  # in log space, for kernels without a gradient of k(X, Y)


def _generic(kernel, X, M, Y):
    if Y is None:
        _, gradient = kernel(X, eval_gradient=True)
        return np.einsum("ij,ijk->k", M, gradient)
    # scikit-learn has no gradient of k(X, Y): central differences, by blocks.
    theta = kernel.theta
    grad = np.zeros(theta.size)
    for j in range(theta.size):
        step = np.zeros(theta.size)
        step[j] = _DIFFERENCE_STEP
        upper = kernel.clone_with_theta(theta + step)
        lower = kernel.clone_with_theta(theta - step)
        for rows in _row_blocks(X.shape[0], Y.shape[0]):
            difference = upper(X[rows], Y) - lower(X[rows], Y)
            grad[j] += np.vdot(M[rows], difference)
    return grad / (2.0 * _DIFFERENCE_STEP)


def _sum(kernel, X, M, Y):
    return np.concatenate(
        [
            contract_kernel_gradient(kernel.k1, X, M, Y),
            contract_kernel_gradient(kernel.k2, X, M, Y),
        ]
    )


def _product(kernel, X, M, Y):
    return np.concatenate(
        [
            _factor_gradient(kernel.k1, kernel.k2, X, M, Y),
            _factor_gradient(kernel.k2, kernel.k1, X, M, Y),
        ]
    )


def _factor_gradient(factor, other, X, M, Y):
    """``<M, dK_factor * K_other>`` by the product rule, ``<M * K_other, dK>``."""
    if factor.n_dims == 0:
        return np.zeros(0)
    if type(other) is ConstantKernel:  # K_other = c 1 1^T: no n x n product
        return other.constant_value * contract_kernel_gradient(factor, X, M, Y)
    weighted = _kernel_matrix(other, X, Y)
    weighted *= M
    return contract_kernel_gradient(factor, X, weighted, Y)


def _exponentiation(kernel, X, M, Y):
    """``K = K1^p``: ``dK = p K1^(p - 1) dK1``."""
    weighted = _kernel_matrix(kernel.kernel, X, Y)
    np.power(weighted, kernel.exponent - 1.0, out=weighted)
    weighted *= kernel.exponent
    weighted *= M
    return contract_kernel_gradient(kernel.kernel, X, weighted, Y)


def _constant(kernel, X, M, Y):
    return [kernel.constant_value * M.sum()]


def _white(kernel, X, M, Y):
    return np.zeros(kernel.n_dims)


def _dot_product(kernel, X, M, Y):
    return [2.0 * kernel.sigma_0**2 * M.sum()]


def _gamma(kernel, X, M, Y):
    """KernelRidge's string kernels: ``<M, dK/dlog gamma>``."""
    if Y is None:
        return [np.vdot(M, kernel.gamma_gradient(X))]
    total = 0.0
    for rows in _row_blocks(X.shape[0], Y.shape[0]):
        total += np.vdot(M[rows], kernel.gamma_gradient(X[rows], Y=Y))
    return [total]


def _rbf(kernel, X, M, Y):
    return _stationary(kernel, X, M, Y, _rbf_phi)


def _rbf_phi(s):
    # F(s) = exp(-s / 2): Phi = exp(-s / 2).
    s *= -0.5
    return np.exp(s, out=s)


def _matern(kernel, X, M, Y):
    phi = _MATERN_PHI.get(float(kernel.nu))
    if phi is None:
        return _generic(kernel, X, M, Y)
    return _stationary(kernel, X, M, Y, phi)


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


def _rational_quadratic(kernel, X, M, Y):
    """``F(s) = B^-a`` with ``B = 1 + s / (2 a)``: ``Phi = B^(-a-1)`` and
    ``dK/dlog a = K (s / (2 B) - a log B)``; ``theta = [log a, log l]``."""
    a = kernel.alpha
    grads = []
    if not kernel.hyperparameter_alpha.fixed:

        def alpha_term(s):
            base = 1.0 + s / (2.0 * a)
            return base**-a * (s / (2.0 * base) - a * np.log(base))

        grads.append(_stationary_sum(kernel, X, M, Y, alpha_term))
    if not kernel.hyperparameter_length_scale.fixed:

        def phi(s):
            s /= 2.0 * a
            s += 1.0
            return np.power(s, -a - 1.0, out=s)

        grads.extend(_stationary(kernel, X, M, Y, phi))
    return grads


def _scaled_rows(kernel, X, Y):
    """``X / l`` and ``Y / l`` (``Y / l`` is None when ``Y`` is), centred by
    the mean of ``X / l`` (distances do not change, cancellation does)."""
    scaled = X / kernel.length_scale
    mean = scaled.mean(axis=0)
    scaled -= mean
    if Y is None:
        return scaled, None
    return scaled, Y / kernel.length_scale - mean


def _row_blocks(n, n_columns=None):
    """Blocks of rows of an ``n x n_columns`` matrix (``n x n`` by default)."""
    n_columns = n if n_columns is None else n_columns
    size = max(1, min(n, _BLOCK_ELEMENTS // max(n_columns, 1)))
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def _squared_distances(ZX, norms_x, ZY, norms_y, rows, out=None):
    """Block ``s[rows, :]`` of the squared distances between the rows of
    ``ZX`` and those of ``ZY`` (``ZY`` None: of ``ZX``, zero diagonal), in
    ``out`` if given (C-ordered)."""
    square = ZY is None
    if square:
        ZY, norms_y = ZX, norms_x
    block = np.add.outer(norms_x[rows], norms_y, out=out)
    # block.T is Fortran-ordered: BLAS adds -2 ZY ZX[rows]^T to it in place.
    blas.dgemm(-2.0, ZY, ZX[rows], beta=1.0, c=block.T, trans_b=1, overwrite_c=1)
    np.maximum(block, 0.0, out=block)
    if square:
        index = np.arange(block.shape[0])
        block[index, index + rows.start] = 0.0
    return block


def _scaled_distances(kernel, X, Y):
    """The scaled rows of ``X`` and ``Y``, their squared norms, and the
    blocks of rows over which to walk the squared distances."""
    ZX, ZY = _scaled_rows(kernel, X, Y)
    norms_x = np.einsum("ij,ij->i", ZX, ZX)
    norms_y = None if ZY is None else np.einsum("ij,ij->i", ZY, ZY)
    n_columns = ZX.shape[0] if ZY is None else ZY.shape[0]
    return ZX, norms_x, ZY, norms_y, _row_blocks(ZX.shape[0], n_columns)


def _stationary(kernel, X, M, Y, phi):
    """``<M, Phi * D_k>`` for each length scale (one value if isotropic)."""
    if kernel.hyperparameter_length_scale.fixed:
        return np.zeros(0)
    ZX, norms_x, ZY, norms_y, blocks = _scaled_distances(kernel, X, Y)
    isotropic = not getattr(kernel, "anisotropic", False)
    total = 0.0
    right = ZX if ZY is None else ZY
    row_sums = np.empty(ZX.shape[0])
    column_sums = np.zeros(right.shape[0])
    AZ = np.empty_like(ZX)
    for rows in blocks:
        s = _squared_distances(ZX, norms_x, ZY, norms_y, rows)
        if isotropic:  # sum_k D_k = s: contract exactly, no cancellation
            A = phi(s.copy())
            A *= M[rows]
            total += np.vdot(A, s)
            continue
        A = phi(s)
        A *= M[rows]
        row_sums[rows] = A.sum(axis=1)
        column_sums += A.sum(axis=0)
        AZ[rows] = A @ right
    if isotropic:
        return np.array([total])
    return (
        (ZX * ZX).T @ row_sums
        + (right * right).T @ column_sums
        - 2.0 * np.einsum("ik,ik->k", ZX, AZ)
    )


def _stationary_sum(kernel, X, M, Y, term):
    """``<M, term(s)>`` for an elementwise function of the scaled distance."""
    ZX, norms_x, ZY, norms_y, blocks = _scaled_distances(kernel, X, Y)
    total = 0.0
    for rows in blocks:
        s = _squared_distances(ZX, norms_x, ZY, norms_y, rows)
        total += np.vdot(term(s), M[rows])
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
