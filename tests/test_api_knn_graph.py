"""The knn_graph job over real HTTP: int32 neighbours and float32 distances, against sklearn's brute force."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from tests.datagen import clustered, vectors_tsv


@pytest.fixture(scope="module")
def dataset(live_server) -> tuple[str, np.ndarray]:
    vectors, _ = clustered(400, 12, seed=11)
    body = vectors_tsv(vectors)
    parsed = np.array([[float(x) for x in line.split("\t")] for line in body.decode().splitlines()])
    with live_server.client() as c:
        r = c.post("/api/datasets", files={"vectors": ("graph.tsv", body)})
        assert r.status_code == 201, r.text
        return r.json()["id"], parsed


def finished(client, dataset_id: str, body: dict) -> dict:
    r = client.post(f"/api/datasets/{dataset_id}/projections", json=body)
    assert r.status_code in (200, 202), r.text
    job = r.json()["id"]
    with client.stream("GET", f"/api/projections/{job}/events") as events:
        for _ in events.iter_lines():
            pass
    status = client.get(f"/api/projections/{job}").json()
    assert status["status"] == "done", status
    return status


def read_array(client, job: str, name: str, dtype: str) -> np.ndarray:
    r = client.get(f"/api/projections/{job}/{name}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/octet-stream"
    shape = tuple(int(s) for s in r.headers["X-Shape"].split(","))
    return np.frombuffer(r.content, dtype=dtype).reshape(shape)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_graph_matches_brute_force(client, dataset, metric: str) -> None:
    dataset_id, vectors = dataset
    k = 25
    status = finished(client, dataset_id, {"method": "knn_graph", "params": {"k": k, "metric": metric}})
    assert status["arrays"]["neighbors"] == {"dtype": "int32", "shape": [len(vectors), k]}
    neighbors = read_array(client, status["id"], "neighbors", "<i4")
    distances = read_array(client, status["id"], "distances", "<f4")
    assert neighbors.shape == distances.shape == (len(vectors), k)
    oracle = NearestNeighbors(n_neighbors=k + 1, algorithm="brute", metric=metric).fit(vectors)
    want_dist, want = oracle.kneighbors(vectors)
    assert (neighbors != np.arange(len(vectors))[:, None]).all(), "a row is its own neighbour"
    assert np.all(np.diff(distances, axis=1) >= 0), "not nearest first"
    np.testing.assert_allclose(distances, want_dist[:, 1:], rtol=1e-5, atol=1e-6)
    same = np.mean([set(a) == set(b[1:]) for a, b in zip(neighbors.tolist(), want.tolist(), strict=True)])
    print(f"{metric}: {same:.4f} of rows have sklearn's neighbour set")
    assert same == 1.0


def test_graph_of_a_row_subset_and_refusals(client, dataset) -> None:
    dataset_id, vectors = dataset
    rows = list(range(0, 400, 4))
    status = finished(client, dataset_id, {"method": "knn_graph", "params": {"k": 5}, "rows": rows})
    neighbors = read_array(client, status["id"], "neighbors", "<i4")
    sub = vectors[rows]
    want = NearestNeighbors(n_neighbors=6, algorithm="brute", metric="cosine").fit(sub).kneighbors(sub)[1][:, 1:]
    assert neighbors.shape == (100, 5) and set(map(tuple, np.sort(neighbors, 1))) == set(map(tuple, np.sort(want, 1)))
    # a graph has no coordinates; a projection has no neighbours array; k is capped at 100
    assert client.get(f"/api/projections/{status['id']}/coords").status_code == 409
    assert client.get(f"/api/projections/{status['id']}/labels").status_code == 404
    r = client.post(f"/api/datasets/{dataset_id}/projections", json={"method": "knn_graph", "params": {"k": 101}})
    assert r.status_code == 422 and "'k'" in r.json()["error"]


def test_deleting_a_running_graph_job_ends_it(client) -> None:
    # 30k x 16 float32 (just under the tests' 2 MB upload limit): a k=100 graph takes seconds.
    vectors = np.random.default_rng(5).normal(size=(30_000, 16)).astype("<f4")
    buffer = io.BytesIO()
    np.save(buffer, vectors)
    r = client.post("/api/datasets", files={"vectors": ("big.npy", buffer.getvalue())})
    assert r.status_code == 201, r.text
    body = {"method": "knn_graph", "params": {"k": 100, "metric": "euclidean"}}
    job = client.post(f"/api/datasets/{r.json()['id']}/projections", json=body).json()
    with client.stream("GET", f"/api/projections/{job['id']}/events") as events:
        for line in events.iter_lines():
            if line.startswith("data:") and json.loads(line[5:]).get("info", {}).get("rows_done", 0) > 0:
                running = json.loads(line[5:])
                break
    assert running["status"] == "running" and running["progress"] < 1
    pid = running["worker"]
    cancelled = client.delete(f"/api/projections/{job['id']}").json()
    assert cancelled["status"] == "cancelled"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the worker computing it is gone (and replaced)
    assert pid not in [w["pid"] for w in client.get("/api/status").json()["workers"]]
    assert client.get(f"/api/projections/{job['id']}").json()["status"] == "cancelled"
    assert client.get(f"/api/projections/{job['id']}/neighbors").status_code == 409
