"""Float32 rows in float64 blocks (skhypergrad._ridge.rows) against the same
products on a float64 copy."""

import numpy as np
import pytest

from skhypergrad._ridge import rows


@pytest.mark.parametrize("centred", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_block_products_equal_dense_products(monkeypatch, centred, weighted):
    # Blocks of 7 rows over 30: several blocks, the last one partial.
    monkeypatch.setattr(rows, "_BLOCK_ROWS", 7)
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(30, 5)) + 100.0).astype(np.float32)
    offset = X.astype(np.float64).mean(axis=0) if centred else None
    row_scale = rng.uniform(0.5, 2.0, size=30) if weighted else None
    blocks = rows.BlockRows(X, offset, row_scale)
    dense = rows.DenseRows(X.astype(np.float64), offset, row_scale)
    V, U = rng.normal(size=(5, 3)), rng.normal(size=(30, 2))
    scale = rng.uniform(0.5, 2.0, size=5)
    pairs = [
        (blocks.matmul(V), dense.matmul(V)),
        (blocks.rmatmul(U), dense.rmatmul(U)),
        (blocks.gram(), dense.gram()),
        (blocks.outer(), dense.outer()),
        (blocks.outer(scale), dense.outer(scale)),
        (blocks.column_squares(), dense.column_squares()),
    ]
    for ours, expected in pairs:
        np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-9)
    B = rng.normal(size=(30, 5))
    np.testing.assert_allclose(blocks.row_dots(B), dense.row_dots(B), rtol=1e-12)
    np.testing.assert_array_equal(blocks.outer(), blocks.outer().T)
    assert X.dtype == np.float32  # not converted in place


def test_float32_rows_are_not_copied():
    X = np.ones((10, 3), dtype=np.float32)
    assert isinstance(rows.centred_rows(X, np.zeros(3)), rows.BlockRows)
    assert rows.centred_rows(X).X is X
    assert isinstance(rows.centred_rows(X.astype(np.float64)), rows.DenseRows)
