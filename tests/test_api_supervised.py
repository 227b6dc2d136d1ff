"""Supervised layouts over real HTTP: the label column is checked before queueing, read by the
worker (for the projected rows only), and part of the job's key and of a shared view."""

from __future__ import annotations

import pytest

from tests.datagen import clustered, metadata_tsv, vectors_tsv, words
from tests.test_api_projections import wait_done

N = 120
TSNE = {"perplexity": 10, "iterations": 60}


@pytest.fixture(scope="module")
def dataset(live_server) -> str:
    vectors, clusters = clustered(N, 8, seed=5)
    # "tag" labels the odd rows (clusters 1 and 3: rows cycle through 4 clusters); "blank" none.
    rows = [[w, f"c{c}", f"t{c}" if i % 2 else "", ""] for i, (w, c) in enumerate(zip(words(N), clusters))]
    meta = metadata_tsv(rows, ["word", "cluster", "tag", "blank"])
    with live_server.client() as c:
        r = c.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)})
        assert r.status_code == 201, r.text
        return r.json()["id"]


@pytest.mark.parametrize("method", ["umap", "tsne"])
def test_an_unknown_or_empty_label_column_is_refused_before_queueing(client, dataset: str, method: str) -> None:
    r = client.post(f"/api/datasets/{dataset}/projections",
                    json={"method": method, "params": {"supervise_column": "colour"}})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "the dataset has no metadata column 'colour'; it has 'word', 'cluster', 'tag', 'blank'"
    r = client.post(f"/api/datasets/{dataset}/projections",
                    json={"method": method, "params": {"supervise_column": "blank"}})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "supervise_column 'blank' has no labels: every cell is empty"
    weight = "target_weight" if method == "umap" else "supervise_factor"
    r = client.post(f"/api/datasets/{dataset}/projections",
                    json={"method": method, "params": {"supervise_column": "tag", weight: 2}})
    assert r.status_code == 422 and weight in r.json()["error"]


def test_a_supervised_tsne_job_reads_its_labels_in_the_worker(client, dataset: str) -> None:
    url = f"/api/datasets/{dataset}/projections"
    plain = client.post(url, json={"method": "tsne", "params": TSNE}).json()
    params = {**TSNE, "supervise_column": "tag", "supervise_factor": 0.8}
    supervised = client.post(url, json={"method": "tsne", "params": params}).json()
    stronger = client.post(url, json={"method": "tsne", "params": {**params, "supervise_factor": 1}}).json()
    assert len({plain["id"], supervised["id"], stronger["id"]}) == 3  # the parameters are in the key

    done = wait_done(client, supervised["id"])
    assert done["status"] == "done", done
    assert done["params"]["supervise_column"] == "tag" and done["params"]["supervise_factor"] == 0.8
    assert done["extras"]["supervised"] == {"labelled": N // 2, "classes": 2}
    again = client.post(url, json={"method": "tsne", "params": params})
    assert again.status_code == 200 and again.json()["id"] == supervised["id"]  # cached

    # Isolated rows: the worker hands the layout the labels of those rows only.
    rows = list(range(1, N, 2))[:40] + list(range(0, N, 2))[:20]
    subset = client.post(url, json={"method": "tsne", "params": params, "rows": rows}).json()
    done = wait_done(client, subset["id"])
    assert done["status"] == "done", done
    assert done["shape"] == [60, 2]
    assert done["extras"]["supervised"] == {"labelled": 40, "classes": 2}
    for job in (plain, stronger):
        assert wait_done(client, job["id"])["status"] == "done"

    # A shared view keeps the supervision parameters with its result.
    state = {"dataset": dataset, "isolated": rows,
             "projection": {"method": "tsne", "params": done["params"], "job": subset["id"]}}
    view = client.post("/api/views", json=state)
    assert view.status_code == 201, view.text
    kept = client.get(f"/api/views/{view.json()['id']}").json()["projection"]["params"]
    assert kept["supervise_column"] == "tag" and kept["supervise_factor"] == 0.8
