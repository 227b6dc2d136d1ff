"""create_app(settings): the FastAPI application with its lifespan, routers, static files and errors."""

from __future__ import annotations

import logging
import os
import threading
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
from embedding_projector.api import (
    datasets,
    edits,
    exports,
    health,
    live_states,
    neighbors,
    pages,
    projections,
    results,
    tensorboard_bookmarks,
    uploads,
    views,
)
from embedding_projector.body_limits import RequestBodyGuard
from embedding_projector.datasets.chunked_uploads import ChunkedUploads
from embedding_projector.datasets.examples import ensure_examples
from embedding_projector.datasets.importer import import_logdir
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.errors import ProjectorError, clip_message
from embedding_projector.jobs.queue_runner import QueueRunner
from embedding_projector.jobs.runner import JobRunner
from embedding_projector.jobs.shared_limits import SharedJobLimits
from embedding_projector.parent_watch import stop_when_parent_exits
from embedding_projector.public_mode import JobLimits, trusted_networks
from embedding_projector.security_headers import install_security_headers
from embedding_projector.settings import Settings
from embedding_projector.tensorboard_collections import attach_config_bookmarks
from embedding_projector.view_store import ViewStore, default_database_url
from embedding_projector.view_write_limit import ViewWriteLimit

log = logging.getLogger(__name__)


def asset_root() -> Path:
    """The folder holding static/ and templates/: the installed package's, or the source tree's."""
    package = Path(__file__).resolve().parent
    # A wheel carries them inside the package; a checkout keeps them at the top, next to src/.
    for root in (package, package.parents[1]):
        if (root / "static").is_dir() and (root / "templates").is_dir():
            return root
    raise RuntimeError(f"static/ and templates/ are in neither {package} nor {package.parents[1]}: "
                       "reinstall embedding-projector from a wheel or run it from a source checkout")


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
        loc = list(err.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]  # where the value came from, not a field: a field may be named "query"
        loc = [str(p) for p in loc]
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


def begin_shutdown(app: FastAPI) -> None:
    """Start stopping the job runner now (called on SIGTERM/Ctrl-C, before uvicorn drains).

    Unfinished jobs are failed as interrupted, which ends their event streams, so the connections
    uvicorn waits for close at once; the lifespan's own stop() then waits for this one.
    """
    runner = getattr(app.state, "jobs", None)
    if runner is not None:
        threading.Thread(target=runner.stop, name="job-runner-stop", daemon=True).start()


def create_app(settings: Settings) -> FastAPI:
    """Build the app; nothing starts until its lifespan runs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # One query's scan runs on every core in threads of our own (they sleep between queries),
        # since BLAS is held to one thread below.
        store = DatasetStore(
            settings.data_dir / "datasets", neighbor_cache_bytes=settings.neighbor_cache,
            neighbor_threads=min(4, len(os.sched_getaffinity(0))),
        )
        if settings.queue_url:  # jobs run on worker services; this replica submits and follows them
            runner = QueueRunner(settings.data_dir / "results", settings.queue_url, settings.queue_stalled_seconds)
            job_limits = SharedJobLimits(settings.queue_url, settings.job_starts_per_minute,
                                         settings.max_jobs_per_client)
        else:
            runner = JobRunner(settings.data_dir / "results", workers=settings.workers, warm_up=settings.warmup)
            job_limits = JobLimits(settings.job_starts_per_minute, settings.max_jobs_per_client)
        view_store = ViewStore(
            settings.database_url or default_database_url(settings.data_dir), settings.view_storage_bytes,
            settings.max_live_states,
        )
        # BLAS here only serves neighbour queries (memory-bound matrix-vector products). With more
        # than one thread, OpenBLAS's idle threads spin between queries and took ~70% of a core
        # from the projection workers, which also slowed the queries themselves.
        blas_limit = threadpool_limits(limits=1, user_api="blas")
        runner.hold_warm_up(pages.FIRST_PAGE_SECONDS)  # the first page usually comes at once: `serve` opens it
        await run_in_threadpool(runner.start)  # it reads every job record left by the last run
        app.state.datasets = store
        app.state.uploads = ChunkedUploads(
            settings.data_dir / ".uploads", max_bytes=settings.max_chunked_upload_bytes,
            max_open=settings.max_open_uploads, expire_seconds=settings.upload_expire_seconds,
            unstarted_expire_seconds=settings.upload_unstarted_expire_seconds,
        )
        app.state.jobs = runner
        app.state.views = view_store
        app.state.job_limits = job_limits
        watch = None
        try:
            if settings.examples:
                await run_in_threadpool(ensure_examples, store)
            if settings.logdir:
                await run_in_threadpool(import_logdir, store, settings.logdir, settings.max_sprite_pixels)
            # Datasets imported with a bookmarks file (here or by `import`) get their collection once.
            await run_in_threadpool(attach_config_bookmarks, store, runner, view_store)
            watch = stop_when_parent_exits() if settings.exit_with_parent else None
            yield
        finally:
            if watch is not None:
                watch.set()
            runner.stop()
            view_store.close()
            blas_limit.restore_original_limits()

    app = FastAPI(title="Embedding Projector", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    trusted_networks(settings.trusted_proxies)  # a malformed PROJECTOR_TRUSTED_PROXIES fails here, at start
    app.state.view_write_limit = ViewWriteLimit(settings.view_writes_per_minute)
    root = asset_root()
    app.state.templates = Jinja2Templates(directory=root / "templates")
    app.mount("/static", StaticFiles(directory=root / "static"), name="static")
    # Body limits per route, upload token and size from the headers, idle bodies dropped.
    app.add_middleware(RequestBodyGuard, settings=settings)
    for module in (
        datasets, edits, neighbors, projections, exports, views, tensorboard_bookmarks, health, pages, results,
        live_states, uploads,
    ):
        app.include_router(module.router)
    install_error_handlers(app)
    install_security_headers(app, settings.frame_ancestors, app.state.templates)
    return app
