"""The projection methods: name -> module with `Params` (pydantic) and `run(vectors, params, progress)`.

Optional module attributes: `check_fits(params, n_rows) -> str | None` (size limits, checked before a
job is queued) and `NEEDS_COLUMN` with `check_matches(params, values)` (pattern axes over a column).
"""

from __future__ import annotations

from types import ModuleType

from embedding_projector.projections import custom_axes, pca, tsne, umap_

METHODS: dict[str, ModuleType] = {"pca": pca, "tsne": tsne, "umap": umap_, "custom": custom_axes}
