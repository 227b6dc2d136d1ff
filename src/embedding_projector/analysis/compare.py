"""The compare job method: per point, the Jaccard overlap of its k-NN sets in two embeddings of the same items.

Rows of this dataset (A) are matched to rows of the other (B) by row order (same row count, no key)
or by a key column both have (unique values; empty cells and values the other lacks stay
unmatched). Both graphs come from the graph cache and cover all rows of their dataset; with a key,
a neighbour set counts only matched neighbours, each B neighbour mapped to its A row, so the two
sets are compared as sets of the same items.

Arrays over A's rows: `overlap` (float32, 0 where unmatched), `matched` (int32 0/1) and
`other_rows` (int32, the matched B row or -1), which the page uses to draw B's layout in A's row space.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

# The module, not its names: graph_cache imports the method registry, which imports this module.
from embedding_projector.analysis import graph_cache
from embedding_projector.datasets.store import DatasetStore, read_column
from embedding_projector.errors import InputError, NotFound, Unprocessable
from embedding_projector.neighbors import Metric
from embedding_projector.projections.progress import Progress, ProjectionResult
from embedding_projector.schemas import DatasetInfo

if TYPE_CHECKING:
    from embedding_projector.analysis.graph_cache import Graph

MOST_CHANGED = 100
OVERLAP_COLUMN = "overlap"  # the page's derived column of a comparison (a view with `compare` may colour by it)
MAX_K = 100  # knn_graph.MAX_K (not read from it: knn_graph may be half-imported when this loads)


class Params(BaseModel):
    """The other dataset, k (1..100), the metric and an optional key column present in both."""

    model_config = ConfigDict(extra="forbid")

    other: str = Field(min_length=1, max_length=128, description="the dataset id to compare with")
    k: int = Field(10, ge=1, le=MAX_K, description="neighbours per row")
    metric: Metric = "cosine"
    key: str | None = Field(None, min_length=1, max_length=200, description="a column in both datasets to match rows by")


def graph_needed(params: Params, n_rows: int) -> tuple[Metric, int]:
    """This dataset's graph: the metric and k asked for."""
    return params.metric, params.k


def column_read(params: Params) -> str | None:
    """The key column (its values are passed as `labels=`)."""
    return params.key


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


def key_problem(values: list[Any], key: str, which: str) -> str | None:
    """Why a key column cannot match rows (a value twice), or None."""
    seen: dict[Any, int] = {}
    for row, value in enumerate(values):
        if _is_empty(value):
            continue
        if value in seen:
            return (f"parameter 'key': column {key!r} of {which} is not unique: "
                    f"{str(value)[:60]!r} is in rows {seen[value]} and {row}")
        seen[value] = row
    return None


def extra_inputs(
    params: Params, store: DatasetStore, *, dataset: DatasetInfo, rows: list[int] | None, trusted: bool
) -> dict[str, Any]:
    """The other dataset's files, fingerprint and key version (joins the job spec and key); 422 when it cannot match."""
    if rows is not None:
        raise InputError("rows: a comparison runs on all rows of both datasets; send no rows", file="rows")
    try:
        other = store.get(params.other)
    except NotFound:
        raise Unprocessable(f"parameter 'other': no dataset {params.other[:60]!r}") from None
    if not other.public and not trusted:
        raise Unprocessable(f"parameter 'other': no dataset {params.other[:60]!r}")
    if params.key is None:
        if other.n != dataset.n:
            raise Unprocessable(
                f"parameter 'other': {params.other!r} has {other.n} rows and this dataset {dataset.n}; "
                "rows are matched by order only when the counts agree: choose a key column in both"
            )
    else:
        for info, which in ((dataset, "this dataset"), (other, f"dataset {params.other!r}")):
            if params.key not in {c.name for c in info.columns}:
                raise Unprocessable(f"parameter 'key': {which} has no column {params.key!r}")
        for info, which in ((dataset, "this dataset"), (other, f"dataset {params.other!r}")):
            problem = key_problem(store.column_values(info.id, params.key), params.key, which)
            if problem is not None:
                raise Unprocessable(problem)
    version = other.version if params.key is not None else None
    return {
        "other_dataset": other.id,
        "other_fingerprint": other.fingerprint,
        "other_version": version,
        "other_vectors_path": str(store.vectors_path(other.id)),
        "other_metadata_path": str(store.metadata_path(other.id, version)),
    }


def match_rows(n_a: int, n_b: int, keys_a: list[Any] | None, keys_b: list[Any] | None) -> np.ndarray:
    """For each A row its B row, or -1: by order without keys, else by equal non-empty key values."""
    if keys_a is None or keys_b is None:
        return np.arange(n_a, dtype=np.int64) if n_a == n_b else np.full(n_a, -1, dtype=np.int64)
    where = {value: row for row, value in enumerate(keys_b) if not _is_empty(value)}
    return np.array([-1 if _is_empty(v) else where.get(v, -1) for v in keys_a], dtype=np.int64)


# Rows per block of the (rows, k, k) comparison: 2048 x 100 x 100 booleans = 20 MB at most.
JACCARD_BLOCK = 2048


def jaccard(a_neighbors: np.ndarray, b_neighbors: np.ndarray, b_to_a: np.ndarray, match: np.ndarray) -> np.ndarray:
    """Per A row, |N_A ∩ N_B| / |N_A ∪ N_B| over matched neighbours (B's mapped to A rows); 0 where unmatched."""
    matched_a = match >= 0
    overlap = np.zeros(match.size, dtype=np.float64)
    rows = np.flatnonzero(matched_a)
    for start in range(0, rows.size, JACCARD_BLOCK):
        block = rows[start:start + JACCARD_BLOCK]
        mine = np.where(matched_a[a_neighbors[block]], a_neighbors[block], -1)
        theirs = b_to_a[b_neighbors[match[block]]]  # -1 where B's neighbour has no match here
        # Each list holds distinct rows, so the intersection is the count of equal valid pairs.
        common = ((mine[:, :, None] == theirs[:, None, :]) & (mine >= 0)[:, :, None]).sum(axis=(1, 2))
        union = (mine >= 0).sum(axis=1) + (theirs >= 0).sum(axis=1) - common
        overlap[block] = np.divide(common, union, out=np.zeros(block.size), where=union > 0)
    return overlap


def run(
    vectors: np.ndarray,
    params: Params,
    progress: Progress,
    graph: Graph,
    inputs: dict[str, Any],
    labels: list[Any] | None = None,
    **_: Any,
) -> ProjectionResult:
    """Compare this dataset's k-NN graph with the other dataset's (found or computed in the graph cache)."""
    other_vectors = np.load(inputs["other_vectors_path"], mmap_mode="r", allow_pickle=False)
    other_spec = {
        "dataset": inputs["other_dataset"], "fingerprint": inputs["other_fingerprint"], "rows_path": None,
        "sphereize": False, "results_dir": inputs["results_dir"],
    }
    other_graph = graph_cache.ensure_graph(other_spec, other_vectors, params.metric, params.k, progress.part(0.0, 0.9))
    k = min(graph.k, other_graph.k)
    n_a, n_b = vectors.shape[0], other_vectors.shape[0]
    keys_b = None if params.key is None else read_column(Path(inputs["other_metadata_path"]), params.key)
    match = match_rows(n_a, n_b, labels if params.key is not None else None, keys_b)
    b_to_a = np.full(n_b, -1, dtype=np.int64)
    b_to_a[match[match >= 0]] = np.flatnonzero(match >= 0)
    overlap = jaccard(np.asarray(graph.neighbors[:, :k]), np.asarray(other_graph.neighbors[:, :k]), b_to_a, match)
    progress.update(1.0)
    matched = match >= 0
    n_matched = int(matched.sum())
    order = np.flatnonzero(matched)[np.argsort(overlap[matched], kind="stable")][:MOST_CHANGED]
    extras = {
        "k": k, "metric": params.metric, "other": inputs["other_dataset"], "key": params.key,
        "mean_overlap": float(overlap[matched].mean()) if n_matched else 0.0,
        "matched": n_matched, "unmatched": int(n_a - n_matched), "other_unmatched": int(n_b - n_matched),
        "most_changed": [{"row": int(r), "overlap": round(float(overlap[r]), 6)} for r in order],
    }
    return ProjectionResult(
        coords=None, extras=extras,
        arrays={"overlap": overlap.astype("<f4"), "matched": matched.astype("<i4"), "other_rows": match.astype("<i4")},
    )
