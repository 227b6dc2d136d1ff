"""result_write: a finished job's files, written atomically: coordinates, named arrays, the "done" record last."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from embedding_projector.atomic_files import atomic_write_bytes
from embedding_projector.jobs.records import ARRAY_DTYPES, array_path, result_paths
from embedding_projector.projections.progress import ProjectionResult


def write_result(
    job: dict[str, Any], result: ProjectionResult, n_rows: int, elapsed: float
) -> tuple[list[int] | None, dict[str, dict[str, Any]]]:
    """Write job `job`'s (a worker's spec) result for `n_rows` rows: the coordinates' shape and the arrays' entries."""
    results_dir, job_id = Path(job["results_dir"]), job["id"]
    files = result_paths(results_dir, job_id)
    shape = None
    if result.coords is not None:
        coords = np.ascontiguousarray(result.coords, dtype="<f4")
        if coords.ndim != 2 or coords.shape[0] != n_rows or not np.isfinite(coords).all():
            raise RuntimeError(f"{job['method']} produced invalid coordinates of shape {coords.shape}")
        atomic_write_bytes(files.coords, coords.tobytes())
        shape = list(coords.shape)
    arrays = _write_arrays(results_dir, job_id, result.arrays, n_rows, job["method"])
    record = dict(job["record"], status="done", progress=1.0, shape=shape, extras=result.extras, arrays=arrays,
                  elapsed=round(elapsed, 3))
    atomic_write_bytes(files.record, json.dumps(record).encode())
    return shape, arrays


def _write_arrays(
    results_dir: Path, job_id: str, arrays: dict[str, np.ndarray], n_rows: int, method: str
) -> dict[str, dict[str, Any]]:
    """Write an analysis's named arrays (int32 or float32, first axis = the job's rows); their record entries."""
    entries: dict[str, dict[str, Any]] = {}
    for name, array in arrays.items():
        kind = "int32" if np.issubdtype(array.dtype, np.integer) else "float32"
        data = np.ascontiguousarray(array, dtype=ARRAY_DTYPES[kind])
        if data.shape[:1] != (n_rows,) or (kind == "float32" and not np.isfinite(data).all()):
            raise RuntimeError(f"{method} produced an invalid {name} array of shape {data.shape}")
        atomic_write_bytes(array_path(results_dir, job_id, name), data.tobytes())
        entries[name] = {"dtype": kind, "shape": list(data.shape)}
    return entries
