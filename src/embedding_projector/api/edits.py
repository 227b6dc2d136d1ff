"""/api/datasets/{id}/edits: tag rows and edit cells of the metadata, undo, read the log; metadata.tsv."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from embedding_projector.datasets.edits import EditRequest
from embedding_projector.dependencies import DatasetStoreDep, SettingsDep
from embedding_projector.exports import (
    MEDIA_TYPES,
    content_disposition,
    read_columns,
    tensorboard_metadata_chunks,
)
from embedding_projector.public_mode import require_write_access
from embedding_projector.schemas import EditBody, EditLogAnswer, EditResult, UndoResult

router = APIRouter(prefix="/api/datasets", tags=["edits"])

EDIT_VERSION_HEADER = "X-Edit-Version"
VersionQuery = Annotated[
    int | None, Query(ge=0, le=2**31, description="an edit version (0: as uploaded); latest when left out")
]


@router.post("/{dataset_id}/edits", status_code=201, response_model=EditResult)
async def edit_metadata(
    dataset_id: str, body: EditBody, request: Request, store: DatasetStoreDep, settings: SettingsDep
) -> EditResult:
    """Set `value` in `column` at `rows` (a new column name makes a text column) as a new version."""
    require_write_access(request, settings.write_token, "editing metadata")
    edit = EditRequest(column=body.column, rows=body.rows, value=body.value, cell=body.cell)
    entry, column = await run_in_threadpool(store.apply_edit, dataset_id, edit)
    return EditResult(
        version=entry["version"], column=column, value=entry["value"], rows=len(entry["rows"]),
        new_column=entry["new_column"],
    )


@router.post("/{dataset_id}/edits/undo", response_model=UndoResult)
async def undo_edit(dataset_id: str, request: Request, store: DatasetStoreDep, settings: SettingsDep) -> UndoResult:
    """Revert the latest edit not yet undone, as a new entry in the log (409 when there is none)."""
    require_write_access(request, settings.write_token, "undoing a metadata edit")
    return UndoResult.model_validate(await run_in_threadpool(store.undo_edit, dataset_id))


@router.get("/{dataset_id}/edits", response_model=EditLogAnswer)
async def edit_log(dataset_id: str, store: DatasetStoreDep) -> EditLogAnswer:
    """The dataset's edit log, oldest first, and its latest version."""
    entries = await run_in_threadpool(store.edit_entries, dataset_id)
    return EditLogAnswer.model_validate({"version": len(entries), "entries": entries})


@router.get("/{dataset_id}/metadata.tsv")
async def metadata_tsv(dataset_id: str, store: DatasetStoreDep, version: VersionQuery = None) -> StreamingResponse:
    """The metadata with its edits in TensorBoard's metadata.tsv format (a header only for 2+ columns)."""

    def prepare() -> tuple[int, list[dict]]:
        resolved = store.resolve_version(dataset_id, version)
        return resolved, read_columns(store.metadata_path(dataset_id, resolved))

    resolved, columns = await run_in_threadpool(prepare)
    headers = {
        "Content-Disposition": content_disposition(f"{dataset_id}-metadata.tsv"),
        EDIT_VERSION_HEADER: str(resolved),
    }
    return StreamingResponse(tensorboard_metadata_chunks(columns), media_type=MEDIA_TYPES["tsv"], headers=headers)
