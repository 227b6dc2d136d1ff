"""/api/uploads: resumable, chunked uploads of files too large for one request (or sent from Python).

POST opens one (name and size), PUT ?offset= sends each chunk in order (checked by offset, size and an
optional SHA-256), GET says how far it got (to resume), DELETE abandons it. A complete upload is then
named by POST /api/datasets (`vectors_upload=` and so on) instead of sending the file.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from embedding_projector.body_limits import declared_length
from embedding_projector.datasets.chunked_uploads import ChunkedUploads
from embedding_projector.dependencies import SettingsDep
from embedding_projector.errors import InputError
from embedding_projector.public_mode import require_write_access

router = APIRouter(prefix="/api/uploads", tags=["uploads"])
# Bytes gathered from the request stream before one write (and hash) in a worker thread: one thread
# hop per 64 KiB message cost more than the disk write itself.
WRITE_BATCH_BYTES = 4 << 20


class UploadStart(BaseModel):
    """A new upload: the file's name (its extension picks the parser) and its exact size in bytes."""

    filename: str = Field(max_length=1000)
    size: int = Field(ge=1)
    key: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{16,64}$",
        description="a random key the client chose: the same start sent again (its answer was lost) "
        "answers the same upload, with 200",
    )


class UploadState(BaseModel):
    """An upload's progress: send the next chunk at `received`; complete when it equals `size`."""

    id: str
    filename: str
    size: int
    received: int
    chunk_bytes: int


def _uploads(request: Request) -> ChunkedUploads:
    return request.app.state.uploads


def _answer(status: dict[str, object], settings: SettingsDep) -> UploadState:
    return UploadState(**status, chunk_bytes=settings.upload_chunk_bytes)


@router.post("", status_code=201, response_model=UploadState)
async def start_upload(body: UploadStart, request: Request, response: Response, settings: SettingsDep) -> UploadState:
    """Open a resumable upload (201; 200 for a `key` already started); send its bytes with PUT ?offset=."""
    require_write_access(request, settings.write_token, "uploading a dataset")
    status, new = await run_in_threadpool(_uploads(request).start, body.filename, body.size, body.key)
    if not new:
        response.status_code = 200
    return _answer(status.public(), settings)


@router.get("/{upload_id}", response_model=UploadState)
async def upload_status(upload_id: str, request: Request, settings: SettingsDep) -> UploadState:
    """How many bytes of the upload are accepted: resume from `received`."""
    require_write_access(request, settings.write_token, "uploading a dataset")
    status = await run_in_threadpool(_uploads(request).status, upload_id)
    return _answer(status.public(), settings)


def _write(handle: BinaryIO, digest: "hashlib._Hash", pieces: list[bytes]) -> None:
    for piece in pieces:
        digest.update(piece)
        handle.write(piece)


@router.put("/{upload_id}", response_model=UploadState)
async def put_chunk(
    upload_id: str,
    request: Request,
    settings: SettingsDep,
    offset: Annotated[int, Query(ge=0, description="where the chunk starts: the upload's `received`")],
    x_chunk_sha256: Annotated[str | None, Header(max_length=128, description="the chunk's SHA-256, hex")] = None,
) -> UploadState:
    """Append one chunk (the raw body) at `offset`; 409 when that is not where the upload stands."""
    require_write_access(request, settings.write_token, "uploading a dataset")
    uploads = _uploads(request)
    status = await run_in_threadpool(uploads.begin_chunk, upload_id, offset, declared_length(request.headers))
    room = status.size - status.received
    digest = hashlib.sha256()
    written = 0
    try:
        handle = await run_in_threadpool(uploads.open_part, status)
        try:
            pending: list[bytes] = []
            pending_bytes = 0
            async for piece in request.stream():
                if written + pending_bytes + len(piece) > room:
                    raise InputError(f"{status.filename}: the chunk at byte {offset} goes past the declared "
                                     f"size of {status.size} bytes", file=status.filename)
                pending.append(piece)
                pending_bytes += len(piece)
                if pending_bytes >= WRITE_BATCH_BYTES:
                    await run_in_threadpool(_write, handle, digest, pending)
                    written, pending, pending_bytes = written + pending_bytes, [], 0
            if pending:
                await run_in_threadpool(_write, handle, digest, pending)
                written += pending_bytes
        finally:
            await run_in_threadpool(handle.close)
        if written == 0:
            raise InputError(f"{status.filename}: the chunk at byte {offset} is empty", file=status.filename)
    except BaseException:
        uploads.release(upload_id)  # the next chunk cuts the part back to what was accepted
        raise
    done = await run_in_threadpool(uploads.finish_chunk, status, written, digest.hexdigest(), x_chunk_sha256)
    return _answer(done.public(), settings)


@router.delete("/{upload_id}", status_code=204)
async def delete_upload(upload_id: str, request: Request, settings: SettingsDep) -> Response:
    """Abandon an upload and free its disk space."""
    require_write_access(request, settings.write_token, "uploading a dataset")
    await run_in_threadpool(_uploads(request).delete, upload_id)
    return Response(status_code=204)
