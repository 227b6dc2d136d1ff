"""The diagnostics job over real HTTP: planted duplicates found exactly, N_k sums to n*k, sparsity = k-th distance."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from embedding_projector.analysis import diagnostics, knn_graph
from embedding_projector.analysis.graph_cache import Graph
from embedding_projector.projections.progress import Progress
from tests.datagen import clustered, vectors_tsv
from tests.test_api_knn_graph import finished, read_array

N = 300
# (original row, copy row, scale): a scaled copy is at cosine distance 0 but not euclidean distance 0
PLANTED = [(3, 250, 1.0), (40, 41, 1.0), (100, 299, 3.0)]


def test_diagnostics_find_planted_duplicates_hubness_and_sparsity(client) -> None:
    vectors, _ = clustered(N, 10, seed=21)
    for a, b, scale in PLANTED:
        vectors[b] = vectors[a] * scale
    body = vectors_tsv(vectors)
    parsed = np.array([[float(x) for x in line.split("\t")] for line in body.decode().splitlines()])
    parsed = parsed.astype(np.float32).astype(np.float64)
    r = client.post("/api/datasets", files={"vectors": ("dups.tsv", body)})
    assert r.status_code == 201, r.text
    dataset_id = r.json()["id"]
    k = 10
    status = finished(client, dataset_id, {"method": "diagnostics", "params": {"k": k}})
    assert status["arrays"]["hubness"] == {"dtype": "float32", "shape": [N]}
    dups = status["extras"]["duplicates"]
    found = {(a, b) for a, b, _ in dups["pairs"]}
    print(f"cosine duplicates: {dups['count']} pairs {sorted(found)}; hubness skewness "
          f"{status['extras']['hubness_skewness']:.3f}, max N_k {status['extras']['hubness_max']}")
    assert found == {(a, b) for a, b, _ in PLANTED} and dups["count"] == 3 and not dups["truncated"]
    hub = read_array(client, status["id"], "hubness", "<f4")
    sparsity = read_array(client, status["id"], "sparsity", "<f4")
    assert hub.sum() == N * k
    oracle = NearestNeighbors(n_neighbors=k + 1, algorithm="brute", metric="cosine").fit(parsed)
    dist, rows = oracle.kneighbors(parsed)
    want_hub = np.bincount(rows[:, 1:].ravel(), minlength=N)
    # ties at distance 0 between a duplicate pair may order row/copy either way; elsewhere N_k matches
    assert np.abs(hub - want_hub).sum() <= 2 * len(PLANTED)
    np.testing.assert_allclose(sparsity, dist[:, k], rtol=1e-5, atol=1e-6)
    assert status["extras"]["hubness_max"] == int(hub.max())

    # Euclidean: the scaled copy is no duplicate; a threshold that is too wide lists pairs capped.
    status = finished(client, dataset_id, {"method": "diagnostics", "params": {"k": k, "metric": "euclidean"}})
    assert {(a, b) for a, b, _ in status["extras"]["duplicates"]["pairs"]} == {(3, 250), (40, 41)}
    sparsity = read_array(client, status["id"], "sparsity", "<f4")
    want = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(parsed).kneighbors(parsed)[0][:, k]
    np.testing.assert_allclose(sparsity, want, rtol=1e-5, atol=1e-6)
    r = client.post(f"/api/datasets/{dataset_id}/projections",
                    json={"method": "diagnostics", "params": {"duplicate_threshold": -1}})
    assert r.status_code == 422 and "duplicate_threshold" in r.json()["error"]


def test_a_wide_threshold_lists_the_nearest_1000_pairs_and_says_so() -> None:
    vectors, _ = clustered(N, 10, seed=21)
    neighbors, distances = knn_graph.compute(vectors, 5, "cosine", Progress())
    params = diagnostics.Params(k=5, duplicate_threshold=2)
    result = diagnostics.run(vectors, params, Progress(), graph=Graph("g", neighbors, distances))
    dups = result.extras["duplicates"]
    assert dups["count"] > 1000 and dups["truncated"] and len(dups["pairs"]) == 1000
    assert [p[2] for p in dups["pairs"]] == sorted(p[2] for p in dups["pairs"])
    assert all(a < b for a, b, _ in dups["pairs"]) and len({(a, b) for a, b, _ in dups["pairs"]}) == 1000
