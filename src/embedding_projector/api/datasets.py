"""/api/datasets: list, upload, describe, metadata and delete."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path, PurePath

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from embedding_projector.datasets.parse_metadata import parse_metadata
from embedding_projector.datasets.parse_vectors import parse_vectors
from embedding_projector.dependencies import DatasetStoreDep, JobRunnerDep, SettingsDep
from embedding_projector.errors import InputError, TooLarge
from embedding_projector.schemas import DatasetInfo, DatasetSummary

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


def _display_name(upload: UploadFile, fallback: str) -> str:
    return PurePath(upload.filename or fallback).name or fallback


def _check_size(upload: UploadFile, name: str, limit: int) -> None:
    if upload.size is not None and upload.size > limit:
        raise TooLarge(f"{name} is {upload.size} bytes, over the upload limit of {limit} bytes", file=name)
    if upload.size == 0:
        raise InputError(f"{name} is empty", file=name)


def _spool(upload: UploadFile, staging: Path) -> Path:
    """Copy an upload to a private staging file so parsers can stream it from disk."""
    staging.mkdir(parents=True, exist_ok=True)
    path = staging / f"upload-{secrets.token_hex(8)}"
    upload.file.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(upload.file, out, length=1 << 20)
    return path


@router.get("", response_model=list[DatasetSummary])
async def list_datasets(store: DatasetStoreDep) -> list[DatasetSummary]:
    """Every dataset: id, name, n and dim."""
    return await run_in_threadpool(store.list)


@router.post("", status_code=201, response_model=DatasetInfo)
async def upload_dataset(
    store: DatasetStoreDep,
    settings: SettingsDep,
    vectors: UploadFile = File(description="vectors.tsv (TensorBoard format) or .npy"),
    metadata: UploadFile | None = File(None, description="metadata.tsv (TensorBoard format)"),
    name: str | None = Form(None),
) -> DatasetInfo:
    """Parse the uploaded files and store them as a new dataset, all or nothing."""
    vectors_name = _display_name(vectors, "vectors")
    metadata_name = _display_name(metadata, "metadata") if metadata is not None else None
    _check_size(vectors, vectors_name, settings.max_upload_bytes)
    if metadata is not None and metadata_name is not None:
        _check_size(metadata, metadata_name, settings.max_upload_bytes)
    dataset_name = name if name is not None and name.strip() else PurePath(vectors_name).stem

    def build() -> DatasetInfo:
        spooled: list[Path] = []
        try:
            spooled.append(_spool(vectors, store.staging))
            matrix = parse_vectors(spooled[-1], vectors_name)
            meta = None
            if metadata is not None and metadata_name is not None:
                spooled.append(_spool(metadata, store.staging))
                meta = parse_metadata(spooled[-1], metadata_name, expected_rows=matrix.shape[0])
            return store.create(dataset_name, matrix, meta, metadata_file=metadata_name or "metadata")
        finally:
            for path in spooled:
                path.unlink(missing_ok=True)

    return await run_in_threadpool(build)


@router.get("/{dataset_id}", response_model=DatasetInfo)
async def describe_dataset(dataset_id: str, store: DatasetStoreDep) -> DatasetInfo:
    """One dataset's description: n, dim and typed columns."""
    return await run_in_threadpool(store.get, dataset_id)


@router.get("/{dataset_id}/metadata")
async def dataset_metadata(dataset_id: str, store: DatasetStoreDep) -> FileResponse:
    """All metadata columns with their values: {"columns": [{"name", "type", "values"}]}."""
    path = await run_in_threadpool(store.metadata_path, dataset_id)
    return FileResponse(path, media_type="application/json")


@router.delete("/{dataset_id}", status_code=204)
async def delete_dataset(dataset_id: str, store: DatasetStoreDep, jobs: JobRunnerDep) -> Response:
    """Delete a dataset and its cached projections."""
    await run_in_threadpool(store.delete, dataset_id)
    await run_in_threadpool(jobs.forget_dataset, dataset_id)
    return Response(status_code=204)


