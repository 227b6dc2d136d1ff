"""Job records on disk: one JSON per job id, written at submit and at every end, read when asked."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from embedding_projector.schemas import JobStatus

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by a server restart"
UNFINISHED = ("queued", "running")


class ResultFiles(NamedTuple):
    """A job's files; a "done" record is written last, after the coordinates."""

    coords: Path  # raw little-endian float32, row-major
    rows: Path  # raw little-endian int64 dataset row indices; only for a job on a row subset
    record: Path  # the JobStatus JSON


def result_paths(results_dir: Path, job_id: str) -> ResultFiles:
    """Where a job's coordinates, row subset and JSON record live."""
    return ResultFiles(
        results_dir / f"{job_id}.f32", results_dir / f"{job_id}.rows", results_dir / f"{job_id}.json"
    )


ARRAY_DTYPES = {"int32": "<i4", "float32": "<f4"}


def array_path(results_dir: Path, job_id: str, name: str) -> Path:
    """Where a job's named result array (an analysis's output, such as `neighbors`) lives."""
    if not is_array_name(name):
        raise ValueError(f"not a result array name: {name!r}")
    return results_dir / f"{job_id}.{name}"


def is_array_name(name: str) -> bool:
    """Whether `name` can name a result array file: 1-32 lowercase letters and underscores."""
    return 0 < len(name) <= 32 and all(c in "abcdefghijklmnopqrstuvwxyz_" for c in name) and name != "rows"


def is_job_id(job_id: str) -> bool:
    """Whether `job_id` has the shape of a job key (so it can name a file)."""
    return len(job_id) == 32 and all(c in "0123456789abcdef" for c in job_id)


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Replace a job's record in one rename.

    No fsync: these are queued/failed/cancelled records, which a power cut may only roll back to an
    older state; a "done" record is written by the worker with fsync, after its coordinates.
    """
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(record).encode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_final_record(results_dir: Path, status: JobStatus) -> None:
    """Record a job's failed or cancelled end, unless its worker has just written it done."""
    on_disk = read_record(results_dir, status.id)
    if on_disk is None or on_disk.status != "done":
        write_record(result_paths(results_dir, status.id).record, status.model_dump(mode="json"))


def read_record(results_dir: Path, job_id: str) -> JobStatus | None:
    """The job's record, or None when there is none (or a "done" one whose files are incomplete)."""
    if not is_job_id(job_id):
        return None
    files = result_paths(results_dir, job_id)
    try:
        status = JobStatus.model_validate_json(files.record.read_bytes())
    except (OSError, ValueError):
        return None
    if status.status == "done" and (
        (status.shape is not None and not files.coords.is_file())
        or (status.rows is not None and not files.rows.is_file())
        or any(not array_path(results_dir, job_id, name).is_file() for name in status.arrays)
    ):
        return None  # incomplete, or a subset result from before row subsets were saved
    return status


def interrupted(status: JobStatus) -> JobStatus:
    """The record of an unfinished job whose server went away."""
    return status.model_copy(
        update={"status": "failed", "error": INTERRUPTED, "queue_position": None, "worker": None}
    )


def mark_interrupted(results_dir: Path) -> int:
    """Turn every unfinished record (left by a crash) into failed/interrupted; returns how many."""
    count = 0
    for path in results_dir.glob("*.json"):
        try:
            status = JobStatus.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            continue
        if status.status in UNFINISHED:
            write_record(path, interrupted(status).model_dump(mode="json"))
            count += 1
    if count:
        log.warning("%d projection job(s) were interrupted by the last stop", count)
    return count
