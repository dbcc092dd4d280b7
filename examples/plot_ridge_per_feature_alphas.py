"""
=========================================
One ridge penalty per feature by gradient
=========================================

:class:`~sklearn.linear_model.RidgeCV` tries a grid of values for a single
penalty ``alpha`` shared by all features. When the features live on very
different scales and only a few of them matter, a single penalty is a poor
compromise: it shrinks the small-scale informative features too much, or the
large-scale noisy ones too little.

:class:`~skhypergrad.GradientRidgeCV` minimises the exact leave-one-out error by
its gradient (Bengio, 2000), so it can tune one penalty per feature
(``feature_groups="each"``), a problem far beyond the reach of a grid. This
example compares the three models on held-out data, shows the learned
penalties and coefficients, and plots the trajectory of the optimiser.
"""

# %%
# A problem with features on very different scales
# -------------------------------------------------
# Sixty features, each multiplied by a scale between 0.01 and 100, and only 100
# training samples. Only five features are informative, and each of those
# explains a similar share of the variance of ``y``, whatever its scale. A large
# test set measures how well each model generalises.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split

from skhypergrad import GradientRidgeCV

rng = np.random.RandomState(0)
n_train, n_test, n_features, n_informative = 100, 1000, 60, 5

scales = 10.0 ** rng.uniform(-2, 2, size=n_features)
X = rng.standard_normal((n_train + n_test, n_features)) * scales

informative = np.sort(rng.choice(n_features, size=n_informative, replace=False))
true_coef = np.zeros(n_features)
true_coef[informative] = rng.choice([-1.0, 1.0], size=n_informative) * rng.uniform(
    1.0, 2.0, size=n_informative
)
true_coef /= scales  # each informative feature has a comparable effect on y
y = X @ true_coef + 3.0 + 2.0 * rng.standard_normal(n_train + n_test)

X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=n_train, random_state=0
)
print(f"informative features: {informative.tolist()}")

# %%
# Three ridge models
# ------------------
# ``RidgeCV`` picks the best of 100 alphas by leave-one-out error; the two
# ``GradientRidgeCV`` models minimise the same criterion continuously, with one
# alpha and with one alpha per feature. The penalties of irrelevant features go
# to the upper bound of ``alpha_bounds`` (their coefficients are shrunk to
# zero), a strong feature's penalty may reach the lower bound (it is not shrunk
# at all), and ``GradientRidgeCV`` says so with a
# :class:`~sklearn.exceptions.ConvergenceWarning`: here that is expected. With
# sixty penalties to tune, the per-feature search gets more iterations than the
# default ``max_iter=100``.
grid = RidgeCV(alphas=np.logspace(-6, 6, 100)).fit(X_train, y_train)
one_alpha = GradientRidgeCV().fit(X_train, y_train)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ConvergenceWarning)
    per_feature = GradientRidgeCV(feature_groups="each", max_iter=500).fit(
        X_train, y_train
    )
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")

models = {
    "RidgeCV (grid of 100)": grid,
    "GradientRidgeCV, one alpha": one_alpha,
    'GradientRidgeCV, feature_groups="each"': per_feature,
}
print()
print(f"{'model':<40} {'LOO MSE':>8} {'test MSE':>9} {'test R^2':>9}")
for name, model in models.items():
    loo_mse = -model.best_score_
    test_mse = mean_squared_error(y_test, model.predict(X_test))
    r2 = model.score(X_test, y_test)
    print(f"{name:<40} {loo_mse:8.2f} {test_mse:9.2f} {r2:9.3f}")

# %%
# ``RidgeCV`` and the one-alpha ``GradientRidgeCV`` agree up to the grid's
# resolution. One penalty per feature lowers the leave-one-out error a lot, and
# the test error too, though less: the gap between the leave-one-out and the
# test error is larger with sixty hyperparameters than with one (see the
# caution at the end).
#
# Learned penalties and coefficients
# ----------------------------------
# Most noise features hit the upper bound, which removes them from the model;
# the informative features (and a few noise features) keep moderate penalties.
# A penalty also follows its feature's scale: the same shrinkage of a feature
# ``c`` times larger needs a penalty ``c**2`` times larger, which is why a
# single alpha cannot suit them all. The coefficients are shown multiplied by
# each feature's scale, so that they are comparable.
feature = np.arange(n_features)
is_informative = np.isin(feature, informative)

fig, (ax_alpha, ax_coef) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
ax_alpha.scatter(
    feature[~is_informative],
    per_feature.alpha_[~is_informative],
    color="tab:gray",
    label="per-feature alpha (noise feature)",
)
ax_alpha.scatter(
    feature[is_informative],
    per_feature.alpha_[is_informative],
    color="tab:red",
    label="per-feature alpha (informative feature)",
)
ax_alpha.axhline(one_alpha.alpha_, color="tab:blue", label="one alpha")
ax_alpha.axhline(grid.alpha_, color="tab:orange", linestyle="--", label="RidgeCV")
ax_alpha.set_yscale("log")
ax_alpha.set_ylabel("alpha")
ax_alpha.set_title("Penalties chosen by leave-one-out error")
ax_alpha.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")

width = 0.27
ax_coef.bar(feature - width, true_coef * scales, width, color="black", label="true")
ax_coef.bar(
    feature,
    grid.coef_ * scales,
    width,
    color="tab:orange",
    label="RidgeCV",
)
ax_coef.bar(
    feature + width,
    per_feature.coef_ * scales,
    width,
    color="tab:red",
    label='feature_groups="each"',
)
ax_coef.set_xlabel("feature")
ax_coef.set_ylabel("coefficient x feature scale")
ax_coef.set_title("Coefficients")
ax_coef.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
fig.tight_layout()

# %%
# The optimiser's trajectory
# --------------------------
# ``history_`` holds one row per evaluation of the criterion, with the
# penalties (``"alpha"``) and the score (``"score"``, minus the leave-one-out
# mean squared error). The one-alpha search (left) starts with a scan of two
# points per decade of ``alpha_bounds`` along the eigendecomposition path, then
# refines the best point by a bracketed secant search in a handful of
# evaluations. The
# per-feature search (right) first runs that same one-alpha search (the rows
# where all penalties are equal), then starts from the best of a few candidate
# points (see the :ref:`user guide <user_guide>`) and moves all sixty penalties
# at once.
fig, (ax_one, ax_each) = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
for ax, model, color, title in [
    (ax_one, one_alpha, "tab:blue", "GradientRidgeCV, one alpha"),
    (ax_each, per_feature, "tab:red", 'feature_groups="each"'),
]:
    loo_mse = -model.history_["score"]
    evaluation = np.arange(1, loo_mse.size + 1)
    ax.plot(evaluation, loo_mse, ".", color=color, alpha=0.5, label="evaluation")
    ax.plot(
        evaluation,
        np.minimum.accumulate(loo_mse),
        color=color,
        label="best so far",
    )
    ax.axhline(-grid.best_score_, color="tab:orange", linestyle="--", label="RidgeCV")
    ax.set_yscale("log")
    ax.set_xlabel("criterion evaluation")
    ax.set_title(f"{title}\n({loo_mse.size} evaluations)")

# With several penalties, each ``"alpha"`` entry is the array of all of them.
log_alphas = np.log(np.vstack(per_feature.history_["alpha"]))
n_single = int(np.sum(np.ptp(log_alphas, axis=1) == 0))
ax_each.axvline(n_single + 0.5, color="gray", linestyle=":", label="per-feature start")
ax_one.set_ylabel("leave-one-out MSE (minus history_['score'])")
ax_one.legend(fontsize="small")
ax_each.legend(fontsize="small")
fig.tight_layout()
plt.show()

# %%
# A word of caution: with one penalty per feature, sixty hyperparameters are
# fitted to the same 100 leave-one-out errors, and the selection criterion
# itself can be over-fitted: the final leave-one-out error is an optimistic
# estimate of the test error. Always judge such a model on held-out data, as
# above, and prefer a few meaningful groups of features (``feature_groups=labels``) when
# there are many features and few samples.
