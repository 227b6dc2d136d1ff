"""What every job runner answers from the shared results folder once a job is done."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from embedding_projector.errors import Conflict, NotFound
from embedding_projector.jobs.given_results import store_given
from embedding_projector.jobs.records import array_path, result_paths
from embedding_projector.schemas import JobStatus, ResultArray


def leading_columns(path: Path, shape: list[int], columns: int) -> bytes:
    """The first `columns` columns of the float32 coordinates file `path` (`shape`), row-major bytes."""
    coords = np.memmap(path, dtype="<f4", mode="r", shape=(shape[0], shape[1]))
    return np.ascontiguousarray(coords[:, :columns]).tobytes()


class ResultReads:
    """Coordinates, result arrays, row subsets and given layouts, read from `results_dir`.

    A subclass supplies `status(job_id)`; both the in-process runner and the queue runner do.
    """

    results_dir: Path

    def status(self, job_id: str) -> JobStatus:  # pragma: no cover - every runner overrides it
        """A job's current status."""
        raise NotImplementedError

    def store_given(
        self, dataset: str, fingerprint: str, coords: np.ndarray, source: str, rows: list[int] | None = None
    ) -> JobStatus:
        """Store coordinates that came with the data as a finished "given" job (given_results.py)."""
        return store_given(self.results_dir, dataset, fingerprint, coords, source, rows)

    def coords_path(self, job_id: str) -> tuple[Path, list[int]]:
        """The finished job's float32 coordinates file and its shape; 409 while it is unfinished."""
        status = self.status(job_id)
        if status.status != "done":
            raise Conflict(f"projection {job_id} is {status.status}, it has no coordinates yet")
        if status.shape is None:
            raise Conflict(f"job {job_id} is a {status.method} analysis: it has no coordinates")
        return result_paths(self.results_dir, job_id).coords, status.shape

    def array_path(self, job_id: str, name: str) -> tuple[Path, ResultArray]:
        """A finished job's named result array file and its dtype and shape; 404 when it has none."""
        status = self.status(job_id)
        if status.status != "done":
            raise Conflict(f"job {job_id} is {status.status}, it has no result yet")
        info = status.arrays.get(name)
        if info is None:
            have = ", ".join(status.arrays) or "none"
            raise NotFound(f"job {job_id} ({status.method}) has no result {name[:40]!r}; it has: {have}")
        return array_path(self.results_dir, job_id, name), info

    def result_rows(self, job_id: str) -> np.ndarray | None:
        """The dataset rows (int64) a finished job projected, in its order; None when it took all rows."""
        status = self.status(job_id)
        if status.status != "done":
            raise Conflict(f"projection {job_id} is {status.status}, it has no result yet")
        if status.rows is None:
            return None
        rows = np.fromfile(result_paths(self.results_dir, job_id).rows, dtype="<i8")
        if rows.size != status.rows:
            raise RuntimeError(f"projection {job_id} saved {rows.size} rows, its record says {status.rows}")
        return rows

    def forget_dataset(self, dataset: str) -> None:
        """Drop the cached results of a deleted dataset."""
        for record in self.results_dir.glob("*.json"):
            try:
                if json.loads(record.read_bytes()).get("dataset") == dataset:
                    for path in result_paths(self.results_dir, record.stem):
                        path.unlink(missing_ok=True)
            except (OSError, ValueError):
                continue
