"""Ridge regression: centred design, eigen path, Cholesky criteria, estimator."""
