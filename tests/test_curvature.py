"""The ways of using the Hessian in Newton's method and the adjoint (formed at
every step, conjugate gradient preconditioned by the Hessian of an earlier
point with the adjoint by the Hessian at the solution or by conjugate gradient,
conjugate gradient with a diagonal preconditioner) give the same solutions and
exact hypergradients; many features never build a ``p x p`` matrix."""

import tracemalloc
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from _finite_differences import central_differences
from _layouts import layout_for
from scipy.sparse.linalg import LinearOperator, cg
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from skhypergrad import GradientLogisticRegressionCV
from skhypergrad._glm import criteria, curvature, newton
from skhypergrad._glm.criteria import SmoothKFoldCriterion, make_smooth_folds
from skhypergrad._glm.curvature import (
    IterativeHessian,
    LaggedPreconditioner,
    conjugate_gradient,
)
from skhypergrad._glm.losses import BinaryLogLoss, MultinomialLogLoss, PoissonLoss
from skhypergrad._glm.newton import NewtonSolver, choose_curvature

CURVATURES = ["dense", "exact", "lagged", "diagonal"]
LOSSES = {
    "logistic": BinaryLogLoss(),
    "poisson": PoissonLoss(),
    "multinomial": MultinomialLogLoss(3),
}


def make_data(loss_name, n=60, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p)
    if loss_name == "multinomial":
        Z = X @ rng.normal(scale=0.6, size=(p, 3))
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        u = rng.uniform(size=(n, 1))
        y = (u > np.cumsum(P / P.sum(axis=1, keepdims=True), axis=1)).sum(axis=1)
    else:
        z = X @ rng.normal(scale=0.5, size=p) + 0.2
        if loss_name == "logistic":
            y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(float)
        else:
            y = rng.poisson(np.exp(0.5 * z)).astype(float)
    return X, y, rng.uniform(0.5, 2.0, size=n)


@pytest.mark.parametrize("curvature", CURVATURES)
@pytest.mark.parametrize("loss_name", ["logistic", "poisson", "multinomial"])
@pytest.mark.parametrize("parametrisation", ["scalar", "each"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_kfold_gradient_matches_finite_differences(
    curvature, loss_name, parametrisation, fit_intercept
):
    X, y, weights = make_data(loss_name)
    splits = list(KFold(3, shuffle=True, random_state=0).split(X))
    folds = make_smooth_folds(
        X, y, weights, splits, fit_intercept, LOSSES[loss_name], curvature=curvature
    )
    criterion = SmoothKFoldCriterion(
        folds, layout_for(parametrisation, X.shape[1], power=-1.0)
    )
    theta = np.random.default_rng(1).uniform(-1.0, 1.0, size=criterion.layout.n_groups)
    # A far first point: the preconditioner of "exact" is then stale, and the
    # solves must still converge to the optimum.
    criterion(theta + 3.0)
    _, grad = criterion(theta)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-8
    )


@pytest.mark.parametrize("curvature", ["exact", "lagged", "diagonal"])
@pytest.mark.parametrize("loss_name", ["logistic", "poisson", "multinomial"])
@pytest.mark.parametrize("sparse", [False, True])
def test_iterative_solutions_equal_the_dense_newton_solution(
    curvature, loss_name, sparse
):
    X, y, weights = make_data(loss_name)
    lam = np.geomspace(0.1, 3.0, X.shape[1])
    dense = NewtonSolver(X, y, weights, True, LOSSES[loss_name], curvature="dense")
    X_other = sp.csr_matrix(X) if sparse else X
    loss = LOSSES[loss_name]
    other = NewtonSolver(X_other, y, weights, True, loss, curvature=curvature)
    expected = dense.solve(lam)
    for scale in [10.0, 1.0]:  # a warm start from a different penalty
        state = other.solve(scale * lam)
    np.testing.assert_allclose(state.coef, expected.coef, rtol=1e-9, atol=1e-11)
    g = np.random.default_rng(0).normal(size=expected.coef.size)
    # The adjoint solve at the solution, to the conjugate gradient's tolerance.
    np.testing.assert_allclose(state.solve(g), expected.solve(g), rtol=1e-7)


@pytest.mark.parametrize("curvature", ["lagged", "diagonal"])
def test_newton_steps_are_solved_to_the_forcing_terms(curvature, monkeypatch):
    """The first step is solved to a relative residual of 0.1, each next one
    to the square root of the step before's relative decrement (within 1e-4
    and 0.1), the steps close to the optimum to 1e-6; the solution is the
    dense Newton solution all the same."""
    X, y, weights = make_data("multinomial", n=400, p=12)
    lam = np.full(X.shape[1], 1e-2)
    objectives, steps, close = [], [], []
    first_order, solve = NewtonSolver.first_order, IterativeHessian.solve

    def recording_first_order(solver, coef, pen, z=None):
        result = first_order(solver, coef, pen, z)
        objectives.append(result[0])
        return result

    def recording_solve(hessian, g, rtol=1e-10, x0=None):
        step = solve(hessian, g, rtol, x0)
        (steps if x0 is None else close).append((rtol, g @ step))
        return step

    monkeypatch.setattr(NewtonSolver, "first_order", recording_first_order)
    monkeypatch.setattr(IterativeHessian, "solve", recording_solve)
    loss = LOSSES["multinomial"]
    state = NewtonSolver(X, y, weights, True, loss, curvature=curvature).solve(lam)
    monkeypatch.undo()
    dense = NewtonSolver(X, y, weights, True, loss, curvature="dense").solve(lam)
    np.testing.assert_allclose(state.coef, dense.coef, rtol=1e-9, atol=1e-11)
    assert len(steps) >= 4 and close, (steps, close)
    expected = [0.1] + [
        min(0.1, max(1e-4, np.sqrt(decrement / max(1.0, abs(objective)))))
        for (_, decrement), objective in zip(steps[:-1], objectives, strict=False)
    ]
    np.testing.assert_allclose([rtol for rtol, _ in steps], expected, rtol=1e-12)
    assert min(rtol for rtol, _ in steps) < 1e-2  # it falls with the decrement
    assert all(rtol == 1e-6 for rtol, _ in close)


@pytest.mark.parametrize("curvature", ["dense", "lagged"])
def test_derivatives_reuse_the_predictor_of_the_point_accepted(curvature, monkeypatch):
    """Newton's derivatives at the point its line search (or its choice of a
    start) accepted reuse the predictor computed there, a pass over the data;
    at any other point they compute it."""
    X, y, weights = make_data("multinomial", n=400, p=12)
    loss = LOSSES["multinomial"]
    solver = NewtonSolver(X, y, weights, True, loss, curvature=curvature)
    evaluated, passes, inside = [], [], []
    objective, first_order = NewtonSolver.objective, NewtonSolver.first_order
    predictor = NewtonSolver.predictor

    def recording_objective(self, coef, pen):
        evaluated.append(coef.copy())
        return objective(self, coef, pen)

    def recording_first_order(self, coef, pen, z=None):
        before = len(passes)
        result = first_order(self, coef, pen, z)
        seen = any(np.array_equal(point, coef) for point in evaluated[-3:])
        inside.append((seen, len(passes) - before))
        evaluated.clear()
        return result

    def recording_predictor(self, X1, coef):
        if X1 is self.X1:
            passes.append(1)
        return predictor(self, X1, coef)

    monkeypatch.setattr(NewtonSolver, "objective", recording_objective)
    monkeypatch.setattr(NewtonSolver, "first_order", recording_first_order)
    monkeypatch.setattr(NewtonSolver, "predictor", recording_predictor)
    for C in (1.0, 0.1, 0.3):
        state = solver.solve(np.full(X.shape[1], 1.0 / C))
    monkeypatch.undo()
    assert any(seen for seen, _ in inside) and not all(seen for seen, _ in inside)
    assert all(n_passes == (0 if seen else 1) for seen, n_passes in inside), inside
    dense = NewtonSolver(X, y, weights, True, loss, curvature="dense")
    expected = dense.solve(np.full(X.shape[1], 1.0 / 0.3))
    np.testing.assert_allclose(state.coef, expected.coef, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(
        state.z,
        X @ state.coef.reshape(3, -1)[:, :-1].T + state.coef.reshape(3, -1)[:, -1],
        rtol=1e-12,
        atol=1e-12,
    )


def test_a_reference_from_sampled_rows_is_not_formed_again_at_every_solve(
    monkeypatch,
):
    """A preconditioner formed from a sample of the rows preconditions no
    better when formed again close to the optimum: over six solves along a
    search's penalties, it is formed once or twice, not once per solve, even
    though loose first steps take few conjugate-gradient iterations (the
    refresh compares iterations per decade of the residual)."""
    rng = np.random.default_rng(0)
    n, p, K = 3000, 20, 5
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p)
    Z = X @ rng.normal(scale=0.6, size=(p, K))
    y = np.argmax(Z + rng.gumbel(size=Z.shape), axis=1)
    monkeypatch.setattr(newton, "_SAMPLED_HESSIAN_FLOPS", 1e5)
    loss = MultinomialLogLoss(K)
    solver = NewtonSolver(X, y, np.ones(n), True, loss, curvature="lagged")
    assert solver.reference_rows is not None
    forms = []
    form = LaggedPreconditioner._form
    monkeypatch.setattr(
        LaggedPreconditioner,
        "_form",
        lambda self, owner, d2: forms.append(1) or form(self, owner, d2),
    )
    for C in (1.0, 0.1, 0.01, 0.03, 0.04, 0.035):
        state = solver.solve(np.full(p, 1.0 / C), precise=False)
    assert len(forms) <= 3, len(forms)
    dense = NewtonSolver(X, y, np.ones(n), True, loss, curvature="dense")
    expected = dense.solve(np.full(p, 1.0 / 0.035)).coef
    np.testing.assert_allclose(state.coef, expected, rtol=1e-8, atol=1e-10)


def random_system(condition, perturbation, m=120, seed=0):
    """A symmetric positive definite ``H`` with eigenvalues log-spaced over
    ``condition``, a right-hand side, and the preconditioner of a matrix
    close to ``H`` (``L S L^T`` with ``H = L L^T`` and ``S`` the identity
    perturbed by ``perturbation``): what the Hessian at a nearby point is."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(m, m)))
    H = (Q * np.geomspace(1.0, condition, m)) @ Q.T
    G = rng.normal(scale=perturbation / np.sqrt(m), size=(m, m))
    w, V = np.linalg.eigh(np.eye(m) + 0.5 * (G + G.T))
    L = np.linalg.cholesky(H)
    nearby = L @ ((V * np.clip(w, 0.2, None)) @ V.T) @ L.T
    return H, rng.normal(size=m), partial(np.linalg.solve, nearby)


def energy_norm(H, e):
    return np.sqrt(e @ H @ e)


@pytest.mark.parametrize("condition", [1e2, 1e6])
@pytest.mark.parametrize("perturbation", [0.05, 0.3, 0.6])
@pytest.mark.parametrize("share", [1e-2, 1e-4, 1e-6])
def test_conjugate_gradient_stops_at_the_error_asked_for(
    condition, perturbation, share
):
    """With ``error_tol`` and a preconditioner close to ``H``, conjugate
    gradient stops once the error in the Hessian's norm is below it, a few
    iterations after it first is (the estimate looks three iterations back,
    and waits for the decreases to fall fast), before the residual test
    would."""
    H, b, nearby = random_system(condition, perturbation)
    exact = np.linalg.solve(H, b)
    error_tol = share * energy_norm(H, exact)
    x, n_iter, converged = conjugate_gradient(
        H.dot, nearby, b, nearby(b), rtol=1e-14, error_tol=error_tol
    )
    assert converged
    assert energy_norm(H, x - exact) <= error_tol
    # The first iterate below the target, by the textbook recurrence.
    errors = _iterate_errors(H, b, nearby, exact, n_iter)
    first_below = 1 + int(np.argmax(errors <= error_tol))
    assert n_iter <= first_below + 4, (n_iter, first_below)
    _, tight_iter, _ = conjugate_gradient(H.dot, nearby, b, nearby(b), 1e-14)
    assert n_iter < tight_iter


def _iterate_errors(H, b, preconditioner, exact, n_iter):
    """The Hessian-norm error of the first ``n_iter`` iterates, by SciPy's
    conjugate gradient from the same start, stopped after 1, 2, ...
    iterations."""
    M = LinearOperator(H.shape, matvec=preconditioner)
    x0 = preconditioner(b)
    iterates = [
        cg(H, b, x0=x0, rtol=0.0, atol=0.0, maxiter=k, M=M)[0]
        for k in range(1, n_iter + 1)
    ]
    return np.array([energy_norm(H, x - exact) for x in iterates])


def multinomial_folds(monkeypatch):
    """Five classes, 3000 rows, 3 folds, preconditioners from sampled rows
    (as on many rows: the adjoint and the Newton steps then take several
    iterations); returns a maker of fresh folds."""
    rng = np.random.default_rng(0)
    n, p, K = 3000, 20, 5
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p)
    y = np.argmax(X @ rng.normal(scale=0.6, size=(p, K)) + rng.gumbel(size=(n, K)), 1)
    weights = rng.uniform(0.5, 2.0, size=n)
    monkeypatch.setattr(newton, "_SAMPLED_HESSIAN_FLOPS", 1e5)
    splits = list(KFold(3, shuffle=True, random_state=0).split(X))

    def folds():
        return make_smooth_folds(
            X, y, weights, splits, True, MultinomialLogLoss(K), curvature="lagged"
        )

    return folds


def record_cg_iterations(monkeypatch, adjoint_only=False):
    """The iterations of every conjugate-gradient solve from now on (of the
    adjoint solves only, with ``adjoint_only``), in a list."""
    iterations = []
    solve = conjugate_gradient

    def recording(product, preconditioner, b, x0, rtol, error_tol=0.0):
        result = solve(product, preconditioner, b, x0, rtol, error_tol)
        if not adjoint_only or rtol == newton._ADJOINT_RTOL:
            iterations.append(result[1])
        return result

    monkeypatch.setattr(curvature, "conjugate_gradient", recording)
    return iterations


@pytest.mark.parametrize("parametrisation", ["scalar", "each"])
def test_kfold_gradient_follows_the_search_tolerance(parametrisation, monkeypatch):
    """With a search's tolerance, each fold's adjoint stops early, and the
    gradient errs by at most a tenth of that tolerance times the criterion
    (Euclidean norm): against the adjoint to working precision and against
    finite differences at that accuracy."""
    folds = multinomial_folds(monkeypatch)
    layout = layout_for(parametrisation, 20, power=-1.0)
    theta = np.random.default_rng(1).uniform(-1.0, 1.0, size=layout.n_groups) + 3.0
    adjoint_iterations = record_cg_iterations(monkeypatch, adjoint_only=True)
    results = {}
    for search_tol in (0.0, 1e-4):
        criterion = SmoothKFoldCriterion(folds(), layout, search_tol=search_tol)
        adjoint_iterations.clear()
        results[search_tol] = criterion(theta), sum(adjoint_iterations)
    (value, exact), tight_iterations = results[0.0]
    (loose_value, loose), loose_iterations = results[1e-4]
    assert loose_value == value
    assert loose_iterations < tight_iterations
    allowed = criteria.GRADIENT_SHARE * 1e-4 * value
    assert 0 < np.linalg.norm(loose - exact) <= allowed
    differences = central_differences(criterion, theta, step=1e-4)
    assert np.linalg.norm(loose - differences) <= allowed + 1e-8


@pytest.mark.parametrize("parametrisation", ["scalar", "each"])
def test_coarse_kfold_evaluation_errs_by_at_most_what_it_is_allowed(
    parametrisation, monkeypatch
):
    """A coarse evaluation (the search's expansion) stops Newton's method a
    step short and the adjoint at the gradient error asked for: its gradient
    is within that error of the exact one (and of finite differences), its
    value within 1e-7, for fewer Newton and conjugate-gradient iterations. An
    accurate evaluation at the same point afterwards is the accurate
    criterion, and its iterations join the coarse one's in the log."""
    folds = multinomial_folds(monkeypatch)
    layout = layout_for(parametrisation, 20, power=-1.0)
    theta = np.random.default_rng(1).uniform(-1.0, 1.0, size=layout.n_groups) + 3.0
    products = record_cg_iterations(monkeypatch)
    gradient_error = 1e-3
    accurate = SmoothKFoldCriterion(folds(), layout, [], search_tol=1e-6)
    value, exact = accurate(theta)
    accurate_products = sum(products)
    products.clear()
    coarse = SmoothKFoldCriterion(folds(), layout, [], search_tol=1e-6)
    coarse_value, coarse_grad = coarse.coarse_value_and_grad(theta, gradient_error)
    assert sum(products) < accurate_products
    assert np.sum(coarse.iterations) < np.sum(accurate.iterations)
    assert abs(coarse_value - value) <= 1e-7 * value
    assert 0 < np.linalg.norm(coarse_grad - exact) <= gradient_error * value
    differences = central_differences(accurate, theta, step=1e-4)
    assert np.linalg.norm(coarse_grad - differences) <= gradient_error * value
    # Accurate at the same point: the accurate criterion; one log entry.
    first = list(coarse.iterations[0])
    again_value, again_grad = coarse(theta)
    assert again_value == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(again_grad, exact, rtol=1e-6, atol=1e-6 * value)
    assert len(coarse.iterations) == 1
    assert all(b > a for a, b in zip(first, coarse.iterations[0], strict=True))


def test_a_coarse_newton_solve_is_continued_not_reused(monkeypatch):
    """A coarse solve stops a step before the accurate solve's last steps; an
    accurate solve at the same penalties continues from it (to the accurate
    solution) rather than returning it, and a coarse one returns it."""
    folds = multinomial_folds(monkeypatch)
    lam = np.full(20, np.exp(-3.0))
    solver = folds()[0].solver
    coarse = solver.solve(lam, precise=False, coarse=True)
    assert solver.solve(lam, precise=False, coarse=True) is coarse
    accurate = solver.solve(lam, precise=False)
    assert accurate is not coarse
    reference = folds()[0].solver.solve(lam, precise=False)
    assert coarse.n_iter < reference.n_iter
    np.testing.assert_allclose(accurate.coef, reference.coef, rtol=1e-9, atol=1e-12)
    distance = np.linalg.norm(coarse.coef - reference.coef)
    assert 0 < distance <= 1e-4 * np.linalg.norm(reference.coef)
    assert accurate.n_iter <= 2


@pytest.mark.parametrize("n_groups", [1, 3])
@pytest.mark.parametrize("data_scale", [1e-6, 1.0])
def test_adjoint_error_tol_bounds_the_worst_gradient_error(n_groups, data_scale):
    """An adjoint error ``e`` of Hessian norm ``adjoint_error_tol`` errs the
    gradient per group, ``(sum over the group of pen * coef * e)``, by at
    most ``allowed`` (Euclidean norm) in the worst direction of ``e``, and
    by nearly that much when the data's part of the Hessian is small (the
    bound is then tight)."""
    rng = np.random.default_rng(0)
    m = 12
    pen = rng.uniform(0.5, 3.0, size=m)
    pen[[5, 11]] = 0.0  # free intercepts
    coef = rng.normal(size=m)
    F = rng.normal(size=(40, m))
    H = np.diag(pen) + data_scale * F.T @ F / 40 + 1e-3 * np.outer(pen == 0, pen == 0)
    groups = np.arange(m) % n_groups
    A = np.zeros((m, n_groups))  # column k: pen * coef on group k
    A[np.arange(m), groups] = pen * coef
    allowed = 0.37
    error_tol = criteria.adjoint_error_tol(pen, coef, allowed)
    # The largest ||A^T e|| over ||e||_H = error_tol.
    worst = error_tol * np.sqrt(np.linalg.eigvalsh(A.T @ np.linalg.solve(H, A))[-1])
    assert worst <= allowed * (1 + 1e-12)
    if data_scale < 1e-3 and n_groups == 1:
        assert worst >= 0.99 * allowed


def test_estimators_pass_their_search_tolerance_to_the_adjoint(monkeypatch):
    """A k-fold fit's adjoint solves follow ``search_tol`` (with and without
    early stopping): every fold's allowed error is its share of it, in the
    accurate evaluations (the coarse ones ask for their own)."""
    X, y, _ = make_data("multinomial", n=300, p=8)
    allowed = []  # (the fold's allowed error, whether the evaluation is coarse)
    error_tol, fit_fold = criteria.adjoint_error_tol, criteria._fit_fold
    coarse = [False]

    def fitting(fold, lam, guess, relative_error, solve):
        coarse[0] = solve["coarse"]
        return fit_fold(fold, lam, guess, relative_error, solve)

    def recording(pen, coef, share):
        allowed.append((share, coarse[0]))
        return error_tol(pen, coef, share)

    monkeypatch.setattr(criteria, "_fit_fold", fitting)
    monkeypatch.setattr(criteria, "adjoint_error_tol", recording)
    for options in ({}, {"feature_groups": "each", "early_stopping": True}):
        allowed.clear()
        GradientLogisticRegressionCV(cv=3, search_tol=1e-3, **options).fit(X, y)
        # Fold losses are sums over about 100 rows of log-losses near 1.
        accurate = [share for share, coarse in allowed if not coarse]
        assert accurate and min(accurate) > 0
        assert max(accurate) < criteria.GRADIENT_SHARE * 1e-3 * 300
        assert any(coarse for _, coarse in allowed)


def test_choice_of_curvature():
    assert choose_curvature(500, 30) == "dense"
    assert choose_curvature(4000, 201) == "lagged"
    assert choose_curvature(1000, 650) == "lagged"
    assert choose_curvature(100, 3001) == "diagonal"
    # Approximate leave-one-out needs the Hessian at the solution as a matrix.
    assert choose_curvature(4000, 201, dense_hessian=True) == "exact"
    assert choose_curvature(100, 3001, dense_hessian=True) == "exact"


def test_many_features_never_build_a_p_by_p_matrix():
    rng = np.random.default_rng(1)
    n, p = 80, 3000
    X = rng.normal(size=(n, p))
    y = (3.0 * X[:, :5].sum(axis=1) + rng.normal(size=n) > 0).astype(int)
    model = GradientLogisticRegressionCV(cv=3, C_bounds=(1e-6, 1e2))
    tracemalloc.start()
    model.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # One p x p float64 matrix would be 72 MB; the data X are 1.9 MB.
    assert peak < 0.2 * p * p * 8
    assert 1e-5 < model.C_[0] < 1e1  # an interior optimum
    reference = LogisticRegression(C=model.C_[0], tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-5, atol=1e-7)
