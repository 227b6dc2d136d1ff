"""6,000 requests from 500 client addresses leave the server's memory where it was (finding 8)."""

from __future__ import annotations

import io
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from tests.conftest import run_server

N_ROWS, SUBSET = 60_000, 50_000  # 50k-row `rows` lists: the runner must not keep them in memory
WARM_SUBSETS, MAIN_SUBSETS = 20, 80  # the old code kept ~1.8 MB per subset: 80 of them grew RSS well past the bound  # every main-round subset is a new job
CLIENTS = 500
MAIN_REQUESTS = 6000
THREADS = 8


def rss_mb(pid: int) -> float:
    """The process's resident set size, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


def client_headers(i: int) -> dict[str, str]:
    """One of 500 client addresses, as a trusted local proxy would forward it."""
    return {"X-Forwarded-For": f"10.{i // 250}.{i % 250}.{7 + i % 3}"}


def make_requests(count: int, seed: int, dataset: str, subsets: list[list[int]], job_ids: list[str]) -> list[tuple]:
    """A shuffled mix: 5% job starts with 50k-row subsets, 45% status, 25% neighbours, 25% views."""
    rng = random.Random(seed)
    out: list[tuple] = []
    for i in range(count):
        who = client_headers(rng.randrange(CLIENTS))
        kind = rng.random()
        if kind < 0.05:
            body = {"method": "pca", "params": {"components": 2}, "rows": rng.choice(subsets)}
            out.append(("POST", f"/api/datasets/{dataset}/projections", body, who))
        elif kind < 0.50:
            job = rng.choice(job_ids) if job_ids and rng.random() < 0.3 else f"{rng.getrandbits(128):032x}"
            out.append(("GET", f"/api/projections/{job}", None, who))
        elif kind < 0.75:
            out.append(("GET", f"/api/datasets/{dataset}/neighbors?row={rng.randrange(N_ROWS)}&k=10", None, who))
        else:
            state = {"dataset": dataset, "selection": rng.sample(range(N_ROWS), 5), "neighbors": 10}
            out.append(("POST", "/api/views", state, who))
        del i
    return out


def send_all(url: str, requests: list[tuple], job_ids: list[str]) -> dict[int, int]:
    """Send the requests from THREADS threads; count the answers by status code."""
    counts: dict[int, int] = {}
    chunks = [requests[i::THREADS] for i in range(THREADS)]

    def run(chunk: list[tuple]) -> dict[int, int]:
        seen: dict[int, int] = {}
        with httpx.Client(base_url=url, timeout=120) as c:
            for method, path, body, headers in chunk:
                r = c.request(method, path, json=body, headers=headers)
                seen[r.status_code] = seen.get(r.status_code, 0) + 1
                if method == "POST" and "projections" in path and r.status_code in (200, 202):
                    job_ids.append(r.json()["id"])
        return seen

    with ThreadPoolExecutor(THREADS) as pool:
        for seen in pool.map(run, chunks):
            for code, n in seen.items():
                counts[code] = counts.get(code, 0) + n
    return counts


def test_rss_stays_flat_over_6000_requests(tmp_path: Path) -> None:
    env = {
        "PROJECTOR_WARMUP": "false",
        "PROJECTOR_WORKERS": "2",
        "PROJECTOR_MAX_UPLOAD_BYTES": str(8 << 20),
        "PROJECTOR_TRUSTED_PROXIES": "127.0.0.1",
        "PROJECTOR_JOB_STARTS_PER_MINUTE": "100000",
        "PROJECTOR_MAX_JOBS_PER_CLIENT": "1000",
        "PROJECTOR_VIEW_WRITES_PER_MINUTE": "100000",
    }
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.save(buffer, rng.normal(size=(N_ROWS, 4)).astype(np.float32))
    def subsets(first: int, count: int) -> list[list[int]]:
        return [sorted(random.Random(s).sample(range(N_ROWS), SUBSET)) for s in range(first, first + count)]

    with run_server(tmp_path / "data", env) as server, server.client() as c:
        made = c.post("/api/datasets", files={"vectors": ("v.npy", buffer.getvalue())})
        assert made.status_code == 201, made.text
        dataset = made.json()["id"]
        job_ids: list[str] = []
        pid = server.process.pid
        started = time.monotonic()
        warm = send_all(server.url, make_requests(1000, 1, dataset, subsets(0, WARM_SUBSETS), job_ids), job_ids)
        before = rss_mb(pid)
        main = send_all(server.url, make_requests(MAIN_REQUESTS, 2, dataset, subsets(1000, MAIN_SUBSETS), job_ids), job_ids)
        after = rss_mb(pid)
        took = time.monotonic() - started
        unfinished = c.get("/api/status").json()
        print(f"\nwarm-up answers {warm}\n{MAIN_REQUESTS:,} requests answers {main}\n"
              f"RSS after warm-up {before:.1f} MB, after {MAIN_REQUESTS:,} requests {after:.1f} MB, "
              f"growth {after - before:+.1f} MB; {took:.0f} s in all")
        assert sum(main.values()) == MAIN_REQUESTS
        assert not any(code >= 500 for code in main), main
        assert sum(n for code, n in main.items() if code < 300) > MAIN_REQUESTS * 0.6  # the requests really did work
        assert main.get(202, 0) > MAIN_SUBSETS / 2  # new jobs with 50k-row subsets ran
        assert c.get("/api/datasets").status_code == 200 and unfinished["workers"]
        assert after - before < 50, f"RSS grew {after - before:.1f} MB"
