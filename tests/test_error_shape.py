"""Every error answer has one JSON shape; this pins it, status by status.

400, 401, 403, 404, 405, 408, 409, 413, 422, 429 and 507 come from a real server in public mode (a write
token set); 500 from an app built by create_app with test-only routes that raise, answered in-process.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from embedding_projector.app import create_app
from embedding_projector.errors import MAX_MESSAGE_CHARS
from embedding_projector.settings import Settings
from tests.conftest import LiveServer, run_server
from tests.in_process import ask_in_process
from tests.datagen import clustered, vectors_tsv

SHAPE = {"ok", "status", "error", "file", "line", "column"}
TOKEN = "error-shape-token-0123456789"
WITH_TOKEN = {"Authorization": f"Bearer {TOKEN}"}


def assert_shape(response: httpx.Response, status: int) -> dict:
    """The answer has `status` and exactly the error shape, with that status inside."""
    body = response.json()
    assert response.status_code == status, body
    assert response.headers["content-type"].startswith("application/json")
    assert set(body) == SHAPE, body
    assert body["ok"] is False and body["status"] == status, body
    assert isinstance(body["error"], str) and body["error"], body
    return body


def test_error_shape_for_each_kind(client) -> None:
    cases = [
        (client.get("/api/datasets/missing"), 404),
        (client.get("/api/no-such-route"), 404),
        (client.post("/api/datasets", files={"vectors": ("v.tsv", b"1\tx\n")}), 400),
        (client.post("/api/datasets", data={"public": "maybe"}), 422),
        (client.get("/api/datasets/missing/neighbors", params={"row": "abc"}), 422),
        (client.delete("/api/datasets"), 405),
    ]
    for response, status in cases:
        assert_shape(response, status)
    parse_error = cases[2][0].json()
    assert (parse_error["file"], parse_error["line"], parse_error["column"]) == ("v.tsv", 1, 2)


STORAGE_BUDGET = 4096


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """A server with a write token, one projection start a minute per stranger, and a public dataset."""
    env = {"PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_JOB_STARTS_PER_MINUTE": "1",
           "PROJECTOR_WORKERS": "1", "PROJECTOR_WARMUP": "false",
           "PROJECTOR_VIEW_STORAGE_BYTES": str(STORAGE_BUDGET), "PROJECTOR_BODY_TIMEOUT_SECONDS": "2"}
    with run_server(tmp_path_factory.mktemp("shape") / "data", env=env) as server:
        vectors, _ = clustered(400, 8, seed=11)
        with server.client(headers=WITH_TOKEN) as c:
            r = c.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(vectors))}, data={"public": "true"})
        assert r.status_code == 201, r.text
        yield server, r.json()["id"]


def test_401_and_403_for_writes_without_the_right_token(public_server) -> None:
    server, dataset = public_server
    files = {"vectors": ("v.tsv", b"1\t2\n")}
    with server.client() as c:
        assert "write token" in assert_shape(c.post("/api/datasets", files=files), 401)["error"]
        assert_shape(c.delete(f"/api/datasets/{dataset}"), 401)
    with server.client(headers={"Authorization": "Bearer not-the-token-at-all"}) as c:
        assert "not valid" in assert_shape(c.post("/api/datasets", files=files), 403)["error"]
        assert_shape(c.delete(f"/api/datasets/{dataset}"), 403)


def test_404_and_405_including_fastapis_own(public_server) -> None:
    server, dataset = public_server
    with server.client() as c:
        assert "missing" in assert_shape(c.get("/api/datasets/missing"), 404)["error"]
        assert_shape(c.get("/api/projections/0123456789abcdef"), 404)
        assert_shape(c.get("/api/views/nope"), 404)
        assert_shape(c.get("/api/no-such-route"), 404)  # FastAPI's router, not a handler
        assert_shape(c.get("/static/no-such-file.js"), 404)  # the static files mount
        assert_shape(c.get("/v/" + "x" * 5000), 404)  # the page route of a shared view
        assert_shape(c.get("/v/%00"), 404)
        wrong_method = c.put(f"/api/datasets/{dataset}")
        assert_shape(wrong_method, 405)
        assert "GET" in wrong_method.headers["allow"]  # the shape keeps the exception's headers


def test_409_for_the_coordinates_of_an_unfinished_job(public_server) -> None:
    server, dataset = public_server
    with server.client(headers=WITH_TOKEN) as c:
        r = c.post(f"/api/datasets/{dataset}/projections",
                   json={"method": "tsne", "params": {"iterations": 10000, "perplexity": 20}})
        assert r.status_code == 202, r.text
        job = r.json()["id"]
        try:
            assert "no coordinates yet" in assert_shape(c.get(f"/api/projections/{job}/coords"), 409)["error"]
            assert_shape(c.get(f"/api/projections/{job}/export"), 409)
        finally:
            assert c.delete(f"/api/projections/{job}").status_code == 200


def test_413_for_an_oversize_body_and_an_oversize_file(public_server) -> None:
    server, dataset = public_server
    with server.client(headers=WITH_TOKEN) as c:
        # 9 MB of JSON: over the JSON limit and over the whole-body limit alike.
        rows = json.dumps({"method": "pca", "rows": list(range(1_300_000))}).encode()
        assert len(rows) > 9_000_000
        r = c.post(f"/api/datasets/{dataset}/projections", content=rows,
                   headers={"Content-Type": "application/json"})
        assert "limit" in assert_shape(r, 413)["error"]
        big = b"1\t2\n" * (server.max_upload_bytes // 4 + 10)
        body = assert_shape(c.post("/api/datasets", files={"vectors": ("huge.tsv", big)}), 413)
        assert body["file"] == "huge.tsv"


def test_422_names_the_problem_briefly(public_server) -> None:
    server, dataset = public_server
    with server.client(headers=WITH_TOKEN) as c:  # the token holder: no start limit to spend
        out_of_range = c.post(f"/api/datasets/{dataset}/projections",
                              json={"method": "pca", "params": {"components": 0}})
        assert "components" in assert_shape(out_of_range, 422)["error"]
        bad_json = c.post(f"/api/datasets/{dataset}/projections", content=b"{not json",
                          headers={"Content-Type": "application/json"})
        assert "not valid JSON" in assert_shape(bad_json, 422)["error"]
        # 20,000 bad rows: a few are named, the rest counted, not 20,000 messages.
        many = c.post(f"/api/datasets/{dataset}/projections", json={"method": "pca", "rows": ["x"] * 20_000})
        message = assert_shape(many, 422)["error"]
        assert "rows.0" in message and "19995 more problems" in message and len(message) < 1000, message
        # A megabyte-long name is not echoed back whole.
        long_name = c.post(f"/api/datasets/{dataset}/projections", json={"method": "m" * 1_000_000})
        assert len(assert_shape(long_name, 422)["error"]) < MAX_MESSAGE_CHARS + 100
        assert len(long_name.content) < MAX_MESSAGE_CHARS + 500


def test_429_for_a_stranger_over_the_start_limit(public_server) -> None:
    server, dataset = public_server
    with server.client() as c:
        first = c.post(f"/api/datasets/{dataset}/projections", json={"method": "pca", "params": {"components": 3}})
        assert first.status_code in (200, 202), first.text
        second = c.post(f"/api/datasets/{dataset}/projections", json={"method": "pca", "params": {"components": 4}})
        assert "a minute" in assert_shape(second, 429)["error"]


@pytest.fixture
def raising_app(tmp_path: Path) -> FastAPI:
    """The real app (its handlers and middleware) plus test-only routes that raise."""
    app = create_app(Settings(data_dir=tmp_path / "data", examples=False, warmup=False, workers=1))

    @app.get("/test-only/crash")
    async def crash() -> None:
        raise RuntimeError("secret detail /srv/data/private.db")

    @app.get("/test-only/crash-in-thread")
    def crash_in_thread() -> None:
        {}["missing key"]  # noqa: B018 - a KeyError from a sync handler run in the threadpool

    return app


def ask(app: FastAPI, method: str, path: str) -> httpx.Response:
    """One request to the app in-process (its routes need no lifespan, so no workers start)."""
    return ask_in_process(app, method, path)


def test_500_answers_the_shape_without_a_traceback(raising_app: FastAPI) -> None:
    for path in ("/test-only/crash", "/test-only/crash-in-thread"):
        r = ask(raising_app, "GET", path)
        body = assert_shape(r, 500)
        assert body == {"ok": False, "status": 500, "error": "internal server error",
                        "file": None, "line": None, "column": None}
        assert "Traceback" not in r.text and "secret" not in r.text and "missing key" not in r.text


def test_507_when_the_views_storage_budget_is_used_up(public_server) -> None:
    server, dataset = public_server
    with server.client(headers=WITH_TOKEN) as c:
        for _ in range(STORAGE_BUDGET):  # each view takes tens of bytes: the budget ends well before
            r = c.post("/api/views", json={"dataset": dataset, "selection": list(range(50))})
            if r.status_code != 201:
                break
    body = assert_shape(r, 507)
    assert "storage budget" in body["error"]


def test_408_for_a_body_that_stops_arriving(public_server) -> None:
    server, _ = public_server
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST /api/views HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"dataset\"")
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert time.monotonic() - started < 20, "the idle body was not dropped"
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), head
    assert_shape(httpx.Response(408, headers={"content-type": "application/json"}, content=body), 408)


def test_400_for_rows_past_64_bits(public_server) -> None:
    """Found by the fuzzing: a row number past int64 was a 500 (numpy's OverflowError)."""
    server, dataset = public_server
    with server.client(headers=WITH_TOKEN) as c:
        export = c.post(f"/api/datasets/{dataset}/export", json={"rows": [1, 2**63]})
        assert "rows[1] is out of range" in assert_shape(export, 400)["error"]
        project = c.post(f"/api/datasets/{dataset}/projections", json={"method": "pca", "rows": [-(2**63) - 1]})
        assert "rows[0] is out of range" in assert_shape(project, 400)["error"]
