"""Gradient-based hyperparameter tuning for scikit-learn estimators.

The estimators fit their own continuous hyperparameters by following the
gradient of a model-selection criterion (exact leave-one-out, generalised
cross-validation, k-fold or held-out error), as in Bengio (2000),
"Gradient-based optimization of hyperparameters", Neural Computation 12(8).
"""

from ._glm.logistic import GradientLogisticRegressionCV
from ._glm.poisson import GradientPoissonRegressorCV
from ._kernel.estimator import GradientKernelRidgeCV
from ._ridge.classifier import GradientRidgeClassifierCV
from ._ridge.estimator import GradientRidgeCV

__version__ = "0.1.0.dev0"

__all__ = [
    "GradientKernelRidgeCV",
    "GradientLogisticRegressionCV",
    "GradientPoissonRegressorCV",
    "GradientRidgeClassifierCV",
    "GradientRidgeCV",
    "__version__",
]
