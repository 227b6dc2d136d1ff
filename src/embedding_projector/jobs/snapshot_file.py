"""A running job's latest intermediate coordinates as a file in the shared results folder.

The file holds a 24-byte header (sequence number, rows, columns as little-endian int64) and the
float32 coordinates; it is replaced in one rename, so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

_HEADER = 24


def snapshot_path(results_dir: Path, job_id: str) -> Path:
    """Where job `job_id`'s latest snapshot lives."""
    return results_dir / f"{job_id}.snapshot"


def write_snapshot(results_dir: Path, job_id: str, data: bytes, shape: list[int], seq: int) -> None:
    """Replace the job's snapshot (no fsync: a snapshot lost to a power cut costs nothing)."""
    path = snapshot_path(results_dir, job_id)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=results_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(np.array([seq, *shape], dtype="<i8").tobytes())
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_snapshot(results_dir: Path, job_id: str) -> tuple[bytes, list[int], int] | None:
    """The job's latest snapshot (float32 bytes, shape, sequence number), or None when it has none."""
    try:
        raw = snapshot_path(results_dir, job_id).read_bytes()
    except OSError:
        return None
    if len(raw) < _HEADER:
        return None
    seq, rows, cols = (int(v) for v in np.frombuffer(raw[:_HEADER], dtype="<i8"))
    if len(raw) - _HEADER != rows * cols * 4:
        return None
    return raw[_HEADER:], [rows, cols], seq


def drop_snapshot(results_dir: Path, job_id: str) -> None:
    """Delete the job's snapshot (it ended)."""
    snapshot_path(results_dir, job_id).unlink(missing_ok=True)
