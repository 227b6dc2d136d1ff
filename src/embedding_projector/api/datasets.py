"""/api/datasets: list, upload, describe, metadata, sprite and delete."""

from __future__ import annotations

import contextlib
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from embedding_projector.datasets.given_coords import assemble
from embedding_projector.datasets.parse_sprite import parse_sprite, parse_sprite_dim
from embedding_projector.datasets.parse_vectors import parse_data_file, parse_metadata_file
from embedding_projector.dependencies import DatasetStoreDep, JobRunnerDep, SettingsDep
from embedding_projector.errors import InputError, ProjectorError, TooLarge
from embedding_projector.public_mode import has_write_access, require_write_access
from embedding_projector.schemas import DatasetInfo, DatasetSummary

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


@dataclass(frozen=True)
class _Source:
    """One file of an upload: sent in the form (`upload`), or a complete resumable upload (`upload_id`)."""

    name: str
    upload: UploadFile | None = None
    upload_id: str | None = None


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
async def list_datasets(request: Request, store: DatasetStoreDep, settings: SettingsDep) -> list[DatasetSummary]:
    """Every dataset (only the public ones for a client without the write token): id, name, n, dim."""
    public_only = not has_write_access(request, settings.write_token)
    return await run_in_threadpool(lambda: store.list(public_only=public_only))


@router.post("", status_code=201, response_model=DatasetInfo)
async def upload_dataset(
    request: Request,
    store: DatasetStoreDep,
    settings: SettingsDep,
    vectors: UploadFile | None = File(
        None, description="vectors.tsv (TensorBoard format), .npy, .npz or .parquet; optional with x, y coordinates"
    ),
    metadata: UploadFile | None = File(
        None, description="metadata.tsv (TensorBoard format) or .csv with a header; x, y (z) columns are a given layout"
    ),
    sprite: UploadFile | None = File(None, description="sprite sheet (PNG or JPEG), one image per row"),
    sprite_dim: str | None = Form(None, description="one image's size in pixels: 28 or 28,28"),
    name: str | None = Form(None),
    vector_column: str | None = Form(None, description="the Parquet column or .npz array holding the vectors"),
    public: bool = Form(False, description="list it to everyone and let anyone project it"),
    vectors_upload: str | None = Form(None, max_length=64, description="a complete /api/uploads id, instead of `vectors`"),
    metadata_upload: str | None = Form(None, max_length=64, description="a complete /api/uploads id, instead of `metadata`"),
    sprite_upload: str | None = Form(None, max_length=64, description="a complete /api/uploads id, instead of `sprite`"),
) -> DatasetInfo:
    """Parse the uploaded files and store them as a new dataset, all or nothing.

    A Parquet `vectors` file brings its own metadata (its other columns), so it comes alone.
    Columns x, y (and z) of the metadata (or of the Parquet file) are a given layout; with them the
    vectors may be left out, and the coordinates are then the vectors (`coords_only`).
    """
    require_write_access(request, settings.write_token, "uploading a dataset")
    uploads = request.app.state.uploads
    sources: dict[str, _Source] = {}
    for field, upload, upload_id in (
        ("vectors", vectors, vectors_upload), ("metadata", metadata, metadata_upload), ("sprite", sprite, sprite_upload)
    ):
        if upload is not None and upload_id:
            raise InputError(f"send {field} as a file or name its upload ({field}_upload), not both", file=field)
        if upload is not None:
            name_ = _display_name(upload, field)
            _check_size(upload, name_, settings.max_upload_bytes)
            sources[field] = _Source(name_, upload=upload)
        elif upload_id:
            status = await run_in_threadpool(uploads.status, upload_id)
            sources[field] = _Source(status.filename, upload_id=upload_id)
    if "vectors" not in sources and "metadata" not in sources:
        raise InputError(
            "upload a vectors file, or a metadata.tsv with x and y coordinate columns", file="vectors"
        )
    vectors_name = sources["vectors"].name if "vectors" in sources else None
    metadata_name = sources["metadata"].name if "metadata" in sources else None
    cell = parse_sprite_dim(sprite_dim) if "sprite" in sources else None
    first_file = vectors_name or metadata_name or "dataset"
    dataset_name = name if name is not None and name.strip() else PurePath(first_file).stem
    await run_in_threadpool(store.ensure_room, settings.max_datasets)

    def build() -> DatasetInfo:
        spooled: list[Path] = []  # the form's files, written to staging
        taken: dict[str, tuple[Path, str]] = {}  # upload id -> (its bytes in staging, its file name)
        made, blamed = False, None

        def local(field: str) -> Path:
            source = sources[field]
            if source.upload is not None:
                spooled.append(_spool(source.upload, store.staging))
                return spooled[-1]
            taken[source.upload_id] = uploads.take(source.upload_id, store.staging)
            return taken[source.upload_id][0]

        try:
            matrix, meta, coords_file = None, None, first_file
            if vectors_name is not None:
                matrix, meta = parse_data_file(local("vectors"), vectors_name, vector=vector_column or None)
            if metadata_name is not None:
                coords_file = metadata_name
                if meta is not None:
                    raise InputError(
                        f"{metadata_name}: {vectors_name} already carries metadata columns; "
                        "upload it without a metadata file",
                        file=metadata_name,
                    )
                rows = None if matrix is None else matrix.shape[0]
                meta = parse_metadata_file(local("metadata"), metadata_name, expected_rows=rows)
            from_tsv = coords_file == metadata_name and not metadata_name.lower().endswith(".parquet")
            data = assemble(
                matrix, meta, coords_file, first_line=2 if from_tsv else 1, row_word="line" if from_tsv else "row"
            )
            sheet, sprite_file = None, None
            if "sprite" in sources and cell is not None:
                sprite_file = local("sprite")
                sheet = parse_sprite(
                    sprite_file, sources["sprite"].name, rows=data.vectors.shape[0], cell=cell,
                    max_pixels=settings.max_sprite_pixels,
                )
            info = store.create(
                dataset_name,
                data.vectors,
                meta,
                metadata_file=metadata_name or first_file,
                sprite=None if sheet is None else (sprite_file, sheet),
                public=public,
                given=data.given,
                coords_only=data.coords_only,
            )
            made = True
            return info
        except ProjectorError as exc:
            blamed = exc.file
            raise
        finally:
            for path in spooled:
                path.unlink(missing_ok=True)
            for upload_id, (path, filename) in taken.items():
                if made or filename == blamed:
                    path.unlink(missing_ok=True)
                elif path.exists():  # refused for another file: it waits, complete, for the next form
                    uploads.give_back(upload_id, path, filename)
            if made:  # a complete upload the dataset had no use for (a sprite without its cell size)
                for source in sources.values():
                    if source.upload_id is not None and source.upload_id not in taken:
                        with contextlib.suppress(ProjectorError):
                            uploads.take(source.upload_id, store.staging)[0].unlink(missing_ok=True)

    info = await run_in_threadpool(build)
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    return info.model_copy(update={"url": f"{base}/?dataset={info.id}"})


@router.get("/{dataset_id}", response_model=DatasetInfo)
async def describe_dataset(dataset_id: str, store: DatasetStoreDep) -> DatasetInfo:
    """One dataset's description: n, dim and typed columns."""
    return await run_in_threadpool(store.get, dataset_id)


@router.get("/{dataset_id}/metadata")
async def dataset_metadata(
    dataset_id: str,
    store: DatasetStoreDep,
    version: Annotated[
        int | None, Query(ge=0, le=2**31, description="an edit version (0: as uploaded); latest when left out")
    ] = None,
) -> FileResponse:
    """All metadata columns with their values at an edit version: {"columns": [{"name", "type", "values"}]}.

    The header X-Edit-Version names the version served.
    """

    def locate() -> tuple[int, Path]:
        resolved = store.resolve_version(dataset_id, version)
        return resolved, store.metadata_path(dataset_id, resolved)

    resolved, path = await run_in_threadpool(locate)
    return FileResponse(path, media_type="application/json", headers={"X-Edit-Version": str(resolved)})


@router.get("/{dataset_id}/sprite")
async def dataset_sprite(dataset_id: str, store: DatasetStoreDep) -> FileResponse:
    """The dataset's sprite sheet as uploaded (image/png or image/jpeg); 404 when it has none."""
    path, media_type = await run_in_threadpool(store.sprite_file, dataset_id)
    return FileResponse(path, media_type=media_type)


@router.delete("/{dataset_id}", status_code=204)
async def delete_dataset(
    dataset_id: str, request: Request, store: DatasetStoreDep, jobs: JobRunnerDep, settings: SettingsDep
) -> Response:
    """Delete a dataset and its cached projections."""
    require_write_access(request, settings.write_token, f"deleting dataset {dataset_id!r}")
    await run_in_threadpool(store.delete, dataset_id)
    await run_in_threadpool(jobs.forget_dataset, dataset_id)
    return Response(status_code=204)


