"""An ASGI guard on request bodies: a limit that fits the route, upload checks from the headers alone,
and a timeout for a body that stops arriving.

It runs before routing, so a refused body is never parsed or spooled to a temp file (what the client
still sends of it is read and dropped, within a time budget, so that the client gets the answer).
"""

from __future__ import annotations

import asyncio
import json
import re

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embedding_projector.errors import InputError, ProjectorError, RequestTimeout, TooLarge
from embedding_projector.public_mode import require_write_access
from embedding_projector.settings import Settings

UPLOAD_PATH = "/api/datasets"
# An upload may carry vectors, metadata and a sprite, each up to the upload limit, plus form overhead.
FILES_PER_UPLOAD = 3
UPLOAD_SLACK = 1 << 20
# A TensorBoard bookmarks file holds every point's coordinates as JSON numbers, for each state and
# projection computed (~20 bytes a value): 400k points with PCA, t-SNE and UMAP keys fill ~150 MB.
TENSORBOARD_BOOKMARKS_PATH = re.compile(r"/api/datasets/[^/]+/bookmarks/tensorboard/?")
TENSORBOARD_BOOKMARKS_BYTES = 256 << 20
# A vector query carries one d-number vector (~25 bytes a number: 4 MB is a 160k-dimension vector) or
# the rows of a selection (~7 bytes a row: all of a 400k-row dataset).
NEIGHBOR_QUERY_PATH = re.compile(r"/api/datasets/[^/]+/neighbors/?")
NEIGHBOR_QUERY_BYTES = 4 << 20
UPLOAD_CHUNK_PATH = re.compile(r"/api/uploads/[^/]+/?")
# After refusing a body the client is still sending, read and drop it for a while before closing, as
# nginx's lingering close does: closing with unread bytes makes the kernel answer them with a reset,
# which can destroy our answer in the client's buffer before it reads it (httpx and browsers read only
# once they have sent the body). The budget bounds what a stranger can make us read.
LINGER_SECONDS = 5.0
LINGER_IDLE_SECONDS = 1.0


class BodyRefused(HTTPException):
    """Raised from receive() to stop the app reading a body (over the limit, or idle).

    An HTTPException, because FastAPI turns any other error raised while reading a body into a 400;
    Starlette's form parser closes (and so deletes) its temp files on any error from the stream.
    """

    def __init__(self, error: ProjectorError) -> None:
        super().__init__(error.status, error.message)
        self.error = error


def is_upload(scope: Scope) -> bool:
    """Whether a request is a dataset upload (multipart, under the upload limit)."""
    return scope["method"] == "POST" and scope["path"].rstrip("/") == UPLOAD_PATH


def is_upload_chunk(scope: Scope) -> bool:
    """Whether a request is one chunk of a resumable upload (a raw body, under the chunk limit)."""
    return scope["method"] == "PUT" and UPLOAD_CHUNK_PATH.fullmatch(scope["path"]) is not None


def upload_body_limit(settings: Settings) -> int:
    """Largest body an upload may have: every file at the upload limit, plus the form's overhead."""
    return settings.max_upload_bytes * FILES_PER_UPLOAD + UPLOAD_SLACK


def declared_length(headers: Headers) -> int | None:
    """The Content-Length a request declares; None when it has none (a chunked body)."""
    value = headers.get("content-length")
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit():
        raise InputError(f"the Content-Length header {value[:40]!r} is not a number")
    return int(value)


def check_from_headers(scope: Scope, settings: Settings) -> int:
    """Refuse what the headers alone show to be unwanted; answer the body limit for the request."""
    headers = Headers(scope=scope)
    upload = is_upload(scope)
    chunk = is_upload_chunk(scope)
    if upload or chunk:
        # The token is checked here as well as in the route, so a stranger's body is never parsed or stored.
        require_write_access(Request(scope), settings.write_token, "uploading a dataset")
    if upload and headers.get("content-type", "").lower().startswith("multipart/form-data"):
        limit, what = upload_body_limit(settings), "upload"
    elif chunk:
        limit, what = settings.upload_chunk_bytes, "upload chunk"
    elif scope["method"] == "POST" and TENSORBOARD_BOOKMARKS_PATH.fullmatch(scope["path"]):
        limit, what = TENSORBOARD_BOOKMARKS_BYTES, "bookmarks file"
    elif scope["method"] == "POST" and NEIGHBOR_QUERY_PATH.fullmatch(scope["path"]):
        limit, what = NEIGHBOR_QUERY_BYTES, "vector query"
    else:
        limit, what = settings.max_json_bytes, "request body"
    length = declared_length(headers)
    if length is not None and length > limit:
        raise TooLarge(f"the {what} declares {length} bytes, over the limit of {limit} bytes")
    return limit


class RequestBodyGuard:
    """Answer in the shared error shape when a body is unwanted, too large or stalls.

    Header checks (token for uploads, declared size) refuse before a byte of the body is read; a body
    without Content-Length is counted as it arrives and cut off at the limit; a body that sends no
    byte for `settings.body_timeout_seconds` is dropped with a 408 and the connection closed.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            limit = check_from_headers(scope, self.settings)
            app_state = getattr(scope.get("app"), "state", None)
            store = getattr(app_state, "datasets", None) if is_upload(scope) else None
            if store is not None:
                # A full server need not receive the gigabytes it will refuse.
                await run_in_threadpool(store.ensure_room, self.settings.max_datasets)
        except ProjectorError as error:
            # Closing (after a bounded linger) frees the connection; uvicorn would otherwise read and
            # discard the refused body for as long as the client sends it. curl waits on
            # Expect: 100-continue and sends nothing: no linger, and receive() would invite the body.
            expects = Headers(scope=scope).get("expect", "").lower() == "100-continue"
            await _answer(send, error, close=True, linger=None if expects else receive)
            return
        timeout = self.settings.body_timeout_seconds
        received = 0
        body_done = False
        close = False
        linger = False
        started = False

        async def guarded_receive() -> Message:
            nonlocal received, body_done, close, linger
            if body_done:
                # After the body, receive() only waits for the client to leave (event streams).
                return await receive()
            try:
                async with asyncio.timeout(timeout):
                    message = await receive()
            except TimeoutError:
                close = True
                raise BodyRefused(
                    RequestTimeout(f"the request body sent nothing for {timeout:g} s; it was dropped")
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > limit:
                    close = True
                    linger = not body_done
                    raise BodyRefused(TooLarge(f"the request body is over the limit of {limit} bytes"))
            else:
                body_done = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if close:
                    # The rest of the body is unwanted: do not keep the connection waiting for it.
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            elif linger and message["type"] == "http.response.body" and not message.get("more_body", False):
                # The app answered the refusal itself: its last bytes go out, the end waits for the drain.
                await send({**message, "more_body": True})
                await _drop_body(receive)
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except BodyRefused as refused:
            if started:
                raise
            await _answer(send, refused.error, close=close, linger=receive if linger else None)


async def _answer(send: Send, error: ProjectorError, *, close: bool, linger: Receive | None = None) -> None:
    """Send `error` as a JSON answer in the one error shape; with `linger`, drop the rest of the body
    (within the linger budget) before the answer ends and the connection closes."""
    body = json.dumps(error.to_dict()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    if linger is None:
        await send({"type": "http.response.body", "body": body})
        return
    # The answer's bytes go out now; only its end (which closes the connection) waits for the drain.
    await send({"type": "http.response.body", "body": body, "more_body": True})
    await _drop_body(linger)
    await send({"type": "http.response.body", "body": b""})


async def _drop_body(receive: Receive) -> None:
    """Read and drop the request body until it ends, stalls or outlasts the linger budget."""
    try:
        async with asyncio.timeout(LINGER_SECONDS):
            while True:
                async with asyncio.timeout(LINGER_IDLE_SECONDS):
                    message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
    except TimeoutError:
        return
