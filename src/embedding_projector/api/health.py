"""GET /api/status: the server's version, whether writes need a token, and its worker processes."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from embedding_projector import __version__
from embedding_projector.dependencies import JobRunnerDep, SettingsDep
from embedding_projector.projections.methods import METHODS

router = APIRouter(tags=["status"])


@router.get("/api/status")
async def server_status(jobs: JobRunnerDep, settings: SettingsDep) -> dict[str, object]:
    """Version, write-token mode, projection methods and workers (scripts wait for warm-up here)."""
    # workers_info takes the runner's lock, which a worker replacement may hold for a moment.
    workers = await run_in_threadpool(jobs.workers_info)
    # Whether a token is set, never the token: the page shows its Token field only when it is.
    return {
        "version": __version__,
        "write_token": settings.write_token is not None,
        "methods": sorted(METHODS),
        "workers": workers,
        # The page sends a file larger than chunk_bytes through /api/uploads, in chunks of that size.
        "uploads": {"max_upload_bytes": settings.max_upload_bytes, "chunk_bytes": settings.upload_chunk_bytes},
    }
