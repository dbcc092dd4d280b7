"""
=====================================================
Kernel ridge on a pandas DataFrame, without a grid
=====================================================

A :class:`~sklearn.kernel_ridge.KernelRidge` user who tunes ``alpha`` and
``gamma`` with :class:`~sklearn.model_selection.GridSearchCV` can keep the
constructor call: :class:`~skhypergrad.GradientKernelRidgeCV` takes
``kernel="rbf"``, ``gamma``, ``degree`` and ``coef0`` with the same meaning,
treats ``alpha`` and ``gamma`` as starting values, and follows the gradient of
the exact leave-one-out error from there. It reports the result in
``KernelRidge``'s terms: ``alpha_`` and ``gamma_``.

The data here are a pandas DataFrame; the pipeline standardises its columns
(kernel ridge with one ``gamma`` for all features needs features on one scale)
and keeps the column names.
"""

# %%
# The data: a DataFrame
# ---------------------
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.kernel_ridge import KernelRidge
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skhypergrad import GradientKernelRidgeCV

X, y = load_diabetes(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
X_train.head()

# %%
# The grid search a KernelRidge user would write
# ----------------------------------------------
# Ten values of ``alpha`` by ten of ``gamma``, five folds: 500 fits.
grid = GridSearchCV(
    make_pipeline(StandardScaler(), KernelRidge(kernel="rbf")),
    {
        "kernelridge__alpha": np.logspace(-3, 2, 10),
        "kernelridge__gamma": np.logspace(-4, 0, 10),
    },
    cv=5,
)
start = time.perf_counter()
grid.fit(X_train, y_train)
grid_seconds = time.perf_counter() - start

# %%
# The same constructor, tuned by the gradient
# -------------------------------------------
# ``alpha=1.0`` and ``gamma=0.1`` are where the search starts. The default
# ``fit_intercept=True`` adds an unpenalised intercept, which ``KernelRidge``
# does not have (see below for the model without it).
model = make_pipeline(
    StandardScaler(), GradientKernelRidgeCV(alpha=1.0, kernel="rbf", gamma=0.1)
).set_output(transform="pandas")
start = time.perf_counter()
model.fit(X_train, y_train)
ours_seconds = time.perf_counter() - start
krr = model[-1]
print("feature names seen by the estimator:", list(krr.feature_names_in_))

results = pd.DataFrame(
    {
        "fit seconds": [grid_seconds, ours_seconds],
        "test R^2": [grid.score(X_test, y_test), model.score(X_test, y_test)],
        "alpha": [grid.best_params_["kernelridge__alpha"], krr.alpha_],
        "gamma": [grid.best_params_["kernelridge__gamma"], krr.gamma_],
    },
    index=["GridSearchCV(KernelRidge)", "GradientKernelRidgeCV"],
)
results

# %%
# Where the search went
# ---------------------
# ``history_`` has one row per evaluation of the leave-one-out error, in
# KernelRidge's terms for ``alpha`` and in the kernel's for its length scale
# (``gamma = 1 / (2 length_scale^2)``). The first rows scan ``alpha`` at the
# starting kernel (one eigendecomposition); the search then moves both.
history = pd.DataFrame(krr.history_)
history["gamma"] = 1.0 / (2.0 * history["length_scale"] ** 2)
search = history[history["phase"] != "scan"]

fig, ax = plt.subplots(figsize=(6, 4.5))
alphas, gammas = np.meshgrid(
    grid.param_grid["kernelridge__alpha"], grid.param_grid["kernelridge__gamma"]
)
ax.scatter(alphas, gammas, s=12, c="lightgray", label="grid (500 fits)")
ax.plot(search["alpha"], search["gamma"], "o-", ms=4, label="gradient search")
ax.plot(krr.alpha_, krr.gamma_, "r*", ms=14, label="GradientKernelRidgeCV")
ax.plot(
    results.loc["GridSearchCV(KernelRidge)", "alpha"],
    results.loc["GridSearchCV(KernelRidge)", "gamma"],
    "ks",
    mfc="none",
    ms=10,
    label="grid's best",
)
ax.set(xscale="log", yscale="log", xlabel="alpha", ylabel="gamma")
ax.legend(loc="lower left", fontsize="small")
fig.tight_layout()

# %%
# The model is KernelRidge's
# --------------------------
# With ``fit_intercept=False`` the fitted model is ``KernelRidge`` at
# ``alpha_`` and ``gamma_``, prediction for prediction.
exact = make_pipeline(
    StandardScaler(), GradientKernelRidgeCV(kernel="rbf", fit_intercept=False)
).fit(X_train, y_train)
tuned = exact[-1]
reference = make_pipeline(
    StandardScaler(), KernelRidge(kernel="rbf", alpha=tuned.alpha_, gamma=tuned.gamma_)
).fit(X_train, y_train)
difference = np.max(np.abs(exact.predict(X_test) - reference.predict(X_test)))
print(f"largest difference from KernelRidge's predictions: {difference:.2g}")
