"""Downloads: a finished projection with its metadata (TSV, CSV, .npy), a selection's metadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from embedding_projector.analysis.cluster_export import cluster_column
from embedding_projector.api.edits import VersionQuery
from embedding_projector.api.projections import validate_rows
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.dependencies import DatasetStoreDep, JobRunnerDep
from embedding_projector.errors import Conflict
from embedding_projector.exports import (
    MEDIA_TYPES,
    ExportFormat,
    check_columns,
    content_disposition,
    coordinate_names,
    distinct_headers,
    export_filename,
    npy_bytes,
    read_columns,
    table_chunks,
)
from embedding_projector.jobs.runner import JobRunner
from embedding_projector.schemas import SelectionExport

router = APIRouter(tags=["exports"])


def _projection_body(
    jobs: JobRunner, store: DatasetStore, job_id: str, fmt: ExportFormat, version: int | None = None,
    clusters: str | None = None,
) -> tuple[str, bytes | Iterator[bytes]]:
    """The download's file name and body (bytes for .npy, lazy chunks for a table); 404/409 first."""
    status = jobs.status(job_id)
    path, shape = jobs.coords_path(job_id)
    rows = jobs.result_rows(job_id)
    coords = np.fromfile(path, dtype="<f4").reshape(shape)
    filename = export_filename(status.dataset, status.method, fmt)
    if fmt == "npy":
        return filename, npy_bytes(coords)
    info = store.get(status.dataset)
    columns = read_columns(store.metadata_path(status.dataset, version))
    try:
        check_columns(columns, info.n)
    except ValueError as exc:
        raise Conflict(f"dataset {status.dataset} does not match projection {job_id}: {exc}") from None
    if clusters is not None:  # the page's "cluster" column, after the metadata
        columns = [*columns, cluster_column(jobs, clusters, status.dataset, info.n)]
    coord_names = coordinate_names(status.method, shape[1])
    layout_columns = status.params.get("source", "").split(",") if status.method == "given" else []
    chunks = table_chunks(
        fmt,
        distinct_headers(columns, coord_names, layout_columns),
        rows,
        coords=coords,
        coord_names=coord_names,
        row_column=rows is not None,
    )
    return filename, chunks


@router.get("/api/projections/{job_id}/export")
async def export_projection(
    job_id: str,
    jobs: JobRunnerDep,
    store: DatasetStoreDep,
    fmt: Annotated[ExportFormat, Query(alias="format")] = "tsv",
    version: VersionQuery = None,
    clusters: Annotated[str | None, Query(max_length=64, description="a clusters job: adds its 'cluster' column")] = None,
) -> Response:
    """A finished projection as a download: coordinates + metadata (tsv, csv; with the edits at
    `version`, else the latest; plus a clusters job's column) or coordinates (npy)."""
    filename, body = await run_in_threadpool(_projection_body, jobs, store, job_id, fmt, version, clusters)
    headers = {"Content-Disposition": content_disposition(filename)}
    if isinstance(body, bytes):
        return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
    # A plain iterator: Starlette pulls each chunk in a worker thread, off the event loop.
    return StreamingResponse(body, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.post("/api/datasets/{dataset_id}/export")
async def export_selection(
    dataset_id: str, request: SelectionExport, store: DatasetStoreDep, version: VersionQuery = None
) -> StreamingResponse:
    """The metadata (with the edits at `version`, else the latest) of the given rows, in the given
    order, as a TSV (or CSV) download."""

    def prepare() -> Iterator[bytes]:
        info = store.get(dataset_id)
        rows = validate_rows(request.rows, info.n)
        columns = read_columns(store.metadata_path(dataset_id, version))
        check_columns(columns, info.n)
        return table_chunks(request.format, columns, np.asarray(rows, dtype=np.int64))

    chunks = await run_in_threadpool(prepare)
    filename = export_filename(dataset_id, "selection", request.format)
    headers = {"Content-Disposition": content_disposition(filename)}
    return StreamingResponse(chunks, media_type=MEDIA_TYPES[request.format], headers=headers)
