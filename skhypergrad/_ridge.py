"""Placeholder: GradientRidgeCV is being written."""

from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin


class GradientRidgeCV(MultiOutputMixin, RegressorMixin, BaseEstimator):
    def __init__(
        self,
        alpha=1.0,
        *,
        alpha_bounds=(1e-6, 1e6),
        feature_groups=None,
        alpha_per_target=False,
        cv=None,
        fit_intercept=True,
        max_iter=100,
        tol=1e-6,
        n_restarts=0,
        optimizer="l-bfgs-b",
        random_state=None,
        verbose=0,
        n_jobs=None,
    ):
        self.alpha = alpha
        self.alpha_bounds = alpha_bounds
        self.feature_groups = feature_groups
        self.alpha_per_target = alpha_per_target
        self.cv = cv
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.optimizer = optimizer
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    def fit(self, X, y, sample_weight=None):
        raise NotImplementedError
