"""The job methods' registry: name -> module with `Params` (pydantic) and `run(vectors, params, progress, **inputs)`.

Projections return coordinates; analyses (embedding_projector.analysis) return named arrays.
Optional module attributes:
- `check_fits(params, n_rows) -> str | None`: size limits, checked before a job is queued;
- `NEEDS_COLUMN` with `check_matches(params, values)`: pattern axes over a column;
- `column_read(params) -> str | None`: a metadata column the job reads (passed as `labels=`);
- `graph_needed(params, n_rows) -> (metric, k) | (metric, k, compute_k) | None`: the worker looks
  up the rows' cached k-NN graph with >= k neighbours (analysis/graph_cache.py) and passes its first
  k columns as `graph=`. When none is cached it computes and caches one with compute_k (>= k)
  neighbours first (a 2-tuple: compute_k = k); with compute_k None it computes nothing and passes
  no `graph=` (t-SNE/UMAP outside graph_policy's row range then find neighbours themselves). Only a
  computed graph takes the first GRAPH_SHARE of the progress bar; `graph.computed` says which;
- a `layout` field in Params (a finished job id): the job runs on that layout's rows and sphereize,
  and the worker passes its coordinates as `layout=`;
- `extra_inputs(params, store, *, dataset, rows, trusted) -> dict`: inputs from outside the job's
  dataset (compare: the other dataset's fingerprint and files), found in admission's check thread
  (raising the 4xx that refuses the job); the dict joins the job spec as `job["inputs"]` (passed as
  `inputs=`, with `results_dir`) and the job key (entries named `*_path` excepted).
"""

from __future__ import annotations

from types import ModuleType

from embedding_projector.analysis import clusters, compare, diagnostics, faithfulness, knn_graph
from embedding_projector.projections import custom_axes, pca, tsne, umap_

METHODS: dict[str, ModuleType] = {
    "pca": pca,
    "tsne": tsne,
    "umap": umap_,
    "custom": custom_axes,
    "knn_graph": knn_graph,
    "compare": compare,
    "faithfulness": faithfulness,
    "clusters": clusters,
    "diagnostics": diagnostics,
}
