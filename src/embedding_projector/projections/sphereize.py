"""TensorBoard's "Sphereize data": centre the vectors on a mean, then scale each to unit norm.

As in TensorBoard's projector (data.ts, DataSet.normalize()), the mean is that of the points
shown, so an isolated subset is centred on its own mean, and a vector that is zero after
centring stays zero instead of becoming NaN. Every projection method runs on the result.
"""

from __future__ import annotations

import numpy as np

BLOCK_BYTES = 16 << 20  # bound on each float64 temporary block


def _block_rows(d: int) -> int:
    return max(1, BLOCK_BYTES // (8 * max(d, 1)))


def row_mean(vectors: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """The float64 mean of `rows` (default: all rows) of `vectors`, summed block by block."""
    n, d = vectors.shape
    picked = n if rows is None else len(rows)
    total = np.zeros(d, dtype=np.float64)
    step = _block_rows(d)
    for start in range(0, picked, step):
        if rows is None:
            block = np.asarray(vectors[start : start + step])
        else:
            block = np.asarray(vectors[np.asarray(rows[start : start + step], dtype=np.int64)])
        total += block.sum(axis=0, dtype=np.float64)
    return total / max(picked, 1)


def sphereize(vectors: np.ndarray, *, mean_of: np.ndarray | None = None) -> np.ndarray:
    """A new float32 array: each row minus the mean of `mean_of` rows (default all), at unit norm.

    The input (possibly a read-only memmap) is only read.
    """
    n, d = vectors.shape
    mean = row_mean(vectors, mean_of)
    # Rows within float32 rounding of the mean are the mean: their centred remainder is rounding
    # noise, and scaling it to unit length would give a random direction, not a point.
    floor = np.finfo(np.float32).eps * float(np.linalg.norm(mean))
    out = np.empty((n, d), dtype=np.float32)
    step = _block_rows(d)
    for start in range(0, n, step):
        block = np.asarray(vectors[start : start + step], dtype=np.float64) - mean
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > floor)
        block *= scale[:, None]
        out[start : start + block.shape[0]] = block
    return out
