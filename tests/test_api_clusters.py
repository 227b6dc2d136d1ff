"""The clusters job over real HTTP: HDBSCAN of a layout or of the vectors, named by a text column."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.cluster import HDBSCAN
from sklearn.metrics import adjusted_rand_score

from tests.datagen import clustered, metadata_tsv, vectors_tsv

N = 400
PLANTED = ["zebra", "quartz", "violin", "glacier"]  # one distinctive word per true cluster
COMMON = ["report", "annual", "market", "review", "study", "notes", "update", "summary"]


@pytest.fixture(scope="module")
def dataset(live_server) -> dict:
    with live_server.client() as client:
        return make_dataset(client)


def make_dataset(client) -> dict:
    vectors, truth = clustered(N, 12, clusters=4, seed=11)
    rng = np.random.default_rng(5)
    titles = []
    for label in truth.tolist():
        words = list(rng.choice(COMMON, size=3, replace=False))
        if rng.random() < 0.7:  # the planted word in most, not all, of a cluster's rows
            words.insert(int(rng.integers(0, 4)), PLANTED[label])
        titles.append(" ".join(words))
    rows = [[title, f"w{i}"] for i, title in enumerate(titles)]
    r = client.post("/api/datasets", files={
        "vectors": ("blobs.tsv", vectors_tsv(vectors)),
        "metadata": ("meta.tsv", metadata_tsv(rows, ["title", "word"])),
    })
    assert r.status_code == 201, r.text
    dataset_id = r.json()["id"]
    pca = finished(client, dataset_id, {"method": "pca", "params": {"components": 3}})
    coords = np.frombuffer(client.get(f"/api/projections/{pca['id']}/coords").content, "<f4").reshape(N, 3)
    return {"id": dataset_id, "truth": truth, "layout": pca["id"], "coords": coords, "titles": titles}


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


def cluster_labels(client, job: str) -> np.ndarray:
    r = client.get(f"/api/projections/{job}/labels")
    assert r.status_code == 200 and r.headers["X-Shape"] == str(N), r.headers
    return np.frombuffer(r.content, "<i4")


def test_layout_clusters_recover_the_blobs_and_are_named_by_ctfidf(client, dataset) -> None:
    body = {"method": "clusters", "params": {"layout": dataset["layout"], "min_cluster_size": 20,
                                             "label_column": "title"}}
    status = finished(client, dataset["id"], body)
    labels = cluster_labels(client, status["id"])
    ari = adjusted_rand_score(dataset["truth"], labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = HDBSCAN(min_cluster_size=20, min_samples=10, copy=True).fit_predict(dataset["coords"].astype(float))
    same = adjusted_rand_score(exact, labels)
    print(f"layout clusters: ARI vs truth {ari:.4f}, vs sklearn's exact HDBSCAN {same:.4f} ({status['extras']['backend']})")
    assert ari >= 0.9 and same >= 0.99
    extras = status["extras"]
    assert extras["naming"] == "ctfidf" and extras["noise"] == int((labels == -1).sum())
    assert [c["size"] for c in extras["clusters"]] == [int((labels == c["id"]).sum()) for c in extras["clusters"]]
    for cluster in extras["clusters"]:
        members = labels == cluster["id"]
        true = np.bincount(dataset["truth"][members]).argmax()
        assert cluster["label"].split(", ")[0] == PLANTED[true], cluster  # the planted word ranks first
        np.testing.assert_allclose(cluster["centre"], dataset["coords"][members].mean(axis=0), atol=1e-4)
    # the same request is answered from the cache
    again = client.post(f"/api/datasets/{dataset['id']}/projections", json=body)
    assert again.status_code == 200 and again.json()["id"] == status["id"]


def test_vector_clusters_and_single_token_names(client, dataset) -> None:
    body = {"method": "clusters", "params": {"layout": dataset["layout"], "space": "vectors", "metric": "euclidean",
                                             "min_cluster_size": 20, "min_samples": 5, "label_column": "word"}}
    status = finished(client, dataset["id"], body)
    labels = cluster_labels(client, status["id"])
    ari = adjusted_rand_score(dataset["truth"], labels)
    print(f"vector clusters: ARI vs truth {ari:.4f}")
    assert ari >= 0.9
    assert status["extras"]["naming"] == "medoids" and status["extras"]["min_samples"] == 5
    for cluster in status["extras"]["clusters"]:
        names = cluster["label"].split(", ")
        rows = [int(name[1:]) for name in names]
        assert len(rows) == 3 and all(labels[r] == cluster["id"] for r in rows), cluster
        assert rows[0] == cluster["medoid"]  # the medoid itself, then the members nearest it
        coords = dataset["coords"][labels == cluster["id"]]
        nearest = np.sort(np.linalg.norm(coords - dataset["coords"][rows[0]], axis=1))[1:3]
        got = np.linalg.norm(dataset["coords"][rows[1:]] - dataset["coords"][rows[0]], axis=1)
        np.testing.assert_allclose(got, nearest, rtol=1e-5)
    # without a label column, clusters are numbered
    plain = finished(client, dataset["id"], {"method": "clusters", "params": {"layout": dataset["layout"]}})
    assert plain["extras"]["naming"] == "ids" and plain["extras"]["clusters"][0]["label"] == "cluster 0"
    assert plain["extras"]["min_cluster_size"] == 5  # max(5, 400 / 200)


@pytest.mark.parametrize(("params", "named"), [
    ({"min_cluster_size": 1}, "'min_cluster_size'"),
    ({"min_cluster_size": N + 1}, "'min_cluster_size'"),
    ({"min_samples": 101}, "'min_samples'"),
    ({"space": "pixels"}, "'space'"),
    ({"axes": [0, 0]}, "'axes'"),
    ({"label_column": "nope"}, "nope"),
    ({"layout": "f" * 32}, "'layout'"),
])
def test_bad_params_are_422_naming_them(client, dataset, params: dict, named: str) -> None:
    body = {"method": "clusters", "params": {"layout": dataset["layout"]} | params}
    r = client.post(f"/api/datasets/{dataset['id']}/projections", json=body)
    assert r.status_code == 422, r.text
    assert named in r.json()["error"], r.json()


def test_export_and_shared_view_carry_the_clusters(client, dataset) -> None:
    status = finished(client, dataset["id"], {"method": "clusters", "params": {"layout": dataset["layout"],
                                                                                "min_cluster_size": 20, "label_column": "title"}})
    labels = cluster_labels(client, status["id"])
    names = {c["id"]: c["label"] for c in status["extras"]["clusters"]}
    r = client.get(f"/api/projections/{dataset['layout']}/export", params={"format": "tsv", "clusters": status["id"]})
    assert r.status_code == 200, r.text
    lines = r.text.splitlines()
    header = lines[0].split("\t")
    assert header[-1] == "cluster"
    got = [line.split("\t")[-1] for line in lines[1:]]
    assert got == [("noise" if c < 0 else names[c]) for c in labels.tolist()]
    # not a clusters job: a 400 naming the parameter
    bad = client.get(f"/api/projections/{dataset['layout']}/export", params={"clusters": dataset["layout"]})
    assert bad.status_code == 400 and "clusters" in bad.json()["error"], bad.text

    # A view may colour by the clusters it names; a view naming no clusters may not, nor another job.
    view = {"dataset": dataset["id"], "colorBy": "cluster", "clusters": {"job": status["id"]}}
    r = client.post("/api/views", json=view)
    assert r.status_code == 201, r.text
    assert client.get(f"/api/views/{r.json()['id']}").json()["clusters"] == {"job": status["id"]}
    r = client.post("/api/views", json={"dataset": dataset["id"], "colorBy": "cluster"})
    assert r.status_code == 400 and "colorBy" in r.json()["error"]
    r = client.post("/api/views", json={**view, "clusters": {"job": dataset["layout"]}})
    assert r.status_code == 400 and "clusters" in r.json()["error"], r.text
