"""Projection jobs over real HTTP: PCA through the worker processes, coordinates as float32 bytes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import numpy as np
import pytest
from sklearn.decomposition import PCA

from tests.datagen import clustered, vectors_tsv


def job_events(client, job_id: str, timeout: float = 180) -> Iterator[dict]:
    """Each status the job's Server-Sent Events stream sends, until it ends (within `timeout` in all)."""
    deadline = time.monotonic() + timeout  # keep-alive comments would reset a read timeout for ever
    with client.stream("GET", f"/api/projections/{job_id}/events", timeout=timeout) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            assert time.monotonic() < deadline, f"job {job_id} still unfinished after {timeout} s"
            if line.startswith("data: "):
                yield json.loads(line[6:])


def wait_done(client, job_id: str, timeout: float = 180) -> dict:
    """The job's final status (the events stream ends when the job leaves queued/running)."""
    *_, final = job_events(client, job_id, timeout)
    return final


def fetch_coords(client, job_id: str) -> np.ndarray:
    """GET the coordinates and decode the float32 bytes by X-Shape."""
    r = client.get(f"/api/projections/{job_id}/coords")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/octet-stream"
    n, d = (int(x) for x in r.headers["x-shape"].split(","))
    return np.frombuffer(r.content, dtype="<f4").reshape(n, d)


@pytest.fixture(scope="module")
def dataset(live_server) -> tuple[str, np.ndarray]:
    vectors, _ = clustered(200, 12, seed=3)
    with live_server.client() as c:
        r = c.post("/api/datasets", files={"vectors": ("pca.tsv", vectors_tsv(vectors))})
        assert r.status_code == 201, r.text
        return r.json()["id"], np.loadtxt(__import__("io").BytesIO(vectors_tsv(vectors)), dtype=np.float32)


def test_pca_job_matches_sklearn(client, dataset) -> None:
    dataset_id, vectors = dataset
    r = client.post(f"/api/datasets/{dataset_id}/projections", json={"method": "pca", "params": {}, "rows": None})
    assert r.status_code in (200, 202), r.text
    status = wait_done(client, r.json()["id"])
    assert status["status"] == "done", status
    assert status["shape"] == [200, 10]
    variance = status["extras"]["explained_variance"]
    oracle = PCA(n_components=10, svd_solver="full").fit(vectors)
    print("explained variance", np.round(variance, 4))
    assert np.allclose(variance, oracle.explained_variance_ratio_, atol=1e-4)
    coords = fetch_coords(client, status["id"])
    expected = oracle.transform(vectors)
    for j in range(10):  # equal up to the sign of each component
        assert np.allclose(np.abs(coords[:, j]), np.abs(expected[:, j]), atol=1e-3)


def test_the_leading_columns_alone(client, dataset) -> None:
    """?columns=k answers the first k columns of the same result (a large PCA's first view needs 3),
    X-Columns its full count; k at or past the count answers it whole, and k < 1 is refused."""
    dataset_id, _ = dataset
    r = client.post(f"/api/datasets/{dataset_id}/projections", json={"method": "pca", "params": {}, "rows": None})
    job_id = wait_done(client, r.json()["id"])["id"]
    full = fetch_coords(client, job_id)
    for columns, shape in ((3, (200, 3)), (1, (200, 1)), (10, (200, 10)), (50, (200, 10))):
        answer = client.get(f"/api/projections/{job_id}/coords", params={"columns": columns})
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-shape"] == f"{shape[0]},{shape[1]}" and answer.headers["x-columns"] == "10"
        got = np.frombuffer(answer.content, dtype="<f4").reshape(shape)
        assert np.array_equal(got, full[:, : shape[1]]), columns
    for bad in ("0", "-2", "x"):
        answer = client.get(f"/api/projections/{job_id}/coords", params={"columns": bad})
        assert answer.status_code == 422 and "columns" in answer.text, answer.text


def test_same_request_is_served_from_cache(client, dataset) -> None:
    dataset_id, _ = dataset
    body = {"method": "pca", "params": {"components": 3}, "rows": None}
    first = client.post(f"/api/datasets/{dataset_id}/projections", json=body).json()
    wait_done(client, first["id"])
    again = client.post(f"/api/datasets/{dataset_id}/projections", json=body)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert again.json()["status"] == "done"


def test_pca_on_a_row_subset(client, dataset) -> None:
    dataset_id, vectors = dataset
    rows = [5, 17, 3, 120, 199, 42, 8, 9, 10, 11, 12]
    r = client.post(f"/api/datasets/{dataset_id}/projections", json={"method": "pca", "rows": rows})
    status = wait_done(client, r.json()["id"])
    assert status["status"] == "done" and status["rows"] == len(rows)
    coords = fetch_coords(client, status["id"])
    assert coords.shape == (len(rows), 10)
    oracle = PCA(n_components=10, svd_solver="full").fit(vectors[rows])
    assert np.allclose(np.abs(coords[:, 0]), np.abs(oracle.transform(vectors[rows])[:, 0]), atol=1e-3)


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"method": "pca", "params": {"components": 11}}, 422, "components"),
        ({"method": "pca", "params": {"components": 0}}, 422, "components"),
        ({"method": "pca", "params": {"colour": 1}}, 422, "colour"),
        ({"method": "warp", "params": {}}, 422, "warp"),
        ({"method": "pca", "rows": [0, 500]}, 400, "rows"),
        ({"method": "pca", "rows": []}, 400, "rows"),
        ({"method": "pca", "rows": [1, 1]}, 400, "rows"),
    ],
)
def test_bad_projection_requests(client, dataset, body, status, needle) -> None:
    dataset_id, _ = dataset
    r = client.post(f"/api/datasets/{dataset_id}/projections", json=body)
    print(r.json())
    assert r.status_code == status
    assert needle in r.json()["error"]


def test_unknown_job_is_404(client) -> None:
    assert client.get("/api/projections/" + "0" * 32).status_code == 404
    assert client.get("/api/projections/" + "0" * 32 + "/coords").status_code == 404
    assert client.get("/api/projections/../../etc/passwd").status_code == 404


def _sphereized(vectors: np.ndarray) -> np.ndarray:
    """The oracle: centre on the mean, scale every row to unit length (float64)."""
    centred = vectors.astype(np.float64) - vectors.astype(np.float64).mean(axis=0)
    return centred / np.linalg.norm(centred, axis=1, keepdims=True)


def test_sphereize_is_part_of_the_job_key(client, dataset) -> None:
    dataset_id, _ = dataset
    plain = client.post(f"/api/datasets/{dataset_id}/projections", json={"method": "pca"}).json()
    sphered = client.post(f"/api/datasets/{dataset_id}/projections", json={"method": "pca", "sphereize": True}).json()
    assert sphered["id"] != plain["id"]
    assert wait_done(client, plain["id"])["sphereize"] is False
    final = wait_done(client, sphered["id"])
    assert final["status"] == "done" and final["sphereize"] is True
    a, b = fetch_coords(client, plain["id"]), fetch_coords(client, sphered["id"])
    print("max |coordinate| plain", np.abs(a).max(), "sphereized", np.abs(b).max())
    assert a.shape == b.shape and not np.allclose(np.abs(a), np.abs(b), atol=1e-2)
    assert client.get(f"/api/projections/{sphered['id']}").json()["sphereize"] is True


def test_sphereized_pca_matches_sklearn_on_sphereized_data(client, dataset) -> None:
    dataset_id, vectors = dataset
    body = {"method": "pca", "params": {"components": 5}, "sphereize": True}
    job = client.post(f"/api/datasets/{dataset_id}/projections", json=body).json()
    assert wait_done(client, job["id"])["status"] == "done"
    coords = fetch_coords(client, job["id"])
    expected = PCA(n_components=5, svd_solver="full").fit_transform(_sphereized(vectors))
    worst = max(float(np.abs(np.abs(coords[:, j]) - np.abs(expected[:, j])).max()) for j in range(5))
    print(f"largest difference from sklearn (up to sign): {worst:.2e}")
    assert worst < 1e-4


def test_sphereized_subset_is_centred_on_the_subset(client, dataset) -> None:
    dataset_id, vectors = dataset
    rows = [150, 3, 77, 12, 40, 199, 0, 64, 101, 23, 5, 88]
    body = {"method": "pca", "params": {"components": 2}, "rows": rows, "sphereize": True}
    job = client.post(f"/api/datasets/{dataset_id}/projections", json=body).json()
    assert wait_done(client, job["id"])["status"] == "done"
    coords = fetch_coords(client, job["id"])
    expected = PCA(n_components=2, svd_solver="full").fit_transform(_sphereized(vectors[rows]))
    assert np.allclose(np.abs(coords), np.abs(expected), atol=1e-4)
