"""The shared job queue against the in-process runner, in one run on this machine.

1. Throughput: 40 small t-SNE jobs (2k points each) posted at once, until all are done: the
   in-process runner (1 and 2 worker processes) beside the queue with one worker service and with
   two (each runs one job at a time).
2. Queue overhead, two web replicas and one worker service: the time from POST on replica A to
   the worker starting the job (the row's started_at), and from the worker's final write to the
   job's row (updated_at) to the matching event on replica B's stream; p50 and p99 over small PCA
   jobs posted one after another. PostgreSQL and these processes share this host's clock.

    .venv/bin/python benchmarks/bench_queue.py [--jobs 40] [--overhead-jobs 100]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import run_server  # noqa: E402
from tests.datagen import clustered, metadata_tsv, vectors_tsv, words  # noqa: E402
from tests.queue_cluster import queue_cluster  # noqa: E402

POINTS = 2000


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def upload(url: str) -> str:
    vectors, labels = clustered(POINTS, 32, clusters=8, seed=7)
    meta = metadata_tsv([[w, str(c)] for w, c in zip(words(POINTS), labels)], ["word", "cluster"])
    r = httpx.post(url + "/api/datasets", timeout=120,
                   files={"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)})
    r.raise_for_status()
    return r.json()["id"]


def wait_all(url: str, ids: list[str], timeout: float = 3600) -> None:
    pending = set(ids)
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=60) as c:
        while pending:
            for job in list(pending):
                status = c.get(f"/api/projections/{job}").json()["status"]
                if status not in ("queued", "running"):
                    if status != "done":
                        raise RuntimeError(f"job {job} ended {status}")
                    pending.discard(job)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(pending)} jobs still unfinished")
            time.sleep(0.5)


def throughput(url: str, dataset: str, jobs: int, iterations: int, tag: int) -> float:
    """Seconds from posting `jobs` distinct t-SNE jobs to the last one done."""
    began = time.monotonic()
    ids = []
    with httpx.Client(base_url=url, timeout=60) as c:
        for seed in range(jobs):
            body = {"method": "tsne", "params": {"perplexity": 30, "iterations": iterations, "seed": tag * 1000 + seed}}
            r = c.post(f"/api/datasets/{dataset}/projections", json=body)
            r.raise_for_status()
            ids.append(r.json()["id"])
    wait_all(url, ids)
    return time.monotonic() - began


def overhead(cluster, dataset: str, jobs: int) -> tuple[list[float], list[float]]:
    """Per job: POST on A -> worker start, and final row write -> the event on B's stream (seconds)."""
    a, b = cluster.servers
    engine = sa.create_engine(cluster.queue_url)
    rng = np.random.default_rng(0)
    to_start, to_event = [], []
    with httpx.Client(base_url=a.url, timeout=60) as ca, httpx.Client(base_url=b.url, timeout=60) as cb:
        for _ in range(jobs):
            rows = sorted(rng.choice(POINTS, 500, replace=False).tolist())
            posted = time.time()
            r = ca.post(f"/api/datasets/{dataset}/projections", json={"method": "pca", "rows": rows})
            r.raise_for_status()
            job = r.json()["id"]
            arrived = None
            with cb.stream("GET", f"/api/projections/{job}/events") as events:
                for line in events.iter_lines():
                    if line.startswith("data: ") and json.loads(line[6:])["status"] == "done":
                        arrived = time.time()
                        break
            with engine.connect() as conn:
                started, updated = conn.execute(sa.text(
                    "SELECT extract(epoch FROM started_at), extract(epoch FROM updated_at) "
                    "FROM projector_queue_jobs WHERE key = :k"), {"k": job}).one()
            to_start.append(float(started) - posted)
            to_event.append(arrived - float(updated))
    engine.dispose()
    return to_start, to_event


def postgres_url() -> str:
    script = Path(__file__).resolve().parents[1] / "scripts" / "test_postgres.sh"
    return subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--overhead-jobs", type=int, default=100)
    args = parser.parse_args()
    pg = postgres_url()
    env = {"PROJECTOR_WARMUP": "false"}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for workers in (1, 2):
            with run_server(root / f"inproc{workers}" / "data", {**env, "PROJECTOR_WORKERS": str(workers)}) as server:
                dataset = upload(server.url)
                before = load()
                seconds = throughput(server.url, dataset, args.jobs, args.iterations, workers)
                results.append((f"in-process runner, {workers} worker process(es)", seconds, before, load()))
                print(results[-1], flush=True)
        for services in (1, 2):
            with queue_cluster(pg, root / f"queue{services}", servers=2, workers=services) as cluster:
                dataset = upload(cluster.servers[0].url)
                before = load()
                seconds = throughput(cluster.servers[0].url, dataset, args.jobs, args.iterations, 10 + services)
                results.append((f"queue, {services} worker service(s) x 1", seconds, before, load()))
                print(results[-1], flush=True)
                if services == 1:
                    before_overhead = load()
                    to_start, to_event = overhead(cluster, dataset, args.overhead_jobs)
                    after_overhead = load()
    print(f"\n{args.jobs} t-SNE jobs of {POINTS} points x 32 dims, {args.iterations} iterations, posted at once "
          f"({os.cpu_count()} cores)\n")
    print("| runner | all done (s) | jobs/min | load before → after |")
    print("| --- | ---: | ---: | --- |")
    for name, seconds, before, after in results:
        print(f"| {name} | {seconds:.1f} | {60 * args.jobs / seconds:.1f} | {before} → {after} |")
    q = lambda xs, p: 1000 * float(np.percentile(xs, p))  # noqa: E731
    print(f"\nQueue overhead over {args.overhead_jobs} PCA jobs (500 rows) posted one at a time, "
          f"load {before_overhead} → {after_overhead}\n")
    print("| step | p50 (ms) | p99 (ms) | max (ms) |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| POST on A → worker starts it | {q(to_start, 50):.1f} | {q(to_start, 99):.1f} | {1000 * max(to_start):.1f} |")
    print(f"| worker's final write → event on B | {q(to_event, 50):.1f} | {q(to_event, 99):.1f} | {1000 * max(to_event):.1f} |")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
