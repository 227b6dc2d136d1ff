"""`embedding-projector push`: upload local files to a (hosted) server and return the dataset's link."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import httpx


class PushError(Exception):
    """A push that failed for a reason the user can act on; the message says which."""


def push(
    vectors: Path,
    metadata: Path | None,
    to: str,
    token: str | None,
    name: str | None = None,
    public: bool = False,
    timeout: float = 600,
) -> str:
    """Upload `vectors` (and `metadata`) to the server at `to`; return the link to the new dataset."""
    base = to.rstrip("/")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = {"public": "true" if public else "false"}
    if name:
        data["name"] = name
    with ExitStack() as stack:
        try:
            files = {"vectors": (vectors.name, stack.enter_context(open(vectors, "rb")))}
            if metadata is not None:
                files["metadata"] = (metadata.name, stack.enter_context(open(metadata, "rb")))
        except OSError as exc:
            raise PushError(f"cannot read {exc.filename}: {exc.strerror}") from None
        try:
            response = httpx.post(f"{base}/api/datasets", files=files, data=data, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise PushError(f"cannot reach {base}: {exc}") from None
    try:
        body = response.json()
    except ValueError:
        raise PushError(f"{base} answered {response.status_code} without a JSON body: is it an Embedding Projector?") from None
    if response.status_code in (401, 403):
        raise PushError(f"{base} refused the upload ({response.status_code}): {body.get('error')}; check --token")
    if response.status_code != 201:
        raise PushError(f"{base} refused the upload ({response.status_code}): {body.get('error')}")
    return body.get("url") or f"{base}/?dataset={body['id']}"
