"""Central finite differences of a ``theta -> (value, grad)`` criterion."""

import numpy as np


def central_differences(fun, theta, step=1e-5):
    """Gradient of ``fun(theta)[0]`` by central differences, coordinate-wise."""
    grad = np.empty_like(theta)
    for k in range(theta.size):
        shift = np.zeros_like(theta)
        shift[k] = step
        grad[k] = (fun(theta + shift)[0] - fun(theta - shift)[0]) / (2 * step)
    return grad
