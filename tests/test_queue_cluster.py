"""Scale-out on the shared queue: two web replicas, two worker services, one PostgreSQL, over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import sqlalchemy as sa

from tests.queue_cluster import Cluster, queue_cluster
from tests.test_api_projections import fetch_coords, job_events, wait_done

TOKEN = "queue-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def cluster(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    env = {"PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_MAX_JOBS_PER_CLIENT": "2",
           "PROJECTOR_JOB_STARTS_PER_MINUTE": "5", "PROJECTOR_TRUSTED_PROXIES": "127.0.0.1"}
    with queue_cluster(postgres_url, tmp_path_factory.mktemp("queue"), env=env) as c:
        yield c


@pytest.fixture(scope="module")
def dataset(cluster: Cluster) -> str:
    with cluster.servers[0].client(headers=AUTH) as a:
        r = a.post("/api/datasets", data={"public": "true"}, files=_files(2000))
        assert r.status_code == 201, r.text
        return r.json()["id"]


def _files(n: int) -> dict:
    from tests.datagen import clustered, metadata_tsv, vectors_tsv, words

    vectors, labels = clustered(n, 16, seed=3)
    meta = metadata_tsv([[w, str(c)] for w, c in zip(words(n), labels)], ["word", "cluster"])
    return {"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)}


def clients(cluster: Cluster, **kwargs) -> tuple[httpx.Client, httpx.Client]:
    a, b = cluster.servers
    return a.client(**kwargs), b.client(**kwargs)


def tsne(iterations: int, seed: int) -> dict:
    return {"method": "tsne", "params": {"perplexity": 20, "iterations": iterations, "seed": seed}}


def wait_running(client: httpx.Client, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/projections/{job_id}").json()
        if status["status"] == "running" and status["worker"] is not None and status["progress"] > 0:
            return status
        assert status["status"] in ("queued", "running"), status
        time.sleep(0.1)
    pytest.fail(f"job {job_id} did not start running: {status}")


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def rows(cluster: Cluster, query: str, **params) -> list:
    engine = cluster.engine()
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query), params).all()
    finally:
        engine.dispose()


def worker_of(cluster: Cluster, job_id: str):
    (name,), = rows(cluster, "SELECT worker FROM projector_queue_jobs WHERE key = :k", k=job_id)
    return next(w for w in cluster.workers if w.name == name)


def test_a_job_started_on_a_is_followed_on_b_and_a_same_request_on_b_joins_it(cluster, dataset) -> None:
    a, b = clients(cluster, headers=AUTH)
    with a, b:
        started = a.post(f"/api/datasets/{dataset}/projections", json=tsne(700, 1))
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]
        joined = b.post(f"/api/datasets/{dataset}/projections", json=tsne(700, 1))
        assert joined.status_code == 202 and joined.json()["id"] == job_id
        assert joined.json()["cancel_key"] not in (None, started.json()["cancel_key"])
        assert b.get(f"/api/projections/{job_id}").json()["status"] in ("queued", "running")

        events, snapshot = [], None
        for event in job_events(b, job_id):
            events.append(event)
            if snapshot is None and event["snapshot"] > 0 and event["status"] == "running":
                r = b.get(f"/api/projections/{job_id}/snapshot")
                if r.status_code == 200:  # the job may end between the event and this request
                    n, d = (int(x) for x in r.headers["x-shape"].split(","))
                    snapshot = (n, d, int(r.headers["x-snapshot"]), len(r.content))
        final = events[-1]
        assert final["status"] == "done", final
        assert final["shape"] == [2000, 2]
        iterations = [e["info"]["iteration"] for e in events if "iteration" in e["info"]]
        assert len(iterations) >= 3 and iterations == sorted(iterations)
        assert [e["progress"] for e in events] == sorted(e["progress"] for e in events)
        assert [e["snapshot"] for e in events] == sorted(e["snapshot"] for e in events)
        assert snapshot is not None and snapshot[:2] == (2000, 2) and snapshot[3] == 2000 * 2 * 4
        assert np.array_equal(fetch_coords(a, job_id), fetch_coords(b, job_id))

    # One computation: one job row, one procrastinate job, one run in one worker's log.
    assert len(rows(cluster, "SELECT 1 FROM projector_queue_jobs WHERE key = :k", k=job_id)) == 1
    assert len(rows(cluster, "SELECT 1 FROM procrastinate_jobs WHERE args->>'key' = :k", k=job_id)) == 1
    starts = [line for w in cluster.workers for line in w.log().splitlines()
              if "Starting job" in line and job_id in line]
    assert len(starts) == 1, starts


def test_delete_on_b_kills_the_child_on_its_worker_within_2_s(cluster, dataset) -> None:
    a, b = clients(cluster, headers=AUTH)
    with a, b:
        job_id = a.post(f"/api/datasets/{dataset}/projections", json=tsne(5000, 2)).json()["id"]
        status = wait_running(a, job_id)
        child = status["worker"]
        assert pid_alive(child)
        asked = time.monotonic()
        r = b.delete(f"/api/projections/{job_id}")
        assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
        while pid_alive(child) and time.monotonic() - asked < 5:
            time.sleep(0.05)
        gone_after = time.monotonic() - asked
        print(f"the child {child} was gone {gone_after:.2f} s after the DELETE")
        assert not pid_alive(child) and gone_after <= 2.0
        assert a.get(f"/api/projections/{job_id}").json()["status"] == "cancelled"
        assert wait_done(a, job_id)["status"] == "cancelled"


def test_per_client_limits_count_across_both_replicas(cluster, dataset) -> None:
    a, b = clients(cluster)  # strangers: no token
    with a, b:
        first = a.post(f"/api/datasets/{dataset}/projections", json=tsne(2000, 10))
        second = b.post(f"/api/datasets/{dataset}/projections", json=tsne(2000, 11))
        assert first.status_code == 202 and second.status_code == 202, (first.text, second.text)
        third = a.post(f"/api/datasets/{dataset}/projections", json=tsne(2000, 12))
        assert third.status_code == 429 and "already has 2 projections" in third.json()["error"]
        for started, client in ((first, b), (second, a)):  # cancelled on the other replica
            r = client.delete(f"/api/projections/{started.json()['id']}",
                              headers={"X-Cancel-Key": started.json()["cancel_key"]})
            assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
        # The rate (5 a minute) counts the two starts above on both replicas: three more pass, one does not.
        answers = []
        for seed, client in zip(range(20, 24), (b, a, b, a)):
            r = client.post(f"/api/datasets/{dataset}/projections", json=tsne(2000, seed))
            answers.append(r.status_code)
            if r.status_code == 202:
                client.delete(f"/api/projections/{r.json()['id']}", headers={"X-Cancel-Key": r.json()["cancel_key"]})
        assert answers == [202, 202, 202, 429], answers


def test_waiting_jobs_take_turns_over_clients_on_every_replica(cluster, dataset) -> None:
    a, b = clients(cluster, headers=AUTH)

    def post(client: httpx.Client, who: str, seed: int, iterations: int = 250) -> str:
        r = client.post(f"/api/datasets/{dataset}/projections", json=tsne(iterations, seed),
                        headers={"X-Forwarded-For": who})
        assert r.status_code == 202, r.text
        return r.json()["id"]

    with a, b:
        blockers = [post(a, "10.0.0.9", 40 + i, 5000) for i in range(2)]  # one on each worker
        for job_id in blockers:
            wait_running(a, job_id)
        x1, x2, x3 = post(a, "10.0.0.1", 50), post(b, "10.0.0.1", 51), post(a, "10.0.0.1", 52)
        y1 = post(b, "10.0.0.2", 53)
        positions = {name: b.get(f"/api/projections/{job_id}").json()["queue_position"]
                     for name, job_id in (("x1", x1), ("x2", x2), ("x3", x3), ("y1", y1))}
        assert positions == {"x1": 1, "y1": 2, "x2": 3, "x3": 4}, positions
        for job_id in blockers:
            assert b.delete(f"/api/projections/{job_id}").json()["status"] == "cancelled"
        for job_id in (x1, x2, x3, y1):
            assert wait_done(a, job_id)["status"] == "done"
        started = rows(cluster, "SELECT key FROM projector_queue_jobs WHERE key = ANY(:keys) ORDER BY started_at",
                       keys=[x1, x2, x3, y1])
        order = [{x1: "x1", x2: "x2", x3: "x3", y1: "y1"}[key] for key, in started]
        assert set(order[:2]) == {"x1", "y1"} and order[2:] == ["x2", "x3"], order


def test_a_queued_row_with_nothing_to_run_it_is_queued_again(cluster, dataset) -> None:
    a, b = clients(cluster, headers=AUTH)
    with a, b:
        job_id = a.post(f"/api/datasets/{dataset}/projections", json=tsne(300, 60)).json()["id"]
        assert b.delete(f"/api/projections/{job_id}").json()["status"] == "cancelled"
        (old_queue_id,), = rows(cluster, "SELECT queue_id FROM projector_queue_jobs WHERE key = :k", k=job_id)
        engine = cluster.engine()
        with engine.begin() as conn:  # a row queued again with procrastinate's job long over
            conn.execute(sa.text(
                "UPDATE projector_queue_jobs SET status = 'queued', attempts = 0, worker = NULL,"
                " record = jsonb_set(record::jsonb, '{status}', '\"queued\"')::text,"
                " updated_at = now() - interval '1 hour' WHERE key = :k"), {"k": job_id})
        engine.dispose()
        assert a.get(f"/api/projections/{job_id}").json()["status"] == "queued"
        final = wait_done(b, job_id, timeout=120)
        assert final["status"] == "done", final
        (queue_id, attempts), = rows(cluster, "SELECT queue_id, attempts FROM projector_queue_jobs WHERE key = :k",
                                     k=job_id)
        assert queue_id != old_queue_id and attempts == 1
        assert any("queued with nothing to run it" in w.log() for w in cluster.workers)
        assert fetch_coords(b, job_id).shape == (2000, 2)


@pytest.mark.parametrize("stop", ["sigterm", "kill-9"])
def test_a_job_whose_worker_stops_finishes_on_the_other(cluster, dataset, stop: str) -> None:
    """SIGTERM (a deploy) hands the job back, not counted as an attempt; kill -9 leaves it to the sweep."""
    a, b = clients(cluster, headers=AUTH)
    with a, b:
        # Long enough (5000 iterations) that the job cannot end within the SIGTERM grace on its worker:
        # with 1500 a CI run once finished it there.
        job_id = a.post(f"/api/datasets/{dataset}/projections", json=tsne(5000, 61 if stop == "sigterm" else 3)
                        ).json()["id"]
        status = wait_running(b, job_id)
        leaving = worker_of(cluster, job_id)
        try:
            if stop == "sigterm":
                leaving.process.terminate()
                assert leaving.process.wait(timeout=30) == 0, leaving.log()
            else:
                cluster.kill(leaving)
            final = wait_done(b, job_id, timeout=240)
            assert final["status"] == "done", final
            assert final["worker"] != status["worker"]
            (attempts, name), = rows(cluster, "SELECT attempts, worker FROM projector_queue_jobs WHERE key = :k",
                                     k=job_id)
            assert attempts == (1 if stop == "sigterm" else 2) and name != leaving.name
            assert fetch_coords(a, job_id).shape == (2000, 2)
        finally:  # the next tests need two workers again, whatever happened here
            if leaving.process.poll() is None:
                cluster.kill(leaving)
            cluster.workers.remove(leaving)
            cluster.start_worker()


def test_a_job_whose_worker_dies_twice_fails_with_the_reason(cluster, dataset) -> None:
    a, b = clients(cluster, headers=AUTH)
    with a, b:
        job_id = a.post(f"/api/datasets/{dataset}/projections", json=tsne(5000, 4)).json()["id"]
        wait_running(a, job_id)
        first = worker_of(cluster, job_id)
        cluster.kill(first)
        cluster.workers.remove(first)
        deadline = time.monotonic() + 60
        while True:  # retried: running again, on the other worker
            (attempts, name), = rows(cluster, "SELECT attempts, worker FROM projector_queue_jobs WHERE key = :k",
                                     k=job_id)
            if attempts == 2 and name is not None:
                break
            assert time.monotonic() < deadline, (attempts, name)
            time.sleep(0.2)
        wait_running(a, job_id)
        second = worker_of(cluster, job_id)
        cluster.start_worker()  # someone must be alive to notice the second death
        cluster.kill(second)
        cluster.workers.remove(second)
        final = wait_done(b, job_id, timeout=120)
        assert final["status"] == "failed", final
        assert "stopped answering" in final["error"] and "2 times" in final["error"], final
        assert a.get(f"/api/projections/{job_id}").json()["status"] == "failed"
        cluster.start_worker()
