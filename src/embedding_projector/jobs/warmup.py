"""Warm-up: tiny UMAP and t-SNE runs so numba compiles in a new worker before any user job.

Most of umap-learn's numba functions are compiled per process (no `cache=True`), which makes a
process's first UMAP cost about 40 s more than its second. The tiny runs here go through the
same `umap_.run` / `tsne.run` code as a user's job and cover every compiled variant a real run
can need:
- both metrics (pynndescent compiles its search per distance function);
- NN-descent (umap-learn uses it from 4096 rows; forced here) and the exact small-data path;
- pynndescent's breadth-first forest splits, which only run once the data exceeds 1 MiB (hence
  wide rows: 600 x 1024 float32 = 2.4 MiB);
- the parallel layout (no seed) and the serial one (a seed);
- 2-D and 3-D;
- neighbours from a cached k-NN graph (umap-learn's precomputed_knn);
- a neighbour graph in more than 2 x dimensions pieces, whose layout measures distances between
  the pieces' float64 centroids with umap-learn's own (numba) metric.
Arrays have the dtype and layout of a real run (C-contiguous, writable float32), since numba
compiles again for another type.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from embedding_projector.analysis import knn_graph
from embedding_projector.analysis.graph_cache import Graph
from embedding_projector.projections import tsne, umap_
from embedding_projector.projections.progress import Progress

UMAP_WARM_ROWS, UMAP_WARM_DIM = 600, 1024
UMAP_WARM_EPOCHS = 3


def warm_up(between_steps: Callable[[], object] = lambda: None) -> float:
    """Run the tiny projections in this process; return the seconds it took.

    `between_steps` is called before each run (the worker's: wait while a job runs in this process).
    """
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    quiet = Progress()
    wide = rng.standard_normal((UMAP_WARM_ROWS, UMAP_WARM_DIM), dtype=np.float32)
    small = rng.standard_normal((200, 16), dtype=np.float32)
    # Eight tight clusters along different axes: eight components for both metrics.
    pieces = 10 * np.eye(16, dtype=np.float32)[np.arange(200) % 8] + 0.1 * small
    # No redirect_stdout() or catch_warnings() here: both swap process-wide state, and the worker
    # runs this in a second thread next to user jobs. Nothing here prints, and umap_.run drops
    # the libraries' warnings itself.
    for metric in ("cosine", "euclidean"):
        params = umap_.Params(metric=metric, n_neighbors=10)
        between_steps()
        umap_.run(wide, params, quiet, n_epochs=UMAP_WARM_EPOCHS, force_approximation=True)
        between_steps()
        umap_.run(pieces, params, quiet, n_epochs=UMAP_WARM_EPOCHS)  # the small-data path
        between_steps()
        # Neighbours from a cached graph (precomputed_knn: int32 indices, no search index).
        neighbors, distances = knn_graph.compute(pieces, 9, metric, quiet)
        umap_.run(pieces, params, quiet, n_epochs=UMAP_WARM_EPOCHS, graph=Graph("warm-up", neighbors, distances))
    between_steps()
    umap_.run(small, umap_.Params(seed=0, dimensions=3), quiet, n_epochs=UMAP_WARM_EPOCHS)
    between_steps()
    tsne.run(small, tsne.Params(perplexity=10, iterations=50), quiet)
    return time.perf_counter() - start
