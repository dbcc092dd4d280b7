"""What every estimator family shares: the hyperparameter layout, the search,
validation, Cholesky helpers and BLAS threads."""
