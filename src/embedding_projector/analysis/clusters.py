"""The clusters job method: HDBSCAN of a layout (default) or of the original vectors, with named clusters.

Array `labels` (int32, one per job row): the cluster id, -1 for noise. Extras: `clusters`, a list of
{id, size, label, centre (mean layout coordinates), medoid (a job row)}, largest first (ids are in
that order), plus how it ran. On the vectors, HDBSCAN reads the dataset's cached k-NN graph
(graph_needed), so it finds no neighbours itself and its cost is the graph's.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedding_projector.analysis.cluster_labels import cell_texts, cluster_names
from embedding_projector.analysis.hdbscan_fit import GRAPH_K, graph_labels, layout_labels
from embedding_projector.analysis.layout_axes import LayoutAxes
from embedding_projector.neighbors import Metric
from embedding_projector.projections.progress import Progress, ProjectionResult
from embedding_projector.projections.supervision import MAX_COLUMN_CHARS

# The page's derived column of a clusters result, which a shared view may colour or label by.
CLUSTER_COLUMN = "cluster"
MAX_MIN_SAMPLES = 100  # the k-NN graph holds at most 100 neighbours
DEFAULT_MIN_SAMPLES = 10
# On the vectors HDBSCAN needs the rows' exact k-NN graph: 50k x 50 took 143 s on 2 busy cores and
# it grows with the square of the rows, so past this a layout (or an isolated subset) is the way.
MAX_VECTOR_ROWS = 100_000


class Params(BaseModel):
    """Which layout, in which space, HDBSCAN's two sizes and the column that names the clusters."""

    model_config = ConfigDict(extra="forbid")

    layout: str = Field(..., min_length=1, max_length=100, description="the finished projection to cluster")
    space: Literal["layout", "vectors"] = Field(
        "layout", description="cluster the layout's coordinates (fast) or the original vectors"
    )
    min_cluster_size: int | None = Field(
        None, ge=2, le=10_000_000,
        description="smallest cluster (HDBSCAN); None: max(5, rows / 200)",
    )
    min_samples: int | None = Field(
        None, ge=1, le=MAX_MIN_SAMPLES,
        description="neighbours that make a point a core point, itself included (1..100); None: min(10, min_cluster_size)",
    )
    label_column: str | None = Field(
        None, min_length=1, max_length=MAX_COLUMN_CHARS, description="text column that names the clusters"
    )
    metric: Metric = Field("cosine", description="distance between the vectors (space 'vectors' only)")
    axes: LayoutAxes = Field(
        None, min_length=1, max_length=3,
        description="the layout's columns on screen (PCA's components, 0-based); None: the first three",
    )


def sizes(params: Params, n_rows: int) -> tuple[int, int]:
    """The min_cluster_size and min_samples a run on `n_rows` rows uses (the defaults filled in)."""
    min_cluster_size = params.min_cluster_size or max(5, round(n_rows / 200))
    min_samples = params.min_samples or min(DEFAULT_MIN_SAMPLES, min_cluster_size)
    return min_cluster_size, min_samples


def check_fits(params: Params, n_rows: int) -> str | None:
    """A cluster cannot be bigger than the rows there are; the vectors' graph is capped in size."""
    if params.space == "vectors" and n_rows > MAX_VECTOR_ROWS:
        return (
            f"parameter 'space': clustering the original vectors is limited to {MAX_VECTOR_ROWS:,} rows "
            f"(its exact neighbour graph grows with the square of the rows; these are {n_rows:,}); "
            "cluster the layout, or isolate fewer points"
        )
    if params.min_cluster_size is not None and params.min_cluster_size > n_rows:
        return f"parameter 'min_cluster_size': {params.min_cluster_size} is more than the {n_rows} rows"
    if params.min_samples is not None and params.min_samples >= n_rows:
        return f"parameter 'min_samples': {params.min_samples} needs more than the {n_rows} rows"
    return None


def column_read(params: Params) -> str | None:
    """The text column that names the clusters (its values arrive as `labels=`)."""
    return params.label_column


def graph_needed(params: Params, n_rows: int) -> tuple[str, int] | None:
    """On the vectors, the cached k-NN graph with enough neighbours for min_samples."""
    if params.space != "vectors":
        return None
    _, min_samples = sizes(params, n_rows)
    return params.metric, min(MAX_MIN_SAMPLES, max(GRAPH_K, min_samples))


def run(vectors: np.ndarray, params: Params, progress: Progress, **inputs: Any) -> ProjectionResult:
    """Cluster the job's rows and name each cluster."""
    layout = _on_screen(np.asarray(inputs["layout"], dtype=np.float64), params.axes)
    n = layout.shape[0]
    min_cluster_size, min_samples = sizes(params, n)
    progress.update(0.05, phase="clustering")
    if params.space == "vectors":
        graph = inputs["graph"]
        labels = graph_labels(graph.neighbors, graph.distances, min_cluster_size, min_samples)
        how = "k-NN graph of the vectors"
    else:
        labels = layout_labels(layout, min_cluster_size, min_samples)
        how = "k-NN graph of the layout"
    progress.update(0.8, phase="naming")
    labels = _largest_first(labels)
    n_clusters = int(labels.max()) + 1 if labels.size else 0
    texts = cell_texts(inputs["labels"]) if params.label_column is not None else None
    names, medoids, naming = cluster_names(texts, labels, layout, n_clusters)
    clusters = []
    for c in range(n_clusters):
        members = labels == c
        clusters.append({
            "id": c, "size": int(members.sum()), "label": names[c],
            "centre": [float(v) for v in layout[members].mean(axis=0)], "medoid": medoids[c],
        })
    extras = {
        "clusters": clusters, "noise": int((labels < 0).sum()), "space": params.space,
        "min_cluster_size": min_cluster_size, "min_samples": min_samples, "backend": how, "naming": naming,
    }
    return ProjectionResult(coords=None, extras=extras, arrays={"labels": labels})


def _on_screen(layout: np.ndarray, axes: list[int] | None) -> np.ndarray:
    """The layout's columns the user sees (`axes`, else the first three)."""
    if axes is None:
        return np.ascontiguousarray(layout[:, :3])
    if max(axes) >= layout.shape[1]:
        raise ValueError(f"parameter 'axes': the layout has {layout.shape[1]} columns, not {max(axes) + 1}")
    return np.ascontiguousarray(layout[:, axes])


def _largest_first(labels: np.ndarray) -> np.ndarray:
    """Cluster ids renumbered by size, largest 0 (noise stays -1)."""
    labels = np.asarray(labels, dtype=np.int32)
    found = labels >= 0
    if not found.any():
        return labels
    counts = np.bincount(labels[found])
    order = np.argsort(-counts, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    out = labels.copy()
    out[found] = rank[labels[found]].astype(np.int32)
    return out
