"""A quick stop with event streams open, and real kill -9s: of the server and of one worker, mid-job."""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import LiveServer, run_server
from tests.datagen import clustered, vectors_tsv
from tests.test_api_projections import job_events, wait_done

ENV = {"PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "2"}
LONG_TSNE = {"method": "tsne", "params": {"perplexity": 30, "iterations": 10000, "seed": 11}}
INTERRUPTED = "interrupted by a server restart"


def upload(c: httpx.Client, n: int, seed: int = 0) -> str:
    vectors, _ = clustered(n, 16, seed=seed)
    r = c.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(vectors))})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def start_until_iterating(c: httpx.Client, dataset: str, body: dict) -> dict:
    """Start a t-SNE and return its first status that reports an iteration (the worker is in it)."""
    job = c.post(f"/api/datasets/{dataset}/projections", json=body).json()
    return next(e for e in job_events(c, job["id"]) if e["info"].get("iteration", 0) > 0)


def worker_pids(c: httpx.Client) -> list[int]:
    return [w["pid"] for w in c.get("/api/status").json()["workers"]]


def gone_within(pids: list[int], seconds: float) -> bool:
    """Whether every process in `pids` has exited within `seconds` (waited for through pidfds)."""
    deadline = time.monotonic() + seconds
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)  # not our children: a pidfd turns readable when the process exits
        except ProcessLookupError:
            continue
        try:
            readable, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(fd)
        if not readable:
            return False
    return True


def test_sigterm_stops_within_5_s_with_an_event_stream_open(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with run_server(data_dir, ENV) as server, server.client() as c:
        dataset = upload(c, 3000)
        running = start_until_iterating(c, dataset, LONG_TSNE)
        job, pids = running["id"], worker_pids(c)
        seen: list[dict] = []
        reading = threading.Event()

        def follow() -> None:  # the page's EventSource while the t-SNE runs
            with httpx.Client(base_url=server.url, timeout=60) as viewer:
                try:
                    for event in job_events(viewer, job):
                        seen.append(event)
                        reading.set()
                except httpx.HTTPError:
                    pass
            reading.set()

        stream = threading.Thread(target=follow, daemon=True)
        stream.start()
        assert reading.wait(30) and seen, "the event stream did not start"
        began = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
        took = time.monotonic() - began
        print(f"SIGTERM with an open event stream and a running t-SNE: exited in {took:.2f} s, "
              f"exit code {server.process.returncode}")
        assert took < 5, server.log()
        stream.join(timeout=10)
        assert not stream.is_alive()
        assert seen[-1]["status"] == "failed" and seen[-1]["error"] == INTERRUPTED  # the stream ended
        assert gone_within(pids, 5), f"workers {pids} outlived the server"
        record = json.loads((data_dir / "results" / f"{job}.json").read_text())
        assert record["status"] == "failed" and record["error"] == INTERRUPTED
    with run_server(data_dir, ENV) as server, server.client() as c:
        status = c.get(f"/api/projections/{job}").json()
        assert status["status"] == "failed" and status["error"] == INTERRUPTED
        rerun = c.post(f"/api/datasets/{dataset}/projections", json=LONG_TSNE).json()
        assert rerun["id"] == job and rerun["status"] in ("queued", "running")
        c.delete(f"/api/projections/{job}")


def test_kill_9_of_the_server_mid_job(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    body = {"method": "tsne", "params": {"perplexity": 30, "iterations": 600, "seed": 12}}
    with run_server(data_dir, ENV) as server, server.client() as c:
        dataset = upload(c, 1500, seed=1)
        running = start_until_iterating(c, dataset, body)
        job, pids = running["id"], worker_pids(c)
        assert running["worker"] in pids
        server.process.kill()
        server.process.wait(timeout=10)
        # Orphaned workers notice within a second or two and exit: none is left behind.
        assert gone_within(pids, 10), f"orphan workers {pids} still running"
    with run_server(data_dir, ENV) as server, server.client() as c:
        status = c.get(f"/api/projections/{job}").json()
        print("after kill -9 of the server:", status["status"], status["error"])
        assert status["status"] == "failed" and status["error"] == INTERRUPTED
        assert c.get("/api/datasets").json()[0]["id"] == dataset
        again = c.post(f"/api/datasets/{dataset}/projections", json=body)
        assert again.status_code == 202 and again.json()["id"] == job
        final = wait_done(c, job, timeout=300)
        assert final["status"] == "done", final
        assert c.get(f"/api/projections/{job}/coords").status_code == 200


def test_kill_9_of_one_worker_mid_job(tmp_path: Path) -> None:
    with run_server(tmp_path / "data", ENV) as server, server.client() as c:
        check_worker_death(server, c)


def check_worker_death(server: LiveServer, c: httpx.Client) -> None:
    dataset = upload(c, 2000, seed=2)
    running = start_until_iterating(c, dataset, LONG_TSNE)
    job, pid = running["id"], running["worker"]
    before = worker_pids(c)
    assert pid in before
    os.kill(pid, signal.SIGKILL)
    final = wait_done(c, job, timeout=60)
    print("after kill -9 of its worker:", final["status"], final["error"])
    assert final["status"] == "failed"
    assert final["error"] == "the worker process died while running this job (killed by signal 9)"
    after = worker_pids(c)
    assert len(after) == 2 and pid not in after and set(before) - {pid} <= set(after)
    nxt = c.post(f"/api/datasets/{dataset}/projections", json={"method": "pca"}).json()
    assert wait_done(c, nxt["id"], timeout=120)["status"] == "done"
    # The failed job is not a cached result: asked again, it runs again.
    again = c.post(f"/api/datasets/{dataset}/projections", json=LONG_TSNE).json()
    assert again["id"] == job and again["status"] in ("queued", "running")
    c.delete(f"/api/projections/{job}")
