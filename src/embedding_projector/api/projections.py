"""Projection jobs: start one on a dataset, read its status, fetch its coordinates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from embedding_projector.dependencies import DatasetStoreDep, JobLimitsDep, JobRunnerDep, SettingsDep
from embedding_projector.errors import InputError, Unprocessable
from embedding_projector.projections import METHODS
from embedding_projector.public_mode import client_id, has_write_access, require_write_access
from embedding_projector.schemas import JobStarted, JobStatus, ProjectionRequest

router = APIRouter(tags=["projections"])


def validate_params(method: str, params: dict[str, Any]) -> BaseModel:
    """The method's parameters with defaults filled in, or a 422 naming the parameter and its limit."""
    module = METHODS.get(method)
    if module is None:
        raise Unprocessable(f"unknown projection method {method!r}; choose one of {', '.join(METHODS)}")
    try:
        return module.Params.model_validate(params)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "params"
            problems.append(f"{method} parameter {where!r}: {err['msg']}")
        raise Unprocessable("; ".join(problems)) from None


def validate_rows(rows: list[int] | None, n: int) -> list[int] | None:
    """Check a row subset: non-empty, unique and inside the dataset."""
    if rows is None:
        return None
    try:
        array = np.asarray(rows, dtype=np.int64)
    except OverflowError:
        at = next(i for i, r in enumerate(rows) if not -(2**63) <= r < 2**63)
        raise InputError(f"rows[{at}] is out of range: the dataset has {n} rows", file="rows") from None
    if array.size == 0:
        raise InputError("rows is empty: isolate at least one point", file="rows")
    bad = np.flatnonzero((array < 0) | (array >= n))
    if bad.size:
        raise InputError(f"rows[{bad[0]}] = {array[bad[0]]} is out of range: the dataset has {n} rows", file="rows")
    if np.unique(array).size != array.size:
        raise InputError("rows holds the same row more than once", file="rows")
    return rows


def check_fits(method: str, params: BaseModel, n_rows: int, column_values: list | None) -> None:
    """Method checks that need the data: sizes (t-SNE perplexity, UMAP neighbours), pattern matches."""
    module = METHODS[method]
    problem = None
    if hasattr(module, "check_fits"):
        problem = module.check_fits(params, n_rows)
    if problem is None and column_values is not None:
        problem = module.check_matches(params, column_values)
    if problem is not None:
        raise Unprocessable(problem)


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
    info = await run_in_threadpool(store.get, dataset_id)
    if not info.public:
        require_write_access(http, settings.write_token, f"projecting dataset {dataset_id!r}")
    # Per-client limits guard a public instance from strangers; the token holder is trusted.
    client = None if has_write_access(http, settings.write_token) else client_id(http)
    if client is not None:
        limits.check(client, lambda job: jobs.status(job).status in ("queued", "running"))
    params = validate_params(request.method, request.params)
    rows = await run_in_threadpool(validate_rows, request.rows, info.n)
    column_values = None
    if getattr(METHODS[request.method], "NEEDS_COLUMN", False):
        column_values = await run_in_threadpool(store.column_values, dataset_id, params.column)
    check_fits(request.method, params, info.n if rows is None else len(rows), column_values)
    submission = await run_in_threadpool(
        jobs.submit,
        dataset_id,
        info.fingerprint,
        store.vectors_path(dataset_id),
        request.method,
        params.model_dump(mode="json"),
        rows,
        store.metadata_path(dataset_id),
        request.sphereize,
    )
    status = submission.status
    if status.status == "done":
        response.status_code = 200
    elif client is not None:
        limits.started(client, status.id)
    return JobStarted(**status.model_dump(), cancel_key=submission.cancel_key)


@router.get("/api/projections/{job_id}", response_model=JobStatus)
async def projection_status(job_id: str, jobs: JobRunnerDep) -> JobStatus:
    """A job's status, progress and, once done, its shape and method extras."""
    return await run_in_threadpool(jobs.status, job_id)


@router.get("/api/projections/{job_id}/coords")
async def projection_coords(job_id: str, jobs: JobRunnerDep) -> FileResponse:
    """The finished coordinates as little-endian float32 bytes, row-major, shape in X-Shape."""
    path, shape = await run_in_threadpool(jobs.coords_path, job_id)
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"X-Shape": ",".join(str(s) for s in shape), "Cache-Control": "no-cache"},
    )


@router.delete("/api/projections/{job_id}", response_model=JobStatus)
async def cancel_projection(job_id: str, jobs: JobRunnerDep) -> JobStatus:
    """Cancel a job: a queued one is dropped, a running one's worker process is killed."""
    return await run_in_threadpool(jobs.cancel, job_id)


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


@router.get("/api/projections/{job_id}/events")
async def projection_events(job_id: str, jobs: JobRunnerDep) -> StreamingResponse:
    """Server-Sent Events: one JSON status per change, ending with the final status.

    A status whose `snapshot` number grew means new intermediate coordinates wait at /snapshot.
    """
    loop = asyncio.get_running_loop()
    changes: asyncio.Queue[JobStatus] = asyncio.Queue()

    def listener(status: JobStatus, _snapshot: object) -> None:
        loop.call_soon_threadsafe(changes.put_nowait, status)

    first = await run_in_threadpool(jobs.subscribe, job_id, listener)

    async def stream() -> AsyncIterator[str]:
        seq, status = 0, first
        try:
            yield _sse(status, seq)
            while status.status in ("queued", "running"):
                try:
                    status = await asyncio.wait_for(changes.get(), timeout=KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                while not changes.empty():  # a slow reader gets the newest state, not a backlog
                    status = changes.get_nowait()
                seq += 1
                yield _sse(status, seq)
        finally:
            jobs.unsubscribe(job_id, listener)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
