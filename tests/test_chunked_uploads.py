"""/api/uploads over real HTTP: a file larger than one request's limit arrives in checked chunks,
survives a dropped connection, and becomes a dataset byte for byte; bad chunks leave nothing behind."""

from __future__ import annotations

import hashlib
import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import LiveServer, run_server

CHUNK = 64 * 1024
UPLOAD_LIMIT = 100 * 1024  # the plain multipart limit: every file here is over it
TOKEN = "chunk-token-" + "x" * 20
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1", "PROJECTOR_UPLOAD_CHUNK_BYTES": str(CHUNK),
           "PROJECTOR_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT), "PROJECTOR_MAX_OPEN_UPLOADS": "6",
           "PROJECTOR_WRITE_TOKEN": TOKEN}
    with run_server(tmp_path_factory.mktemp("chunked") / "data", env) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(headers=AUTH) as c:
        yield c


def npy_bytes(matrix: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, matrix, allow_pickle=False)
    return buffer.getvalue()


def matrix(n: int = 1500, d: int = 40, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)


def fingerprint(m: np.ndarray) -> str:
    """The dataset fingerprint the server reports: the first 128 bits of the SHA-256 of the C-order float32 bytes."""
    return hashlib.sha256(np.ascontiguousarray(m, dtype="<f4").data).hexdigest()[:32]


def start(client: httpx.Client, filename: str, size: int) -> dict:
    r = client.post("/api/uploads", json={"filename": filename, "size": size})
    assert r.status_code == 201, r.text
    return r.json()


def put(client: httpx.Client, upload: str, offset: int, chunk: bytes, digest: bool = True) -> httpx.Response:
    headers = {"Content-Type": "application/octet-stream"}
    if digest:
        headers["X-Chunk-Sha256"] = hashlib.sha256(chunk).hexdigest()
    return client.put(f"/api/uploads/{upload}", params={"offset": offset}, content=chunk, headers=headers)


def send_all(client: httpx.Client, upload: str, data: bytes, start_at: int = 0) -> dict:
    status = {}
    for offset in range(start_at, len(data), CHUNK):
        r = put(client, upload, offset, data[offset : offset + CHUNK])
        assert r.status_code == 200, r.text
        status = r.json()
    return status


def leftovers(server: LiveServer) -> list[str]:
    folder = server.data_dir / ".uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_file_over_the_request_limit_arrives_in_chunks_and_becomes_the_same_dataset(client, server) -> None:
    m = matrix()
    data = npy_bytes(m)
    assert len(data) > 2 * UPLOAD_LIMIT
    status = start(client, "big.npy", len(data))
    assert status["received"] == 0 and status["chunk_bytes"] == CHUNK and status["filename"] == "big.npy"
    assert client.get("/api/status").json()["uploads"] == {"max_upload_bytes": UPLOAD_LIMIT, "chunk_bytes": CHUNK}
    # The plain multipart route still refuses the same file.
    plain = client.post("/api/datasets", files={"vectors": ("big.npy", data)})
    assert plain.status_code == 413, plain.text
    done = send_all(client, status["id"], data)
    assert done["received"] == len(data) == done["size"]
    r = client.post("/api/datasets", data={"vectors_upload": status["id"], "name": "chunked"})
    assert r.status_code == 201, r.text
    info = r.json()
    assert (info["n"], info["dim"], info["name"]) == (1500, 40, "chunked")
    assert info["fingerprint"] == fingerprint(m)
    assert client.get(f"/api/uploads/{status['id']}").status_code == 404  # consumed
    assert leftovers(server) == []
    # Neighbours answer on the assembled vectors exactly as numpy does.
    unit = m / np.linalg.norm(m, axis=1, keepdims=True)
    expected = np.argsort(-(unit @ unit[7]), kind="stable")[1:6]
    found = client.get(f"/api/datasets/{info['id']}/neighbors", params={"row": 7, "k": 5}).json()["neighbors"]
    assert [f["row"] for f in found] == expected.tolist()


def test_a_dropped_connection_resumes_where_it_stopped(client, server) -> None:
    m = matrix(seed=5)
    data = npy_bytes(m)
    status = start(client, "resumed.npy", len(data))
    assert put(client, status["id"], 0, data[:CHUNK]).status_code == 200
    # The second chunk: headers and half its bytes, then the connection drops.
    url = urlsplit(server.url)
    half = data[CHUNK : CHUNK + CHUNK // 2]
    head = (f"PUT /api/uploads/{status['id']}?offset={CHUNK} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {CHUNK}\r\n\r\n").encode()
    with socket.create_connection((url.hostname, url.port)) as raw:
        raw.sendall(head + half)
    seen = client.get(f"/api/uploads/{status['id']}")
    deadline = 50
    while seen.json()["received"] != CHUNK and deadline:  # the server may still be reading the half chunk
        seen, deadline = client.get(f"/api/uploads/{status['id']}"), deadline - 1
    assert seen.json()["received"] == CHUNK, seen.text
    # Resuming from `received` (once the server has let go of the dropped chunk) completes it byte for byte.
    for _ in range(100):
        r = put(client, status["id"], CHUNK, data[CHUNK : 2 * CHUNK])
        if r.status_code != 409:
            break
    assert r.status_code == 200, r.text
    send_all(client, status["id"], data, start_at=2 * CHUNK)
    r = client.post("/api/datasets", data={"vectors_upload": status["id"], "name": "resumed"})
    assert r.status_code == 201, r.text
    assert r.json()["fingerprint"] == fingerprint(m)
    assert leftovers(server) == []


def test_bad_chunks_are_refused_and_keep_nothing(client, server) -> None:
    data = npy_bytes(matrix(seed=7))
    status = start(client, "bad.npy", len(data))
    upload = status["id"]
    assert put(client, upload, 0, data[:CHUNK]).status_code == 200

    wrong_offset = put(client, upload, 3 * CHUNK, data[3 * CHUNK : 4 * CHUNK])
    assert wrong_offset.status_code == 409
    assert f"starts at byte {CHUNK}" in wrong_offset.json()["error"]

    headers = {"X-Chunk-Sha256": "0" * 64}
    mismatch = client.put(f"/api/uploads/{upload}", params={"offset": CHUNK}, content=data[CHUNK : 2 * CHUNK],
                          headers=headers)
    assert mismatch.status_code == 400 and "SHA-256" in mismatch.json()["error"], mismatch.text
    assert mismatch.json()["file"] == "bad.npy"

    oversize = put(client, upload, CHUNK, b"\0" * (CHUNK + 1))
    assert oversize.status_code == 413, oversize.text

    past_end = start(client, "tiny.bin", 10)
    assert put(client, past_end["id"], 0, b"x" * 11).status_code == 400

    assert client.get(f"/api/uploads/{upload}").json()["received"] == CHUNK
    assert (server.data_dir / ".uploads" / f"{upload}.part").stat().st_size == CHUNK

    before = {d["id"] for d in client.get("/api/datasets").json()}
    incomplete = client.post("/api/datasets", data={"vectors_upload": upload})
    assert incomplete.status_code == 409 and "send the rest" in incomplete.json()["error"]
    unknown = client.post("/api/datasets", data={"vectors_upload": "n" * 32})
    assert unknown.status_code == 404
    assert {d["id"] for d in client.get("/api/datasets").json()} == before
    assert client.delete(f"/api/uploads/{upload}").status_code == 204
    assert client.delete(f"/api/uploads/{past_end['id']}").status_code == 204
    assert leftovers(server) == []


def test_a_complete_upload_that_does_not_parse_is_refused_naming_it_and_leaves_nothing(client, server) -> None:
    """The file at fault is not kept: it must be sent again, mended."""
    data = b"PAR1" + b"\x07" * (3 * CHUNK)
    status = start(client, "broken.parquet", len(data))
    send_all(client, status["id"], data)
    before = {d["id"] for d in client.get("/api/datasets").json()}
    r = client.post("/api/datasets", data={"vectors_upload": status["id"]})
    assert r.status_code == 400 and r.json()["file"] == "broken.parquet", r.text
    assert {d["id"] for d in client.get("/api/datasets").json()} == before
    assert client.get(f"/api/uploads/{status['id']}").status_code == 404
    assert leftovers(server) == []
    assert not any((server.data_dir / ".staging").glob("upload-*"))


def test_a_form_refused_for_another_file_leaves_the_upload_for_the_next_try(client, server) -> None:
    """Vectors sent in chunks, metadata with a wrong row count: the upload stays complete, so the fixed
    form names it again instead of sending the vectors anew; made, the upload is consumed."""
    m = matrix(n=1200, d=16, seed=4)
    data = npy_bytes(m)
    status = start(client, "v.npy", len(data))
    send_all(client, status["id"], data)
    short = "".join(f"w{i}\n" for i in range(1199)).encode()
    r = client.post("/api/datasets", data={"vectors_upload": status["id"]}, files={"metadata": ("m.tsv", short)})
    assert r.status_code == 400 and r.json()["file"] == "m.tsv", r.text
    kept = client.get(f"/api/uploads/{status['id']}").json()
    assert (kept["received"], kept["size"], kept["filename"]) == (len(data), len(data), "v.npy")
    assert not any((server.data_dir / ".staging").glob("upload-*"))

    fixed = "".join(f"w{i}\n" for i in range(1200)).encode()
    r = client.post("/api/datasets", data={"vectors_upload": status["id"]}, files={"metadata": ("m.tsv", fixed)})
    assert r.status_code == 201, r.text
    assert r.json()["fingerprint"] == fingerprint(m)  # the bytes given back are the bytes sent
    assert client.get(f"/api/uploads/{status['id']}").status_code == 404  # consumed
    assert leftovers(server) == []


def test_parquet_metadata_beside_chunked_vectors(client) -> None:
    m = matrix(n=2000, d=20, seed=9)
    data = npy_bytes(m)
    words = [f"w{i}" for i in range(2000)]
    sink = io.BytesIO()
    pq.write_table(pa.table({"word": words, "size": list(range(2000))}), sink)
    status = start(client, "v.npy", len(data))
    send_all(client, status["id"], data)
    r = client.post("/api/datasets", data={"vectors_upload": status["id"]},
                    files={"metadata": ("meta.parquet", sink.getvalue())})
    assert r.status_code == 201, r.text
    info = r.json()
    assert [(c["name"], c["type"]) for c in info["columns"]] == [("word", "text"), ("size", "numeric")]
    columns = client.get(f"/api/datasets/{info['id']}/metadata").json()["columns"]
    assert columns[0]["values"][:3] == ["w0", "w1", "w2"]

    short = io.BytesIO()
    pq.write_table(pa.table({"word": words[:5]}), short)
    status = start(client, "v.npy", len(data))
    send_all(client, status["id"], data)
    r = client.post("/api/datasets", data={"vectors_upload": status["id"]},
                    files={"metadata": ("short.parquet", short.getvalue())})
    assert r.status_code == 400 and "5 rows" in r.json()["error"] and r.json()["file"] == "short.parquet"
    assert client.delete(f"/api/uploads/{status['id']}").status_code in (200, 204)  # kept for a retry: let it go


def test_strangers_and_crowds_are_refused(server, client) -> None:
    with server.client() as stranger:
        assert stranger.post("/api/uploads", json={"filename": "a.npy", "size": 10}).status_code == 401
        assert stranger.put("/api/uploads/" + "a" * 32, params={"offset": 0}, content=b"x" * 10).status_code == 401
    too_big = client.post("/api/uploads", json={"filename": "a.npy", "size": 10**18})
    assert too_big.status_code == 413
    hostile = client.post("/api/uploads", json={"filename": "../../etc/passwd", "size": 10})
    assert hostile.status_code == 201 and hostile.json()["filename"] == "passwd"
    opened = [hostile.json()["id"]]
    while True:
        r = client.post("/api/uploads", json={"filename": "a.npy", "size": 10})
        if r.status_code != 201:
            break
        opened.append(r.json()["id"])
        assert len(opened) <= 6
    assert r.status_code == 429, r.text
    for upload in opened:
        assert client.delete(f"/api/uploads/{upload}").status_code == 204
    assert client.get("/api/uploads/" + "../x").status_code == 404


def test_a_start_sent_again_with_its_key_answers_the_same_upload(client, server) -> None:
    """The answer to a start was lost, so the client sends it again: one upload, not two."""
    key = "k" * 12 + "-lost-answer"
    first = client.post("/api/uploads", json={"filename": "a.npy", "size": 1000, "key": key})
    again = client.post("/api/uploads", json={"filename": "a.npy", "size": 1000, "key": key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    upload = first.json()["id"]
    assert leftovers(server).count(f"{upload}.json") == 1 and len(leftovers(server)) == 2
    other = client.post("/api/uploads", json={"filename": "b.npy", "size": 1000, "key": key})
    assert other.status_code == 409 and "a.npy" in other.json()["error"]
    for bad in ("short", "x" * 65, "../../etc/passwd-0123456"):
        assert client.post("/api/uploads", json={"filename": "a.npy", "size": 9, "key": bad}).status_code == 422
    assert client.delete(f"/api/uploads/{upload}").status_code == 204
    assert leftovers(server) == []


def age(server: LiveServer, upload: str, seconds: float) -> None:
    """Make an upload look untouched for `seconds` (as if that much time had passed)."""
    record = server.data_dir / ".uploads" / f"{upload}.json"
    fields = json.loads(record.read_text())
    fields["touched"] -= seconds
    record.write_text(json.dumps(fields))


def test_an_upload_that_never_got_a_byte_expires_in_minutes_one_with_bytes_in_a_day(client, server) -> None:
    empty = start(client, "lost.npy", 1000)["id"]
    begun = start(client, "begun.npy", 1000)["id"]
    assert put(client, begun, 0, b"x" * 100).status_code == 200
    for upload in (empty, begun):
        age(server, upload, 11 * 60)  # past the 10 minutes of an unstarted upload
    # A chunk that began is a sign of life, though it failed (here, its digest): no short expiry.
    slow = start(client, "slow.npy", 1000)["id"]
    age(server, slow, 11 * 60)
    refused = client.put(f"/api/uploads/{slow}", params={"offset": 0}, content=b"y" * 100,
                         headers={"Content-Type": "application/octet-stream", "X-Chunk-Sha256": "0" * 64})
    assert refused.status_code == 400
    fresh = start(client, "fresh.npy", 1000)["id"]  # a start sweeps the expired ones
    assert client.get(f"/api/uploads/{slow}").json()["received"] == 0
    assert client.get(f"/api/uploads/{empty}").status_code == 404
    assert client.get(f"/api/uploads/{begun}").json()["received"] == 100
    age(server, begun, 24 * 3600)
    start(client, "later.npy", 1000)
    assert client.get(f"/api/uploads/{begun}").status_code == 404
    assert client.get(f"/api/uploads/{fresh}").status_code == 200
    for name in leftovers(server):
        if name.endswith(".json"):
            assert client.delete(f"/api/uploads/{name[:-5]}").status_code == 204
    assert leftovers(server) == []
