"""Gradient-based hyperparameter tuning for scikit-learn estimators.

The estimators fit their own continuous hyperparameters by following the
gradient of a model-selection criterion (exact leave-one-out, generalised
cross-validation, k-fold or held-out error), as in Bengio (2000),
"Gradient-based optimization of hyperparameters", Neural Computation 12(8).
"""

from ._kernel_ridge import GradientKernelRidgeCV
from ._logistic import GradientLogisticRegressionCV
from ._poisson import GradientPoissonRegressorCV
from ._ridge import GradientRidgeCV

__version__ = "0.1.0.dev0"

__all__ = [
    "GradientKernelRidgeCV",
    "GradientLogisticRegressionCV",
    "GradientPoissonRegressorCV",
    "GradientRidgeCV",
    "__version__",
]
