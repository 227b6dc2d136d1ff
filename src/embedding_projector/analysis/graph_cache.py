"""The cached k-NN graph of a dataset (or a row subset): found by key, or computed once and stored as a knn_graph job.

Analyses and the t-SNE/UMAP affinities run inside workers; they call `ensure_graph` with what their
job spec names (dataset, fingerprint, rows, sphereize). A graph with at least the k asked for is
reused (its first k columns), so a k=100 graph serves every smaller k.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedding_projector.analysis import knn_graph
from embedding_projector.atomic_files import atomic_write_bytes
from embedding_projector.jobs.job_key import job_key
from embedding_projector.jobs.records import array_path, read_record, result_paths
from embedding_projector.neighbors import Metric
from embedding_projector.projections.progress import Progress
from embedding_projector.schemas import JobStatus

METHOD = "knn_graph"


@dataclass(frozen=True)
class Graph:
    """A k-NN graph over a job's rows: (n, k) int32 neighbour positions and float32 distances, nearest first."""

    job_id: str
    neighbors: np.ndarray
    distances: np.ndarray
    computed: bool = False  # computed for this job just now (rather than found in the cache)

    @property
    def k(self) -> int:
        """Neighbours per row."""
        return int(self.neighbors.shape[1])

    def first(self, k: int) -> Graph:
        """The graph of the k nearest (k <= self.k)."""
        return Graph(self.job_id, self.neighbors[:, :k], self.distances[:, :k], self.computed)


def graph_key(
    dataset: str, fingerprint: str, k: int, metric: Metric, rows: list[int] | None, sphereize: bool = False
) -> str:
    """The job id of the knn_graph job with these inputs (as the API would make it)."""
    params = knn_graph.Params(k=k, metric=metric).model_dump(mode="json")
    return job_key(dataset, fingerprint, METHOD, params, rows, sphereize)


def load_graph(results_dir: Path, job_id: str) -> Graph | None:
    """A finished knn_graph job's arrays (memory-mapped), or None."""
    status = read_record(results_dir, job_id)
    if status is None or status.status != "done" or status.method != METHOD:
        return None
    shape = tuple(status.arrays["neighbors"].shape)
    neighbors = np.memmap(array_path(results_dir, job_id, "neighbors"), dtype="<i4", mode="r", shape=shape)
    distances = np.memmap(array_path(results_dir, job_id, "distances"), dtype="<f4", mode="r", shape=shape)
    return Graph(job_id, neighbors, distances)


def find_graph(
    results_dir: Path,
    dataset: str,
    fingerprint: str,
    metric: Metric,
    min_k: int,
    rows: list[int] | None = None,
    sphereize: bool = False,
) -> Graph | None:
    """The cached graph with the fewest neighbours >= min_k (up to 100), cut to min_k columns; or None."""
    for k in range(min_k, knn_graph.MAX_K + 1):
        graph = load_graph(results_dir, graph_key(dataset, fingerprint, k, metric, rows, sphereize))
        if graph is not None:
            return graph.first(min(min_k, graph.k))
    return None


def store_graph(
    results_dir: Path,
    dataset: str,
    fingerprint: str,
    k: int,
    metric: Metric,
    rows: list[int] | None,
    sphereize: bool,
    neighbors: np.ndarray,
    distances: np.ndarray,
    elapsed: float | None = None,
) -> JobStatus:
    """Store a computed graph as a finished knn_graph job (arrays first, the done record last)."""
    params = knn_graph.Params(k=k, metric=metric).model_dump(mode="json")
    key = job_key(dataset, fingerprint, METHOD, params, rows, sphereize)
    files = result_paths(results_dir, key)
    if rows is not None:
        atomic_write_bytes(files.rows, np.asarray(rows, dtype="<i8").tobytes())
    shape = list(neighbors.shape)
    atomic_write_bytes(array_path(results_dir, key, "neighbors"), np.ascontiguousarray(neighbors, "<i4").tobytes())
    atomic_write_bytes(array_path(results_dir, key, "distances"), np.ascontiguousarray(distances, "<f4").tobytes())
    status = JobStatus(
        id=key, dataset=dataset, method=METHOD, params=params, rows=None if rows is None else len(rows),
        sphereize=sphereize, status="done", progress=1.0, elapsed=elapsed,
        extras={"k": shape[1], "metric": metric},
        arrays={"neighbors": {"dtype": "int32", "shape": shape}, "distances": {"dtype": "float32", "shape": shape}},
    )
    atomic_write_bytes(files.record, json.dumps(status.model_dump(mode="json")).encode())
    return status


def ensure_graph(
    job: dict[str, Any], vectors: np.ndarray, metric: Metric, k: int, progress: Progress, compute_k: int | None = -1
) -> Graph | None:
    """The graph of a worker job's rows: the cached one (k columns), or computed now and cached for the next job.

    `job` is the worker's job spec (dataset, fingerprint, rows_path, sphereize, results_dir);
    `vectors` are the job's rows as the job sees them (sphereized when it is). When no cached graph
    has k neighbours, one with `compute_k` (>= k; -1: k) is computed and stored, and its first k
    columns are returned; with compute_k None, nothing is computed and the answer is None.
    """
    results_dir = Path(job["results_dir"])
    rows = None if job["rows_path"] is None else np.fromfile(job["rows_path"], dtype="<i8").tolist()
    sphereize = bool(job.get("sphereize"))
    found = find_graph(results_dir, job["dataset"], job["fingerprint"], metric, k, rows, sphereize)
    if found is not None or compute_k is None:
        return found
    compute_k = max(k, compute_k)
    began = time.monotonic()
    neighbors, distances = knn_graph.compute(vectors, compute_k, metric, progress)
    store_graph(results_dir, job["dataset"], job["fingerprint"], compute_k, metric, rows, sphereize, neighbors,
                distances, round(time.monotonic() - began, 3))
    key = graph_key(job["dataset"], job["fingerprint"], compute_k, metric, rows, sphereize)
    return Graph(key, neighbors, distances, computed=True).first(min(k, neighbors.shape[1]))
