"""The faster inner solves of the smooth-loss criteria give exact
hypergradients: the search's solves (``precise=False``: Newton one step short
of its rounding floor), the lagged float32 preconditioner with the adjoint by
conjugate gradient, and Newton's start interpolated from earlier solutions,
against central finite differences; a fold without a class keeps its held
intercept exact on those paths."""

import numpy as np
import pytest
from _finite_differences import central_differences
from _layouts import layout_for
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from skhypergrad._glm.alo import ApproximateLeaveOneOut
from skhypergrad._glm.criteria import SmoothKFoldCriterion, make_smooth_folds
from skhypergrad._glm.curvature import conjugate_gradient
from skhypergrad._glm.losses import BinaryLogLoss, MultinomialLogLoss
from skhypergrad._glm.newton import NewtonSolver


def make_data(n_classes, n=90, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p)
    Z = X @ rng.normal(scale=0.6, size=(p, n_classes))
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (rng.uniform(size=(n, 1)) > np.cumsum(P, axis=1)).sum(axis=1)
    y = np.minimum(y, n_classes - 1)
    loss = BinaryLogLoss() if n_classes == 2 else MultinomialLogLoss(n_classes)
    target = y.astype(float) if n_classes == 2 else y
    return X, target, rng.uniform(0.5, 2.0, size=n), loss


def criterion_for(kind, curvature, X, y, weights, loss, layout, splits=None):
    if kind == "alo":
        solver = NewtonSolver(X, y, weights, True, loss, curvature=curvature)
        return ApproximateLeaveOneOut(solver, layout, precise=False)
    splits = splits or list(KFold(3, shuffle=True, random_state=0).split(X))
    folds = make_smooth_folds(X, y, weights, splits, True, loss, curvature=curvature)
    return SmoothKFoldCriterion(folds, layout, precise=False)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("parametrisation", ["scalar", "each"])
@pytest.mark.parametrize(
    "kind, curvature",
    [("kfold", "lagged"), ("kfold", "dense"), ("kfold", "diagonal"), ("alo", "exact")],
)
def test_search_solves_give_finite_difference_gradients(
    n_classes, parametrisation, kind, curvature
):
    X, y, weights, loss = make_data(n_classes)
    layout = layout_for(parametrisation, X.shape[1], power=-1.0)
    criterion = criterion_for(kind, curvature, X, y, weights, loss, layout)
    theta = np.random.default_rng(1).uniform(-1.0, 1.0, size=layout.n_groups)
    # Earlier points along the scale: the start is then interpolated.
    for shift in (2.3, -1.5, 0.4):
        criterion(theta + shift)
    value, grad = criterion(theta)
    np.testing.assert_allclose(
        grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-8
    )
    # The value equals the one of solves to the rounding floor.
    criterion.precise = True
    for solver in (
        getattr(criterion, "solver", None),
        *(fold.solver for fold in getattr(criterion, "folds", [])),
    ):
        if solver is not None:
            solver._last = None
    precise_value, precise_grad = criterion(theta)
    # The search stops at a relative change of 1e-6 (search_tol); one Newton
    # step short of the floor (and the lagged curvature's last steps by
    # conjugate gradient to 1e-10) leaves the value within about 1e-10.
    np.testing.assert_allclose(value, precise_value, rtol=1e-9)
    np.testing.assert_allclose(grad, precise_grad, rtol=1e-7, atol=1e-12)


def sorted_three_classes():
    """40 samples of each of 3 classes, sorted: KFold(3) trains each fold on
    two classes."""
    X, y, weights, loss = make_data(3, n=300)
    rows = np.concatenate([np.flatnonzero(y == k)[:40] for k in range(3)])
    return X[rows], y[rows], weights[rows], loss


@pytest.mark.parametrize("curvature", ["lagged", "dense"])
def test_held_intercept_of_a_fold_without_a_class_on_the_search_path(curvature):
    X, y, weights, loss = sorted_three_classes()
    splits = list(KFold(3).split(X))
    for parametrisation in ("scalar", "each"):
        layout = layout_for(parametrisation, X.shape[1], power=-1.0)
        criterion = criterion_for(
            "kfold", curvature, X, y, weights, loss, layout, splits
        )
        assert all(fold.solver.held.sum() == 1 for fold in criterion.folds)
        theta = np.random.default_rng(0).uniform(-1.0, 1.0, size=layout.n_groups)
        criterion(theta + 1.0)
        _, grad = criterion(theta)
        np.testing.assert_allclose(
            grad, central_differences(criterion, theta), rtol=1e-5, atol=1e-8
        )


def test_lagged_solution_equals_scikit_learn():
    X, y, weights, loss = make_data(4, n=400, p=12)
    C = 0.7
    solver = NewtonSolver(X, y, weights, True, loss, curvature="lagged")
    lam = np.full(X.shape[1], 1.0 / C)
    for scale in (30.0, 0.1, 2.0):  # earlier solves: interpolated starts
        solver.solve(scale * lam, precise=False)
    state = solver.solve(lam)
    dense = NewtonSolver(X, y, weights, True, loss, curvature="dense").solve(lam)
    np.testing.assert_allclose(state.coef, dense.coef, rtol=1e-9, atol=1e-12)
    # scikit-learn's L-BFGS, as tests/test_smooth.py compares it.
    reference = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(
        X, y, sample_weight=weights
    )
    W = state.coef.reshape(4, -1)
    np.testing.assert_allclose(W[:, :-1], reference.coef_, rtol=1e-5, atol=1e-8)
    centred = reference.intercept_ - reference.intercept_.mean()
    np.testing.assert_allclose(W[:, -1], centred, rtol=1e-5, atol=1e-8)


def test_conjugate_gradient_solves_to_its_tolerance():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(30, 30))
    A = A @ A.T + 0.1 * np.eye(30)
    b = rng.normal(size=30)
    diagonal = 1.0 / np.diag(A)
    x, n_iter, converged = conjugate_gradient(
        lambda v: A @ v, lambda r: diagonal * r, b, np.zeros(30), 1e-10
    )
    assert converged and 0 < n_iter <= 300
    assert np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b)
