"""LogisticRegressionCV's constructor arguments, checked for what the gradient
search can honour.

Every argument of :class:`~sklearn.linear_model.LogisticRegressionCV` is
accepted with its meaning where the criterion allows it; the others raise an
error that names them and says why.
"""

from numbers import Integral, Real

import numpy as np

from .._core.validation import check_scalar_param

# Solvers that minimise the same L2-penalised multinomial (or binary) loss
# with an unpenalised intercept: their choice only changes how the optimum is
# found, and Newton's method finds it here.
SAME_OPTIMUM_SOLVERS = ("lbfgs", "newton-cg", "newton-cholesky", "sag", "saga")
LOG_LOSS_SCORINGS = (None, "warn", "neg_log_loss")


def check_logistic_params(estimator):
    """Raise a clear error for any LogisticRegressionCV argument that the
    gradient search cannot honour."""
    _check_penalty(estimator.penalty, estimator.l1_ratios)
    _check_scoring(estimator.scoring)
    _check_solver(estimator.solver, estimator.dual)
    _check_class_weight(estimator.class_weight)
    check_scalar_param(estimator.intercept_scaling, "intercept_scaling", "real")
    if not estimator.intercept_scaling > 0:
        raise ValueError(
            f"intercept_scaling must be positive, got {estimator.intercept_scaling!r}."
        )
    if estimator.n_jobs is not None:
        check_scalar_param(estimator.n_jobs, "n_jobs", "int")
    if not isinstance(estimator.refit, bool | np.bool_):
        raise TypeError(f"refit must be a bool, got {estimator.refit!r}.")
    if estimator.use_legacy_attributes not in ("warn", True, False):
        raise ValueError(
            "use_legacy_attributes must be True, False or 'warn', got "
            f"{estimator.use_legacy_attributes!r}."
        )


def resolve_Cs(Cs, C, C_bounds):
    """The start and bounds of the search from ``Cs``, ``C`` and ``C_bounds``.

    An int keeps the default bounds (1e-4 to 1e4 times the data's scale, the
    range of LogisticRegressionCV's grid on standardised data); a grid bounds
    the search by its smallest and largest values (unless ``C_bounds`` is
    given) and one value fixes ``C``.

    Returns
    -------
    start : None, float or array-like
    bounds : tuple or None
    """
    if isinstance(Cs, Integral) and not isinstance(Cs, bool):
        if Cs < 1:
            raise ValueError(f"Cs must be a positive int or a list of C, got {Cs}.")
        return C, C_bounds
    if isinstance(Cs, bool | str | Real):
        raise TypeError(
            f"Cs must be a positive int or a list of floats, got {Cs!r}; for "
            "one fixed C pass Cs=[C]."
        )
    grid = np.asarray(Cs, dtype=float).ravel()
    if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
        raise ValueError(f"Cs must hold positive finite values, got {Cs!r}.")
    low, high = float(grid.min()), float(grid.max())
    if C_bounds is None:
        C_bounds = (low, high)
    if C is None:
        C = float(np.exp(np.mean(np.log([low, high]))))
        C = float(np.clip(C, *C_bounds)) if low != high else low
    return C, C_bounds


def _check_penalty(penalty, l1_ratios):
    if penalty not in ("deprecated", "l2"):
        raise ValueError(
            f"penalty={penalty!r} is not supported: GradientLogisticRegressionCV "
            "tunes an L2 penalty (its gradient needs a smooth training "
            "criterion). Use penalty='l2' (or leave it out)."
        )
    if l1_ratios is None or (isinstance(l1_ratios, str) and l1_ratios == "warn"):
        return
    ratios = np.asarray(l1_ratios, dtype=float).ravel()
    if ratios.size == 0 or np.any(ratios != 0):
        raise ValueError(
            f"l1_ratios={l1_ratios!r} is not supported: only the L2 penalty "
            "(l1_ratios=(0,)) has the smooth training criterion the gradient "
            "search needs."
        )


def _check_scoring(scoring):
    if isinstance(scoring, str | type(None)) and scoring in LOG_LOSS_SCORINGS:
        return
    raise ValueError(
        f"scoring={scoring!r} is not supported: the search minimises the "
        "validation log-loss by its gradient, so scoring must be None, 'warn' or "
        "'neg_log_loss' (the same criterion). Scores of hard predictions, such as "
        "accuracy, are step functions of C, without a gradient; other scorers "
        "(callables, or other scores of the probabilities) are not differentiated "
        "here. Score the chosen model with any scorer afterwards."
    )


def _check_class_weight(class_weight):
    if class_weight is None or isinstance(class_weight, dict):
        return
    if isinstance(class_weight, str) and class_weight == "balanced":
        return
    raise ValueError(
        "class_weight must be None, 'balanced' or a dict from class label to "
        f"weight, got {class_weight!r}."
    )


def _check_solver(solver, dual):
    if dual is not False and dual is not np.False_:
        raise ValueError(
            "dual=True is liblinear's dual formulation; GradientLogisticRegressionCV "
            "solves the primal problem (with the same optimum). Use dual=False."
        )
    if solver == "liblinear":
        raise ValueError(
            "solver='liblinear' is not supported: it penalises the intercept and "
            "fits one-vs-rest, another model than the other solvers'. Use one of "
            f"{list(SAME_OPTIMUM_SOLVERS)}: they share one optimum, which "
            "GradientLogisticRegressionCV finds by Newton's method."
        )
    if solver not in SAME_OPTIMUM_SOLVERS:
        raise ValueError(
            f"solver must be one of {list(SAME_OPTIMUM_SOLVERS)}, got {solver!r}."
        )
