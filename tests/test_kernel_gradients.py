"""The contraction <M, dK/dtheta> equals the one of scikit-learn's gradient
tensor, and one criterion evaluation stays within a few n x n matrices."""

import tracemalloc

import numpy as np
import pytest
from _finite_differences import central_differences
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    DotProduct,
    ExpSineSquared,
    Matern,
    PairwiseKernel,
    RationalQuadratic,
    WhiteKernel,
)

from skhypergrad._core.cholesky import factor_in_place, symmetrize_lower
from skhypergrad._kernel.criteria import KernelCriterion, KernelData
from skhypergrad._kernel.gradients import (
    contract_kernel_gradient,
    training_kernel,
    white_leaves,
)

KERNELS = [
    RBF(1.3),
    RBF([1.0, 2.0, 0.5]),
    Matern(1.1, nu=0.5),
    Matern([1.0, 2.0, 0.7], nu=0.5),
    Matern(0.9, nu=1.5),
    Matern([1.0, 2.0, 0.7], nu=1.5),
    Matern(1.2, nu=2.5),
    Matern([1.0, 2.0, 0.7], nu=2.5),
    Matern(1.0, nu=np.inf),
    Matern(1.0, nu=0.7),  # no closed form: scikit-learn's numerical gradient
    RationalQuadratic(1.5, 0.7),
    RationalQuadratic(1.5, 0.7, alpha_bounds="fixed"),
    DotProduct(0.5),
    ConstantKernel(2.0) * RBF([1.0, 2.0, 0.5]),
    RBF([1.0, 2.0, 0.5]) * ConstantKernel(0.5),
    RBF(2.0) + WhiteKernel(0.3),
    RBF(1.0) * Matern(2.0) + ConstantKernel(0.4),
    RBF(1.5) ** 2,
    RBF(1.0, length_scale_bounds="fixed") + DotProduct(1.0),
    PairwiseKernel(gamma=0.3, metric="laplacian"),
]


def reference_contraction(kernel, X, M):
    """From the n x n x n_dims tensor; a WhiteKernel adds nothing to K(X, X)."""
    _, gradient = kernel(X, eval_gradient=True)
    result = np.einsum("ij,ijk->k", M, gradient)
    for k, hyper in enumerate(h for h in kernel.hyperparameters if not h.fixed):
        if hyper.name.endswith("noise_level"):
            result[k] = 0.0
    return result


@pytest.mark.parametrize("kernel", KERNELS, ids=repr)
def test_contraction_equals_the_gradient_tensor(kernel):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    M = rng.standard_normal((50, 50))
    M += M.T
    M_before = M.copy()
    result = contract_kernel_gradient(kernel, X, M)
    expected = reference_contraction(kernel, X, M)
    assert result.shape == kernel.theta.shape
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-10 * scale)
    np.testing.assert_array_equal(M, M_before)


def numerical_in_scikit_learn(kernel):
    """scikit-learn's own gradient of this kernel is a finite difference."""
    if isinstance(kernel, PairwiseKernel):
        return True
    return isinstance(kernel, Matern) and kernel.nu not in (0.5, 1.5, 2.5, np.inf)


@pytest.mark.parametrize("kernel", KERNELS, ids=repr)
def test_contraction_equals_finite_differences_of_the_kernel(kernel):
    """Independent of scikit-learn's gradient: ``<M, dK>`` of the matrix
    kernel ridge uses, by central differences in ``kernel.theta``."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 3))
    M = rng.standard_normal((30, 30))
    M += M.T

    def contracted(theta):
        return np.vdot(M, training_kernel(kernel.clone_with_theta(theta), X)), None

    expected = central_differences(contracted, kernel.theta, step=1e-5)
    scale = np.max(np.abs(expected))
    tol = 1e-5 if numerical_in_scikit_learn(kernel) else 1e-8
    np.testing.assert_allclose(
        contract_kernel_gradient(kernel, X, M), expected, rtol=0, atol=tol * scale
    )


def test_contraction_of_a_periodic_kernel_on_one_feature():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 5, (40, 1))
    M = rng.standard_normal((40, 40))
    M += M.T
    kernel = ExpSineSquared(1.2, 2.5)
    expected = reference_contraction(kernel, X, M)
    np.testing.assert_allclose(
        contract_kernel_gradient(kernel, X, M), expected, rtol=1e-10
    )


def test_a_kernel_without_free_hyperparameter_contracts_to_nothing():
    X = np.random.default_rng(0).standard_normal((5, 2))
    kernel = RBF(1.0, length_scale_bounds="fixed")
    assert contract_kernel_gradient(kernel, X, np.eye(5)).shape == (0,)


def test_training_kernel_is_what_kernel_ridge_sees():
    X = np.random.default_rng(0).standard_normal((6, 2))
    kernel = RBF(1.0) + WhiteKernel(0.5)
    np.testing.assert_allclose(training_kernel(kernel, X), RBF(1.0)(X))
    np.testing.assert_allclose(training_kernel(RBF(2.0), X), RBF(2.0)(X, X))


def test_white_leaves_walk_the_whole_tree():
    kernel = RBF() * (WhiteKernel(0.1) + ConstantKernel()) + WhiteKernel(0.2) ** 2
    found = dict(white_leaves(kernel))
    assert sorted(found) == ["k1__k2__k1__", "k2__kernel__"]
    assert found["k1__k2__k1__"] is kernel.k1.k2.k1
    assert found["k2__kernel__"] is kernel.k2.kernel
    kernel.set_params(**{prefix + "noise_level": 0.5 for prefix in found})
    assert kernel.k1.k2.k1.noise_level == kernel.k2.kernel.noise_level == 0.5
    white = WhiteKernel()
    assert white_leaves(white) == [("", white)]
    assert white_leaves(RBF() + DotProduct()) == []


def test_symmetrize_lower_copies_the_lower_triangle():
    A = np.arange(1.0, 1.0 + 700 * 700).reshape(700, 700)  # more than one block
    result = symmetrize_lower(A.copy())
    expected = np.tril(A) + np.tril(A, -1).T
    np.testing.assert_array_equal(result, expected)


def test_one_ard_evaluation_stays_within_six_n_by_n_matrices():
    n, d = 1500, 20
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(n, d))
    y = np.sin(3 * X[:, 0]) + 0.1 * rng.standard_normal(n)
    kernel = RBF(np.full(d, 2.0))
    criterion = KernelCriterion(
        KernelData(X, y[:, None], np.ones(n), True), kernel, "loo"
    )
    theta = np.r_[np.log(0.1), kernel.theta]
    tracemalloc.start()
    try:
        value, grad = criterion(theta)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.isfinite(value) and grad.shape == (d + 1,)
    assert peak < 6 * n * n * 8, f"peak {peak / (n * n * 8):.2f} n^2 doubles"


def test_a_singular_system_gets_jitter_with_a_warning():
    G = np.ones((5, 5))  # rank one
    with pytest.warns(RuntimeWarning, match="added"):
        L, lower = factor_in_place(G.copy())
    factor = np.tril(L)
    np.testing.assert_allclose(factor @ factor.T, np.ones((5, 5)), atol=1e-9)
    assert lower


def test_a_positive_definite_system_is_factored_in_place():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 30))
    G = A @ A.T + np.eye(30)
    expected = np.linalg.cholesky(G)
    L, _ = factor_in_place(G)
    assert np.shares_memory(L, G)
    np.testing.assert_allclose(np.tril(L), expected, rtol=1e-12, atol=1e-12)
