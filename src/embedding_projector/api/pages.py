"""The HTML page: one Jinja2 shell; everything else happens in static/js."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from embedding_projector import __version__
from embedding_projector.api.page_preloads import first_view_preloads
from embedding_projector.api.views import known_id
from embedding_projector.dependencies import DatasetStoreDep, JobRunnerDep, SettingsDep, ViewStoreDep
from embedding_projector.errors import NotFound
from embedding_projector.public_mode import has_write_access

router = APIRouter(include_in_schema=False)

PAGE_TEMPLATE = "index.html"
# How long a page just asked for holds back the workers' numba warm-up: the page's first view (a
# million points: coordinates, the first frame, then the metadata) is over well within it.
PAGE_LOAD_SECONDS = 10.0
# How long a server just started waits for a first page before the warm-up begins (`serve` opens the
# browser on it). A page that comes later holds a warm-up that has not begun, for at most
# runner.MAX_WARM_UP_HOLD after the first hold.
FIRST_PAGE_SECONDS = 6.0


def page_context(view_id: str | None = None) -> dict[str, str]:
    """The template variables of the page (the security headers hash its inline scripts from these)."""
    return {"static_url": "/static", "version": __version__, "view_id": view_id or ""}


def _page(request: Request, view_id: str | None = None, preloads: list[str] | None = None) -> HTMLResponse:
    context = {**page_context(view_id), "preloads": preloads or []}
    return request.app.state.templates.TemplateResponse(request, PAGE_TEMPLATE, context)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, store: DatasetStoreDep, jobs: JobRunnerDep, settings: SettingsDep) -> HTMLResponse:
    """The projector page, naming the first requests its address leads to for the browser to preload."""
    jobs.hold_warm_up(PAGE_LOAD_SECONDS)
    public_only = not has_write_access(request, settings.write_token)
    preloads = await run_in_threadpool(first_view_preloads, request.query_params, store, jobs, public_only)
    return _page(request, preloads=preloads)


@router.get("/v/{view_id}", response_class=HTMLResponse)
async def shared_view(view_id: str, request: Request, views: ViewStoreDep, jobs: JobRunnerDep) -> HTMLResponse:
    """The projector page opened on a shared view (404 for an unknown id)."""
    if not await run_in_threadpool(views.has_view, known_id(view_id, "view")):
        raise NotFound(f"no view {view_id!r}")
    jobs.hold_warm_up(PAGE_LOAD_SECONDS)
    return _page(request, view_id)
