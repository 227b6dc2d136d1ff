"""Given projections: answered at once from the coordinates that came with the data, never queued.

`POST /api/datasets/{id}/projections {"method": "given", "params": {"source": "x,y"}}` stores the
dataset's given layout `source` as a finished job (given_results.py) and answers it; with `rows`
(isolate) it stores those rows' coordinates. A source the dataset's files did not bring (a
TensorBoard bookmark's "tensorboard:...") is answered when that given result was stored already.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool

from embedding_projector.datasets.store import DatasetStore
from embedding_projector.errors import ProjectorError, Unprocessable
from embedding_projector.jobs.given_results import METHOD, given_key
from embedding_projector.jobs.runner import JobRunner
from embedding_projector.schemas import MAX_PARAM_TEXT_CHARS, DatasetInfo, JobStatus

MAX_SOURCE_LENGTH = MAX_PARAM_TEXT_CHARS  # as any text parameter of a view


def given_source(params: dict[str, Any]) -> str:
    """The `source` of a given projection's params, or a 422 naming the parameter."""
    extra = sorted(set(params) - {"source"})
    if extra:
        raise Unprocessable(f"given parameter {extra[0][:60]!r}: not a parameter of 'given' (it takes only 'source')")
    source = params.get("source")
    if not isinstance(source, str) or not source:
        raise Unprocessable("given parameter 'source': name the layout, such as 'x,y' (see the dataset's 'given')")
    if len(source) > MAX_SOURCE_LENGTH:
        raise Unprocessable(f"given parameter 'source': longer than {MAX_SOURCE_LENGTH} characters")
    return source


def answer_given(
    store: DatasetStore, jobs: JobRunner, info: DatasetInfo, params: dict[str, Any], rows: list[int] | None
) -> JobStatus:
    """The finished given job for `params.source` (on `rows`), stored now if needed; 422 for an unknown source.

    Reads and may write files: call it in a thread.
    """
    source = given_source(params)
    if any(layout.source == source for layout in info.given):
        coords = store.given_coords(info.id, source)
        chosen = coords if rows is None else coords[np.asarray(rows, dtype=np.int64)]
        return jobs.store_given(info.id, info.fingerprint, np.asarray(chosen), source, rows)
    try:
        stored = jobs.status(given_key(info.id, info.fingerprint, source, rows))
    except ProjectorError:
        stored = None
    if stored is not None and stored.status == "done" and stored.method == METHOD:
        return stored
    known = ", ".join(repr(g.source) for g in info.given) or "none"
    raise Unprocessable(f"dataset {info.id!r} has no given layout {source[:80]!r} (its given layouts: {known})")


async def admit_given(
    store: DatasetStore, jobs: JobRunner, info: DatasetInfo, params: dict[str, Any], rows: list[int] | None
) -> JobStatus:
    """answer_given in a thread (it reads the coordinates and writes the result files)."""
    return await run_in_threadpool(answer_given, store, jobs, info, params, rows)
