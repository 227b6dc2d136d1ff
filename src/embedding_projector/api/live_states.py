"""Live page states: a page opened with ?live=ID reports its view state here, and Python reads it back.

Holding the id is the capability to write and read it (the framed page has no token); making one
needs write access, as uploads do.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from embedding_projector.api.views import check_view, known_id, view_json
from embedding_projector.dependencies import DatasetStoreDep, JobRunnerDep, SettingsDep, ViewStoreDep
from embedding_projector.errors import InputError
from embedding_projector.public_mode import require_write_access
from embedding_projector.schemas import LiveStateCreated, LiveStateRead, LiveStateRequest, ViewState

router = APIRouter(tags=["live"])


@router.post("/api/live", status_code=201, response_model=LiveStateCreated)
async def create_live_state(
    body: LiveStateRequest, request: Request, settings: SettingsDep, store: DatasetStoreDep, views: ViewStoreDep
) -> LiveStateCreated:
    """A new live state for a page of `dataset` (404 for an unknown dataset; needs the write token if set)."""
    require_write_access(request, settings.write_token, "creating a live state")

    def create() -> str:
        store.get(body.dataset)  # NotFound for an unknown dataset
        return views.create_live_state(body.dataset)

    return LiveStateCreated(id=await run_in_threadpool(create))


@router.put("/api/live/{live_id}", status_code=204)
async def put_live_state(
    live_id: str, state: ViewState, store: DatasetStoreDep, jobs: JobRunnerDep, views: ViewStoreDep
) -> Response:
    """Replace the live state's view with the page's current one, checked as a shared view is."""

    def put() -> None:
        dataset = views.live_state_dataset(known_id(live_id, "live state"))
        if state.dataset != dataset:
            raise InputError(
                f"dataset {state.dataset!r} is not this live state's dataset {dataset!r}", file="dataset"
            )
        check_view(state, store, jobs)
        views.put_live_state(live_id, view_json(state))

    await run_in_threadpool(put)
    return Response(status_code=204)


@router.get("/api/live/{live_id}", response_model=LiveStateRead)
async def read_live_state(live_id: str, views: ViewStoreDep) -> Response:
    """The page's latest view state (null before it wrote), when it was written, and how many writes."""

    def read() -> str:
        found = views.live_state(known_id(live_id, "live state"))
        head = json.dumps({"updated": found["updated"], "writes": found["writes"]})
        # The view is stored as validated JSON: splice it in rather than parse and re-encode it.
        return f'{{"view": {found["state"] or "null"}, {head[1:]}'

    return Response(await run_in_threadpool(read), media_type="application/json")
