"""How ep.show sends a dataset, against a real server: float32 .npy bytes in resumable chunks (resuming
after a dropped chunk), the metadata as Parquet, and one Parquet file for a server without /api/uploads."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import numpy as np
import pyarrow as pa
import pytest

from embedding_projector.python_api import transfer
from embedding_projector.python_api.http_client import Client
from tests.conftest import LiveServer, run_server

CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1", "PROJECTOR_UPLOAD_CHUNK_BYTES": str(CHUNK)}
    with run_server(tmp_path_factory.mktemp("transfer") / "data", env) as live:
        yield live


class Recording(httpx.BaseTransport):
    """The real transport, recording each request; the PUTs numbered in `drop` fail once, mid-flight."""

    def __init__(self, drop: tuple[int, ...] = (), lose_start_answers: int = 0) -> None:
        self.inner = httpx.HTTPTransport()
        self.seen: list[str] = []
        self.drop = set(drop)
        self.puts = 0
        self.lose_start_answers = lose_start_answers
        self.starts: list[tuple[bytes, int]] = []  # each start's body and the status the server answered

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        if request.method == "PUT":
            self.puts += 1
            if self.puts in self.drop:
                raise httpx.WriteError("connection dropped (test)")
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path == "/api/uploads":
            response.read()
            self.starts.append((request.content, response.status_code))
            if len(self.starts) <= self.lose_start_answers:
                raise httpx.ReadError("the answer was lost (test)")  # the server has opened the upload
        return response


def client_for(server: LiveServer, transport: Recording) -> Client:
    client = Client(server.url, None)
    client.http = httpx.Client(base_url=server.url, transport=transport, timeout=60)
    return client


def fingerprint(m: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(m, dtype="<f4").data).hexdigest()[:32]


def data(n: int = 3000, d: int = 24, seed: int = 0) -> tuple[np.ndarray, pa.Table]:
    m = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return m, pa.table({"word": [f"w{i}" for i in range(n)], "rank": np.arange(n)})


def test_the_vectors_go_as_float32_chunks_and_the_metadata_as_parquet(server) -> None:
    m, table = data()
    transport = Recording()
    info = transfer.send_dataset(client_for(server, transport), m, table, {"name": "chunked show"}, None)
    puts = [s for s in transport.seen if s.startswith("PUT /api/uploads/")]
    assert len(puts) == -(-(m.nbytes + 128) // CHUNK)  # every chunk once: the .npy header is 128 bytes
    assert info["fingerprint"] == fingerprint(m) and (info["n"], info["dim"]) == m.shape
    assert [c["name"] for c in info["columns"]] == ["word", "rank"]
    # The same data again in this session: the same dataset, nothing sent.
    again = Recording()
    assert transfer.send_dataset(client_for(server, again), m, table, {"name": "chunked show"}, None)["id"] == info["id"]
    assert not any(s.startswith(("PUT", "POST")) for s in again.seen)


def test_a_dropped_chunk_is_resent_from_where_the_server_stands(server) -> None:
    m, table = data(seed=1)
    transport = Recording(drop=(2, 4))
    info = transfer.send_dataset(client_for(server, transport), m, table, {"name": "resumed show"}, None)
    assert info["fingerprint"] == fingerprint(m)
    status_checks = [s for s in transport.seen if s.startswith("GET /api/uploads/")]
    assert len(status_checks) == 2  # once after each drop


def test_a_start_whose_answer_was_lost_is_sent_again_and_opens_one_upload(server) -> None:
    m, table = data(n=1000, seed=3)
    transport = Recording(lose_start_answers=2)
    info = transfer.send_dataset(client_for(server, transport), m, table, {"name": "lost start"}, None)
    assert info["fingerprint"] == fingerprint(m)
    bodies, statuses = zip(*transport.starts, strict=True)
    assert statuses == (201, 200, 200) and len(set(bodies)) == 1  # the same key each time: one upload
    assert len({s for s in transport.seen if s.startswith("PUT /api/uploads/")}) == 1
    folder = server.data_dir / ".uploads"
    assert not folder.exists() or not any(folder.iterdir())  # consumed: no second, empty upload left


def test_a_server_without_resumable_uploads_gets_one_parquet_file(server, monkeypatch) -> None:
    m, table = data(n=500, seed=2)
    monkeypatch.setattr(transfer, "_chunk_size", lambda client: None)
    transport = Recording()
    info = transfer.send_dataset(client_for(server, transport), m, table, {"name": "parquet show"}, None)
    assert not any("/api/uploads" in s for s in transport.seen)
    assert info["fingerprint"] == fingerprint(m)
    assert [c["name"] for c in info["columns"]] == ["word", "rank"]
