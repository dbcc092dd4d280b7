"""
=========================================================
Kernel ridge: the leave-one-out landscape and the search
=========================================================

:class:`~skhypergrad.GradientKernelRidgeCV` tunes the penalty ``alpha`` and
every hyperparameter of a scikit-learn kernel by the gradient of the exact
leave-one-out (LOO) error. Here the kernel is an RBF with one length scale, so
the criterion is a function of two numbers and can be drawn: we compute it on
a grid, independently of the estimator, and draw the path the estimator's
search took on it (its ``history_``).
"""

# %%
# A noisy one-dimensional function
# --------------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy import linalg
from sklearn.gaussian_process.kernels import RBF
from sklearn.kernel_ridge import KernelRidge
from sklearn.model_selection import GridSearchCV

from skhypergrad import GradientKernelRidgeCV

rng = np.random.RandomState(0)
n = 120
X = np.sort(rng.uniform(0, 6, (n, 1)), axis=0)
y = np.sin(2 * X[:, 0]) + 0.3 * X[:, 0] + 0.4 * rng.standard_normal(n)

# %%
# The LOO landscape, computed on a grid
# -------------------------------------
# Without an intercept, kernel ridge's coefficients are
# :math:`c = (K + \alpha I)^{-1} y` and the LOO residual is
# :math:`e_i = c_i / [(K + \alpha I)^{-1}]_{ii}`. With the eigendecomposition
# :math:`K = U \mathrm{diag}(s) U^T`, one decomposition per length scale gives
# the criterion at every alpha.
alphas = np.logspace(-6, 1, 60)
length_scales = np.logspace(-1.5, 1, 50)
landscape = np.empty((length_scales.size, alphas.size))
for i, length_scale in enumerate(length_scales):
    s, U = linalg.eigh(RBF(length_scale)(X))
    z = U.T @ y
    inverse = 1.0 / (np.clip(s, 0, None)[:, None] + alphas[None, :])
    coef = U @ (inverse * z[:, None])
    diagonal = (U * U) @ inverse
    landscape[i] = np.mean((coef / diagonal) ** 2, axis=0)

# %%
# The search
# ----------
# The estimator picks a starting length scale, scans alpha there (from one
# eigendecomposition), then runs L-BFGS-B on both. Each step costs one
# Cholesky factorisation; the gradient comes from the same factor.
# ``history_`` marks the scan's rows with ``phase == "scan"``.
start = time.perf_counter()
model = GradientKernelRidgeCV(RBF(1.0), fit_intercept=False).fit(X, y)
seconds = time.perf_counter() - start
history = model.history_
scanned = history["phase"] == "scan"
path = ~scanned
print(
    f"alpha_ = {model.alpha_:.3g}, length scale = {model.kernel_.length_scale:.3g}, "
    f"LOO MSE = {-model.best_score_:.4f}, {path.sum()} gradient evaluations, "
    f"{seconds:.2f} s"
)
print(f"lowest LOO MSE on the grid: {landscape.min():.4f}")

# %%
# For comparison, a 5-fold grid search over a 10 x 10 grid fits 500 models
# and can only return one of its grid points.
grid = GridSearchCV(
    KernelRidge(kernel="rbf"),
    {"alpha": np.logspace(-6, 1, 10), "gamma": np.logspace(-2, 2, 10)},
    cv=5,
).fit(X, y)
best_gamma = grid.best_params_["gamma"]
print(
    f"grid: alpha = {grid.best_params_['alpha']:.3g}, length scale = "
    f"{1 / np.sqrt(2 * best_gamma):.3g}"
)

# %%
# The landscape and the path
# --------------------------
fig, (ax, ax_fit) = plt.subplots(1, 2, figsize=(11, 4.5))
levels = landscape.min() * np.logspace(0, 1, 21)  # up to ten times the minimum
contour = ax.contourf(
    alphas, length_scales, landscape, levels=levels, cmap="viridis", extend="max"
)
fig.colorbar(contour, ax=ax, label="mean squared LOO error", format="%.2f")
ax.plot(
    history["alpha"][path],
    history["length_scale"][path],
    "o-",
    color="white",
    markersize=3,
    label="L-BFGS-B path",
)
ax.plot(
    history["alpha"][scanned],
    history["length_scale"][scanned],
    "|",
    color="orange",
    label="alpha scan",
)
ax.plot(model.alpha_, model.kernel_.length_scale, "*", color="red", markersize=14)
ax.set(
    xscale="log",
    yscale="log",
    xlim=(alphas[0], alphas[-1]),
    xlabel="alpha",
    ylabel="RBF length scale",
    title="Leave-one-out error",
)
ax.legend(loc="lower left")

grid_X = np.linspace(0, 6, 400)[:, None]
ax_fit.scatter(X[:, 0], y, s=10, color="gray", label="data")
ax_fit.plot(grid_X[:, 0], model.predict(grid_X), color="red", label="fit")
ax_fit.set(xlabel="x", ylabel="y", title="GradientKernelRidgeCV")
ax_fit.legend()
fig.tight_layout()
plt.show()
