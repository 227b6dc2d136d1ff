"""Start the real server for a benchmark: a subprocess on a free port with the bundled examples."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
BENCH_DATA = REPO / ".bench-data"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def bench_server(data_dir: Path = BENCH_DATA, env: dict[str, str] | None = None,
                 wait_for: str = "glove-400k", timeout: float = 600) -> Iterator[str]:
    """Yield the base URL of a server with the GloVe examples imported; stop it afterwards."""
    with bench_server_process(data_dir, env, wait_for, timeout) as (url, _process):
        yield url


@contextlib.contextmanager
def bench_server_process(data_dir: Path = BENCH_DATA, env: dict[str, str] | None = None,
                         wait_for: str | None = "glove-400k",
                         timeout: float = 600) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like bench_server, also yielding the server process; wait_for=None waits only for an answer."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / f"server-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "embedding_projector", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--data-dir", str(data_dir)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: see {log.name}")
            with contextlib.suppress(httpx.HTTPError):
                ids = [d["id"] for d in httpx.get(url + "/api/datasets", timeout=5).json()]
                if wait_for is None or wait_for in ids:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server did not come up in time")
            time.sleep(0.2)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
