"""The HTML page: one Jinja2 shell; everything else happens in static/js."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from embedding_projector import __version__

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """The projector page."""
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "index.html", {"static_url": "/static", "version": __version__}
    )
