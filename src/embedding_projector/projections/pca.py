"""PCA: the top principal components of all rows, with explained variance ratios.

For modest d the covariance route (a d x d eigenproblem, as sklearn's
`svd_solver="covariance_eigh"`) is computed here in row blocks: each block is centred on the mean
(rounded to float32) and multiplied in float32, the fast BLAS path, and the block sums accumulate in
float64 with a correction for the rounded mean. sklearn's version forms the Gram matrix of the
*uncentred* float32 data, which loses the covariance entirely when the mean is large next to the
spread, and a float64 copy of the input would take twice its memory (and float64 products are ~3x
slower: 16.9 s against 5.1 s for 200k x 768 here). For
large d, sklearn's randomized (or, for small data, full) SVD finds the components. Either way the
coordinates are projected here block by block, so the input (possibly a read-only memmap) is only
read; `vectors` may also be anything with `shape` and row slices (matrix_file.RowReader) on the
covariance route.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedding_projector.projections.progress import Progress, ProjectionResult

Solver = Literal["covariance", "full", "randomized"]

COVARIANCE_MAX_D = 1000  # up to here the d x d eigenproblem is the fastest route
FULL_MAX_DIM = 500  # an exact SVD is cheap when the smaller side is at most this
# Rows per pass's block, at most: its copy is all the memory a pass adds over `vectors`. Each float32
# product of the covariance route sums a block in float32, so fewer rows keep the rounding small
# (~sqrt(rows) x float32's epsilon, relative); the sums across blocks are float64.
BLOCK_ROWS = 16384
# ... and at most this many bytes of float32: glibc maps larger blocks fresh each time, and their page
# faults cost more than the arithmetic (a pass over 1M x 768 in 50 MB blocks: 1.65 s; in 8 MB: 0.40 s).
BLOCK_BYTES = 16 << 20


def block_rows(d: int) -> int:
    """Rows per block of a pass over d-dimensional float32 rows."""
    return max(1, min(BLOCK_ROWS, BLOCK_BYTES // (4 * max(d, 1))))


class Params(BaseModel):
    """PCA parameters."""

    model_config = ConfigDict(extra="forbid")
    components: int = Field(10, ge=1, le=10, description="number of principal components to compute")


def choose_solver(n: int, d: int) -> Solver:
    """The fastest accurate route for an n x d matrix."""
    if d <= COVARIANCE_MAX_D:
        return "covariance"
    return "full" if min(n, d) <= FULL_MAX_DIM else "randomized"


def run(
    vectors: np.ndarray, params: Params, progress: Progress, *, solver: Solver | None = None
) -> ProjectionResult:
    """Project `vectors` (n, d) onto their top principal components (`solver` forces a route)."""
    return project(vectors, params.components, progress, solver=solver)


def project(vectors: np.ndarray, components: int, progress: Progress, *, solver: Solver | None = None) -> ProjectionResult:
    """The coordinates of `vectors` on their top `components` principal components, and the variance ratios."""
    n, d = vectors.shape
    c = min(components, n, d)
    solver = solver or choose_solver(n, d)
    progress.update(0.0, stage="start", solver=solver)

    mean = _column_means(vectors)
    if n < 2:
        progress.update(1.0, stage="done")
        return ProjectionResult(
            coords=np.zeros((n, c), dtype=np.float32), extras={"explained_variance": [0.0] * c}
        )
    progress.update(0.2, stage="fit")

    if solver == "covariance":
        components, ratios = _covariance_components(vectors, mean, c)
    else:
        from sklearn.decomposition import PCA  # only this route needs it (and its ~60 MB)

        pca = PCA(n_components=c, svd_solver=solver, random_state=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            pca.fit(vectors)
        components = pca.components_.astype(np.float64)
        # sklearn's float32 mean is inexact, so constant data would explain rounding noise 100%:
        # divide by the total variance around the exact mean instead.
        total = _total_variance(vectors, mean)
        variances = pca.explained_variance_.astype(np.float64)
        ratios = np.clip(variances / total, 0.0, 1.0) if total > 0 else np.zeros(c)
        ratios /= max(1.0, ratios.sum())
    weights = _orient(components).T.astype(np.float32)
    progress.update(0.7, stage="project")

    # Centring in float32 loses nothing that matters (the rounding of the mean only shifts the
    # whole picture), and keeps the projection pass ~4x faster than float64.
    mean32 = mean.astype(np.float32)
    coords = np.empty((n, c), dtype=np.float32)
    step = block_rows(d)
    for start in range(0, n, step):
        block = np.asarray(vectors[start : start + step], dtype=np.float32) - mean32
        np.matmul(block, weights, out=coords[start : start + step])
    progress.update(1.0, stage="done")
    return ProjectionResult(
        coords=coords, extras={"explained_variance": [float(r) for r in ratios]}
    )


def _column_means(vectors: np.ndarray) -> np.ndarray:
    """Float64 column means.

    Exact for identical rows (float32 values sum exactly in float64), so constant data centres
    to exact zeros and comes out as zero variance rather than rounding noise.
    """
    n, d = vectors.shape
    total = np.zeros(d, dtype=np.float64)
    step = block_rows(d)
    for start in range(0, n, step):
        total += np.asarray(vectors[start : start + step]).sum(axis=0, dtype=np.float64)
    return total / max(n, 1)


def _total_variance(vectors: np.ndarray, mean: np.ndarray) -> float:
    """Sum of the column variances (ddof=1), in float64."""
    n, d = vectors.shape
    total = 0.0
    step = block_rows(d)
    for start in range(0, n, step):
        block = np.asarray(vectors[start : start + step], dtype=np.float64) - mean
        total += float(np.einsum("ij,ij->", block, block))
    return total / (n - 1)


def _covariance_components(
    vectors: np.ndarray, mean: np.ndarray, c: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-c eigenvectors (rows) of the covariance matrix and their explained variance ratios."""
    n, d = vectors.shape
    shift = mean.astype(np.float32)
    scatter = np.zeros((d, d), dtype=np.float64)
    sums = np.zeros(d, dtype=np.float64)
    step = block_rows(d)
    for start in range(0, n, step):
        block = np.asarray(vectors[start : start + step], dtype=np.float32) - shift
        scatter += block.T @ block
        sums += block.sum(axis=0, dtype=np.float64)
    # Centred on `shift`, not on the exact mean: subtract what that offset adds to the scatter.
    offset = sums / n
    cov = (scatter - n * np.outer(offset, offset)) / (n - 1)
    cov = (cov + cov.T) / 2  # the float32 products need not be exactly symmetric
    eigenvalues, eigenvectors = np.linalg.eigh(cov)  # ascending
    eigenvalues = np.clip(eigenvalues[::-1], 0.0, None)
    eigenvectors = eigenvectors[:, ::-1]
    total = eigenvalues.sum()
    ratios = eigenvalues[:c] / total if total > 0 else np.zeros(c)
    return eigenvectors[:, :c].T.copy(), ratios


def _orient(components: np.ndarray) -> np.ndarray:
    """Flip each component so that its largest-|loading| entry is positive (a stable picture)."""
    biggest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(len(components)), biggest])
    signs[signs == 0] = 1.0
    return components * signs[:, None]
