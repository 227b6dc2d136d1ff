"""NeighborIndex.query_vector against a float64 brute force: several blocks, exclusions, ties, zero vectors."""

from __future__ import annotations

import numpy as np
import pytest

from embedding_projector.neighbors import NeighborIndex


def brute(x: np.ndarray, q: np.ndarray, metric: str, exclude: set[int]) -> np.ndarray:
    x, q = x.astype(np.float64), np.asarray(q, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1) * np.linalg.norm(q)
        d = 1 - np.divide(x @ q, norms, out=np.zeros(len(x)), where=norms > 0)
    else:
        d = np.linalg.norm(x - q, axis=1)
    d[list(exclude)] = np.inf
    return d


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_query_vector_is_exact_over_blocks_with_exclusions_and_ties(metric: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(700, 12)).astype(np.float32)
    x[100:140] = x[5]  # 41 identical rows: ties at distance 0 across block boundaries
    x[600] = 0
    index = NeighborIndex(x, block_rows=64)
    checked = 0
    for q, exclude in [(x[5].astype(np.float64), {5, 101}), (rng.normal(size=12), set()),
                       (x[300].astype(np.float64) + 1e-7, {300}), (np.zeros(12), {0, 1})]:
        rows, dist = index.query_vector(q, 20, metric, exclude=sorted(exclude))
        d = brute(x, q, metric, exclude)
        assert not set(rows.tolist()) & exclude
        np.testing.assert_allclose(dist, np.sort(d)[:20], atol=1e-9)
        # the rows are a valid top 20: none left out is nearer than the 20th
        assert d[rows].max() <= np.sort(d)[19] + 1e-12 and len(set(rows.tolist())) == 20
        checked += 1
    assert checked == 4
    with pytest.raises(ValueError):
        index.query_vector(np.ones(11), 5, metric)
    assert len(index.query_vector(x[0], 10_000, metric)[0]) == 700
