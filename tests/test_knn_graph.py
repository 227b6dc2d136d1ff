"""knn_graph.compute (NeighborIndex.query_rows in threads): exact, against sklearn's brute force."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from embedding_projector.analysis import knn_graph
from embedding_projector.neighbors import NeighborIndex
from embedding_projector.projections.progress import Progress

METRICS = ["cosine", "euclidean"]


def awkward_vectors(n: int, d: int, seed: int) -> np.ndarray:
    """Clustered vectors of mixed norms with planted exact duplicates, a zero vector and tied distances."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(8, d)) * 4
    x = centres[rng.integers(0, 8, n)] + rng.normal(size=(n, d)) * rng.uniform(0.3, 2, size=(n, 1))
    x[10:14] = x[3]  # five copies of one row: four neighbours at distance exactly 0
    x[7] = 0.0  # the zero vector: at cosine distance 1 from everything
    x[30] = x[31] * 2.0  # same direction: cosine distance 0, euclidean not
    if n < 300:
        return x.astype(np.float32)
    x[20:23] = x[200]
    # Points on a circle around x[40]: many rows at one distance (ties at the k-th).
    angles = np.linspace(0, 2 * np.pi, 25, endpoint=False)
    x[41:66] = x[40]
    x[41:66, 0] += np.cos(angles) * 0.5
    x[41:66, 1] += np.sin(angles) * 0.5
    return x.astype(np.float32)


def check_against_sklearn(vectors: np.ndarray, neighbors: np.ndarray, distances: np.ndarray, metric: str) -> float:
    """Distances equal sklearn's, rows differ only within ties; returns the share of identical neighbour sets."""
    n, k = neighbors.shape
    want_dist, want = NearestNeighbors(n_neighbors=min(k + 1, n), algorithm="brute", metric=metric).fit(
        vectors.astype(np.float64)).kneighbors(vectors.astype(np.float64))
    # sklearn may list a duplicate before the row itself: drop the row itself wherever it is.
    others = [[j for j in row if j != i][:k] for i, row in enumerate(want.tolist())]
    want_d = np.array([[d for j, d in zip(row, dr, strict=True) if j != i][:k]
                       for i, (row, dr) in enumerate(zip(want.tolist(), want_dist.tolist(), strict=True))])
    assert (neighbors != np.arange(n)[:, None]).all(), "a row is its own neighbour"
    assert np.all(np.diff(distances, axis=1) >= 0), "not nearest first"
    np.testing.assert_allclose(distances, want_d, rtol=1e-5, atol=2e-6)
    # Our own distances, recomputed in float64, confirm each row we chose (ties may pick other rows).
    x = vectors.astype(np.float64)
    if metric == "euclidean":
        mine = np.linalg.norm(x[neighbors] - x[:, None, :], axis=2)
    else:
        norms = np.linalg.norm(x, axis=1)
        dots = np.einsum("nkd,nd->nk", x[neighbors], x)
        denom = norms[neighbors] * norms[:, None]
        mine = 1 - np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
    np.testing.assert_allclose(mine, want_d, rtol=1e-5, atol=2e-6)
    return float(np.mean([set(a) == set(b) for a, b in zip(neighbors.tolist(), others, strict=True)]))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(("n", "d", "k"), [(2300, 12, 15), (1500, 50, 100), (40, 5, 39), (40, 5, 100)])
def test_graph_is_exact(n: int, d: int, k: int, metric: str, monkeypatch) -> None:
    # Several query batches and scan blocks even at this size (real sizes: 512 and 4096).
    monkeypatch.setattr(knn_graph, "QUERY_BATCH", 256)
    monkeypatch.setattr("embedding_projector.neighbors.SCAN_BLOCK_ROWS", 300)
    monkeypatch.setattr("embedding_projector.neighbors.SEED_ROWS", 64)
    vectors = awkward_vectors(n, d, seed=n + k)
    seen: list[float] = []
    neighbors, distances = knn_graph.compute(vectors, k, metric, Progress(lambda f, _i, _c: seen.append(f)))
    assert neighbors.dtype == np.int32 and distances.dtype == np.float32
    assert neighbors.shape == (n, min(k, n - 1))
    same = check_against_sklearn(vectors, neighbors, distances, metric)
    print(f"n={n} d={d} k={k} {metric}: {same:.4f} of rows have sklearn's exact neighbour set")
    assert same >= 0.97  # the rest differ only in which of several tied rows come last
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    if metric == "cosine" and n > 7:
        assert set(distances[7].tolist()) == {1.0}  # the zero vector
    if n > 14:
        assert {3, 11, 12, 13} <= set(neighbors[10].tolist()) and distances[10, :4].max() == 0.0


def test_batched_scan_matches_single_queries() -> None:
    """query_rows (threshold scan) and query (per-row scan) give identical answers, ties by row."""
    vectors = awkward_vectors(3000, 20, seed=5)
    index = NeighborIndex(vectors, block_rows=500)
    rows = np.arange(0, 3000, 7)
    for metric in METRICS:
        got_rows, got_dist = index.query_rows(rows, 20, metric)
        assert got_rows.dtype == np.int64
        for i, row in enumerate(rows.tolist()):
            want_rows, want_dist = index.query(row, 20, metric)
            np.testing.assert_allclose(got_dist[i], want_dist, rtol=1e-12, atol=1e-12)
            assert got_rows[i].tolist() == want_rows.tolist(), (metric, row)
