"""The knn_graph job method: every row's exact k nearest neighbours, nearest first, itself excluded.

The result is two arrays over the job's rows: `neighbors` (int32 positions in the job's rows; for
all rows, dataset rows) and `distances` (float32, cosine or euclidean). Every analysis and the
t-SNE/UMAP affinities read this one cached graph (graph_cache.py) rather than finding neighbours again.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from threadpoolctl import threadpool_limits

from embedding_projector.neighbors import Metric, NeighborIndex
from embedding_projector.projections.progress import Progress, ProjectionResult

MAX_K = 100
# Queries per batch: the (batch x block) float32 score matrix is the working set.
QUERY_BATCH = 512
# Batches run in this many threads (numpy's matrix product and comparisons release the GIL),
# each with a single-threaded BLAS: on a busy 2-core machine OpenBLAS's own threads wait on
# each other at every product (a block's product took 6-16 ms with 2 BLAS threads against 2.5 ms
# with one).
MAX_THREADS = 2


class Params(BaseModel):
    """k (1..100) and the metric."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(15, ge=1, le=MAX_K, description="neighbours per row")
    metric: Metric = "cosine"


def compute(vectors: np.ndarray, k: int, metric: Metric, progress: Progress) -> tuple[np.ndarray, np.ndarray]:
    """The exact (n, min(k, n-1)) neighbour rows (int32) and distances (float32) of `vectors`."""
    index = NeighborIndex(vectors)
    n = index.n
    k = min(k, n - 1)
    neighbors = np.empty((n, max(k, 0)), dtype="<i4")
    distances = np.empty((n, max(k, 0)), dtype="<f4")
    if k < 1:
        return neighbors, distances
    starts = range(0, n, QUERY_BATCH)

    def batch(start: int) -> tuple[np.ndarray, np.ndarray]:
        return index.query_rows(np.arange(start, min(start + QUERY_BATCH, n)), k, metric)

    threads = max(1, min(MAX_THREADS, len(os.sched_getaffinity(0)), len(starts)))
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(threads, thread_name_prefix="knn-graph") as pool:
        for start, (rows, dist) in zip(starts, pool.map(batch, starts), strict=True):
            stop = start + len(rows)
            neighbors[start:stop] = rows
            distances[start:stop] = dist
            progress.update(stop / n, rows_done=stop)
    return neighbors, distances


def run(vectors: np.ndarray, params: Params, progress: Progress, **_: Any) -> ProjectionResult:
    """Compute the graph of `vectors` (the job's rows)."""
    neighbors, distances = compute(vectors, params.k, params.metric, progress)
    return ProjectionResult(
        coords=None, extras={"k": int(neighbors.shape[1]), "metric": params.metric},
        arrays={"neighbors": neighbors, "distances": distances},
    )
