"""The faithfulness job method: how well a layout on screen keeps each point's original neighbours.

For every row, recall@k is the share of its k nearest in the original space (the cached graph) that
are also among its k nearest in the layout (a k-d tree on the layout's axes shown, itself excluded).
Extras summarise the map: mean recall@k, trustworthiness and continuity on a seeded sample (rank_scores.py),
and the least faithful positions (in the job's rows, which are the layout's rows; the page maps them).
Arrays: `recall` (n,) float32 and `neighbors` (n, k) int32, the graph's first k columns: the page
marks a selected point's missed and false neighbours from it, and a cached graph may be 100 wide.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedding_projector.analysis.rank_scores import tree_neighbors, trust_and_continuity
from embedding_projector.analysis.layout_axes import LayoutAxes
from embedding_projector.neighbors import Metric
from embedding_projector.projections.progress import Progress, ProjectionResult

MAX_K = 100
SAMPLE = 5000  # trustworthiness/continuity need all pairwise distances of the sample
SAMPLE_SEED = 0
LEAST_LISTED = 100
# Rows per block of the (rows x k x k) membership test: about 16M booleans at a time.
COMPARE_CELLS = 1 << 24


class Params(BaseModel):
    """The layout (a finished projection's job id), k (1..100), the metric and the layout axes on screen."""

    model_config = ConfigDict(extra="forbid")

    layout: str = Field(..., min_length=1, max_length=200, description="job id of the finished layout to check")
    k: int = Field(10, ge=1, le=MAX_K, description="neighbours compared per point")
    metric: Metric = "cosine"
    axes: LayoutAxes = Field(
        None, min_length=1, max_length=3,
        description="the layout's columns on screen (PCA components shown); default: its first three",
    )


def check_fits(params: Params, n: int) -> str | None:
    """Why faithfulness cannot run on `n` points, or None when it can."""
    return None if n >= 3 else f"faithfulness needs at least 3 points; this layout has {n}"


def graph_needed(params: Params, n_rows: int) -> tuple[Metric, int]:
    """The original-space graph this job reads: (metric, k)."""
    return params.metric, params.k


def layout_axes(layout: np.ndarray, axes: list[int] | None) -> np.ndarray:
    """The (n, <=3) float64 coordinates of the layout's columns on screen."""
    d = layout.shape[1]
    chosen = [a for a in (axes if axes is not None else range(3)) if a < d]
    if not chosen:
        raise ValueError(f"axes {axes} name no column of a layout with {d} columns")
    return np.asarray(layout, dtype=np.float64)[:, chosen]


def shared_counts(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many entries row i of `a` shares with row i of `b` (both (n, k), entries distinct per row)."""
    n, k = a.shape
    counts = np.empty(n, dtype=np.int64)
    step = max(1, COMPARE_CELLS // max(1, k * b.shape[1]))
    for start in range(0, n, step):
        stop = min(start + step, n)
        counts[start:stop] = (a[start:stop, :, None] == b[start:stop, None, :]).any(axis=2).sum(axis=1)
    return counts


def sample_scores(vectors: np.ndarray, points: np.ndarray, k: int, metric: Metric) -> dict[str, Any]:
    """Trustworthiness and continuity on a seeded sample of at most SAMPLE rows (None when too few)."""
    n = vectors.shape[0]
    rows = np.sort(np.random.default_rng(SAMPLE_SEED).choice(n, size=min(n, SAMPLE), replace=False))
    k = min(k, (rows.size - 1) // 2)  # the scores' normalisation needs k < sample / 2
    if k < 1:
        return {"trustworthiness": None, "continuity": None, "sample": int(rows.size)}
    original = np.asarray(vectors[rows], dtype=np.float64)
    if metric == "cosine":
        # Euclidean ranks of unit vectors are cosine ranks, so both directions use one metric.
        norms = np.linalg.norm(original, axis=1, keepdims=True)
        original = original / np.where(norms > 0, norms, 1.0)
    trust, continuity = trust_and_continuity(original, points[rows], k)
    return {"trustworthiness": trust, "continuity": continuity, "sample": int(rows.size)}


def run(vectors: np.ndarray, params: Params, progress: Progress, *, graph: Any, layout: np.ndarray, **_: Any) -> ProjectionResult:
    """Per-point recall@k of `layout` against `graph` (both over the job's rows) and the map's summary."""
    n = vectors.shape[0]
    if layout.shape[0] != n or graph.neighbors.shape[0] != n:
        raise ValueError(f"layout ({layout.shape[0]}), graph ({graph.neighbors.shape[0]}) and rows ({n}) differ")
    k = min(params.k, n - 1, graph.k)
    points = layout_axes(layout, params.axes)
    progress.update(0.05)
    shown = tree_neighbors(points, k, workers=-1)
    progress.update(0.4)
    original = np.ascontiguousarray(graph.neighbors[:, :k], dtype=np.int32)
    recall = (shared_counts(original, shown) / k).astype(np.float32)
    progress.update(0.5)
    scores = sample_scores(vectors, points, k, params.metric)
    least = np.argsort(recall, kind="stable")[:LEAST_LISTED]
    extras = {
        "k": int(k), "metric": params.metric, "graph": graph.job_id,
        "axes": params.axes, "mean_recall": float(recall.mean()), **scores,
        "least_faithful": [int(p) for p in least],
    }
    return ProjectionResult(coords=None, extras=extras, arrays={"recall": recall, "neighbors": original})
