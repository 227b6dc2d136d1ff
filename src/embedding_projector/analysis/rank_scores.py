"""Trustworthiness and continuity of a layout (Venna & Kaski), on a sample small enough for all pairs.

sklearn.manifold.trustworthiness ranks every pair (a full argsort of the m x m distances, twice per
score) and takes the embedded space as euclidean; here only the ranks of the k neighbours found in
the other space are counted, in row blocks, so a 5,000-point sample costs a fraction of a second at
k=10. The value is sklearn's (tested against it); ties among distances may rank differently.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.spatial import cKDTree

from embedding_projector.neighbors import NeighborIndex

QUERY_BATCH = 512  # rows per NeighborIndex.query_rows call, as in knn_graph
# Cells of the (block x k x m) comparison made at a time.
BLOCK_CELLS = 1 << 24


def _blocks(m: int, per_row: int) -> Iterator[slice]:
    step = max(1, BLOCK_CELLS // max(1, per_row))
    for start in range(0, m, step):
        yield slice(start, min(start + step, m))


def _distances(points: np.ndarray, norms: np.ndarray, rows: slice) -> np.ndarray:
    """Squared euclidean distances from points[rows] to every point (rank-equivalent to euclidean)."""
    return norms[rows, None] + norms[None, :] - 2.0 * (points[rows] @ points.T)


def tree_neighbors(points: np.ndarray, k: int, workers: int = 1) -> np.ndarray:
    """Each point's k nearest in `points` (a k-d tree, euclidean, nearest first), itself excluded even among duplicates."""
    m = points.shape[0]
    found = cKDTree(points).query(points, k=k + 1, workers=workers)[1].reshape(m, k + 1)
    own = found == np.arange(m)[:, None]
    # A point whose duplicates crowd it out of its own list loses its farthest instead.
    own[~own.any(axis=1), -1] = True
    return found[~own].reshape(m, k)


def nearest(points: np.ndarray, k: int) -> np.ndarray:
    """Each point's k nearest others (euclidean), (m, k)."""
    if points.shape[1] <= 3:  # a layout: a k-d tree beats all pairs
        return tree_neighbors(points, k)
    index = NeighborIndex(points)
    m = points.shape[0]
    out = np.empty((m, k), dtype=np.int64)
    for start in range(0, m, QUERY_BATCH):
        stop = min(start + QUERY_BATCH, m)
        out[start:stop] = index.query_rows(np.arange(start, stop), k, "euclidean")[0]
    return out


def trustworthiness_of(ranked: np.ndarray, found: np.ndarray) -> float:
    """1 - penalty for the neighbours `found` (m, k) in one space that rank beyond k in `ranked` (m, dims)."""
    m, k = found.shape
    norms = np.einsum("ij,ij->i", ranked, ranked)
    penalty = 0
    for rows in _blocks(m, k * m):
        d = _distances(ranked, norms, rows)
        local = np.arange(d.shape[0])
        d[local, np.arange(rows.start, rows.stop)] = -np.inf  # the point itself is rank 0
        limits = d[local[:, None], found[rows]]
        ranks = (d[:, None, :] < limits[:, :, None]).sum(axis=2)
        penalty += int(np.maximum(ranks - k, 0).sum())
    return float(1.0 - penalty * 2.0 / (m * k * (2.0 * m - 3.0 * k - 1.0)))


def trust_and_continuity(original: np.ndarray, shown: np.ndarray, k: int) -> tuple[float, float]:
    """Trustworthiness (layout neighbours ranked in the original) and continuity (the spaces swapped)."""
    original = np.asarray(original, dtype=np.float64)
    shown = np.asarray(shown, dtype=np.float64)
    return (
        trustworthiness_of(original, nearest(shown, k)),
        trustworthiness_of(shown, nearest(original, k)),
    )
