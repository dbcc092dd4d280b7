"""``cv_results_`` of GradientRidgeCV: the leave-one-out errors (or
predictions) of every sample at every evaluated alpha, in RidgeCV's layout."""

import numpy as np

from .solver import RidgeSolver


def leave_one_out_results(problem, X, y, feature_penalties, scoring, y_unit):
    """Per-sample leave-one-out results at each of several penalty settings.

    Parameters
    ----------
    problem : RidgeProblem
        The fit's data, in the search's units.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        The features in the search's units.
    y : ndarray of shape (n_samples, n_targets)
        The targets in the user's units.
    feature_penalties : ndarray of shape (n_points, n_features)
        The penalty of every feature at each point, in the search's units.
    scoring : str or None
        None: the squared errors times the sample weights (RidgeCV's
        ``cv_results_`` without a scorer); otherwise the predictions.
    y_unit : ndarray of shape (n_targets,)
        The user's unit of each target over the search's.

    Returns
    -------
    ndarray of shape (n_samples, n_targets, n_points)
    """
    design = problem.design
    solver = RidgeSolver(design)
    rows = design.centre(X)
    out = np.empty(y.shape + (len(feature_penalties),))
    y_centred = problem.search_targets - design.y_offset
    for k, lam in enumerate(feature_penalties):
        factor = solver.solve(lam)
        _, hat = factor.hat_terms()
        om = np.maximum(1.0 - design.q**2 - hat, 1e-12)[:, None]
        error = (y_centred - rows.matmul(factor.coef)) / om * y_unit
        if scoring is None:
            out[:, :, k] = design.sample_weight[:, None] * error**2
        else:
            out[:, :, k] = y - error
    return out
