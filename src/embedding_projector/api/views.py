"""Shared views and bookmark collections: store a page state, read it back, open it at /v/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from embedding_projector.dependencies import DatasetStoreDep, JobRunnerDep, SettingsDep, ViewStoreDep
from embedding_projector.errors import InputError, NotFound
from embedding_projector.schemas import Bookmark, BookmarkRequest, ViewCreated, ViewState

router = APIRouter(tags=["views"])


def check_view(state: ViewState, store: DatasetStoreDep, jobs: JobRunnerDep) -> None:
    """A view must name an existing dataset, rows inside it, and a finished stored projection."""
    info = store.get(state.dataset)
    for field, rows in (("selection", state.selection), ("isolated", state.isolated or [])):
        bad = [r for r in rows if not 0 <= r < info.n]
        if bad:
            raise InputError(f"{field} holds row {bad[0]}, outside the dataset's {info.n} rows", file=field)
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


def public_base(request: Request, settings: SettingsDep) -> str:
    """The base URL links are made with: PROJECTOR_PUBLIC_URL, else the request's own."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


@router.post("/api/views", status_code=201, response_model=ViewCreated)
async def create_view(
    state: ViewState,
    request: Request,
    settings: SettingsDep,
    store: DatasetStoreDep,
    jobs: JobRunnerDep,
    views: ViewStoreDep,
) -> ViewCreated:
    """Store the page's state and answer its id and shareable URL."""
    await run_in_threadpool(check_view, state, store, jobs)
    view_id = await run_in_threadpool(views.create_view, state.dataset, state.model_dump(mode="json", by_alias=True))
    return ViewCreated(id=view_id, url=f"{public_base(request, settings)}/v/{view_id}")


@router.get("/api/views/{view_id}", response_model=ViewState, response_model_by_alias=True)
async def read_view(view_id: str, views: ViewStoreDep) -> ViewState:
    """A stored view's state."""
    return ViewState.model_validate(await run_in_threadpool(views.get_view, view_id))


@router.post("/api/bookmarks", status_code=201, response_model=Bookmark)
async def add_bookmark(
    body: BookmarkRequest, store: DatasetStoreDep, jobs: JobRunnerDep, views: ViewStoreDep
) -> Bookmark:
    """Save a named state into a collection (a new one when `collection` is null)."""
    await run_in_threadpool(check_view, body.state, store, jobs)
    saved = await run_in_threadpool(
        views.add_bookmark,
        body.collection,
        body.state.dataset,
        body.name,
        body.state.model_dump(mode="json", by_alias=True),
    )
    return Bookmark.model_validate(saved)


@router.get("/api/bookmarks/{collection}", response_model=list[Bookmark])
async def list_bookmarks(collection: str, views: ViewStoreDep) -> list[Bookmark]:
    """A collection's bookmarks, oldest first."""
    return [Bookmark.model_validate(b) for b in await run_in_threadpool(views.list_bookmarks, collection)]


@router.delete("/api/bookmarks/{collection}/{bookmark_id}", status_code=204)
async def delete_bookmark(collection: str, bookmark_id: str, views: ViewStoreDep) -> Response:
    """Delete one bookmark."""
    await run_in_threadpool(views.delete_bookmark, collection, bookmark_id)
    return Response(status_code=204)
