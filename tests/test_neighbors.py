"""NeighborIndex: exact k-NN against sklearn's brute force and a float64 numpy oracle."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from embedding_projector.errors import InputError
from embedding_projector.neighbors import NeighborIndex

METRICS = ["cosine", "euclidean"]


def oracle(vectors: np.ndarray, row: int, k: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The exact answer in float64: nearest first, ties by row, the row itself left out."""
    x = vectors.astype(np.float64)
    q = x[row]
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1) * np.linalg.norm(q)
        dots = x @ q
        sims = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        dist = np.clip(1.0 - sims, 0.0, 2.0)
    else:
        dist = np.linalg.norm(x - q, axis=1)
    others = np.delete(np.arange(len(x)), row)
    order = others[np.lexsort((others, dist[others]))][:k]
    return order, dist[order]


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    ("n", "d", "block_rows"),
    [(50, 3, 7), (1000, 16, 64), (1000, 16, 1000), (2500, 40, 333), (777, 5, 65536)],
)
def test_matches_sklearn_brute_force(n: int, d: int, block_rows: int, metric: str, threads: int) -> None:
    rng = np.random.default_rng(n + d)
    vectors = (rng.normal(size=(n, d)) * rng.uniform(0.5, 3, size=(n, 1))).astype(np.float32)
    index = NeighborIndex(vectors, block_rows=block_rows, scan_threads=threads)
    nn = NearestNeighbors(algorithm="brute", metric=metric).fit(vectors.astype(np.float64))
    for row in rng.choice(n, 8, replace=False):
        for k in (1, 10, 37):
            rows, dist = index.query(int(row), k, metric)
            ref_dist, ref_rows = nn.kneighbors(vectors[row : row + 1].astype(np.float64), k + 1)
            keep = ref_rows[0] != row
            ref_rows, ref_dist = ref_rows[0][keep][:k], ref_dist[0][keep][:k]
            assert rows.dtype == np.int64 and dist.dtype == np.float64
            assert len(rows) == k and row not in rows
            assert set(rows.tolist()) == set(ref_rows.tolist())
            assert np.allclose(dist, ref_dist, atol=1e-6)
            assert np.all(np.diff(dist) >= 0)


@pytest.mark.parametrize("metric", METRICS)
def test_order_and_ties_match_the_exact_oracle(metric: str) -> None:
    vectors = np.random.default_rng(3).normal(size=(600, 12)).astype(np.float32)
    index = NeighborIndex(vectors, block_rows=50)
    for row in (0, 49, 50, 599, 300):
        rows, dist = index.query(row, 25, metric)
        ref_rows, ref_dist = oracle(vectors, row, 25, metric)
        assert rows.tolist() == ref_rows.tolist()
        assert np.allclose(dist, ref_dist, rtol=0, atol=1e-12)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [599, 600, 10_000])
def test_k_at_least_n_returns_every_other_row(metric: str, k: int) -> None:
    vectors = np.random.default_rng(4).normal(size=(600, 6)).astype(np.float32)
    rows, dist = NeighborIndex(vectors, block_rows=64).query(17, k, metric)
    assert sorted(rows.tolist()) == [r for r in range(600) if r != 17]
    ref_rows, ref_dist = oracle(vectors, 17, k, metric)
    assert rows.tolist() == ref_rows.tolist() and np.allclose(dist, ref_dist)


def test_single_row_has_no_neighbours() -> None:
    rows, dist = NeighborIndex(np.ones((1, 4), dtype=np.float32)).query(0, 5, "cosine")
    assert rows.shape == (0,) and dist.shape == (0,)


def test_zero_vectors_are_at_cosine_distance_one() -> None:
    vectors = np.random.default_rng(5).normal(size=(200, 8)).astype(np.float32)
    vectors[[3, 40, 41, 150]] = 0
    index = NeighborIndex(vectors, block_rows=32)
    # From a zero vector everything is at distance 1: the lowest rows win the tie.
    rows, dist = index.query(40, 5, "cosine")
    assert rows.tolist() == [0, 1, 2, 3, 4] and np.all(dist == 1.0)
    # From an ordinary vector the zero rows sit at distance 1, never NaN.
    rows, dist = index.query(7, 199, "cosine")
    assert not np.isnan(dist).any()
    zero_at = {int(r): float(x) for r, x in zip(rows, dist) if r in (3, 40, 41, 150)}
    assert zero_at == {3: 1.0, 40: 1.0, 41: 1.0, 150: 1.0}
    # Euclidean treats a zero vector like any other point.
    rows, dist = index.query(40, 3, "euclidean")
    assert rows.tolist()[:2] == [3, 41] and dist[0] == dist[1] == 0.0
    ref_rows, ref_dist = oracle(vectors, 40, 3, "euclidean")
    assert rows.tolist() == ref_rows.tolist() and np.allclose(dist, ref_dist)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("metric", METRICS)
def test_duplicate_points_tie_by_row_index(metric: str, threads: int) -> None:
    rng = np.random.default_rng(6)
    vectors = rng.normal(size=(500, 10)).astype(np.float32)
    copies = [9, 60, 61, 122, 200, 201, 202, 333, 480, 499]
    far = rng.normal(size=10).astype(np.float32) * 3
    vectors[copies[1:]] = far  # nine identical points, spread across blocks
    vectors[250] = far + 0.01  # nearest to the copies, but not one of them
    index = NeighborIndex(vectors, block_rows=16, scan_threads=threads)
    # From one copy: the other eight come first, at distance 0, by row.
    rows, dist = index.query(60, 8, metric)
    assert rows.tolist() == [61, 122, 200, 201, 202, 333, 480, 499]
    assert np.allclose(dist, 0.0, atol=1e-7)
    # From row 250 the k-th boundary falls inside the group of copies: the lowest rows win.
    for k in range(1, 12):
        rows, dist = index.query(250, k, metric)
        assert rows.tolist() == copies[1 : k + 1] or k > 9
        ref_rows, ref_dist = oracle(vectors, 250, k, metric)
        assert rows.tolist() == ref_rows.tolist()


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("metric", METRICS)
def test_ties_wider_than_the_candidate_margin(metric: str, threads: int) -> None:
    # A hundred copies in one block: which of them a partition keeps is arbitrary, so the index
    # must keep every row tied at the boundary (or rescan) to return the lowest rows.
    rng = np.random.default_rng(10)
    vectors = rng.normal(size=(1000, 8)).astype(np.float32)
    vectors[300:400] = rng.normal(size=8).astype(np.float32) * 4
    vectors[0] = vectors[300] + 0.01
    index = NeighborIndex(vectors, block_rows=512, scan_threads=threads)
    for k in (1, 5, 50, 100, 120):
        rows, dist = index.query(0, k, metric)
        assert rows.tolist()[:100] == list(range(300, 300 + min(k, 100)))
        ref_rows, ref_dist = oracle(vectors, 0, k, metric)
        assert rows.tolist() == ref_rows.tolist()
        assert np.allclose(dist, ref_dist, rtol=0, atol=1e-12)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("metric", METRICS)
def test_many_near_ties_at_the_boundary(metric: str, threads: int) -> None:
    # Points on a circle around the query, at distances equal up to float32 rounding of the
    # coordinates: the float32 pass cannot order them, so the index must rescan.
    angles = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    vectors = np.concatenate([[[0.0, 0.0]], circle * 4 + 10]).astype(np.float32)
    vectors[0] = [10, 10]
    index = NeighborIndex(vectors, block_rows=23, scan_threads=threads)
    for k in (1, 10, 100):
        rows, dist = index.query(0, k, metric)
        ref_rows, ref_dist = oracle(vectors, 0, k, metric)
        assert rows.tolist() == ref_rows.tolist()
        assert np.allclose(dist, ref_dist, rtol=0, atol=1e-12)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("metric", METRICS)
def test_near_ties_below_float32_resolution(metric: str, threads: int) -> None:
    # Neighbours that differ only in the last bits of float32, with a large common offset.
    rng = np.random.default_rng(7)
    base = rng.normal(size=16) * 100
    vectors = (base + rng.normal(size=(3000, 16)) * 1e-3).astype(np.float32)
    index = NeighborIndex(vectors, block_rows=128, scan_threads=threads)
    for row in (0, 1500, 2999):
        for k in (5, 50):
            rows, dist = index.query(row, k, metric)
            ref_rows, ref_dist = oracle(vectors, row, k, metric)
            assert rows.tolist() == ref_rows.tolist()
            assert np.allclose(dist, ref_dist, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("metric", METRICS)
def test_a_crowd_of_ties_past_what_a_block_keeps(metric: str) -> None:
    # 5000 copies in one block are more than a block keeps within its margin, so it keeps only
    # its best and the proof sends it to a second scan, which must return the lowest rows.
    rng = np.random.default_rng(12)
    vectors = rng.normal(size=(6000, 6)).astype(np.float32)
    vectors[500:5500] = rng.normal(size=6).astype(np.float32) * 3
    vectors[0] = vectors[500] * 1.001 + 0.001
    index = NeighborIndex(vectors, block_rows=8192, scan_threads=2)
    for k in (1, 40):
        rows, dist = index.query(0, k, metric)
        ref_rows, ref_dist = oracle(vectors, 0, k, metric)
        assert rows.tolist() == ref_rows.tolist() == list(range(500, 500 + k))
        assert np.allclose(dist, ref_dist, rtol=0, atol=1e-12)


def test_read_only_memmap_in_either_order(tmp_path) -> None:
    vectors = np.random.default_rng(8).normal(size=(300, 7)).astype(np.float32)
    for order in ("C", "F"):
        path = tmp_path / f"v_{order}.npy"
        np.save(path, np.asarray(vectors, order=order))
        mapped = np.load(path, mmap_mode="r")
        index = NeighborIndex(mapped, block_rows=50)
        assert index.n == 300
        for metric in METRICS:
            rows, dist = index.query(5, 12, metric)
            ref_rows, ref_dist = oracle(vectors, 5, 12, metric)
            assert rows.tolist() == ref_rows.tolist() and np.allclose(dist, ref_dist)


@pytest.mark.parametrize("threads", [1, 2])
def test_concurrent_queries_agree_with_serial_ones(threads: int) -> None:
    vectors = np.random.default_rng(9).normal(size=(3000, 20)).astype(np.float32)
    index = NeighborIndex(vectors, block_rows=256, scan_threads=threads)
    jobs = [(row, k, metric) for row in range(0, 3000, 97) for k in (3, 30) for metric in METRICS]
    serial = [index.query(*job) for job in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda job: index.query(*job), jobs))
    for (a_rows, a_dist), (b_rows, b_dist) in zip(serial, parallel):
        assert np.array_equal(a_rows, b_rows) and np.array_equal(a_dist, b_dist)


@pytest.mark.parametrize("row", [100, 5000, -1])
def test_out_of_range_row_is_an_input_error(row: int) -> None:
    index = NeighborIndex(np.ones((100, 3), dtype=np.float32))
    with pytest.raises(InputError, match=f"row {row} is out of range: the dataset has 100 rows"):
        index.query(row, 5, "cosine")


@pytest.mark.parametrize("k", [0, -3])
def test_k_below_one_is_an_input_error(k: int) -> None:
    with pytest.raises(InputError, match="k must be at least 1"):
        NeighborIndex(np.ones((10, 3), dtype=np.float32)).query(0, k, "euclidean")


def test_unknown_metric_is_an_input_error() -> None:
    with pytest.raises(InputError, match="metric must be one of cosine, euclidean"):
        NeighborIndex(np.ones((10, 3), dtype=np.float32)).query(0, 3, "manhattan")  # type: ignore[arg-type]
