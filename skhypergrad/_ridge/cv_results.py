"""``cv_results_`` of GradientRidgeCV: the leave-one-out errors (or
predictions) of every sample at every evaluated alpha, in RidgeCV's layout."""

import numpy as np

from .solver import RidgeSolver


def leave_one_out_results(problem, X, y, feature_penalties, scoring, y_unit):
    """Per-sample leave-one-out results at each of several penalty settings
    (the residual of the full fit over ``1 - h``, so that samples of zero
    weight get their plain residual).

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
    rows = design.centre(X)
    out = np.empty(y.shape + (len(feature_penalties),))
    y_centred = problem.search_targets - design.y_offset
    for k, lam in enumerate(feature_penalties):
        coef, om = _fit_terms(problem, lam)
        om = np.maximum(om, 1e-12)[:, None]
        error = (y_centred - rows.matmul(coef)) / om * y_unit
        if scoring is None:
            out[:, :, k] = design.sample_weight[:, None] * error**2
        else:
            out[:, :, k] = y - error
    return out


def _fit_terms(problem, lam):
    """Coefficients and ``1 - h`` at the feature penalties ``lam``: from the
    eigendecomposition the search already made when every feature has the
    same penalty, else from one Cholesky factorisation."""
    if np.all(lam == lam[0]):
        coef = problem.spectral_basis().coef(lam[:1])
        return coef, problem.spectral_path().one_minus_hat(np.log(lam[0]))
    factor = RidgeSolver(problem.design).solve(lam)
    _, hat = factor.hat_terms()
    return factor.coef, 1.0 - problem.design.q**2 - hat
