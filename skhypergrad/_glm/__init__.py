"""Generalised linear models: losses, Newton solves, k-fold and ALO criteria,
estimators."""
