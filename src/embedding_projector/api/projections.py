"""Projection jobs: start one on a dataset, read its status, fetch its coordinates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from embedding_projector.dependencies import DatasetStoreDep, JobLimitsDep, JobRunnerDep, SettingsDep
from embedding_projector.jobs.admission import admit_projection, validate_rows  # noqa: F401 - exports.py imports it
from embedding_projector.jobs.result_reads import leading_columns
from embedding_projector.public_mode import has_write_access
from embedding_projector.schemas import JobStarted, JobStatus, ProjectionRequest

router = APIRouter(tags=["projections"])
MAX_COLUMNS = 4096  # a bound for the query, far above any projection's


@router.post("/api/datasets/{dataset_id}/projections", status_code=202, response_model=JobStarted)
async def start_projection(
    dataset_id: str,
    request: ProjectionRequest,
    http: Request,
    response: Response,
    settings: SettingsDep,
    limits: JobLimitsDep,
    store: DatasetStoreDep,
    jobs: JobRunnerDep,
) -> JobStarted:
    """Start a projection job (or return the running or cached one with the same inputs)."""
    admitted = await admit_projection(dataset_id, request, http, settings, limits, store, jobs)
    response.status_code = admitted.status_code
    return admitted.started


@router.get("/api/projections/{job_id}", response_model=JobStatus)
async def projection_status(job_id: str, jobs: JobRunnerDep) -> JobStatus:
    """A job's status, progress and, once done, its shape and method extras."""
    return await run_in_threadpool(jobs.status, job_id)


@router.get("/api/projections/{job_id}/coords", response_model=None)
async def projection_coords(
    job_id: str,
    jobs: JobRunnerDep,
    columns: Annotated[int | None, Query(ge=1, le=MAX_COLUMNS, description=(
        "only the first this many columns (a large PCA's first view needs 3 of its 10 components)"))] = None,
) -> FileResponse | Response:
    """The finished coordinates as little-endian float32 bytes, row-major, shape in X-Shape and the
    result's full column count in X-Columns."""
    path, shape = await run_in_threadpool(jobs.coords_path, job_id)
    if columns is not None and columns < shape[1]:
        body = await run_in_threadpool(leading_columns, path, shape, columns)
        return Response(body, media_type="application/octet-stream",
                        headers=coords_headers([shape[0], columns], shape[1]))
    return FileResponse(path, media_type="application/octet-stream", headers=coords_headers(shape, shape[1]))


def coords_headers(shape: list[int], columns: int) -> dict[str, str]:
    """The headers of a coordinates answer: its shape, the result's column count, no caching."""
    return {"X-Shape": ",".join(str(s) for s in shape), "X-Columns": str(columns), "Cache-Control": "no-cache"}


@router.delete("/api/projections/{job_id}", response_model=JobStatus)
async def cancel_projection(
    job_id: str,
    http: Request,
    settings: SettingsDep,
    jobs: JobRunnerDep,
    x_cancel_key: Annotated[
        str | None, Header(max_length=64, description="the cancel_key this client's start answered")
    ] = None,
) -> JobStatus:
    """Cancel a job: a queued one is dropped, a running one's worker process is killed.

    Needs the write token or this client's cancel key. A job that several clients started runs on
    until each of them has cancelled it (the answer then still says queued or running).
    """
    privileged = has_write_access(http, settings.write_token)
    return await run_in_threadpool(jobs.cancel, job_id, cancel_key=x_cancel_key, privileged=privileged)


@router.get("/api/projections/{job_id}/snapshot")
async def projection_snapshot(job_id: str, jobs: JobRunnerDep) -> Response:
    """The latest intermediate coordinates of a running job, float32 bytes like /coords."""
    data, shape, seq = await run_in_threadpool(jobs.snapshot, job_id)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"X-Shape": ",".join(str(s) for s in shape), "X-Snapshot": str(seq), "Cache-Control": "no-store"},
    )


KEEP_ALIVE_SECONDS = 15.0


def _sse(status: JobStatus, seq: int) -> str:
    return f"id: {seq}\ndata: {status.model_dump_json()}\n\n"


def _newest(changes: asyncio.Queue[JobStatus], status: JobStatus) -> JobStatus:
    """The last status waiting in `changes` (emptying it), or `status` when none waits."""
    while not changes.empty():  # a slow reader gets the newest state, not a backlog
        status = changes.get_nowait()
    return status


@router.get("/api/projections/{job_id}/events")
async def projection_events(job_id: str, jobs: JobRunnerDep) -> StreamingResponse:
    """Server-Sent Events: one JSON status per change, ending with the final status.

    A status whose `snapshot` number grew means new intermediate coordinates wait at /snapshot.
    On SIGTERM the runner fails every unfinished job as interrupted, so every stream ends at once
    and uvicorn has no open connection to wait for. On the shared queue the jobs run on, so the
    stream just ends (the runner is closed) and the page's EventSource reconnects to another replica.
    """
    loop = asyncio.get_running_loop()
    changes: asyncio.Queue[JobStatus] = asyncio.Queue()

    def listener(status: JobStatus, _snapshot: object) -> None:
        loop.call_soon_threadsafe(changes.put_nowait, status)

    first = await run_in_threadpool(jobs.subscribe, job_id, listener)

    async def stream() -> AsyncIterator[str]:
        seq, status = 0, first
        try:
            # A dropped stream (its replica gone) is retried after 1 s, not the browser's default 3 s.
            yield "retry: 1000\n" + _sse(status, seq)
            while status.status in ("queued", "running") and not jobs.closed:
                try:
                    status = await asyncio.wait_for(changes.get(), timeout=KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                status = _newest(changes, status)
                seq += 1
                yield _sse(status, seq)
            if status.status in ("queued", "running"):
                # Closed: the in-process runner failed every job before it said so, and the
                # listener's put_nowait calls already wait on the loop; one turn lets them land.
                await asyncio.sleep(0)
                if not changes.empty():
                    status = _newest(changes, status)
                    seq += 1
                    yield _sse(status, seq)
        finally:
            jobs.unsubscribe(job_id, listener)  # on the loop: a list removal under a lock never held long

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
