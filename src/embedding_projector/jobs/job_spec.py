"""A new job's first status and its spec: what a worker gets (paths and parameters, never the rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embedding_projector.jobs.records import result_paths
from embedding_projector.schemas import JobStatus


def new_job(
    results_dir: Path,
    key: str,
    dataset: str,
    fingerprint: str,
    vectors_path: Path,
    method: str,
    params: dict[str, Any],
    n_rows: int | None,
    metadata_path: Path | None,
    sphereize: bool,
    inputs: dict[str, Any] | None,
) -> tuple[JobStatus, dict[str, Any]]:
    """The queued status and the worker's spec of job `key` (`n_rows`: the row subset's size, or None).

    The paths are the server's: a worker on another machine must see the data folder at the same path.
    """
    status = JobStatus(
        id=key, dataset=dataset, method=method, params=params, rows=n_rows, sphereize=sphereize, status="queued"
    )
    record = status.model_dump(mode="json")
    spec = {
        "id": key,
        "dataset": dataset,
        "fingerprint": fingerprint,
        "method": method,
        "params": params,
        "rows_path": None if n_rows is None else str(result_paths(results_dir, key).rows),
        "sphereize": sphereize,
        "vectors_path": str(vectors_path),
        "metadata_path": None if metadata_path is None else str(metadata_path),
        "results_dir": str(results_dir),
        "record": record,
        "inputs": inputs,
    }
    return status, spec
