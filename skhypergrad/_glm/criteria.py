"""k-fold and held-out criteria for smooth losses, with implicit-function
gradients.

Each criterion is a :class:`~skhypergrad._core.criterion.Criterion`: the
sample-weighted mean of the loss's selection criterion on out-of-sample
predictions, and its gradient in ``theta``. Approximate leave-one-out is in
:mod:`skhypergrad._glm.alo`.
"""

from dataclasses import dataclass

import numpy as np

from .._core.criterion import Criterion
from .newton import NewtonSolver, augment


@dataclass
class SmoothFold:
    """One (train, validation) split: the training solver and validation rows."""

    solver: NewtonSolver
    val_X1: object
    val_y: np.ndarray
    val_weight: np.ndarray


def make_smooth_folds(
    X,
    y,
    sample_weight,
    splits,
    fit_intercept,
    loss,
    scale_by_weight=False,
    curvature="auto",
    **limits,
):
    """A Newton solver on each training set, and the matching validation rows.

    With ``scale_by_weight``, each fold's penalty is multiplied by the sum of
    its training weights (:class:`~sklearn.linear_model.PoissonRegressor`).
    ``curvature`` and ``limits`` (``max_iter``, ``tol``) are passed to each
    :class:`NewtonSolver`.
    """
    return [
        SmoothFold(
            solver=NewtonSolver(
                X[train],
                y[train],
                sample_weight[train],
                fit_intercept,
                loss,
                sample_weight[train].sum() if scale_by_weight else 1.0,
                curvature,
                **limits,
            ),
            val_X1=augment(X[test], fit_intercept),
            val_y=y[test],
            val_weight=sample_weight[test],
        )
        for train, test in splits
    ]


class SmoothKFoldCriterion(Criterion):
    """Held-out / k-fold criterion of a smooth loss.

    Per fold, ``dE/dlam_j = -(H^{-1} X1_v^T S_v c'_v)_j w_j``: one solve with
    the Hessian factor that Newton's method left (Bengio, 2000; the maths
    page, "Smooth losses").

    Parameters
    ----------
    folds : list of SmoothFold
    layout : PenaltyLayout
    iterations : list or None, default=None
        If given, each evaluation appends to it the Newton iterations of
        every fold's solve.
    precise : bool, default=True
        Newton's method to its rounding floor, or one step less
        (:meth:`NewtonSolver.solve`; what the search uses).
    """

    def __init__(self, folds, layout, iterations=None, precise=True):
        self.folds = folds
        self.layout = layout
        self.iterations = iterations
        self.precise = precise
        self._weight_sum = sum(fold.val_weight.sum() for fold in folds)

    def value_and_grad(self, theta):
        """Pooled validation criterion and its gradient in ``theta``."""
        lam = self.layout.feature_penalties(theta)
        value = 0.0
        grad_lam = np.zeros(lam.shape[0])
        for fold, state, criterion, slope in self._fits(lam):
            solver = fold.solver
            value += fold.val_weight @ criterion
            weighted = fold.val_weight[:, None] * slope.reshape(len(criterion), -1)
            g = solver.input_gradient(fold.val_X1, weighted)
            # dE/dpen_m = -u_m beta_m (u = H^{-1} g) for each coefficient's
            # penalty, summed into lam by the solver.
            grad_lam += solver.lam_gradient(-state.solve(g) * state.coef)
        value /= self._weight_sum
        grad_lam /= self._weight_sum
        return value, self.layout.theta_gradient(grad_lam, lam)

    def sample_losses(self, theta):
        """The selection criterion of every validation sample, fold after
        fold, without the gradient (no adjoint solve).

        Returns
        -------
        ndarray of shape (n_validation_samples,)
            Their weighted mean is the criterion (weights: the folds'
            ``val_weight``, concatenated).
        """
        lam = self.layout.feature_penalties(theta)
        return np.concatenate([fit[2] for fit in self._fits(lam)])

    def _fits(self, lam):
        """Solve every fold at ``lam``; yield the fold, its state, and the
        selection criterion of its validation samples with its derivative in
        ``z``. Logs the Newton iterations once all folds are solved."""
        guess = None
        iterations = []
        for fold in self.folds:
            solver = fold.solver
            # The folds' training sets overlap: the previous fold's solution at
            # these penalties is often a better start than this fold's own
            # solution at the previous penalties.
            state = solver.solve(lam, guess, self.precise)
            guess = state.coef
            iterations.append(state.n_iter)
            z = solver.predictor(fold.val_X1, state.coef)
            yield (fold, state, *solver.loss.criterion(fold.val_y, z))
        if self.iterations is not None:
            self.iterations.append(iterations)
