"""Dense centred, rescaled rows ``A = diag(row_scale) (X - 1 offset^T)`` and
their products, in float64.

Float64 ``X`` is centred once into a new array (:class:`DenseRows`). Float32
``X``, and tall float64 ``X``, are not copied (:class:`BlockRows`): every
product converts, centres and rescales one block of rows at a time in float64,
so that the centring is exact to float64 (the intercept's direction stays
orthogonal to the columns, which the leave-one-out formulas rely on) and
memory grows by one block, not by a float64 copy of ``X``.
"""

import numpy as np

# Rows per block of a float32 product.
_BLOCK_ROWS = 2048


class DenseRows:
    """Float64 rows, centred and rescaled into a new array.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features), float64
    offset : ndarray of shape (n_features,) or None
    row_scale : ndarray of shape (n_rows,) or None
    """

    def __init__(self, X, offset=None, row_scale=None):
        if offset is not None:
            X = X - offset  # a new array: scaled in place below
            if row_scale is not None:
                X *= row_scale[:, None]
        elif row_scale is not None:
            X = row_scale[:, None] * X
        self.array = X

    def matmul(self, V):
        """``A @ V``."""
        return self.array @ V

    def rmatmul(self, U):
        """``A.T @ U``."""
        return self.array.T @ U

    def gram(self):
        """``A.T @ A``."""
        return self.array.T @ self.array

    def outer(self, scale=None):
        """``A diag(scale) A.T``."""
        left = self.array if scale is None else self.array * scale
        return left @ self.array.T

    def column_squares(self):
        """Squared norm of each column."""
        return np.einsum("ij,ij->j", self.array, self.array)

    def row_dots(self, B):
        """``rowsum(A * B)``."""
        return np.einsum("ij,ij->i", self.array, B)


class BlockRows:
    """Rows centred and rescaled in float64 one block at a time.

    Same parameters and methods as :class:`DenseRows`; ``X`` is kept, not
    copied.
    """

    def __init__(self, X, offset=None, row_scale=None):
        self.X = X
        self.offset = offset
        self.row_scale = row_scale

    def _block(self, rows):
        block = self.X[rows].astype(np.float64)
        if self.offset is not None:
            block -= self.offset
        if self.row_scale is not None:
            block *= self.row_scale[rows, None]
        return block

    def _blocks(self):
        """Every block in turn, in one buffer (a view of ``X`` when it needs
        no change): valid until the next block."""
        n, p = self.X.shape
        as_is = (
            self.X.dtype == np.float64
            and self.offset is None
            and self.row_scale is None
        )
        buffer = None if as_is else np.empty((min(n, _BLOCK_ROWS), p))
        for start in range(0, n, _BLOCK_ROWS):
            rows = slice(start, start + _BLOCK_ROWS)
            if as_is:
                yield rows, self.X[rows]
                continue
            block = buffer[: min(n - start, _BLOCK_ROWS)]
            if self.offset is not None:
                np.subtract(self.X[rows], self.offset, out=block)
            else:
                block[...] = self.X[rows]
            if self.row_scale is not None:
                block *= self.row_scale[rows, None]
            yield rows, block

    def matmul(self, V):
        """``A @ V``."""
        out = np.empty((self.X.shape[0],) + V.shape[1:])
        for rows, block in self._blocks():
            np.matmul(block, V, out=out[rows])
        return out

    def rmatmul(self, U):
        """``A.T @ U``."""
        out = np.zeros((self.X.shape[1],) + U.shape[1:])
        for rows, block in self._blocks():
            out += block.T @ U[rows]
        return out

    def gram(self):
        """``A.T @ A``."""
        out = np.zeros((self.X.shape[1], self.X.shape[1]))
        for _, block in self._blocks():
            out += block.T @ block
        return out

    def outer(self, scale=None):
        """``A diag(scale) A.T``, block by block of its upper triangle
        (mirrored: the product is symmetric)."""
        n = self.X.shape[0]
        out = np.empty((n, n))
        for rows, shared in self._blocks():
            block = shared.copy()  # kept while other blocks are made
            left = block if scale is None else block * scale
            for start in range(rows.start, n, _BLOCK_ROWS):
                other_rows = slice(start, start + _BLOCK_ROWS)
                other = block if start == rows.start else self._block(other_rows)
                out[rows, other_rows] = left @ other.T
                out[other_rows, rows] = out[rows, other_rows].T
        return out

    def column_squares(self):
        """Squared norm of each column."""
        out = np.zeros(self.X.shape[1])
        for _, block in self._blocks():
            out += np.einsum("ij,ij->j", block, block)
        return out

    def row_dots(self, B):
        """``rowsum(A * B)``."""
        out = np.empty(self.X.shape[0])
        for rows, block in self._blocks():
            out[rows] = np.einsum("ij,ij->i", block, B[rows])
        return out


def centred_rows(X, offset=None, row_scale=None):
    """:class:`DenseRows` for float64 ``X``, :class:`BlockRows` otherwise."""
    kind = DenseRows if X.dtype == np.float64 else BlockRows
    return kind(X, offset, row_scale)


def weighted_column_sum(X, weight):
    """``X.T @ weight`` in float64 (block by block for float32 ``X``)."""
    return centred_rows(X).rmatmul(weight)
