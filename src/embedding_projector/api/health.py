"""GET /api/status: the server's version and its worker processes (busy, warmed up)."""

from __future__ import annotations

from fastapi import APIRouter

from embedding_projector import __version__
from embedding_projector.dependencies import JobRunnerDep
from embedding_projector.projections import METHODS

router = APIRouter(tags=["status"])


@router.get("/api/status")
async def server_status(jobs: JobRunnerDep) -> dict[str, object]:
    """Version, projection methods and workers: lets scripts wait until warm-up has finished."""
    return {"version": __version__, "methods": sorted(METHODS), "workers": jobs.workers_info()}
