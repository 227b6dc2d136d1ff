"""`pca_dims`: t-SNE and UMAP first reduce the vectors to their top principal components.

It is the common practice for high-dimensional input (openTSNE's and umap-learn's docs, scanpy's
default): neighbours on 50 components are nearly those on 768 at a fraction of the cost. Unset, it
is resolved when a job is admitted, from the dataset's dimension, so the value that ran is always
in the job's params and its cache key: 50 above 100 dimensions, else 0 (off).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from embedding_projector.projections import pca
from embedding_projector.projections.progress import Progress

DEFAULT_DIMS = 50
AUTO_ABOVE_DIM = 100
MAX_DIMS = 512
# Share of a job's progress bar the reduction takes.
SHARE = 0.1


def pca_dims_field() -> Any:
    """The `pca_dims` parameter of a method that can reduce its input first."""
    return Field(
        None,
        ge=0,
        le=MAX_DIMS,
        description=f"reduce the vectors to this many principal components first (0: off); unset: "
        f"{DEFAULT_DIMS} when the vectors have more than {AUTO_ABOVE_DIM} dimensions, else off",
    )


def resolve(params: BaseModel, dim: int) -> BaseModel:
    """`params` with pca_dims decided for vectors of `dim` dimensions (a reduction to >= dim is none)."""
    if "pca_dims" not in type(params).model_fields:
        return params
    dims = params.pca_dims
    if dims is None:
        dims = DEFAULT_DIMS if dim > AUTO_ABOVE_DIM else 0
    if dims >= dim:
        dims = 0
    return params.model_copy(update={"pca_dims": dims})


def reduce(vectors: np.ndarray, dims: int, progress: Progress) -> np.ndarray:
    """The (n, dims) float32 coordinates of `vectors` on their top `dims` principal components."""
    return np.ascontiguousarray(pca.project(vectors, dims, progress).coords, dtype=np.float32)


def graph_fingerprint(fingerprint: str, dims: int) -> str:
    """The fingerprint a cached neighbour graph of the reduced vectors is filed under (not the raw vectors')."""
    return f"{fingerprint}+pca{dims}" if dims else fingerprint
