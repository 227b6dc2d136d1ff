"""The compare job over real HTTP: Jaccard overlap of k-NN sets in two embeddings, matched by order or key."""

from __future__ import annotations

import numpy as np
import pytest

from tests.datagen import clustered, metadata_tsv, vectors_tsv
from tests.test_api_knn_graph import finished, read_array

N = 300


def upload(client, vectors: np.ndarray, ids: list[str], name: str) -> str:
    meta = metadata_tsv([[i, f"w{i}"] for i in ids], ["id", "word"])
    files = {"vectors": (f"{name}.tsv", vectors_tsv(vectors)), "metadata": (f"{name}.meta.tsv", meta)}
    r = client.post("/api/datasets", files=files)
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture(scope="module")
def datasets(live_server) -> dict[str, str]:
    vectors, _ = clustered(N, 10, seed=5)
    ids = [f"item{i}" for i in range(N)]
    perm = np.random.default_rng(3).permutation(N)
    other, _ = clustered(N, 10, seed=99)  # a different embedding of the same items
    with live_server.client() as c:
        return {
            "a": upload(c, vectors, ids, "a"),
            "copy": upload(c, vectors, ids, "copy"),
            "permuted": upload(c, vectors[perm], [ids[p] for p in perm], "permuted"),
            "other": upload(c, other, ids, "other"),
            "short": upload(c, vectors[:200], ids[:200], "short"),
            "dup": upload(c, vectors, [ids[0]] + ids[1:-1] + [ids[0]], "dup"),
        }


def compare(client, datasets, a: str, b: str, **params) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    status = finished(client, datasets[a], {"method": "compare", "params": {"other": datasets[b], **params}})
    job = status["id"]
    arrays = (read_array(client, job, name, dtype) for name, dtype in
              (("overlap", "<f4"), ("matched", "<i4"), ("other_rows", "<i4")))
    return (status, *arrays)


def test_copies_and_a_permuted_copy(client, datasets) -> None:
    status, overlap, matched, other_rows = compare(client, datasets, "a", "copy", k=10)
    print(f"copy: mean Jaccard {status['extras']['mean_overlap']:.4f}")
    assert overlap.shape == (N,) and (overlap == 1.0).all() and (matched == 1).all()
    assert (other_rows == np.arange(N)).all() and status["extras"]["matched"] == N

    status, overlap, matched, other_rows = compare(client, datasets, "a", "permuted", k=10, key="id")
    print(f"permuted, by key: mean Jaccard {status['extras']['mean_overlap']:.4f}")
    assert (overlap == 1.0).all() and status["extras"]["mean_overlap"] == 1.0
    perm = np.random.default_rng(3).permutation(N)
    assert (perm[other_rows] == np.arange(N)).all(), "the key did not match each item to itself"

    status, overlap, _, _ = compare(client, datasets, "a", "permuted", k=10)
    mean = status["extras"]["mean_overlap"]
    print(f"permuted, by row order: mean Jaccard {mean:.4f}")
    assert mean < 0.2 and abs(overlap.mean() - mean) < 1e-5

    status, overlap, _, _ = compare(client, datasets, "a", "other", k=10)
    changed = status["extras"]["most_changed"]
    print(f"another embedding: mean Jaccard {status['extras']['mean_overlap']:.4f}")
    assert len(changed) == 100 and [c["overlap"] for c in changed] == sorted(c["overlap"] for c in changed)
    assert changed[0]["overlap"] == pytest.approx(float(overlap.min()), abs=1e-6)


def test_unmatched_rows_by_key(client, datasets) -> None:
    status, overlap, matched, other_rows = compare(client, datasets, "a", "short", k=5, key="id")
    extras = status["extras"]
    print(f"200 of 300 matched: mean Jaccard {extras['mean_overlap']:.4f}")
    assert extras["matched"] == 200 and extras["unmatched"] == 100 and extras["other_unmatched"] == 0
    assert (matched[:200] == 1).all() and (matched[200:] == 0).all() and (other_rows[200:] == -1).all()
    # Same vectors on the matched items: only matched neighbours count, so most sets agree.
    assert extras["mean_overlap"] > 0.6 and (overlap[200:] == 0).all()


def test_refusals(client, datasets) -> None:
    def refused(a: str, params: dict, status: int = 422) -> str:
        r = client.post(f"/api/datasets/{datasets[a]}/projections", json={"method": "compare", "params": params})
        assert r.status_code == status, r.text
        assert r.json()["ok"] is False
        return r.json()["error"]

    assert "no dataset" in refused("a", {"other": "nope"})
    assert "200 rows" in refused("a", {"other": datasets["short"]})
    assert "no column 'colour'" in refused("a", {"other": datasets["copy"], "key": "colour"})
    assert "not unique" in refused("a", {"other": datasets["dup"], "key": "id"})
    assert "'k'" in refused("a", {"other": datasets["copy"], "k": 101})
    r = client.post(f"/api/datasets/{datasets['a']}/projections",
                    json={"method": "compare", "params": {"other": datasets["copy"]}, "rows": [1, 2, 3]})
    assert r.status_code == 400 and r.json()["file"] == "rows"


def test_a_view_names_an_existing_other_dataset(client, datasets) -> None:
    state = {"dataset": datasets["a"], "compare": {"dataset": datasets["copy"], "key": "id", "k": 10}}
    r = client.post("/api/views", json=state)
    assert r.status_code in (200, 201), r.text
    assert client.get(f"/api/views/{r.json()['id']}").json()["compare"]["dataset"] == datasets["copy"]
    r = client.post("/api/views", json={**state, "compare": {"dataset": "nope"}})
    assert r.status_code == 400 and r.json()["file"] == "compare.dataset"
    # A comparison's view may colour by its overlap; a view without a comparison may not.
    r = client.post("/api/views", json={**state, "colorBy": "overlap"})
    assert r.status_code == 201, r.text
    assert client.get(f"/api/views/{r.json()['id']}").json()["colorBy"] == "overlap"
    r = client.post("/api/views", json={"dataset": datasets["a"], "colorBy": "overlap"})
    assert r.status_code == 400 and r.json()["file"] == "colorBy"


def test_the_other_datasets_fingerprint_joins_the_key_and_its_paths_do_not() -> None:
    from embedding_projector.jobs.job_key import job_key

    inputs = {"other_dataset": "b", "other_fingerprint": "f1", "other_version": None, "other_vectors_path": "/x/v.npy"}
    key = job_key("a", "fa", "compare", {"other": "b"}, None, False, None, inputs)
    assert key == job_key("a", "fa", "compare", {"other": "b"}, None, False, None, {**inputs, "other_vectors_path": "/y"})
    assert key != job_key("a", "fa", "compare", {"other": "b"}, None, False, None, {**inputs, "other_fingerprint": "f2"})
    assert job_key("a", "fa", "pca", {}, None) == job_key("a", "fa", "pca", {}, None, False, None, None)
