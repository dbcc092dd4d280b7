"""k-fold and held-out criteria of a smooth loss with tuned sample weights.

On each split the training weights are ``w_i = s_i d_i(phi)``
(:mod:`skhypergrad._core.weighting`) and Newton's method minimises
``F = sum_i w_i l(y_i, z_i) + 1/2 sum_j kappa lam_j w_j^2``, with ``kappa`` 1,
or the sum of the training weights for PoissonRegressor's convention. The
implicit function theorem, with the mixed second derivative
``d grad_beta F / d w_i = A_i^T l'_i + lam * beta`` (the second term only when
``kappa`` is the weight sum), gives with ``u = H^{-1} grad_beta E``

    dE/dw_i = -(A_i u) . l'_i  [- sum_j u_j lam_j beta_j],

chained to the scheme's hyperparameters by ``dw_i/dphi = s_i dd_i/dphi`` (the
maths page, "Tuned sample weights").
"""

import numpy as np

from .._core.criterion import Criterion
from .newton import NewtonSolver, augment


class WeightedSmoothSplits(Criterion):
    """Pooled validation criterion of a smooth loss, training weights tuned.

    ``theta`` is the log-penalties of ``layout`` followed by the scheme's
    log-hyperparameters.

    Parameters
    ----------
    X, y, sample_weight, fit_intercept, loss
        Validated training data (``y`` encoded for the loss).
    criterion_weight : ndarray of shape (n_samples,)
        The weights of the validation rows in the criterion.
    splits : list of (train, test)
    layout : PenaltyLayout
    scheme : TimeDecay or GroupWeights
    scale_by_weight : bool
        Penalties times the sum of the training weights (PoissonRegressor).
    limits : dict
        ``max_iter`` and ``tol`` of the Newton solves.
    """

    def __init__(
        self,
        X,
        y,
        sample_weight,
        fit_intercept,
        loss,
        criterion_weight,
        splits,
        layout,
        scheme,
        scale_by_weight=False,
        limits=None,
    ):
        self.data = (X, y, fit_intercept, loss)
        self.sample_weight = sample_weight
        self.criterion_weight = criterion_weight
        self.splits = splits
        self.layout = layout
        self.scheme = scheme
        self.scale_by_weight = scale_by_weight
        self.limits = {} if limits is None else limits
        self._references = [scheme.reference_time(train) for train, _ in splits]
        self._val_X1 = [augment(X[test], fit_intercept) for _, test in splits]
        self._last = [None] * len(splits)  # warm starts
        self.iterations = []  # Newton iterations of every split, per evaluation
        self._weight_sum = sum(criterion_weight[test].sum() for _, test in splits)
        if not self._weight_sum > 0:
            raise ValueError(
                "The validation rows of the splits have no weight in the criterion "
                "(with target_group, no validation sample of that group)."
            )
        for train, _ in splits:
            if loss.absent_outputs(y[train], sample_weight[train]).any():
                raise ValueError(
                    "sample_weighting needs every class (or a positive count) in "
                    "every training set; use a stratified splitter."
                )

    def value_and_grad(self, theta):
        """The pooled validation criterion and its gradient in ``theta``."""
        n_penalties = self.layout.n_groups
        lam = self.layout.feature_penalties(theta[:n_penalties])
        phi = theta[n_penalties:]
        value, grad_lam, grad_phi = 0.0, np.zeros(lam.size), np.zeros(phi.size)
        self.iterations.append([])
        for k, (train, test) in enumerate(self.splits):
            factors, derivatives = self.scheme.factors(phi, train, self._references[k])
            split = self._split(
                k, train, test, lam, self.sample_weight[train] * factors
            )
            value += split[0]
            grad_lam += split[1]
            grad_phi += (split[2] * self.sample_weight[train]) @ derivatives
        grad = np.concatenate([self.layout.theta_gradient(grad_lam, lam), grad_phi])
        return value / self._weight_sum, grad / self._weight_sum

    def solver(self, rows, weight):
        """A Newton solver on the training rows with weights ``weight``."""
        X, y, fit_intercept, loss = self.data
        scale = weight.sum() if self.scale_by_weight else 1.0
        return NewtonSolver(
            X[rows], y[rows], weight, fit_intercept, loss, scale, **self.limits
        )

    def _split(self, k, train, test, lam, weight):
        """One split's (unnormalised) criterion and its gradients in ``lam``
        and in the training weights."""
        solver = self.solver(train, weight)
        state = solver.solve(lam, guess=self._last[k])
        self._last[k] = state.coef
        self.iterations[-1].append(state.n_iter)
        val_weight = self.criterion_weight[test]
        z = solver.predictor(self._val_X1[k], state.coef)
        criterion, slope = solver.loss.criterion(self.data[1][test], z)
        weighted = val_weight[:, None] * slope.reshape(len(criterion), -1)
        u = state.solve(solver.input_gradient(self._val_X1[k], weighted))
        grad_lam = solver.lam_gradient(-u * state.coef)
        # -(A_i u) . l'_i for every training row.
        Au = solver.predictor(solver.X1, u).reshape(len(train), -1)
        d1 = state.derivatives[1].reshape(len(train), -1)
        grad_weight = -np.sum(Au * d1, axis=1)
        if self.scale_by_weight:  # the penalty scales with the weight sum
            pen = solver.full_penalty(lam) / solver.penalty_scale
            grad_weight -= np.sum(u * pen * state.coef)
        return val_weight @ criterion, grad_lam, grad_weight
