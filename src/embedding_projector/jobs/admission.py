"""Job admission: everything a projection request must pass before the runner queues it.

In order: the dataset and the token (private datasets); the method's parameters; the caps for
clients without the token; the row subset; the result cache (a cached answer is free and never
counted); the per-client limits (one atomic reservation); the checks that need the data (sizes,
pattern matches over a metadata column); then `JobRunner.submit`. Everything that touches disk,
numpy or a big column runs in a thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from embedding_projector.datasets.store import DatasetStore
from embedding_projector.errors import InputError, ProjectorError, Unprocessable
from embedding_projector.jobs.given_admission import admit_given
from embedding_projector.jobs.runner import JobRunner, Submission, job_key
from embedding_projector.projections import pca_first
from embedding_projector.projections.methods import METHODS
from embedding_projector.projections.supervision import labels_problem
from embedding_projector.public_mode import JobLimits, client_id, has_write_access, require_write_access
from embedding_projector.schemas import JobStarted, ProjectionRequest
from embedding_projector.settings import Settings

UNFINISHED = ("queued", "running")


@dataclass(frozen=True)
class Admitted:
    """What the start handler answers: the job (with the caller's cancel key) and the HTTP status."""

    started: JobStarted
    status_code: int  # 200 for a cached result, 202 for a queued or running job


def validate_params(method: str, params: dict[str, Any]) -> BaseModel:
    """The method's parameters with defaults filled in, or a 422 naming the parameter and its limit."""
    module = METHODS.get(method)
    if module is None:
        raise Unprocessable(f"unknown projection method {method[:60]!r}; choose one of {', '.join(METHODS)}")
    try:
        return module.Params.model_validate(params)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "params"
            problems.append(f"{method} parameter {where[:60]!r}: {err['msg']}")
        raise Unprocessable("; ".join(problems)) from None


def check_stranger_caps(method: str, params: BaseModel, settings: Settings) -> None:
    """422 when a client without the write token asks for more t-SNE work than a stranger may."""
    if method != "tsne":
        return
    caps = (("iterations", settings.max_tsne_iterations), ("perplexity", settings.max_tsne_perplexity))
    for name, cap in caps:
        value = getattr(params, name)
        if value > cap:
            raise Unprocessable(
                f"tsne parameter {name!r} is {value:g}: without the write token the most is {cap:g}"
            )


def validate_rows(rows: list[int] | None, n: int) -> list[int] | None:
    """Check a row subset: non-empty, unique and inside the dataset."""
    if rows is None:
        return None
    try:
        array = np.asarray(rows, dtype=np.int64)
    except OverflowError:
        at = next(i for i, r in enumerate(rows) if not -(2**63) <= r < 2**63)
        raise InputError(f"rows[{at}] is out of range: the dataset has {n} rows", file="rows") from None
    if array.size == 0:
        raise InputError("rows is empty: isolate at least one point", file="rows")
    bad = np.flatnonzero((array < 0) | (array >= n))
    if bad.size:
        raise InputError(f"rows[{bad[0]}] = {array[bad[0]]} is out of range: the dataset has {n} rows", file="rows")
    if np.unique(array).size != array.size:
        raise InputError("rows holds the same row more than once", file="rows")
    return rows


def layout_inputs(
    jobs: JobRunner, dataset_id: str, layout: str, rows: list[int] | None
) -> tuple[list[int] | None, bool]:
    """The rows and sphereize of the finished layout an analysis names; 422 when it cannot be analysed."""
    try:
        status = jobs.status(layout)
    except ProjectorError:
        raise Unprocessable(f"parameter 'layout': no projection {layout[:40]!r}") from None
    if status.dataset != dataset_id or status.status != "done" or status.shape is None:
        raise Unprocessable(
            f"parameter 'layout': {layout} is not a finished projection of dataset {dataset_id!r}"
        )
    if rows is not None:
        raise InputError("rows: an analysis of a layout runs on that layout's rows; send no rows", file="rows")
    layout_rows = jobs.result_rows(layout)
    return (None if layout_rows is None else layout_rows.tolist()), status.sphereize


def column_read(method: str, params: BaseModel) -> str | None:
    """The metadata column a job of `method` reads (Custom's patterns, a supervising label), or None."""
    module = METHODS[method]
    if getattr(module, "NEEDS_COLUMN", False):
        return params.column
    if hasattr(module, "column_read"):
        return module.column_read(params)
    return None


def extra_inputs(
    method: str, params: BaseModel, store: DatasetStore, info: Any, rows: list[int] | None, trusted: bool
) -> dict[str, Any] | None:
    """A method's inputs from outside the job's dataset (its `extra_inputs` hook), or None; reads files: in a thread."""
    module = METHODS[method]
    if not hasattr(module, "extra_inputs"):
        return None
    return module.extra_inputs(params, store, dataset=info, rows=rows, trusted=trusted)


def check_fits(
    store: DatasetStore, dataset_id: str, method: str, params: BaseModel, n_rows: int, edit_version: int | None = None
) -> None:
    """Method checks that need the data: sizes, pattern matches, a supervising label column.

    Reads a metadata column and matches patterns over it: seconds on a big dataset, so call it in
    a thread.
    """
    module = METHODS[method]
    problem = None
    if hasattr(module, "check_fits"):
        problem = module.check_fits(params, n_rows)
    if problem is None and getattr(module, "NEEDS_COLUMN", False):
        problem = module.check_matches(params, store.column_values(dataset_id, params.column, edit_version))
    column = module.column_read(params) if hasattr(module, "column_read") else None
    if problem is None and column is not None and not getattr(module, "NEEDS_COLUMN", False):
        # A supervising column: it must exist (column_values names it in a 422) and hold a label.
        problem = labels_problem(column, store.column_values(dataset_id, column, edit_version))
    if problem is not None:
        raise Unprocessable(problem)


def is_done(jobs: JobRunner, key: str) -> bool:
    """Whether job `key` has a finished result (on disk or in the table)."""
    try:
        return jobs.status(key).status == "done"
    except ProjectorError:
        return False


def _is_active(jobs: JobRunner) -> Callable[[str], bool]:
    def is_active(job: str) -> bool:
        try:
            return jobs.status(job).status in UNFINISHED
        except ProjectorError:
            return False

    return is_active


async def admit_projection(
    dataset_id: str,
    request: ProjectionRequest,
    http: Request,
    settings: Settings,
    limits: JobLimits,
    store: DatasetStore,
    jobs: JobRunner,
) -> Admitted:
    """Check a projection request and submit it; raises the error that refuses it."""
    info = await run_in_threadpool(store.get, dataset_id)
    if not info.public:
        require_write_access(http, settings.write_token, f"projecting dataset {dataset_id!r}")
    if request.method == "given":  # coordinates that came with the data: answered at once, never queued
        rows = await run_in_threadpool(validate_rows, request.rows, info.n)
        status = await admit_given(store, jobs, info, request.params, rows)
        return Admitted(JobStarted(**status.model_dump(), cancel_key=None), 200)
    # Per-client limits and caps guard a public instance from strangers; the token holder is trusted
    # (and with no token set, everyone is: a local server has no strangers).
    stranger = not has_write_access(http, settings.write_token)
    client = client_id(http)

    def check_request() -> tuple[BaseModel, list[int] | None, dict[str, Any], str, int | None, bool, dict | None]:
        # In a thread: RE2 may take 100+ ms to compile a big pattern, and a 1M-row key 200+ ms.
        # pca_dims unset becomes the value that runs (from the dataset's dimension): it is in the key.
        params = pca_first.resolve(validate_params(request.method, request.params), info.dim)
        if stranger:
            check_stranger_caps(request.method, params, settings)
        rows = validate_rows(request.rows, info.n)
        sphereize = request.sphereize
        layout = getattr(params, "layout", None)
        if layout is not None:  # an analysis of a layout runs on that layout's rows, in its space
            rows, sphereize = layout_inputs(jobs, dataset_id, layout, rows)
        params_json = params.model_dump(mode="json")
        # A job that reads a metadata column reads it at the current edit version, and that version
        # is part of its key: a tag edited later makes a new result, never a stale cached one.
        edit_version = info.version if column_read(request.method, params) is not None else None
        inputs = extra_inputs(request.method, params, store, info, rows, not stranger)
        key = job_key(
            dataset_id, info.fingerprint, request.method, params_json, rows, sphereize, edit_version, inputs
        )
        return params, rows, params_json, key, edit_version, sphereize, inputs

    params, rows, params_json, key, edit_version, sphereize, inputs = await run_in_threadpool(check_request)

    def submit() -> Submission:
        return jobs.submit(
            dataset_id,
            info.fingerprint,
            store.vectors_path(dataset_id),
            request.method,
            params_json,
            rows,
            store.metadata_path(dataset_id, edit_version),
            sphereize,
            client=client,
            max_seconds=settings.max_job_seconds if stranger else None,
            edit_version=edit_version,
            inputs=inputs,
        )

    cached = await run_in_threadpool(is_done, jobs, key)
    reservation = None
    if stranger and not cached:
        reservation = await run_in_threadpool(limits.reserve, client, key, _is_active(jobs))
    try:
        if not cached:  # a cached result passed these checks when it was made
            n_rows = info.n if rows is None else len(rows)
            await run_in_threadpool(check_fits, store, dataset_id, request.method, params, n_rows, edit_version)
        submission = await run_in_threadpool(submit)
    except BaseException:
        if reservation is not None:
            limits.release(reservation)  # quick: JobLimits holds its lock only for counting
        raise
    status = submission.status
    if reservation is not None:
        if status.status in UNFINISHED:
            limits.commit(reservation)
        else:
            limits.release(reservation)
    return Admitted(
        JobStarted(**status.model_dump(), cancel_key=submission.cancel_key),
        200 if status.status == "done" else 202,
    )
