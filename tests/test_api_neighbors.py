"""GET /api/datasets/{id}/neighbors over real HTTP, against a numpy oracle."""

from __future__ import annotations

import numpy as np
import pytest

from tests.datagen import clustered, vectors_tsv


@pytest.fixture(scope="module")
def dataset(live_server) -> tuple[str, np.ndarray]:
    vectors, _ = clustered(150, 10, seed=5)
    body = vectors_tsv(vectors)
    parsed = np.array([[float(x) for x in line.split("\t")] for line in body.decode().splitlines()])
    with live_server.client() as c:
        r = c.post("/api/datasets", files={"vectors": ("nn.tsv", body)})
        assert r.status_code == 201, r.text
        return r.json()["id"], parsed


def oracle(vectors: np.ndarray, row: int, metric: str) -> np.ndarray:
    """Distances from `row` to every row, float64."""
    if metric == "cosine":
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return 1.0 - unit @ unit[row]
    return np.linalg.norm(vectors - vectors[row], axis=1)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_neighbours_match_numpy(client, dataset, metric: str) -> None:
    dataset_id, vectors = dataset
    for row in (0, 77, 149):
        r = client.get(f"/api/datasets/{dataset_id}/neighbors", params={"row": row, "k": 20, "metric": metric})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["row"] == row and body["metric"] == metric
        got_rows = [n["row"] for n in body["neighbors"]]
        got = np.array([n["distance"] for n in body["neighbors"]])
        distances = oracle(vectors, row, metric)
        distances[row] = np.inf
        expected_rows = np.argsort(distances, kind="stable")[:20]
        assert row not in got_rows
        assert np.allclose(got, distances[expected_rows], atol=1e-5)
        assert got_rows == expected_rows.tolist()
        assert np.all(np.diff(got) >= 0)


def test_k_larger_than_dataset_returns_all_others(client, dataset) -> None:
    dataset_id, _ = dataset
    r = client.get(f"/api/datasets/{dataset_id}/neighbors", params={"row": 3, "k": 1000})
    assert len(r.json()["neighbors"]) == 149


@pytest.mark.parametrize(
    "params", [{"row": 150}, {"row": -1}, {"row": 0, "k": 0}, {"row": 0, "metric": "manhattan"}, {}]
)
def test_bad_neighbour_queries(client, dataset, params) -> None:
    dataset_id, _ = dataset
    r = client.get(f"/api/datasets/{dataset_id}/neighbors", params=params)
    assert 400 <= r.status_code < 500
    assert r.json()["ok"] is False and r.json()["error"]


def test_an_upload_writes_the_unit_file_the_index_maps(live_server, client, dataset) -> None:
    dataset_id, vectors = dataset
    folder = live_server.data_dir / "datasets" / dataset_id
    unit = np.load(folder / "unit.npy")
    norms = np.load(folder / "norms.npy")
    assert np.allclose(norms, np.linalg.norm(vectors, axis=1), rtol=1e-6)
    assert np.allclose(unit, vectors / norms[:, None], atol=1e-6)
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
