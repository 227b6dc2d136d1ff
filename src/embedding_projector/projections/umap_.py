"""UMAP through umap-learn, with per-epoch progress read from its tqdm bar.

umap-learn's only per-epoch hook is `tqdm_kwds`: its epoch loop is `for n in tqdm(range(n_epochs),
**tqdm_kwds)`, and it only fills in `disable` when that key is absent. So with `verbose=False`
(no prints) and `disable=False` the bar is drawn, into an `EpochStream` given as tqdm's `file`,
with a bar format of just "n/total" and a refresh on every epoch. Nothing reaches stdout or stderr.

Intermediate layouts: umap-learn has no embedding callback, but its optimiser
(`umap.layouts.optimize_layout_euclidean`, the only one used here: the output metric is always
euclidean) updates its `head_embedding` argument in place, epoch after epoch, and draws the bar
from inside that loop, between two epochs. So the stream, on its first write, finds that call's
frame on its own thread's stack and keeps a reference to the array; from then on each epoch's
report can carry a copy of the layout as it is. Snapshots are rate-limited as t-SNE's are
(REPORT_INTERVAL). Only reads happen: umap-learn's code runs unchanged, and if a later version
renames the function or the argument, runs still work and only the snapshots stop (the tests
say so).
"""

from __future__ import annotations

import re
import sys
import time
import warnings
from types import CodeType
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedding_projector.projections.graph_policy import GRAPH_MAX_K, compute_k
from embedding_projector.projections.pca_first import pca_dims_field
from embedding_projector.projections.sampled_fit import fit_progress, place_rest, sample_field, sample_rows
from embedding_projector.projections.progress import Progress, ProjectionResult
from embedding_projector.projections.supervision import MAX_COLUMN_CHARS, label_codes

NEIGHBORS_SHARE = 0.3  # share of the progress bar given to the neighbour graph and initialisation
REPORT_INTERVAL = 0.1  # least seconds between two progress reports with positions (as t-SNE)
_BAR = re.compile(r"(\d+)/(\d+)")
# Warnings attributed to these modules are dropped (sklearn.manifold: the spectral layout of a
# neighbour graph in several pieces, "Graph is not fully connected").
QUIET_MODULES = r"(umap|pynndescent|numba|sklearn\.manifold)(\.|$)"


class Params(BaseModel):
    """UMAP parameters."""

    model_config = ConfigDict(extra="forbid")
    dimensions: Literal[2, 3] = Field(2, description="number of output dimensions (2 or 3)")
    n_neighbors: int = Field(
        15, ge=2, le=200, description="size of the local neighbourhood (2 to 200; below n)"
    )
    min_dist: float = Field(
        0.1, ge=0, le=1, description="how tightly points may pack in the embedding (0 to 1)"
    )
    metric: Literal["cosine", "euclidean"] = Field(
        "cosine", description="distance between input vectors"
    )
    seed: int | None = Field(
        None,
        ge=0,
        description="random seed; None runs in parallel but differs between runs, while a seed "
        "makes the result reproducible and makes umap-learn run single-threaded (slower)",
    )
    supervise_column: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_COLUMN_CHARS,
        description="metadata column whose labels supervise the layout (umap-learn's y); empty "
        "cells are unlabelled (semi-supervised); None for an unsupervised layout",
    )
    pca_dims: int | None = pca_dims_field()
    sample: int | None = sample_field()
    target_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="supervision weight (0 to 1): 0 follows the vectors only, 1 the labels "
        "almost only; used with supervise_column",
    )


def column_read(params: Params) -> str | None:
    """The metadata column a run with `params` reads: the supervising column, or None."""
    return params.supervise_column


def check_fits(params: Params, n: int) -> str | None:
    """Why `params` cannot run on `n` points, or None when they can."""
    n = min(n, params.sample or n)  # a fit on a sample needs as much of the sample
    least = params.dimensions + 2  # the spectral initialisation needs dimensions + 1 < n
    if n < least:
        return f"UMAP in {params.dimensions}-D needs at least {least} points; this dataset has {n}"
    if params.n_neighbors >= n:
        return (
            f"n_neighbors {params.n_neighbors} is too large for {n} points: use at most {n - 1}"
        )
    return None


def graph_needed(params: Params, n: int) -> tuple[str, int, int | None] | None:
    """The cached graph this run can use: (metric, k, k to compute when none is cached), or None.

    umap-learn counts the point itself among its n_neighbors, so the graph needs n_neighbors - 1.
    A missing graph is computed only within graph_policy's row range.
    """
    k = params.n_neighbors - 1
    if k > GRAPH_MAX_K or k > n - 1 or sample_rows(n, params.sample, params.seed) is not None:
        return None  # (a fit on a sample needs umap-learn's own index, to transform the rest)
    return params.metric, k, compute_k(n)


def precomputed_knn(graph: Any, n_neighbors: int) -> tuple[np.ndarray, np.ndarray, None]:
    """umap-learn's precomputed_knn from the graph: each row itself first (distance 0), then its nearest."""
    n = graph.neighbors.shape[0]
    indices = np.empty((n, n_neighbors), dtype=np.int32)
    dists = np.empty((n, n_neighbors), dtype=np.float32)
    indices[:, 0] = np.arange(n)
    dists[:, 0] = 0.0
    indices[:, 1:] = graph.neighbors[:, : n_neighbors - 1]
    dists[:, 1:] = graph.distances[:, : n_neighbors - 1]
    return indices, dists, None


class EpochStream:
    """A write-only text stream for tqdm that turns each "n/total" bar into a progress report.

    Given the optimiser's code object, it also finds the array that the optimiser moves and adds
    a snapshot of it to an epoch's report, at most every REPORT_INTERVAL seconds.
    """

    def __init__(self, progress: Progress, optimizer: CodeType | None = None) -> None:
        self.progress = progress
        self.optimizer = optimizer
        self.epoch = -1
        self.epochs: int | None = None
        self.embedding: np.ndarray | None = None
        self.last_snapshot = -float("inf")

    def write(self, text: str) -> int:
        """Parse the last "n/total" in `text` and report it once per epoch."""
        matches = _BAR.findall(text)
        if matches:
            epoch, epochs = (int(v) for v in matches[-1])
            if epoch != self.epoch and epochs > 0:
                self.epoch, self.epochs = epoch, epochs
                fraction = NEIGHBORS_SHARE + (1 - NEIGHBORS_SHARE) * epoch / epochs
                info = {"stage": "embedding", "epoch": epoch, "epochs": epochs}
                layout = self._layout()
                now = time.monotonic()
                if layout is not None and now - self.last_snapshot >= REPORT_INTERVAL:
                    self.last_snapshot = now
                    self.progress.snapshot(layout, fraction, **info)
                else:
                    self.progress.update(fraction, **info)
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    def _layout(self) -> np.ndarray | None:
        """The (n, dimensions) array the optimiser is moving, once found on this thread's stack."""
        if self.embedding is None and self.optimizer is not None:
            frame = sys._getframe(1)
            while frame is not None and frame.f_code is not self.optimizer:
                frame = frame.f_back
            found = None if frame is None else frame.f_locals.get("head_embedding")
            del frame  # a frame reference would keep the whole call stack alive
            if isinstance(found, np.ndarray) and found.ndim == 2:
                self.embedding = found
        return self.embedding


def run(
    vectors: np.ndarray,
    params: Params,
    progress: Progress,
    *,
    labels: list | None = None,
    n_epochs: int | None = None,
    force_approximation: bool = False,
    graph: Any = None,
) -> ProjectionResult:
    """Embed `vectors` (n, d) with UMAP, reporting the neighbour stage and then every epoch.

    `labels` (one per row: the supervising column's values) make the layout supervised.
    `n_epochs` and `force_approximation` (NN-descent even below 4096 rows) serve the warm-up.
    `graph` (graph_cache.Graph of params.metric, >= n_neighbors - 1 neighbours) replaces
    umap-learn's neighbour search.
    """
    # The libraries' notes ("Tensorflow not installed", "n_jobs value 1 overridden to 1 by
    # setting random_state", eigensolver, numba and graph remarks) are about choices made on
    # purpose and would only fill the server log. A process-wide filter rather than
    # catch_warnings(), which is not thread-safe: a worker warms up in a second thread.
    warnings.filterwarnings("ignore", module=QUIET_MODULES)
    import umap
    from umap.layouts import optimize_layout_euclidean

    n = vectors.shape[0]
    problem = check_fits(params, n)
    if problem:
        raise ValueError(problem)
    # numba compiles separately for read-only arrays (a memmap), which warm-up does not cover.
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    if not data.flags.writeable:
        data = data.copy()

    target = None
    if labels is not None:
        if len(labels) != n:
            raise ValueError(f"{len(labels)} labels for {n} rows")
        target = label_codes(labels)  # umap-learn's categorical target: -1 is unlabelled

    fit_rows = sample_rows(n, params.sample, params.seed)
    everything, whole_progress = data, progress
    if fit_rows is not None:
        data, progress, graph = everything[fit_rows], fit_progress(progress), None
        target = None if target is None else target[fit_rows]
    progress.update(0.0, stage="neighbors")
    knn = (None, None, None)
    neighbors_from = "umap-learn"
    if graph is not None:
        knn = precomputed_knn(graph, params.n_neighbors)
        neighbors_from = "computed graph" if getattr(graph, "computed", False) else "cached graph"
    stream = EpochStream(progress, getattr(optimize_layout_euclidean, "__code__", None))
    reducer = umap.UMAP(
        n_components=params.dimensions,
        n_neighbors=params.n_neighbors,
        min_dist=params.min_dist,
        metric=params.metric,
        random_state=params.seed,
        target_weight=params.target_weight,
        n_epochs=n_epochs,
        force_approximation_algorithm=force_approximation,
        precomputed_knn=knn,
        verbose=False,
        tqdm_kwds={
            "disable": False,
            "file": stream,
            "bar_format": "{n}/{total}",
            "mininterval": 0,
            "miniters": 1,
            "ascii": True,
            "leave": False,
        },
    )
    coords = np.asarray(reducer.fit_transform(data, y=target), dtype=np.float32)
    if fit_rows is not None:
        coords = place_rest(n, fit_rows, coords, lambda rows: reducer.transform(everything[rows]), whole_progress)
        progress = whole_progress

    # umap-learn gives points with no edge in the neighbour graph (e.g. a cosine distance of 2 to
    # all others) NaN coordinates; they sit at the centre of the rest, counted in the extras.
    lost = ~np.isfinite(coords).all(axis=1)
    if lost.any():
        coords[lost] = coords[~lost].mean(axis=0) if (~lost).any() else 0.0
    epochs = stream.epochs or (500 if n <= 10_000 else 200)
    progress.update(1.0, stage="done", epoch=epochs, epochs=epochs)
    extras: dict = {"epochs": epochs, "disconnected": int(lost.sum()), "neighbors": neighbors_from}
    if fit_rows is not None:
        extras["sample"] = int(fit_rows.size)
    if graph is not None:
        extras["graph"] = graph.job_id
    if target is not None:
        extras["supervised"] = {"labelled": int((target >= 0).sum()), "classes": int(target.max() + 1)}
    return ProjectionResult(coords=coords, extras=extras)
