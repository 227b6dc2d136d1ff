"""`sample` over real HTTP: t-SNE and UMAP fit on a sample and place the other rows with the library's
transform; the layout keeps its k-NN accuracy (>= 0.9 of the full fit's) and every row gets a place."""

from __future__ import annotations

import io

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from tests.datagen import overlapping

N = 1500
SAMPLE = 400


def knn_accuracy(coords: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Share of rows whose k nearest others in the layout mostly carry their label."""
    _, found = NearestNeighbors(n_neighbors=k + 1).fit(coords).kneighbors(coords)
    votes = labels[found[:, 1:]]
    majority = np.array([np.bincount(v, minlength=labels.max() + 1).argmax() for v in votes])
    return float((majority == labels).mean())


def run(client, dataset: str, method: str, params: dict) -> tuple[np.ndarray, dict]:
    r = client.post(f"/api/datasets/{dataset}/projections", json={"method": method, "params": params})
    assert r.status_code in (200, 202), r.text
    job = r.json()["id"]
    for _ in range(600):
        status = client.get(f"/api/projections/{job}").json()
        if status["status"] not in ("queued", "running"):
            break
        client.get(f"/api/projections/{job}/events", timeout=300)
    assert status["status"] == "done", status
    answer = client.get(f"/api/projections/{job}/coords")
    shape = [int(s) for s in answer.headers["X-Shape"].split(",")]
    return np.frombuffer(answer.content, "<f4").reshape(shape), status


@pytest.fixture(scope="module")
def dataset(live_server) -> tuple[str, np.ndarray]:
    vectors, labels = overlapping(N, 20, classes=5, spread=0.9, seed=11)
    buffer = io.BytesIO()
    np.save(buffer, vectors)
    with live_server.client() as client:
        r = client.post("/api/datasets", files={"vectors": ("v.npy", buffer.getvalue())}, data={"name": "sampled"})
    assert r.status_code == 201, r.text
    return r.json()["id"], labels


@pytest.mark.parametrize(("method", "params"), [
    ("tsne", {"perplexity": 20, "iterations": 300, "seed": 1}),
    ("umap", {"n_neighbors": 15, "seed": 1}),
])
def test_a_fit_on_a_sample_places_the_rest_and_keeps_the_knn_accuracy(client, dataset, method, params) -> None:
    dataset_id, labels = dataset
    full, _ = run(client, dataset_id, method, params)
    sampled, status = run(client, dataset_id, method, {**params, "sample": SAMPLE})
    assert sampled.shape == full.shape == (N, 2) and np.isfinite(sampled).all()
    assert status["params"]["sample"] == SAMPLE and status["extras"]["sample"] == SAMPLE
    ours, theirs = knn_accuracy(sampled, labels), knn_accuracy(full, labels)
    assert theirs > 0.5  # the data has structure to keep
    assert ours >= 0.9 * theirs, (ours, theirs)
    # The placed rows are not piled on a few spots: nearly all positions are distinct.
    assert len(np.unique(sampled.round(4), axis=0)) > 0.95 * N


def test_a_sample_is_checked_and_keyed(client, dataset) -> None:
    dataset_id, _ = dataset
    small = client.post(f"/api/datasets/{dataset_id}/projections",
                        json={"method": "tsne", "params": {"sample": 50}})
    assert small.status_code == 422 and "sample" in small.text
    too_few = client.post(f"/api/datasets/{dataset_id}/projections",
                          json={"method": "tsne", "params": {"sample": 100, "perplexity": 40}})
    assert too_few.status_code == 422 and "perplexity 40 is too large for 100 points" in too_few.json()["error"]
