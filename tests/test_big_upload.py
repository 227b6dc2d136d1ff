"""A 4M-row vectors file that pyarrow refuses: a fast 400 at the right line, and the server keeps
answering others while it parses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LiveServer, run_server

ROWS = 4_000_000
ROW = b"0.1234\t0.5678\n"


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"PROJECTOR_WARMUP": "false", "PROJECTOR_MAX_UPLOAD_BYTES": str(64 << 20)}
    with run_server(tmp_path_factory.mktemp("big") / "data", env) as server:
        yield server


@pytest.mark.parametrize(
    ("last_line", "column", "words"),
    [(b"0.5\tabc\n", 2, "'abc' is not a number"), (b"0.5\n", None, "expected 2 values (as on line 1), found 1")],
)
@pytest.mark.solo  # a 1.5 s latency bound: measured with the machine to itself, after the parallel run
def test_rejected_4m_row_tsv_is_fast_and_stalls_nobody(
    big_server: LiveServer, last_line: bytes, column: int | None, words: str
) -> None:
    content = ROW * (ROWS - 1) + last_line  # 56 MB
    worst, stop = [0.0], threading.Event()

    def others() -> None:
        with httpx.Client(base_url=big_server.url, timeout=60) as c:
            while not stop.is_set():
                started = time.perf_counter()
                assert c.get("/api/status").status_code == 200
                worst[0] = max(worst[0], time.perf_counter() - started)

    loop = threading.Thread(target=others)
    loop.start()
    try:
        started = time.perf_counter()
        with big_server.client() as c:
            r = c.post("/api/datasets", files={"vectors": ("big.tsv", content)})
        took = time.perf_counter() - started
    finally:
        stop.set()
        loop.join()
    print(f"answer in {took:.2f} s; slowest concurrent GET {worst[0]:.3f} s")
    body = r.json()
    assert r.status_code == 400 and body["file"] == "big.tsv"
    assert (body["line"], body["column"]) == (ROWS, column) and words in body["error"]
    # Before: 16-56 s, with other requests stalled for 0.5-5.9 s (gc and vstack of 4M rows). Generous
    # bounds for a loaded machine; measured after: ~1.3 s and under 0.2 s.
    assert took < 20
    assert worst[0] < 1.5
    with big_server.client() as c:
        assert c.get("/api/datasets").json() == []
