"""create_app(settings): the FastAPI application with its lifespan, routers, static files and errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from threadpoolctl import threadpool_limits

from embedding_projector import __version__
from embedding_projector.api import datasets, exports, health, neighbors, pages, projections, views
from embedding_projector.datasets.examples import ensure_examples
from embedding_projector.datasets.importer import import_logdir
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.errors import ProjectorError, clip_message
from embedding_projector.jobs.runner import JobRunner
from embedding_projector.public_mode import JobLimits
from embedding_projector.settings import Settings
from embedding_projector.upload_limit import BodySizeLimit
from embedding_projector.view_store import ViewStore, default_database_url

log = logging.getLogger(__name__)

# Bodies may carry vectors, metadata and a sprite: each file is checked against the limit itself.
_FILES_PER_UPLOAD = 3


def asset_root() -> Path:
    """The folder holding static/ and templates/ (the source tree, next to src/)."""
    return Path(__file__).resolve().parents[2]


def _error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **where: object
) -> JSONResponse:
    body = {"ok": False, "status": status, "error": clip_message(message), "file": None, "line": None,
            "column": None}
    body.update(where)
    return JSONResponse(body, status_code=status, headers=headers)


# A body of a million bad rows has a million validation errors: name a few, count the rest.
_VALIDATION_PROBLEMS_SHOWN = 5


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    parts = []
    for err in errors[:_VALIDATION_PROBLEMS_SHOWN]:
        if err.get("type") == "json_invalid":
            parts.append(f"the request body is not valid JSON ({err.get('ctx', {}).get('error', 'decode error')})")
            continue
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie")]
        parts.append(f"{'.'.join(loc) or 'request'}: {err.get('msg')}")
    if len(errors) > _VALIDATION_PROBLEMS_SHOWN:
        parts.append(f"and {len(errors) - _VALIDATION_PROBLEMS_SHOWN} more problems")
    return "; ".join(parts) or "the request is not valid"


def install_error_handlers(app: FastAPI) -> None:
    """Give every error answer the one shape {ok, status, error, file, line, column}."""

    @app.exception_handler(ProjectorError)
    async def projector_error(_: Request, exc: ProjectorError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error_response(422, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Keep the exception's headers: a 405 names the allowed methods in Allow.
        return _error_response(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _error_response(500, "internal server error")


def create_app(settings: Settings) -> FastAPI:
    """Build the app; nothing starts until its lifespan runs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = DatasetStore(settings.data_dir / "datasets", neighbor_cache=settings.neighbor_cache)
        runner = JobRunner(
            settings.data_dir / "results", workers=settings.workers, warm_up=settings.warmup
        )
        view_store = ViewStore(settings.database_url or default_database_url(settings.data_dir))
        # BLAS here only serves neighbour queries (memory-bound matrix-vector products). With more
        # than one thread, OpenBLAS's idle threads spin between queries and took ~70% of a core
        # from the projection workers, which also slowed the queries themselves.
        blas_limit = threadpool_limits(limits=1, user_api="blas")
        runner.start()
        app.state.datasets = store
        app.state.jobs = runner
        app.state.views = view_store
        try:
            if settings.examples:
                await run_in_threadpool(ensure_examples, store)
            if settings.logdir:
                await run_in_threadpool(import_logdir, store, settings.logdir, settings.max_sprite_pixels)
            yield
        finally:
            runner.stop()
            view_store.close()
            blas_limit.restore_original_limits()

    app = FastAPI(title="Embedding Projector", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.job_limits = JobLimits(settings.job_starts_per_minute, settings.max_jobs_per_client)
    root = asset_root()
    app.state.templates = Jinja2Templates(directory=root / "templates")
    app.mount("/static", StaticFiles(directory=root / "static"), name="static")
    app.add_middleware(BodySizeLimit, limit=settings.max_upload_bytes * _FILES_PER_UPLOAD + (1 << 20))
    for module in (datasets, neighbors, projections, exports, views, health, pages):
        app.include_router(module.router)
    install_error_handlers(app)
    return app
