"""Kernel ridge: kernel-gradient contractions, dual criteria, start, estimator."""
