"""Shared views and bookmark collections: store a page state, read it back, open it at /v/{id}.

Every handler does its work (validation, JSON, SQL) in one thread call: a state can carry a
million-row selection, and none of that may run on the event loop.
"""

from __future__ import annotations

import json
import re
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from embedding_projector.analysis.cluster_export import check_clusters_job
from embedding_projector.analysis.clusters import CLUSTER_COLUMN
from embedding_projector.analysis.compare import OVERLAP_COLUMN
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.dependencies import DatasetStoreDep, JobRunnerDep, SettingsDep, ViewStoreDep, ViewWriteLimitDep
from embedding_projector.errors import Forbidden, InputError, NotFound, Unauthorized
from embedding_projector.jobs.runner import JobRunner
from embedding_projector.public_mode import client_id, has_write_access
from embedding_projector.schemas import Bookmark, BookmarkRequest, BookmarkSaved, ViewCreated, ViewState
from embedding_projector.tensorboard_collections import attach_named
from embedding_projector.view_store import ViewStore

router = APIRouter(tags=["views"])

EDIT_KEY_HEADER = "X-Edit-Key"
CAN_EDIT_HEADER = "X-Can-Edit"
EditKey = Annotated[
    str | None,
    Header(
        alias=EDIT_KEY_HEADER,
        max_length=256,
        description="the collection's edit key (from the answer that created it); or send the write token",
    ),
]


# Ids the server makes are URL-safe base64; anything else names nothing (and never reaches SQL).
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def known_id(value: str, what: str) -> str:
    """`value`, when it has the form of a server-made id; else NotFound."""
    if not _ID.fullmatch(value):
        raise NotFound(f"no {what} {value[:64]!r}")
    return value


def _rows_problem(rows: list[int], n: int) -> str | None:
    seen: set[int] = set()
    for r in rows:
        if not 0 <= r < n:
            return f"holds row {r}, outside the dataset's {n} rows"
        if r in seen:
            return f"holds row {r} twice; rows must be unique"
        seen.add(r)
    return None


def clusters_view_columns(job: str, dataset: str, jobs: JobRunner) -> set[str]:
    """The derived column a view's clusters add ("cluster"); 400 unless a finished clusters job of `dataset`."""
    check_clusters_job(jobs, job, dataset, "clusters.job")
    return {CLUSTER_COLUMN}


def check_view(state: ViewState, store: DatasetStore, jobs: JobRunner) -> None:
    """A view must name an existing dataset, an edit version it has, its columns at that version, unique
    rows inside it, and a finished stored projection."""
    info = store.get(state.dataset)
    for field, rows in (("selection", state.selection), ("isolated", state.isolated or [])):
        problem = _rows_problem(rows, info.n)
        if problem:
            raise InputError(f"{field} {problem}", file=field)
    if state.edit_version is not None and state.edit_version > info.version:
        raise InputError(
            f"editVersion {state.edit_version} does not exist: dataset {state.dataset!r} is at edit "
            f"version {info.version}",
            file="editVersion",
        )
    # A column made by an edit exists from its version on: check the names against that version.
    at_version = info.columns if state.edit_version is None else store.columns_at(state.dataset, state.edit_version)
    columns = {c.name for c in at_version}
    if state.clusters is not None:
        columns |= clusters_view_columns(state.clusters.job, state.dataset, jobs)
    if state.compare is not None:
        columns.add(OVERLAP_COLUMN)  # the comparison's per-point overlap, which the view's compare brings back
    search_column = state.search.column if state.search is not None else None
    for field, column in (("colorBy", state.color_by), ("labelBy", state.label_by), ("search.column", search_column)):
        if column is not None and column not in columns:
            where = "" if state.edit_version is None else f" at edit version {state.edit_version}"
            raise InputError(f"{field} names no column of dataset {state.dataset!r}{where}", file=field)
    if state.compare is not None:
        try:
            store.get(state.compare.dataset)
        except NotFound:
            raise InputError(f"compare.dataset: no dataset {state.compare.dataset!r}", file="compare.dataset") from None
    job = state.projection.job if state.projection is not None else None
    if job is not None:
        try:
            status = jobs.status(job)
        except NotFound:
            raise InputError(f"projection result {job!r} does not exist", file="projection.job") from None
        expected_rows = None if state.isolated is None else len(state.isolated)
        if status.status != "done" or status.dataset != state.dataset or status.rows != expected_rows:
            raise InputError(
                f"projection result {job!r} is {status.status}, or belongs to another dataset or "
                "another set of isolated points; share a finished projection of the points shown",
                file="projection.job",
            )


# Optional fields of issue 13, left out of a stored view when null, so a view without them reads as before.
ANALYSIS_FIELDS = ("compare", "clusters")


def view_json(state: ViewState) -> str:
    """The JSON a view or bookmark is stored as; analysis fields only when the view has them."""
    exclude = {name for name in ANALYSIS_FIELDS if getattr(state, name) is None}
    return state.model_dump_json(by_alias=True, exclude=exclude or None)


def public_base(request: Request, settings: SettingsDep) -> str:
    """The base URL links are made with: PROJECTOR_PUBLIC_URL, else the request's own."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def limited_client(request: Request, settings: SettingsDep) -> str | None:
    """The client whose writes are rate-limited; None for the token holder (exempt)."""
    return None if has_write_access(request, settings.write_token) else client_id(request)


def require_edit_access(
    views: ViewStore, collection: str, edit_key: str | None, request: Request, settings: SettingsDep
) -> None:
    """404 for an unknown collection; else 401 without the edit key or token, 403 for a wrong key."""
    known_id(collection, "bookmark collection")
    if views.edit_key_matches(collection, edit_key) or has_write_access(request, settings.write_token):
        return
    if edit_key is None:
        raise Unauthorized(
            f"changing a bookmark collection needs its edit key ({EDIT_KEY_HEADER}) or the server's "
            "write token; the shared link only reads it"
        )
    raise Forbidden("the edit key given is not this bookmark collection's")


def _json(body: str, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


@router.post("/api/views", status_code=201, response_model=ViewCreated)
async def create_view(
    state: ViewState,
    request: Request,
    settings: SettingsDep,
    store: DatasetStoreDep,
    jobs: JobRunnerDep,
    views: ViewStoreDep,
    limit: ViewWriteLimitDep,
) -> ViewCreated:
    """Store the page's state and answer its id and shareable URL (429 past the rate, 507 past the budget)."""
    client = limited_client(request, settings)

    def store_view() -> str:
        check_view(state, store, jobs)
        state_json = view_json(state)
        with limit.admitted(client):
            return views.create_view(state.dataset, state_json)

    view_id = await run_in_threadpool(store_view)
    return ViewCreated(id=view_id, url=f"{public_base(request, settings)}/v/{view_id}")


@router.get("/api/views/{view_id}", response_model=ViewState, response_model_by_alias=True)
async def read_view(view_id: str, views: ViewStoreDep) -> Response:
    """A stored view's state."""
    return _json(await run_in_threadpool(views.view_state_json, known_id(view_id, "view")))


@router.post("/api/bookmarks", status_code=201, response_model=BookmarkSaved)
async def add_bookmark(
    body: BookmarkRequest,
    request: Request,
    settings: SettingsDep,
    store: DatasetStoreDep,
    jobs: JobRunnerDep,
    views: ViewStoreDep,
    limit: ViewWriteLimitDep,
    edit_key: EditKey = None,
) -> Response:
    """Save a named state into a collection: a new one when `collection` is null (its edit key is in
    this answer only), else an existing one (needs its edit key or the token)."""
    client = limited_client(request, settings)

    def save() -> str:
        if body.collection is not None:
            require_edit_access(views, body.collection, edit_key, request, settings)
        check_view(body.state, store, jobs)
        state_json = view_json(body.state)
        with limit.admitted(client):
            saved, new_key = views.add_bookmark(body.collection, body.state.dataset, body.name, state_json)
        return _bookmark_json(saved, new_key)

    return _json(await run_in_threadpool(save), status_code=201)


def _bookmark_json(saved: dict, edit_key: str | None = None) -> str:
    fields = {k: saved[k] for k in ("id", "collection", "dataset", "name", "created")}
    if edit_key is not None:
        fields["edit_key"] = edit_key
    # The state is stored as validated JSON: splice it in rather than parse and re-encode it.
    head = json.dumps(fields)
    return f'{head[:-1]}, "state": {saved["state"]}}}'


@router.get(
    "/api/bookmarks/{collection}",
    response_model=list[Bookmark],
    responses={200: {"headers": {CAN_EDIT_HEADER: {
        "description": "true when this request (edit key or token) may add to and delete from the collection",
        "schema": {"type": "string", "enum": ["true", "false"]},
    }}}},
)
async def list_bookmarks(
    collection: str,
    request: Request,
    settings: SettingsDep,
    store: DatasetStoreDep,
    jobs: JobRunnerDep,
    views: ViewStoreDep,
    edit_key: EditKey = None,
) -> Response:
    """A collection's bookmarks, oldest first; X-Can-Edit says whether this request may change it."""

    def read() -> tuple[str, bool]:
        known_id(collection, "bookmark collection")
        try:
            items = views.list_bookmarks(collection)
        except NotFound:
            # A dataset imported (by `import`) while this server runs: its config's bookmarks.
            if not attach_named(collection, store, jobs, views):
                raise
            items = views.list_bookmarks(collection)
        can_edit = has_write_access(request, settings.write_token) or views.edit_key_matches(collection, edit_key)
        return "[" + ", ".join(_bookmark_json(b) for b in items) + "]", can_edit

    body, can_edit = await run_in_threadpool(read)
    return _json(body, headers={CAN_EDIT_HEADER: "true" if can_edit else "false"})


@router.delete("/api/bookmarks/{collection}/{bookmark_id}", status_code=204)
async def delete_bookmark(
    collection: str,
    bookmark_id: str,
    request: Request,
    settings: SettingsDep,
    views: ViewStoreDep,
    edit_key: EditKey = None,
) -> Response:
    """Delete one bookmark (needs the collection's edit key or the token)."""

    def delete() -> None:
        require_edit_access(views, collection, edit_key, request, settings)
        views.delete_bookmark(collection, known_id(bookmark_id, "bookmark"))

    await run_in_threadpool(delete)
    return Response(status_code=204)
