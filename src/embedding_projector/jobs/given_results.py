"""Given results: coordinates that arrive with the data (x/y/z columns, TensorBoard bookmarks), stored as finished jobs.

A given layout is never computed. It is written to the results folder exactly as a worker writes a
projection (coordinates, optional row subset, a "done" record last), under a job key made from the
dataset, its fingerprint, the method "given" and a `source` naming where the coordinates came
from. So the coordinates endpoint, exports, shared views and bookmarks treat it like any other
result, and storing the same source twice is a no-op.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embedding_projector.atomic_files import atomic_write_bytes
from embedding_projector.errors import InputError
from embedding_projector.jobs.job_key import job_key
from embedding_projector.jobs.records import read_record, result_paths, write_record
from embedding_projector.schemas import JobStatus

METHOD = "given"


def given_key(dataset: str, fingerprint: str, source: str, rows: list[int] | None = None) -> str:
    """The job id of the given layout `source` of a dataset (on `rows`, or all rows)."""
    return job_key(dataset, fingerprint, METHOD, {"source": source}, rows)


def store_given(
    results_dir: Path,
    dataset: str,
    fingerprint: str,
    coords: np.ndarray,
    source: str,
    rows: list[int] | None = None,
) -> JobStatus:
    """Store `coords` (n x 2 or n x 3, one row per dataset row or per `rows`) as a finished "given" job.

    Raises InputError for a wrong shape or non-finite values. Idempotent: the same inputs give the
    same job id, and an existing done record is answered as it is.
    """
    matrix = np.ascontiguousarray(coords, dtype="<f4")
    if matrix.ndim != 2 or matrix.shape[1] not in (2, 3):
        raise InputError(f"given coordinates must have 2 or 3 columns, not shape {list(matrix.shape)}")
    if rows is not None and len(rows) != matrix.shape[0]:
        raise InputError(f"{len(rows)} rows but {matrix.shape[0]} given coordinates")
    if not np.isfinite(matrix).all():
        bad = int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])
        raise InputError(f"given coordinate row {bad} is not a finite number", line=bad + 1)
    key = given_key(dataset, fingerprint, source, rows)
    results_dir.mkdir(parents=True, exist_ok=True)
    existing = read_record(results_dir, key)
    if existing is not None and existing.status == "done":
        return existing
    files = result_paths(results_dir, key)
    if rows is not None:
        atomic_write_bytes(files.rows, np.asarray(rows, dtype="<i8").tobytes())
    atomic_write_bytes(files.coords, matrix.tobytes())
    status = JobStatus(
        id=key,
        dataset=dataset,
        method=METHOD,
        params={"source": source},
        rows=None if rows is None else len(rows),
        status="done",
        progress=1.0,
        shape=list(matrix.shape),
    )
    write_record(files.record, status.model_dump(mode="json"))
    return status
