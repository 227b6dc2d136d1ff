"""pca_dims over real HTTP: unset it is decided from the dimension and is part of the job's key, and a
reduced run is the same layout as the method run on the PCA coordinates themselves."""

from __future__ import annotations

import io

import numpy as np

from embedding_projector.projections import pca_first
from embedding_projector.projections.progress import Progress
from tests.datagen import clustered


def upload(client, matrix: np.ndarray, name: str) -> str:
    buffer = io.BytesIO()
    np.save(buffer, matrix.astype(np.float32))
    r = client.post("/api/datasets", files={"vectors": (f"{name}.npy", buffer.getvalue())}, data={"name": name})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def start(client, dataset: str, method: str, params: dict) -> dict:
    r = client.post(f"/api/datasets/{dataset}/projections", json={"method": method, "params": params})
    assert r.status_code in (200, 202), r.text
    return r.json()


def coords(client, job: str) -> np.ndarray:
    for _ in range(600):
        status = client.get(f"/api/projections/{job}").json()
        if status["status"] not in ("queued", "running"):
            break
        client.get(f"/api/projections/{job}/events", timeout=60)  # returns when the job ends
    assert status["status"] == "done", status
    r = client.get(f"/api/projections/{job}/coords")
    return np.frombuffer(r.content, "<f4").reshape([int(s) for s in r.headers["X-Shape"].split(",")])


def test_unset_is_fifty_above_a_hundred_dimensions_and_is_in_the_key(client) -> None:
    wide = upload(client, clustered(200, 120)[0], "wide")
    narrow = upload(client, clustered(200, 20)[0], "narrow")
    base = {"iterations": 50, "perplexity": 10}
    auto = start(client, wide, "tsne", base)
    assert auto["params"]["pca_dims"] == 50
    assert start(client, wide, "tsne", {**base, "pca_dims": 50})["id"] == auto["id"]
    off = start(client, wide, "tsne", {**base, "pca_dims": 0})
    assert off["id"] != auto["id"] and off["params"]["pca_dims"] == 0
    assert start(client, narrow, "umap", {"n_neighbors": 5})["params"]["pca_dims"] == 0
    # A reduction to the dimension or more is none, and is keyed as none.
    assert start(client, narrow, "tsne", {**base, "pca_dims": 20})["params"]["pca_dims"] == 0
    refused = client.post(f"/api/datasets/{narrow}/projections",
                          json={"method": "tsne", "params": {"pca_dims": 600}})
    assert refused.status_code == 422 and "pca_dims" in refused.text


def test_a_reduced_run_is_the_layout_of_the_pca_coordinates(client) -> None:
    vectors = clustered(300, 60, seed=4)[0]
    full = upload(client, vectors, "full")
    reduced = pca_first.reduce(vectors.astype(np.float32), 5, Progress(lambda *a: None))
    assert reduced.shape == (300, 5)
    by_hand = upload(client, reduced, "by-hand")
    params = {"iterations": 60, "perplexity": 10, "seed": 3}
    first = coords(client, start(client, full, "tsne", {**params, "pca_dims": 5})["id"])
    plain = coords(client, start(client, full, "tsne", {**params, "pca_dims": 0})["id"])
    hand = coords(client, start(client, by_hand, "tsne", {**params, "pca_dims": 0})["id"])
    assert not np.allclose(first, plain, atol=1e-3)  # the reduction changed the input
    np.testing.assert_allclose(first, hand, atol=1e-4)
