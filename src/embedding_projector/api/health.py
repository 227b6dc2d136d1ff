"""GET /api/status: the server's version and its worker processes (busy, warmed up)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from embedding_projector import __version__
from embedding_projector.dependencies import JobRunnerDep
from embedding_projector.projections import METHODS

router = APIRouter(tags=["status"])


@router.get("/api/status")
async def server_status(jobs: JobRunnerDep) -> dict[str, object]:
    """Version, projection methods and workers: lets scripts wait until warm-up has finished."""
    # workers_info takes the runner's lock, which a worker replacement may hold for a moment.
    workers = await run_in_threadpool(jobs.workers_info)
    return {"version": __version__, "methods": sorted(METHODS), "workers": workers}
