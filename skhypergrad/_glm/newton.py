"""Smooth-loss inner solves: damped Newton, and the implicit-function adjoint.

The training criterion is ``F(beta) = sum_i s_i l(y_i, z_i) + 1/2 sum_j lam_j w_j^2``
with ``z = X w + b`` and ``beta = (w, b)`` (the intercept ``b`` unpenalised).
Newton's method minimises it; its Hessian ``H = X1^T diag(s l'') X1 + diag(lam, 0)``
(``X1 = [X, 1]``) at the optimum serves the adjoint solve of the implicit
function theorem (Bengio, 2000): ``dE/dlam_j = -(H^{-1} grad_beta E)_j w_j``.
How the steps and the adjoint use ``H`` (factored, or conjugate gradient with
Hessian-vector products) is :mod:`skhypergrad._glm.curvature`'s business;
:func:`choose_curvature` picks the way from the problem's size.
"""

import functools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from .._core.layout import mean_column_variance
from .._core.report import detail, notify
from .curvature import DenseCurvature, DiagonalPreconditioner, LaggedPreconditioner
from .derivatives import weighted_gram
from .losses import Loss

_MAX_HALVINGS = 50
# Relative residuals of the conjugate-gradient solves. A Newton step is solved
# to the forcing term min(_MAX_FORCING, sqrt(d)), d the relative decrement of
# the step before, at least to _NEWTON_RTOL: a residual proportional to the
# gradient keeps Newton's convergence superlinear (Dembo, Eisenstat and
# Steihaug, 1982, "Inexact Newton methods"; Eisenstat and Walker, 1996), and
# the first steps, far from the optimum, take a few iterations instead of
# tens. The last steps (relative decrement below 1e-8) are solved to
# _CLOSE_RTOL: the error left, _CLOSE_RTOL of a step already 1e-4 of the
# coefficients' scale or less, is far below what the search resolves.
_MAX_FORCING = 0.1
_NEWTON_RTOL = 1e-4
_CLOSE_RTOL = 1e-6
# A coarse solve stops one step after its relative decrement falls below
# this (the accurate one solves its steps tightly from 1e-8 on).
_COARSE_DECREMENT = 1e-6
_SMALL_HESSIAN_FLOPS = 1e7
_MAX_DENSE_PARAMS = 2000
_MAX_SAMPLED_PARAMS = 4096
# The lagged preconditioner's Hessian is formed from _SAMPLED_ROWS * m random
# rows (m coefficients) when all n rows would take more than this many
# products (c20: 16000 x 2020 coefficients, 0.43 s in float32 against 0.11 s
# from 2020 rows, whose preconditioner takes 9-11 conjugate-gradient
# iterations to 1e-4 against 49 for the diagonal).
_SAMPLED_HESSIAN_FLOPS = 2e9
_SAMPLED_ROWS = 1
_ADJOINT_RTOL = 1e-10
# Earlier solutions kept for the start of the next solves.
_PATH_LENGTH = 8


def augment(X, fit_intercept):
    """Return ``[X, 1]`` (or ``X``), dense or CSR."""
    if not fit_intercept:
        return sp.csr_matrix(X) if sp.issparse(X) else X
    ones = np.ones((X.shape[0], 1))
    if sp.issparse(X):
        return sp.hstack([X, ones], format="csr")
    return np.hstack([X, ones])


def choose_curvature(n_samples, n_params, dense_hessian=False):
    """How a Newton solver should use the Hessian (see :class:`NewtonSolver`).

    ``"dense"`` when forming the Hessian costs less than the overhead of a few
    conjugate-gradient iterations (``n m^2`` below ``1e7`` for ``m``
    coefficients); ``"exact"`` when the adjoint needs the Hessian at the
    solution as a matrix (``dense_hessian``, for ALO); otherwise
    ``"diagonal"`` when an ``m x m`` matrix would be large (``m > 2000``)
    unless the rows are many (``n >= 4 m``, ``m <= 4096``: the preconditioner,
    formed from a sample of rows, pays), else ``"lagged"``.
    """
    if n_samples * n_params**2 < _SMALL_HESSIAN_FLOPS:
        return "dense"
    if dense_hessian:
        return "exact"
    if n_params > _MAX_DENSE_PARAMS and (
        n_params > _MAX_SAMPLED_PARAMS or n_samples < 4 * n_params
    ):
        return "diagonal"
    return "lagged"


@dataclass
class SmoothState:
    """The minimiser of the training criterion and what the gradients need."""

    coef: np.ndarray  # beta = (w, b), shape (n_params,)
    z: np.ndarray  # linear predictor on the training rows
    hessian: object  # DenseHessian or IterativeHessian at coef
    derivatives: tuple  # the loss's (l, l', l'', l''') at z
    pen: np.ndarray  # the penalty of every coefficient (full_penalty)
    n_iter: int = 1  # Newton iterations (derivative evaluations) of its solve

    def solve(self, g, error_tol=0.0):
        """Return ``H^{-1} g``: when iterative, to a relative residual of 1e-10
        or until its error in the Hessian's norm is estimated below
        ``error_tol``."""
        return self.hessian.solve(g, rtol=_ADJOINT_RTOL, error_tol=error_tol)


class NewtonSolver:
    """Damped Newton on one training set, warm-started from its last solution.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,)
    fit_intercept : bool
    loss : a loss of :mod:`skhypergrad._glm.losses`
    penalty_scale : float, default=1.0
        Coefficient ``lam_j`` is penalised by ``penalty_scale * lam_j``: for
        :class:`~sklearn.linear_model.PoissonRegressor`'s convention the sum of
        the training weights, so that each fold is the estimator fitted on it.
    curvature : {"auto", "exact", "lagged", "dense", "diagonal"}, default="auto"
        How Newton steps and the adjoint solves use the Hessian
        (:mod:`skhypergrad._glm.curvature`). ``"exact"``: Newton steps by
        conjugate gradient preconditioned by the factored Hessian at an
        earlier point (:class:`LaggedPreconditioner`), the last steps exact
        with the Hessian formed close to the optimum, and the Hessian at the
        solution formed and factored for the adjoint. ``"lagged"``: the same
        steps with the earlier Hessians in float32, and the adjoint by
        conjugate gradient preconditioned by the one formed close to the
        optimum (no matrix at the solution). ``"dense"``: the Hessian formed
        and factored at every Newton step. ``"diagonal"``: conjugate gradient
        with a diagonal preconditioner throughout, memory ``O(n q)`` for many
        features. ``"auto"``: :func:`choose_curvature`.
    max_iter : int, default=100
        Newton iterations of one solve. When they run out, the solve keeps
        its last point and a ``ConvergenceWarning`` is kept for the fit
        unless the gradient is already below ``tol``.
    tol : float, default=1e-4
        Gradient tolerance, as scikit-learn's GLM solvers mean it: the
        largest entry of the gradient of the training criterion divided by
        the sum of the sample weights. Newton's method goes on to working
        precision when ``max_iter`` allows (the hypergradient needs exact
        solutions); ``tol`` only decides whether running out of iterations
        is worth a warning.

    Notes
    -----
    An output that the training set cannot fit with a finite intercept (a
    class absent from it, or with zero weight; all-zero counts) has its
    intercept held by a penalty, as if it were the coefficient of a feature
    of the data's mean variance: ``penalty_scale * mean(lam) / v`` with ``v``
    the mean (weighted) variance of the columns of ``X``. With several
    outputs the softmax ignores a common shift, so the intercept is in effect
    held relative to the mean intercept.
    """

    def __init__(
        self,
        X,
        y,
        sample_weight,
        fit_intercept,
        loss,
        penalty_scale=1.0,
        curvature="auto",
        *,
        max_iter=100,
        tol=1e-4,
    ):
        self.X1 = augment(X, fit_intercept)
        self._X1_float32 = None  # for rough Hessian products, made when needed
        self.max_iter = max_iter
        self.tol = tol
        self.y = y
        self.sample_weight = sample_weight
        self.loss = loss
        self.penalty_scale = penalty_scale
        self.n_features = X.shape[1]
        if not isinstance(loss, Loss):
            raise TypeError(
                f"loss must be a skhypergrad._glm.losses.Loss, got {type(loss)!r}."
            )
        self.n_outputs = loss.n_outputs
        # Softmax ignores a shift of all intercepts: a penalty on their sum
        # (zero at the centred solution) makes the Hessian definite.
        self._centre_intercepts = fit_intercept and self.n_outputs > 1
        self._coef = np.zeros(self.n_outputs * self.X1.shape[1])
        # Outputs with nothing to fit in this training set: intercepts held.
        self.held = np.zeros(self.n_outputs, dtype=bool)
        self._held_unit = 0.0
        if fit_intercept:
            self.held = np.asarray(loss.absent_outputs(y, sample_weight))
            if self.held.any():
                self._held_unit = 1.0 / mean_column_variance(X, sample_weight)
            # Start from the best model without features.
            start = loss.baseline(y, sample_weight)
            self._coef[self._intercept_index()] = np.where(self.held, 0.0, start)
        if curvature == "auto":
            curvature = choose_curvature(X.shape[0], self._coef.size)
        # Rows of the preconditioners' Hessians when forming them from all
        # the rows would cost much more than a few products.
        self.reference_rows = None
        n, m = X.shape[0], self._coef.size
        if n * m**2 > _SAMPLED_HESSIAN_FLOPS and n > 2 * _SAMPLED_ROWS * m:
            rng = np.random.default_rng(0)
            self.reference_rows = np.sort(rng.choice(n, _SAMPLED_ROWS * m, False))
        self.curvature = curvature  # its name
        self._last = None  # (lam, SmoothState, precise, coarse) of the last solve
        self._path = []  # (log lam, coef, tangent) of the last solves
        self._curvature = {
            "exact": LaggedPreconditioner(),
            "lagged": LaggedPreconditioner(matrix_at_solution=False),
            "dense": DenseCurvature(),
            "diagonal": DiagonalPreconditioner(),
        }[curvature]

    @property
    def last_solution(self):
        """The coefficients of the last solve (zeros before the first)."""
        return self._coef

    def full_penalty(self, lam):
        """Penalty of every coefficient (class-major for several outputs):
        ``penalty_scale * lam``, 0 for the intercept."""
        pen = np.zeros((self.n_outputs, self.X1.shape[1]))
        pen[:, : self.n_features] = self.penalty_scale * lam
        pen[self.held, -1] = self.penalty_scale * self._held_unit * np.mean(lam)
        return pen.ravel()

    def lam_gradient(self, grad_pen):
        """The gradient in ``lam`` of a function of the penalties, from its
        gradient ``grad_pen`` in every coefficient's penalty (the entries of
        :meth:`full_penalty`, class-major)."""
        G = grad_pen.reshape(self.n_outputs, -1)
        grad = G[:, : self.n_features].sum(axis=0)
        if self.held.any():
            # A held intercept's penalty is proportional to mean(lam).
            grad = grad + G[self.held, -1].sum() * self._held_unit / self.n_features
        return self.penalty_scale * grad

    def predictor(self, X1, coef):
        """Linear predictor ``z`` of rows ``X1``: (n,) or (n, n_outputs)."""
        W = coef.reshape(self.n_outputs, -1)
        Z = np.asarray(X1 @ W.T)
        return Z[:, 0] if self.n_outputs == 1 else Z

    def input_gradient(self, X1, slope):
        """``X1^T slope`` flattened like the coefficients."""
        slope = slope.reshape(slope.shape[0], -1)
        if sp.issparse(X1):
            return np.asarray(X1.T @ slope).T.ravel()
        # slope^T X1 is already class-major (no transposed copy), and faster
        # than X1^T slope in float64 (2.1 against 2.9 ms at 16000 x 101, 20
        # classes).
        return (slope.T @ X1).ravel()

    def objective(self, coef, pen):
        """The training criterion at ``coef``, and the predictor ``z`` there
        (Newton's next derivatives at a point it accepts reuse it: a pass
        over the data)."""
        z = self.predictor(self.X1, coef)
        value = self.sample_weight @ self.loss.value(self.y, z)
        return self._penalised(value, coef, pen), z

    def _penalised(self, data_term, coef, pen):
        """The training criterion from its data term: the ridge penalty, and
        the penalty on the sum of the intercepts (several outputs)."""
        return data_term + 0.5 * pen @ coef**2 + 0.5 * self._intercept_sum(coef) ** 2

    def _intercept_sum(self, coef):
        if not self._centre_intercepts:
            return 0.0
        return coef.reshape(self.n_outputs, -1)[:, -1].sum() / np.sqrt(self.n_outputs)

    def _intercept_index(self):
        q = self.X1.shape[1]
        return np.arange(self.n_outputs) * q + q - 1

    def first_order(self, coef, pen, z=None):
        """Objective, predictor, gradient and the loss's derivatives
        ``(l, l', l'', l''')`` at ``coef`` (``z``: its predictor, when known)."""
        if z is None:
            z = self.predictor(self.X1, coef)
        derivatives = self.loss.derivatives(self.y, z)
        value, d1 = derivatives[:2]
        s = self.sample_weight
        objective = self._penalised(s @ value, coef, pen)
        grad = self.input_gradient(self.X1, s[:, None] * d1.reshape(len(s), -1))
        grad += pen * coef
        if self._centre_intercepts:
            total = self._intercept_sum(coef)
            grad[self._intercept_index()] += total / np.sqrt(self.n_outputs)
        return objective, z, grad, derivatives

    def data_hessian(self, d2, dtype=np.float64, sampled=False):
        """``sum_i s_i A_i^T D_i A_i`` (``D_i`` the loss's second derivative):
        the Hessian without the penalty, computed in ``dtype``.

        With ``sampled``, a preconditioner's estimate from a fixed random
        subset of the rows (:attr:`reference_rows`, when set), their weights
        scaled to the total: forming it costs ``n_rows / n`` of the whole.
        """
        s, X1, rows = self.sample_weight, self.X1, self.reference_rows
        if sampled and rows is not None:
            weights = s[rows] * (s.sum() / s[rows].sum())
            d2 = d2[rows] if self.n_outputs == 1 else d2.take(rows)
            s, X1 = weights, X1[rows]
        if self.n_outputs == 1:
            return weighted_gram(X1, s * d2, dtype)
        return d2.weighted_gram(X1, s, dtype)

    def penalise(self, hessian, pen):
        """Add the penalty's Hessian to ``hessian`` in place; return it."""
        hessian[np.diag_indices_from(hessian)] += pen
        if self._centre_intercepts:
            index = self._intercept_index()
            hessian[np.ix_(index, index)] += 1.0 / self.n_outputs
        return hessian

    def hessian_product(self, d2, pen, rough=False):
        """``v -> H v`` at the point of loss curvature ``d2``: ``O(n K q)`` per
        product.

        With ``rough``, the passes over the data are made in float32 (relative
        error about 1e-7, half the bytes to read): products for Newton steps
        solved to ``1e-4``, whose gradient stays float64; None for sparse data.
        """
        X1 = self.X1
        if rough:
            if sp.issparse(X1):
                return None
            if self._X1_float32 is None:
                self._X1_float32 = X1.astype(np.float32)
            X1 = self._X1_float32
        return HessianProduct(self, X1, d2, pen)

    def hessian_diagonal(self, d2, pen):
        """The diagonal of the Hessian, ``O(n K q)``."""
        s, X1 = self.sample_weight, self.X1
        squares = X1.multiply(X1) if sp.issparse(X1) else X1 * X1
        curvature = d2 if self.n_outputs == 1 else d2.diagonal()
        diagonal = self.input_gradient(
            squares, s[:, None] * curvature.reshape(len(s), -1)
        )
        diagonal += pen
        if self._centre_intercepts:
            diagonal[self._intercept_index()] += 1.0 / self.n_outputs
        return diagonal

    def solve(self, lam, guess=None, precise=True, coarse=False):
        """Minimise the training criterion at penalties ``lam``.

        Parameters
        ----------
        lam : ndarray of shape (n_features,)
        guess : ndarray or None, default=None
            Another starting point, e.g. the solution of an overlapping
            training set at the same penalties; Newton starts from it when its
            objective is lower than at the last solution.
        precise : bool, default=True
            Newton's method goes on until its decrement is at the rounding
            floor. Otherwise it stops after the first step solved to
            working precision from a decrement below ``1e-8`` of the
            objective: Newton's quadratic convergence leaves a decrement of
            the order of ``1e-16`` of it, far below what a criterion or its
            gradient can resolve (one step fewer than ``precise``).
        coarse : bool, default=False
            Stop one step after the decrement falls below ``1e-6`` of the
            objective, before the last steps solved to working precision: the
            solution is then within about ``1e-4`` (relative) of the optimum,
            for an evaluation of the criterion that needs its gradient's size
            and sign only. A later solve at the same ``lam`` continues from
            it.

        Returns
        -------
        SmoothState
        """
        last = self._last
        if (
            last is not None
            and np.array_equal(lam, last[0])
            and (last[2] or not precise)
            and (coarse or not last[3])
        ):
            return last[1]  # e.g. the refit at the last penalties searched
        pen = self.full_penalty(lam)
        coef, z = self._start(lam, pen, guess)  # z: coef's predictor, or None
        previous_decrement = np.inf
        forcing = _MAX_FORCING
        done = False
        self._curvature.begin()
        for steps in range(self.max_iter):  # noqa: B007 (the count is reported)
            # An iteration evaluates the derivatives (the last one finds that
            # the point has converged): n_iter counts them, at least 1.
            n_iter = steps + 1
            objective, z, grad, derivatives = self.first_order(coef, pen, z)
            d2 = derivatives[2]
            if done:  # the derivatives at the final point were all that was left
                hessian = None
                break
            hessian = self._curvature.step_hessian(self, d2, pen)
            step = hessian.solve(grad, rtol=forcing)
            self._curvature.after_solve(self, hessian, d2)
            decrement = grad @ step
            scale = max(1.0, abs(objective))
            forcing = _forcing(decrement / scale)
            small_step = np.max(np.abs(step)) <= 1e-13 * (1.0 + np.max(np.abs(coef)))
            if small_step:
                break
            if coarse and decrement <= _COARSE_DECREMENT * scale:
                # This step, then the derivatives there. The reference Hessian
                # follows (as in the last steps below): the adjoint and the
                # next solves are preconditioned by one close to here.
                if not hessian.exact:
                    self._curvature.close_hessian(self, d2, pen, hessian)
                coef, z = coef - step, None
                done = True
                continue
            if decrement <= 1e-20 * scale:
                # Converged; the last (tiny) step still removes the dependence
                # of the solution on where Newton started, which differences
                # of the criterion between nearby penalties would see.
                coef, z = coef - step, None
                done = True
                continue
            if decrement <= 1e-8 * scale:
                if not hessian.exact:
                    # The last steps are exact Newton steps, or solved tightly.
                    hessian = self._curvature.close_hessian(self, d2, pen, hessian)
                    step = hessian.solve(grad, rtol=_CLOSE_RTOL, x0=step)
                    decrement = grad @ step
                # Close to the optimum the full Newton step is safe, and a line
                # search would compare objectives that differ by rounding only.
                # A decrement that stops falling has reached the rounding floor.
                if decrement >= 0.5 * previous_decrement:
                    break
                previous_decrement = decrement
                coef, z = coef - step, None
                # Newton converges quadratically: after this step the
                # decrement is below 1e-20.
                done = decrement <= 1e-12 * scale or not precise
                continue
            trial, trial_objective, trial_z = self._line_search(
                coef, step, objective, decrement, pen
            )
            if trial is None:  # no decrease left at working precision
                break
            # The objective no longer decreases at working precision: evaluate
            # the derivatives at the new point once more, then stop.
            done = trial_objective >= objective
            coef, z = trial, trial_z
        else:
            n_iter = self.max_iter
            objective, z, grad, derivatives = self.first_order(coef, pen, z)
            d2, hessian = derivatives[2], None
            self._warn_unconverged(grad)
        # The solver for the adjoint, at the solution (``hessian``, when set,
        # was built at this very point by the last iteration).
        hessian = self._curvature.final_hessian(self, d2, pen, hessian)
        detail(
            f"  Newton on {self.X1.shape[0]} samples: {n_iter} iterations, "
            f"{self.curvature} curvature"
        )
        self._coef = coef
        state = SmoothState(coef, z, hessian, derivatives, pen, n_iter)
        self._last = lam.copy(), state, precise, coarse
        self._remember(lam, pen, state)
        return state

    def _remember(self, lam, pen, state):
        """Keep the solution and its approximate tangent along ``lam``'s
        scale, ``d coef / d log(t)`` at ``t lam``: ``-H^{-1} (pen * coef)``
        (the penalties scale with ``t``; the intercepts' centring does not),
        from whatever solves with ``H`` cheaply (the factor of a Hessian close
        to the solution)."""
        if np.any(lam <= 0):
            return
        tangent = -state.hessian.approximate_solve(pen * state.coef)
        self._path.append((np.log(lam), state.coef, tangent))
        del self._path[:-_PATH_LENGTH]

    def _start(self, lam, pen, guess):
        """Where Newton starts: the lowest objective of the last solution,
        ``guess`` and the interpolation of earlier solutions along ``lam``'s
        scale (:meth:`_predict`); and its predictor, None when there was no
        choice to make."""
        candidates = [self._coef]
        if guess is not None:
            candidates.append(guess)
        predicted = self._predict(lam)
        if predicted is not None:
            candidates.append(predicted)
        if len(candidates) == 1:
            return self._coef.copy(), None
        evaluated = [self.objective(c, pen) for c in candidates]
        best = int(np.nanargmin([value for value, _ in evaluated]))
        return candidates[best].copy(), evaluated[best][1]

    def _predict(self, lam):
        """The coefficients at ``lam`` from earlier solutions at multiples of
        it: cubic Hermite interpolation between the nearest on either side
        (values and tangents), else the tangent line of the nearest (None
        without such solutions). The one-dimensional search's later points lie
        between earlier ones: Newton then starts a step or two from the
        optimum."""
        if np.any(lam <= 0) or not self._path:
            return None
        log_lam = np.log(lam)
        below, above = None, None  # (distance in log scale, coef, tangent)
        for log_other, coef, tangent in self._path:
            shift = log_other - log_lam
            if np.ptp(shift) > 1e-9 * (1.0 + np.max(np.abs(shift))):
                continue  # not a multiple of lam
            x = float(np.mean(shift))
            if x == 0.0:
                continue
            if x < 0 and (below is None or x > below[0]):
                below = (x, coef, tangent)
            if x > 0 and (above is None or x < above[0]):
                above = (x, coef, tangent)
        if below is None and above is None:
            return None
        if below is None or above is None:
            x, coef, tangent = below if above is None else above
            return coef - x * tangent
        (xa, ca, ta), (xb, cb, tb) = below, above
        h = xb - xa
        t = -xa / h
        return (
            (2 * t**3 - 3 * t**2 + 1) * ca
            + (t**3 - 2 * t**2 + t) * h * ta
            + (-2 * t**3 + 3 * t**2) * cb
            + (t**3 - t**2) * h * tb
        )

    def _warn_unconverged(self, grad):
        """A ``ConvergenceWarning`` for the fit, unless the gradient at the
        last point is below ``tol`` already."""
        largest = np.max(np.abs(grad)) / self.sample_weight.sum()
        if largest > self.tol:
            notify(
                ConvergenceWarning,
                f"Newton's method did not converge in max_iter={self.max_iter} "
                f"iterations (gradient {largest:.2g} > tol={self.tol:g}); the "
                "criterion and its gradient are approximate. Increase max_iter.",
                key="newton_max_iter",
            )

    def _line_search(self, coef, step, objective, decrement, pen):
        """Backtracking (Armijo) line search along the Newton step.

        Returns the accepted point, its objective and its predictor, or
        ``(None, None, None)`` when no step decreases the objective.
        """
        t = 1.0
        for _ in range(_MAX_HALVINGS):
            trial = coef - t * step
            value, z = self.objective(trial, pen)
            if value <= objective - 1e-4 * t * decrement:
                return trial, value, z
            t *= 0.5
        return None, None, None


def _forcing(relative_decrement):
    """Relative residual of the next Newton step's solve, from the relative
    decrement of this one (see ``_MAX_FORCING``)."""
    return min(_MAX_FORCING, max(_NEWTON_RTOL, np.sqrt(max(relative_decrement, 0.0))))


class HessianProduct:
    """``v -> H v`` of a :class:`NewtonSolver` at the point of loss curvature
    ``d2``, with the passes over the data made on ``X1`` (the solver's, or
    its float32 copy); a class rather than a closure, so that a solver and
    its states can be pickled to joblib workers."""

    def __init__(self, solver, X1, d2, pen):
        self.solver = solver
        self.X1 = X1
        self.d2 = d2
        self.pen = pen
        # The intercepts that the softmax's centring couples.
        self.intercepts = (
            solver._intercept_index() if solver._centre_intercepts else None
        )

    @functools.cached_property
    def weighted_d2(self):
        """What every product reuses: the weighted curvature, in the dtype of
        the passes (made at the first product: a Newton step offers a float32
        and a float64 product and uses one)."""
        s, X1 = self.solver.sample_weight, self.X1
        if self.solver.n_outputs == 1:
            return (s * self.d2).astype(X1.dtype, copy=False)
        return self.d2.weighted(s, X1.dtype)

    def __call__(self, v):
        solver, X1 = self.solver, self.X1
        K = solver.n_outputs
        u = solver.predictor(X1, v.astype(X1.dtype, copy=False))
        curved = self.weighted_d2 * u if K == 1 else self.weighted_d2.apply(u)
        curved = curved.astype(X1.dtype, copy=False)
        result = solver.input_gradient(X1, curved) + self.pen * v
        if self.intercepts is not None:
            result[self.intercepts] += v[self.intercepts].sum() / K
        return result
