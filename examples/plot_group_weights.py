"""
=====================================================
Borrowing from other firms: tuned group weights
=====================================================

To predict one member of a panel (a firm, a site, a sensor) with few
observations of its own, one can train on every member's rows. Equal weights
assume that all members share one relation; the member's rows alone ignore
what the others could teach. :class:`~skhypergrad.GradientRidgeCV` with
``sample_weighting="group"`` and ``target_group`` tunes one training weight
per member, with ``alpha``, by the gradient of the cross-validated error of
the target member alone.
"""

# %%
# Grunfeld's investment data
# --------------------------
# The panel bundled with statsmodels: the yearly gross investment, market value
# and capital stock of 11 US firms, 1935 to 1954. Grunfeld's investment
# equation, here in logarithms, explains a firm's investment by its value and
# its capital. Every firm's years 1935 to 1949 train the models; the target
# firm's years 1950 to 1954 are held out.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import statsmodels.api as sm
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

from skhypergrad import GradientRidgeCV

panel = sm.datasets.grunfeld.load_pandas().data
X_all = np.log(panel[["value", "capital"]].to_numpy())
y_all = np.log(panel["invest"].to_numpy())
firm, year = panel["firm"].to_numpy(), panel["year"].to_numpy().astype(int)
train = year <= 1949
X, y, groups, years = X_all[train], y_all[train], firm[train], year[train]
print(f"{len(np.unique(firm))} firms, {train.sum()} training rows")

# %%
# Three ways to weigh the firms
# -----------------------------
# Each year of the training set is held out in turn
# (:class:`~sklearn.model_selection.LeaveOneGroupOut` over the years, passed
# as ``groups``), so that no split trains on the year it validates. The
# target is Westinghouse, the smaller peer of General Electric. Ten weights,
# several of them running to their bounds, take some searches past the
# default ``max_iter=100`` L-BFGS-B iterations: we allow 300.
cv = LeaveOneGroupOut()
target = "Westinghouse"
test = (firm == target) & ~train


def fit_three(target, cv=cv):
    """The target alone, every firm with weight 1, and tuned weights; alpha
    tuned by the target's cross-validated error in all three."""
    own = groups == target
    alone = GradientRidgeCV(cv=cv).fit(X[own], y[own], groups=years[own])
    equal = GradientRidgeCV(
        cv=cv,
        sample_weighting="group",
        target_group=target,
        group_weight_bounds=(1.0, 1.0),
    ).fit(X, y, sample_group=groups, groups=years)
    tuned = GradientRidgeCV(
        cv=cv, sample_weighting="group", target_group=target, max_iter=300
    ).fit(X, y, sample_group=groups, groups=years)
    return {"target alone": alone, "equal weights": equal, "tuned weights": tuned}


start = time.perf_counter()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ConvergenceWarning)
    models = fit_three(target)
seconds = time.perf_counter() - start
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}\n")

# %%
# ``group_weight_bounds=(1, 1)`` fixes every weight at 1: the model of all the
# rows, with ``alpha`` chosen, as in the tuned model, by the error on the
# target's validation rows alone. The cross-validated error of the target's
# rows and the error on its five held-out years:
print(f"{'':<15}{'CV MSE':>8}{'held-out MSE':>14}{'alpha':>9}")
for name, model in models.items():
    held_out = np.mean((model.predict(X_all[test]) - y_all[test]) ** 2)
    print(f"{name:<15}{-model.best_score_:8.4f}{held_out:14.4f}{model.alpha_:9.3g}")
print(f"the three fits took {seconds:.2f} s")
weights = models["tuned weights"].group_weights_
for name, weight in sorted(weights.items(), key=lambda item: -item[1]):
    print(f"  {name:<18}{weight:10.3g}")

# %%
# The tuned weights lower the cross-validated error of Westinghouse by a fifth
# against its rows alone and by 29% against equal weights. They are extreme:
# American Steel, Chrysler and General Motors get weights of several hundred
# (American Steel the upper bound, 1000, which the estimator reports), General
# Electric and four others less than 0.1, so that Westinghouse's own rows
# count for little. Ten weights chosen on fifteen validation rows over-fit
# the criterion: on the five held-out years the tuned model (0.075) sits
# between Westinghouse alone (0.070) and equal weights (0.080).
#
# Every firm in turn
# ------------------
# One firm is an anecdote: each firm in turn is the target, the three models
# fitted for it and scored on its held-out years (about 3 s in all). Their
# warnings, of the kinds above, are silenced.
names = sorted(np.unique(firm))


def held_out_errors(cv):
    """Held-out MSE of the three models (columns) for each target (rows)."""
    errors = []
    for name in names:
        test = (firm == name) & ~train
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            three = fit_three(name, cv)
        errors.append(
            [
                np.mean((m.predict(X_all[test]) - y_all[test]) ** 2)
                for m in three.values()
            ]
        )
    return np.array(errors)


def summarise(errors):
    alone, equal, tuned = errors.T
    for other, label in ((alone, "the target alone"), (equal, "equal weights")):
        ratio = np.exp(np.mean(np.log(tuned / other)))
        print(
            f"tuned weights beat {label} on {np.sum(tuned < other)} of {len(names)} "
            f"firms; geometric mean of the error ratios {ratio:.2f}"
        )


errors = held_out_errors(cv)
print(f"{'target':<18}{'alone':>8}{'equal':>8}{'tuned':>8}")
for name, row in zip(names, errors, strict=True):
    print(f"{name:<18}" + "".join(f"{e:8.4f}" for e in row))
summarise(errors)

# %%
# Over the eleven firms the tuned weights usually do better than the
# target's rows alone and than equal weights, but not always, and sometimes
# by far: for General Motors, whose rows alone predict badly, equal weights
# do ten times better than the tuned ones. On the left, Westinghouse's tuned
# weights; on the right, each firm's held-out error with tuned weights
# against the alternatives (below the diagonal, the tuned weights did
# better).
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
order = sorted(weights, key=weights.get)
values = [weights[name] for name in order]
left.hlines(order, 1.0, values, color="tab:blue")
left.plot(values, order, "o", color="tab:blue")
left.set_xscale("log")
left.axvline(1.0, color="k", lw=0.8)
left.set_xlabel(f"tuned weight (target: {target}, fixed at 1)")
lims = [errors.min() / 1.5, errors.max() * 1.5]
right.loglog(lims, lims, color="gray", lw=0.8)
right.loglog(errors[:, 0], errors[:, 2], "o", label="vs the target alone")
right.loglog(errors[:, 1], errors[:, 2], "s", mfc="none", label="vs equal weights")
right.set_xlabel("held-out MSE of the alternative")
right.set_ylabel("held-out MSE, tuned weights")
right.legend()
fig.tight_layout()
plt.show()

# %%
# Another split of the years
# --------------------------
# Five validation rows per target, fifteen training years: the comparison is
# noisy, and so is the criterion. With five folds of three years each
# (:class:`~sklearn.model_selection.GroupKFold` over the years) instead of
# one year at a time:
summarise(held_out_errors(GroupKFold(n_splits=5)))

# %%
# With these splits the tuned weights still beat the target's rows alone on
# most firms, but equal weights on fewer than half, and no longer on average
# (a ratio near 1). Tuned group weights pay where the target's own rows are
# few and the criterion has enough of them to tell the groups apart; with ten
# weights against fifteen validation rows, as here, they are a noisy estimate,
# to be checked on held-out data as this example does.
