"""The projection methods: name -> module with `Params` (pydantic) and `run(vectors, params, progress)`."""

from __future__ import annotations

from types import ModuleType

from embedding_projector.projections import pca

METHODS: dict[str, ModuleType] = {"pca": pca}
