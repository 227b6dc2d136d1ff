"""t-SNE, UMAP and Custom jobs over real HTTP: SSE progress, cancel, cache, restart."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info

from embedding_projector.app import create_app
from embedding_projector.jobs.worker import WORKER_NICENESS
from embedding_projector.settings import Settings

from tests.conftest import run_server
from tests.datagen import clustered, metadata_tsv, vectors_tsv, words
from tests.test_api_projections import fetch_coords, job_events, wait_done


def upload_clusters(client, n: int = 300, dim: int = 16, seed: int = 0) -> str:
    vectors, labels = clustered(n, dim, seed=seed)
    meta = metadata_tsv([[w, str(c)] for w, c in zip(words(n), labels)], ["word", "cluster"])
    r = client.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture(scope="module")
def dataset(live_server) -> str:
    with live_server.client() as c:
        return upload_clusters(c)


def read_events(client, job_id: str, timeout: float = 180) -> list[dict]:
    """Every status the SSE stream sends until it ends."""
    return list(job_events(client, job_id, timeout))


def test_tsne_events_arrive_in_order_and_end_with_the_result(client, dataset) -> None:
    body = {"method": "tsne", "params": {"perplexity": 20, "iterations": 400, "seed": 1}}
    job = client.post(f"/api/datasets/{dataset}/projections", json=body).json()
    events = read_events(client, job["id"])
    final = events[-1]
    assert final["status"] == "done", final
    assert final["shape"] == [300, 2]
    iterations = [e["info"]["iteration"] for e in events if "iteration" in e["info"]]
    print(f"{len(events)} events, iterations seen: {iterations[:5]} … {iterations[-3:]}")
    assert len(iterations) >= 3 and iterations == sorted(iterations) and iterations[-1] == 400
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)
    snapshots = [e["snapshot"] for e in events]
    assert snapshots == sorted(snapshots)
    assert fetch_coords(client, job["id"]).shape == (300, 2)


def test_same_request_is_served_from_cache_without_a_new_job(client, dataset) -> None:
    body = {"method": "tsne", "params": {"perplexity": 15, "iterations": 300, "seed": 2}}
    first = client.post(f"/api/datasets/{dataset}/projections", json=body).json()
    assert wait_done(client, first["id"], timeout=180)["status"] == "done"
    started = time.perf_counter()
    again = client.post(f"/api/datasets/{dataset}/projections", json=body)
    seconds = time.perf_counter() - started
    print(f"cached answer in {seconds * 1000:.1f} ms")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and again.json()["status"] == "done"


def test_status_says_that_writes_need_no_token(client) -> None:
    assert client.get("/api/status").json()["write_token"] is False


def test_stop_kills_the_worker_process(client, live_server) -> None:
    big = upload_clusters(client, n=3000, dim=20, seed=4)
    body = {"method": "tsne", "params": {"perplexity": 30, "iterations": 10000, "seed": 3}}
    job = client.post(f"/api/datasets/{big}/projections", json=body).json()
    status = next(e for e in job_events(client, job["id"]) if e["info"].get("iteration", 0) > 0)
    assert status["status"] == "running"
    pid = status["worker"]
    assert pid in [w["pid"] for w in client.get("/api/status").json()["workers"]]
    cancelled = client.delete(f"/api/projections/{job['id']}").json()
    assert cancelled["status"] == "cancelled"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    workers = client.get("/api/status").json()["workers"]
    assert len(workers) == 2 and pid not in [w["pid"] for w in workers]
    # A cancelled job is never cached: asking again starts it afresh.
    again = client.post(f"/api/datasets/{big}/projections", json=body).json()
    assert again["status"] in ("queued", "running")
    client.delete(f"/api/projections/{again['id']}")


def worker_thread_niceness(pid: int) -> list[int]:
    """The nice value of every thread of process `pid` (Linux keeps one per thread)."""
    values = []
    for thread in Path(f"/proc/{pid}/task").iterdir():
        values.append(int((thread / "stat").read_text().rsplit(")", 1)[1].split()[16]))
    return values


def test_workers_run_below_the_server_priority(client, live_server) -> None:
    # So neighbour queries and page requests keep answering while a projection uses every core.
    expected = min(19, os.getpriority(os.PRIO_PROCESS, live_server.process.pid) + WORKER_NICENESS)
    big = upload_clusters(client, n=3000, dim=20, seed=5)
    # Two long jobs occupy both workers; a worker takes jobs only after lowering its priority.
    jobs = [
        client.post(f"/api/datasets/{big}/projections",
                    json={"method": "tsne", "params": {"iterations": 10000, "seed": 20 + i}}).json()
        for i in range(2)
    ]
    try:
        pids = [next(e for e in job_events(client, job["id"]) if e["status"] == "running")["worker"]
                for job in jobs]
        assert len(set(pids)) == 2
        for pid in pids:
            # Every thread, including the BLAS pools that numpy and scipy started at import.
            niceness = worker_thread_niceness(pid)
            assert len(niceness) > 2 and set(niceness) == {expected}, (pid, expected, niceness)
    finally:
        for job in jobs:
            client.delete(f"/api/projections/{job['id']}")


def test_the_server_keeps_blas_to_one_thread_and_restores_it(tmp_path) -> None:
    # Idle OpenBLAS threads spin between neighbour queries and take a core from the workers.
    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()
    settings = Settings(data_dir=tmp_path, examples=False, workers=1, warmup=False)
    with TestClient(create_app(settings)) as c:
        assert c.get("/api/datasets").status_code == 200
        assert blas_threads() and set(blas_threads()) == {1}
    assert blas_threads() == before


def test_umap_job_lays_out_every_point(client, dataset) -> None:
    body = {"method": "umap", "params": {"n_neighbors": 10, "min_dist": 0.1, "metric": "euclidean", "seed": 1}}
    job = client.post(f"/api/datasets/{dataset}/projections", json=body).json()
    events = read_events(client, job["id"], timeout=300)
    assert events[-1]["status"] == "done", events[-1]
    epochs = [e["info"]["epoch"] for e in events if "epoch" in e["info"]]
    assert epochs == sorted(epochs)
    # Intermediate layouts were offered while it ran (the first one is the initial layout).
    assert max(e["snapshot"] for e in events if e["status"] == "running") >= 1
    assert fetch_coords(client, job["id"]).shape == (300, 2)


def test_custom_axes_place_left_words_left(client) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(0, 0.1, size=(40, 8)).astype(np.float32)
    vectors[:10, 0] -= 3  # "bad…" words sit towards -x
    vectors[10:20, 0] += 3  # "good…" words towards +x
    names = [f"bad{i}" for i in range(10)] + [f"good{i}" for i in range(10)] + [f"other{i}" for i in range(20)]
    r = client.post("/api/datasets", files={"vectors": ("c.tsv", vectors_tsv(vectors)),
                                            "metadata": ("c.tsv", metadata_tsv([[n] for n in names], None))})
    dataset = r.json()["id"]
    body = {"method": "custom", "params": {"column": "label", "left": "bad", "right": "good"}}
    job = client.post(f"/api/datasets/{dataset}/projections", json=body).json()
    assert wait_done(client, job["id"])["status"] == "done"
    coords = fetch_coords(client, job["id"])
    assert coords.shape == (40, 2)
    assert coords[:10, 0].max() < coords[10:20, 0].min()
    missing = client.post(f"/api/datasets/{dataset}/projections",
                          json={"method": "custom", "params": {"column": "label", "left": "zzz", "right": "good"}})
    assert missing.status_code == 422 and "zzz" in missing.json()["error"]
    no_column = client.post(f"/api/datasets/{dataset}/projections",
                            json={"method": "custom", "params": {"column": "nope", "left": "a", "right": "b"}})
    assert no_column.status_code == 422 and "nope" in no_column.json()["error"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"method": "tsne", "params": {"perplexity": 500}}, "perplexity"),
        ({"method": "tsne", "params": {"perplexity": 100}}, "perplexity"),  # in bounds, too big for 300 points
        ({"method": "tsne", "params": {"dimensions": 4}}, "dimensions"),
        ({"method": "tsne", "params": {"iterations": 5}}, "iterations"),
        ({"method": "umap", "params": {"n_neighbors": 1}}, "n_neighbors"),
        ({"method": "umap", "params": {"min_dist": 2}}, "min_dist"),
        ({"method": "umap", "params": {"metric": "manhattan"}}, "metric"),
        ({"method": "custom", "params": {"column": "word", "left": "", "right": "x"}}, "left"),
    ],
)
def test_out_of_range_parameters_get_422_naming_them(client, dataset, body, needle) -> None:
    r = client.post(f"/api/datasets/{dataset}/projections", json=body)
    print(r.json()["error"])
    assert r.status_code == 422 and needle in r.json()["error"]


def test_results_survive_a_restart(tmp_path) -> None:
    data_dir = tmp_path / "data"
    env = {"PROJECTOR_WARMUP": "false"}
    with run_server(data_dir, env) as server, server.client() as c:
        dataset = upload_clusters(c, n=120, dim=6)
        body = {"method": "tsne", "params": {"perplexity": 10, "iterations": 250}}
        job = c.post(f"/api/datasets/{dataset}/projections", json=body).json()
        assert wait_done(c, job["id"], timeout=180)["status"] == "done"
        before = fetch_coords(c, job["id"])
    with run_server(data_dir, env) as server, server.client() as c:
        assert c.get(f"/api/projections/{job['id']}").json()["status"] == "done"
        again = c.post(f"/api/datasets/{dataset}/projections", json=body)
        assert again.status_code == 200 and again.json()["id"] == job["id"]
        assert np.array_equal(fetch_coords(c, job["id"]), before)


TOKEN = "runner-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def assert_error_shape(r, status: int) -> None:
    body = r.json()
    assert r.status_code == status, r.text
    assert set(body) == {"ok", "status", "error", "file", "line", "column"} and body["ok"] is False
    assert body["status"] == status


def test_cancelling_needs_the_token_or_this_clients_key(tmp_path) -> None:
    env = {"PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1",
           "PROJECTOR_MAX_JOBS_PER_CLIENT": "50", "PROJECTOR_JOB_STARTS_PER_MINUTE": "100"}
    with run_server(tmp_path / "data", env) as server, server.client() as c:
        vectors, _ = clustered(2000, 16, seed=7)
        made = c.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(vectors))},
                      data={"public": "true"}, headers=AUTH)
        assert made.status_code == 201, made.text
        dataset = made.json()["id"]
        body = {"method": "tsne", "params": {"perplexity": 30, "iterations": 2000, "seed": 5}}  # the stranger cap
        first = c.post(f"/api/datasets/{dataset}/projections", json=body).json()  # a stranger
        job = first["id"]
        assert first["cancel_key"]
        assert c.get(f"/api/projections/{job}").json().get("cancel_key") is None  # only the start carries it
        # Finding 6: before, this DELETE with no token cancelled anyone's job.
        assert_error_shape(c.delete(f"/api/projections/{job}"), 401)
        assert_error_shape(c.delete(f"/api/projections/{job}", headers={"X-Cancel-Key": "guessed"}), 403)
        assert c.get(f"/api/projections/{job}").json()["status"] in ("queued", "running")
        # A second client asks for the same projection: it joins the job with a key of its own.
        second = c.post(f"/api/datasets/{dataset}/projections", json=body).json()
        assert second["id"] == job and second["cancel_key"] not in (None, first["cancel_key"])
        still = c.delete(f"/api/projections/{job}", headers={"X-Cancel-Key": first["cancel_key"]})
        assert still.status_code == 200 and still.json()["status"] in ("queued", "running")
        gone = c.delete(f"/api/projections/{job}", headers={"X-Cancel-Key": second["cancel_key"]})
        assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
        # The token holder cancels at once, even a job a stranger also started.
        again = c.post(f"/api/datasets/{dataset}/projections", json=body).json()
        assert again["id"] == job and again["status"] in ("queued", "running")
        by_token = c.delete(f"/api/projections/{job}", headers=AUTH)
        assert by_token.status_code == 200 and by_token.json()["status"] == "cancelled"
        assert_error_shape(c.delete("/api/projections/" + "0" * 32, headers={"X-Cancel-Key": "x"}), 404)
