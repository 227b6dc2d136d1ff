"""Request bodies against a real server: limits per route, upload checks from the headers alone, idle
bodies dropped with their temp files, and bodies cut off as they stream in."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

from tests.conftest import LiveServer, run_server
from tests.datagen import clustered, vectors_tsv
from tests.test_api_projections import wait_done

TOKEN = "body-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
IDLE_SECONDS = 2.0
JSON_LIMIT = 8 * 1024**2  # the default of PROJECTOR_MAX_JSON_BYTES
MILLION = 1_000_000
BOUNDARY = "----bodytestboundary"


@dataclass
class Answer:
    """An HTTP answer read off a raw socket, and whether the server closed the connection after it."""

    status: int
    headers: dict[str, str]
    body: dict
    closed: bool
    seconds: float


def open_socket(server: LiveServer) -> socket.socket:
    """A plain TCP connection to the server."""
    url = urlparse(server.url)
    return socket.create_connection((url.hostname, url.port), timeout=30)


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    """The request line and headers of an HTTP/1.1 request."""
    lines = [f"{method} {path} HTTP/1.1", "Host: test", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(sock: socket.socket, started: float, timeout: float = 30) -> Answer:
    """Read one response; then wait (up to `timeout`) to see whether the server closes the socket."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection without an answer after {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the answer was cut short"
        rest += chunk
    seconds = time.monotonic() - started
    try:
        closed = sock.recv(1) == b""
    except ConnectionResetError:  # closed with part of our body unread: the kernel resets
        closed = True
    except TimeoutError:
        closed = False
    return Answer(int(status_line.split()[1]), headers, json.loads(rest[:length]), closed, seconds)


def multipart_start(filename: str = "vectors.tsv") -> bytes:
    """The opening of a multipart upload whose one file part, `vectors`, follows."""
    return (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"vectors\"; filename=\"{filename}\"\r\n"
        "Content-Type: text/tab-separated-values\r\n\r\n"
    ).encode()


def multipart_end() -> bytes:
    return f"\r\n--{BOUNDARY}--\r\n".encode()


def upload_headers(length: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(length),
            **(extra or {})}


def temp_files(server: LiveServer, tmp: Path) -> list[str]:
    """Files under `tmp` the server holds open (Starlette's spooled uploads have no name there),
    plus any named file left in it."""
    held = []
    fd_dir = Path(f"/proc/{server.process.pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith(str(tmp)):
            held.append(target)
    return held + [str(p) for p in tmp.rglob("*")]


def wait_for(condition, what: str, timeout: float = 30) -> None:
    """Wait until `condition()` holds (the server gives no event for its temp files: look)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def staging(server: LiveServer) -> list[str]:
    folder = server.data_dir / ".staging"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_error_shape(answer: Answer, status: int) -> None:
    assert answer.status == status, answer
    assert answer.body["ok"] is False and answer.body["status"] == status
    assert set(answer.body) == {"ok", "status", "error", "file", "line", "column"}


def import_million_rows(data_dir: Path, tmp: Path) -> str:
    """Import a 1M-row dataset with the CLI before the server starts; its id."""
    path = tmp / "million.npy"
    np.save(path, np.random.default_rng(0).normal(size=(MILLION, 3)).astype(np.float32))
    out = subprocess.run([sys.executable, "-m", "embedding_projector", "import", str(path),
                          "--data-dir", str(data_dir), "--name", "million"],
                         capture_output=True, text=True, timeout=300, env={**os.environ})
    assert out.returncode == 0, out.stderr
    return next(p.name for p in (data_dir / "datasets").iterdir() if p.name.startswith("million"))


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path, str]]:
    """A public-mode server with its own TMPDIR, a short body timeout and a 1M-row dataset."""
    root = tmp_path_factory.mktemp("bodies")
    tmp = root / "tmp"
    tmp.mkdir()
    million = import_million_rows(root / "data", root)
    env = {"PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_WARMUP": "false", "TMPDIR": str(tmp),
           "PROJECTOR_BODY_TIMEOUT_SECONDS": str(IDLE_SECONDS)}
    with run_server(root / "data", env) as server:
        yield server, tmp, million


def test_a_strangers_gib_upload_is_refused_from_its_headers(guarded) -> None:
    server, tmp, _ = guarded
    declared = upload_headers(1 << 30)
    for extra, status in (({}, 401), ({"Authorization": "Bearer not-the-token-at-all"}, 403)):
        with open_socket(server) as sock:
            started = time.monotonic()
            # Only the headers: a server that wanted the body first would wait for it (then time out).
            sock.sendall(request_head("POST", "/api/datasets", {**declared, **extra}))
            answer = read_answer(sock, started)
        assert_error_shape(answer, status)
        assert answer.closed  # the body is not wanted: the connection is not kept for it
        assert "uploading a dataset" in answer.body["error"]
        print(status, f"{answer.seconds:.3f} s")
        assert temp_files(server, tmp) == [] and staging(server) == []


def test_a_declared_size_over_the_upload_limit_is_413_before_the_body(guarded) -> None:
    server, tmp, _ = guarded
    with open_socket(server) as sock:
        started = time.monotonic()
        sock.sendall(request_head("POST", "/api/datasets", upload_headers(1 << 30, AUTH)))
        answer = read_answer(sock, started)
    assert_error_shape(answer, 413)
    assert f"declares {1 << 30} bytes" in answer.body["error"]
    assert temp_files(server, tmp) == []


def test_json_body_limit_is_exact_and_checked_from_content_length(guarded) -> None:
    server, _, _ = guarded
    start = b'{"dataset": "nope"}'
    with server.client() as c:
        at_limit = c.post("/api/views", content=start + b" " * (JSON_LIMIT - len(start)),
                          headers={"content-type": "application/json"})
        assert at_limit.status_code != 413 and at_limit.json()["ok"] is False  # read, and refused for its content
        over = c.post("/api/views", content=start + b" " * (JSON_LIMIT + 1 - len(start)),
                      headers={"content-type": "application/json"})
        assert over.status_code == 413 and over.json()["ok"] is False
        assert f"limit of {JSON_LIMIT} bytes" in over.json()["error"]
    # A declared 100 MB JSON body is refused at once, before a byte of it is sent.
    with open_socket(server) as sock:
        started = time.monotonic()
        sock.sendall(request_head("POST", "/api/views", {"Content-Type": "application/json",
                                                           "Content-Length": str(100 << 20)}))
        answer = read_answer(sock, started)
    assert_error_shape(answer, 413)
    # The upload limit (7 MB in the tests) is for multipart uploads only: other bodies, even on the
    # upload route, keep the JSON limit.
    for path, extra in (("/api/datasets/x/projections", {}), ("/api/datasets", AUTH)):
        with open_socket(server) as sock:
            started = time.monotonic()
            sock.sendall(request_head("POST", path, {"Content-Type": "application/json",
                                                     "Content-Length": str(JSON_LIMIT + 1), **extra}))
            assert_error_shape(read_answer(sock, started), 413)


def test_a_chunked_json_body_is_cut_off_at_the_limit(guarded) -> None:
    server, _, _ = guarded
    piece = b" " * 65536
    with open_socket(server) as sock:
        started = time.monotonic()
        sock.sendall(request_head("POST", "/api/views", {"Content-Type": "application/json",
                                                           "Transfer-Encoding": "chunked"}))
        sent = 0
        # A little past the limit, and never the closing chunk: only a server that stops counting at
        # the limit can answer; one that reads the body whole waits for the rest.
        while sent <= JSON_LIMIT + (1 << 20):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
        answer = read_answer(sock, started)
    assert_error_shape(answer, 413)
    assert answer.closed
    assert f"limit of {JSON_LIMIT} bytes" in answer.body["error"]
    with server.client() as c:
        assert c.get("/api/datasets").status_code == 200


def test_a_million_row_rows_list_fits_the_json_limit_and_runs(guarded) -> None:
    server, _, million = guarded
    body = json.dumps({"method": "pca", "rows": list(range(MILLION))[::-1]}).encode()  # httpx's spacing
    print(f"1M-row rows list: {len(body)} bytes of {JSON_LIMIT}")
    assert len(body) <= JSON_LIMIT
    with server.client() as c:
        r = c.post(f"/api/datasets/{million}/projections", content=body,
                   headers={"content-type": "application/json", **AUTH})
        assert r.status_code in (200, 202), r.text
        done = wait_done(c, r.json()["id"])
        assert done["status"] == "done" and done["rows"] == MILLION, done


def test_an_idle_upload_is_dropped_and_its_temp_files_deleted(guarded) -> None:
    server, tmp, _ = guarded
    content = vectors_tsv(clustered(60_000, 8)[0])  # ~3 MB: Starlette spools it to TMPDIR past 1 MB
    body = multipart_start() + content + multipart_end()
    assert len(content) > 2 << 20
    with open_socket(server) as sock:
        sock.sendall(request_head("POST", "/api/datasets", upload_headers(len(body), AUTH)))
        sock.sendall(body[: len(body) // 2])
        wait_for(lambda: temp_files(server, tmp) != [], "the upload to reach a temp file")
        print("spooled to", temp_files(server, tmp))
        stalled = time.monotonic()
        answer = read_answer(sock, stalled, timeout=IDLE_SECONDS + 30)
    print(f"dropped after {answer.seconds:.2f} s of silence: {answer.body}")
    assert_error_shape(answer, 408)
    assert answer.closed and answer.headers.get("connection") == "close"
    assert IDLE_SECONDS - 0.5 <= answer.seconds <= IDLE_SECONDS + 15
    assert temp_files(server, tmp) == [] and staging(server) == []
    with server.client() as c:
        assert c.get("/api/datasets").status_code == 200
        # A body that keeps coming is not idle, however long it takes in all.
        paced = c.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(clustered(30, 4)[0]))},
                       headers=AUTH)
        assert paced.status_code == 201, paced.text


def test_an_idle_json_body_is_dropped(guarded) -> None:
    server, _, _ = guarded
    with open_socket(server) as sock:
        sock.sendall(request_head("POST", "/api/views", {"Content-Type": "application/json",
                                                           "Content-Length": "1000"}))
        sock.sendall(b'{"dataset": ')
        stalled = time.monotonic()
        answer = read_answer(sock, stalled, timeout=IDLE_SECONDS + 30)
    assert_error_shape(answer, 408)
    assert answer.closed and IDLE_SECONDS - 0.5 <= answer.seconds <= IDLE_SECONDS + 15


def test_a_slow_body_that_keeps_sending_is_not_dropped(guarded) -> None:
    server, _, _ = guarded
    body = json.dumps({"dataset": "nope"}).encode()
    with open_socket(server) as sock:
        sock.sendall(request_head("POST", "/api/views", {"Content-Type": "application/json",
                                                           "Content-Length": str(len(body))}))
        started = time.monotonic()
        # Three pieces with pauses shorter than the timeout: longer in all than it, never idle.
        for piece in (body[:5], body[5:-2], body[-2:]):
            sock.sendall(piece)
            time.sleep(IDLE_SECONDS * 0.6)
        answer = read_answer(sock, started)
    assert answer.seconds > IDLE_SECONDS
    assert answer.status not in (408, 413) and answer.body["ok"] is False  # read whole, then judged
    assert "nope" in answer.body["error"]


def test_clients_that_send_the_body_anyway_read_the_refusal(guarded) -> None:
    server, tmp, _ = guarded
    with server.client() as c:
        for size in (100_000, 5 << 20):  # under and over the socket buffers
            r = c.post("/api/datasets", files={"vectors": ("v.tsv", b"1\t2\n" * (size // 4))})
            assert r.status_code == 401 and r.json()["ok"] is False
    assert temp_files(server, tmp) == []


def test_a_refused_body_sent_whole_still_gets_its_answer(guarded) -> None:
    """The server reads (and drops) what the client still sends after a refusal, so the client can send
    its whole body and then read the 413; closing at once would reset the connection under it."""
    server, _, _ = guarded
    size = 3 * JSON_LIMIT
    declared = {"Content-Type": "application/json", "Content-Length": str(size)}
    chunked = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    for headers, framed in ((declared, False), (chunked, True)):
        with open_socket(server) as sock:
            started = time.monotonic()
            sock.sendall(request_head("POST", "/api/views", headers))
            piece = b" " * 65536
            for _ in range(size // len(piece)):
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if framed else piece)
            if framed:
                sock.sendall(b"0\r\n\r\n")
            answer = read_answer(sock, started)
        assert_error_shape(answer, 413)
        assert answer.closed
        assert f"limit of {JSON_LIMIT} bytes" in answer.body["error"]
