"""TensorBoard bookmark files: import one as a new bookmark collection, export a collection as one."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from embedding_projector.api.views import known_id, limited_client
from embedding_projector.dependencies import DatasetStoreDep, JobRunnerDep, SettingsDep, ViewStoreDep, ViewWriteLimitDep
from embedding_projector.errors import InputError
from embedding_projector.datasets.tensorboard_bookmarks import FILENAME
from embedding_projector.exports import content_disposition
from embedding_projector.tensorboard_collections import export_collection, import_file

router = APIRouter(tags=["bookmarks"])

IMPORT_PATH = "/api/datasets/{dataset_id}/bookmarks/tensorboard"


def collection_json(collection: str, edit_key: str, bookmarks: list[dict]) -> str:
    """The import's answer: the new collection, its edit key (this answer only) and its bookmarks."""
    head = json.dumps({"collection": collection, "edit_key": edit_key})
    # States are stored as validated JSON: splice them in rather than parse and re-encode them.
    items = ", ".join(
        f'{json.dumps({k: b[k] for k in ("id", "collection", "dataset", "name", "created")})[:-1]}, "state": {b["state"]}}}'
        for b in bookmarks
    )
    return f'{head[:-1]}, "items": [{items}]}}'


@router.post(
    IMPORT_PATH,
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "array", "items": {"type": "object"}, "description": "TensorBoard's State[] (a bookmarks file)",
    }}}}},
)
async def import_tensorboard_bookmarks(
    dataset_id: str,
    request: Request,
    settings: SettingsDep,
    store: DatasetStoreDep,
    jobs: JobRunnerDep,
    views: ViewStoreDep,
    limit: ViewWriteLimitDep,
    filename: Annotated[
        str | None, Query(max_length=200, description="the file's name, so that errors name it")
    ] = None,
) -> Response:
    """Read a TensorBoard bookmarks file (the raw JSON body) into a new collection of this dataset's bookmarks.

    Each state's coordinates become a given result, so a bookmark opens on exactly that layout. The
    answer carries the collection's edit key, as POST /api/bookmarks does for a new collection.
    """
    client = limited_client(request, settings)
    name = PurePath(filename).name if filename and PurePath(filename).name else FILENAME
    data = await request.body()
    if not data:
        raise InputError(f"{name} is empty; send the bookmarks file's JSON", file=name)

    def run() -> str:
        store.get(dataset_id)  # 404 before any parsing
        with limit.admitted(client):
            done = import_file(data, dataset_id, store, jobs, views, name)
        return collection_json(done.collection, done.edit_key, done.bookmarks)

    body = await run_in_threadpool(run)
    return Response(body, status_code=201, media_type="application/json")


@router.get(
    "/api/bookmarks/{collection}/tensorboard",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "TensorBoard's State[], as a download"}},
)
async def export_tensorboard_bookmarks(
    collection: str,
    store: DatasetStoreDep,
    jobs: JobRunnerDep,
    views: ViewStoreDep,
    dataset: Annotated[str | None, Query(max_length=128, description="whose bookmarks (default: the first's)")] = None,
) -> Response:
    """A collection's bookmarks of one dataset as a TensorBoard bookmarks file, coordinates included."""
    known_id(collection, "bookmark collection")
    body, dataset_id = await run_in_threadpool(export_collection, collection, dataset, store, jobs, views)
    headers = {"Content-Disposition": content_disposition(f"{dataset_id}-bookmarks.json")}
    return Response(body, media_type="application/json", headers=headers)
