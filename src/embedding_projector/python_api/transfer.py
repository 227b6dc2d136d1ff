"""Send a dataset to a server: the vectors as raw float32 .npy bytes in resumable chunks, the metadata as
a small Parquet file beside them; one multipart Parquet file for a server without /api/uploads.

The same data sent again to the same server in one session (a re-run cell) shows the dataset it made
before. That is kept here, client-side: a server never hands one stranger's dataset to another. (An
upload's start carries a random key, the client's own, so a start whose answer was lost is sent again.)
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import time
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from embedding_projector.python_api.http_client import Client, ProjectorError
from embedding_projector.python_api.inputs import parquet_bytes

# (server, digest of what was sent) -> dataset id
_uploaded: dict[tuple[str, str], str] = {}
CHUNK_TRIES = 4
RETRY_PAUSES = (0.25, 1.0, 3.0)  # seconds before the 2nd, 3rd and 4th try, as the page waits


def npy_header(shape: tuple[int, int]) -> bytes:
    """The .npy (format 1.0) header of a C-order little-endian float32 matrix of `shape`."""
    header = {"descr": "<f4", "fortran_order": False, "shape": tuple(int(s) for s in shape)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def metadata_parquet(table: pa.Table) -> bytes:
    """The metadata columns as one in-memory Parquet file."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue().to_pybytes()


def _pieces(header: bytes, matrix: np.ndarray, chunk_bytes: int) -> list[tuple[int, bytes]]:
    """The .npy file (header + the matrix's bytes, never joined whole) cut into (offset, chunk) pieces."""
    body = memoryview(matrix).cast("B")
    total = len(header) + len(body)
    pieces = []
    for start in range(0, total, chunk_bytes):
        stop = min(start + chunk_bytes, total)
        if start < len(header):
            chunk = header[start:stop] + body[: max(0, stop - len(header))].tobytes()
        else:
            chunk = body[start - len(header) : stop - len(header)].tobytes()
        pieces.append((start, chunk))
    return pieces


def _chunk_size(client: Client) -> int | None:
    """The server's resumable-upload chunk size; None when it has no /api/uploads (an older server)."""
    try:
        status = client.http.get("/api/status")
    except httpx.HTTPError as exc:
        raise ProjectorError(f"cannot reach {client.base}: {exc}") from None
    if status.status_code != 200:
        return None
    uploads = status.json().get("uploads")
    return int(uploads["chunk_bytes"]) if isinstance(uploads, dict) and "chunk_bytes" in uploads else None


def _start(client: Client, filename: str, size: int) -> str:
    """Open the upload; a start whose answer was lost (dropped, 5xx) is sent again with its key: the same upload."""
    body = {"filename": filename, "size": size, "key": secrets.token_urlsafe(18)}
    for tries in range(1, CHUNK_TRIES + 1):
        try:
            answer = client.http.post("/api/uploads", json=body)
        except httpx.TransportError as exc:
            answer, detail = None, f"the connection dropped ({exc})"
        if answer is not None:
            if answer.status_code in (200, 201):
                return answer.json()["id"]
            detail = client.refusal(answer, "POST /api/uploads")
            if answer.status_code < 500:
                raise ProjectorError(detail)
        if tries == CHUNK_TRIES:
            break
        time.sleep(RETRY_PAUSES[tries - 1])
    raise ProjectorError(f"{client.base} did not open the upload after {CHUNK_TRIES} tries: {detail}")


def _send_chunks(client: Client, filename: str, pieces: list[tuple[int, bytes]], digests: list[str]) -> str:
    """One resumable upload of the pieces; after a dropped connection or a 5xx it resumes from the server's count."""
    size = pieces[-1][0] + len(pieces[-1][1])
    upload = _start(client, filename, size)
    path = f"/api/uploads/{quote(upload)}"
    index, tries = 0, 0
    while index < len(pieces):
        offset, chunk = pieces[index]
        try:
            answer = client.http.put(path, params={"offset": offset}, content=chunk,
                                     headers={"Content-Type": "application/octet-stream",
                                              "X-Chunk-Sha256": digests[index]})
        except httpx.TransportError:
            answer = None
        if answer is not None and answer.status_code == 200:
            index += 1
            continue
        if answer is not None and answer.status_code not in (409,) and answer.status_code < 500:
            raise ProjectorError(client.refusal(answer, f"PUT {path}"))
        tries += 1
        if tries >= CHUNK_TRIES:
            detail = client.refusal(answer, f"PUT {path}") if answer is not None else "the connection dropped"
            raise ProjectorError(f"the upload to {client.base} did not resume after {tries} tries: {detail}")
        time.sleep(RETRY_PAUSES[tries - 1])
        received = client.request("GET", path).json()["received"]
        index = next((i for i, (start, _) in enumerate(pieces) if start == received), None)
        if index is None:
            raise ProjectorError(f"{client.base} holds {received} bytes of the upload, not a chunk boundary")
    return upload


def send_dataset(client: Client, matrix: np.ndarray, table: pa.Table | None, data: dict[str, str],
                 sprite: bytes | None) -> dict[str, Any]:
    """Make the dataset on the server (or find the one this session made of the same data); its description."""
    chunk_bytes = _chunk_size(client)
    meta = None if table is None else metadata_parquet(table)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode())
    if chunk_bytes is None:
        files: dict[str, Any] = {"vectors": ("vectors.parquet", parquet_bytes(matrix, table), "application/octet-stream")}
        pieces: list[tuple[int, bytes]] = []
        digest.update(hashlib.sha256(files["vectors"][1]).digest())
    else:
        files = {} if meta is None else {"metadata": ("metadata.parquet", meta, "application/octet-stream")}
        pieces = _pieces(npy_header(matrix.shape), matrix, chunk_bytes)
        chunk_digests = [hashlib.sha256(chunk).hexdigest() for _, chunk in pieces]
        digest.update("".join(chunk_digests).encode())
        digest.update(b"meta\0" + (b"" if meta is None else hashlib.sha256(meta).digest()))
    if sprite is not None:
        files["sprite"] = ("sprite.png", sprite, "image/png")
        digest.update(b"sprite\0" + hashlib.sha256(sprite).digest())
    key = (client.base, digest.hexdigest())
    known = _uploaded.get(key)
    if known is not None:
        again = client.http.get(f"/api/datasets/{quote(known)}")
        if again.status_code == 200:
            return again.json()
    form = dict(data)
    if pieces:
        form["vectors_upload"] = _send_chunks(client, "vectors.npy", pieces, chunk_digests)
    info = client.request("POST", "/api/datasets", files=files or None, data=form, expect=(201,)).json()
    _uploaded[key] = info["id"]
    return info
