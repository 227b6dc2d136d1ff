"""`sample`: fit t-SNE or UMAP on a random sample of the rows, then place the rest with the library's
own `transform` (openTSNE's optimisation against the fixed reference layout; umap-learn's
transform). The path for datasets too large to fit whole; it also makes a first look at 1M rows
quick. The sample is drawn from the job's seed, so a run is reproducible and its key says it all.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import Field

from embedding_projector.projections.progress import Progress

MIN_SAMPLE = 100
# Share of the progress bar the fit on the sample takes; placing the rest takes the remainder.
FIT_SHARE = 0.7
PLACE_BLOCK_ROWS = 50_000


def sample_field() -> object:
    """The `sample` parameter of a method that can fit on a sample and place the rest."""
    return Field(
        None,
        ge=MIN_SAMPLE,
        le=100_000_000,
        description="fit on this many randomly chosen rows, then place the others with the fitted "
        "model's transform; unset (or at least the row count): fit on all rows",
    )


def sample_rows(n: int, sample: int | None, seed: int | None) -> np.ndarray | None:
    """The sorted rows to fit on, or None to fit on all n."""
    if sample is None or sample >= n:
        return None
    rng = np.random.default_rng(0 if seed is None else seed)
    return np.sort(rng.choice(n, size=sample, replace=False))


def fit_progress(progress: Progress) -> Progress:
    """The fit's Progress: its share of the bar, without snapshots (they would hold only the sample's rows)."""
    part = progress.part(0.0, FIT_SHARE)
    return Progress(lambda fraction, info, coords: part.sink(fraction, info, None))


def place_rest(
    n: int, fit_rows: np.ndarray, fit_coords: np.ndarray, transform: Callable[[np.ndarray], np.ndarray],
    progress: Progress,
) -> np.ndarray:
    """All n rows' coordinates: the sample's from the fit, the rest's from `transform(rest rows)` in blocks."""
    coords = np.empty((n, fit_coords.shape[1]), dtype=np.float32)
    coords[fit_rows] = fit_coords
    rest = np.setdiff1d(np.arange(n), fit_rows, assume_unique=True)
    placing = progress.part(FIT_SHARE, 1.0)
    for start in range(0, rest.size, PLACE_BLOCK_ROWS):
        block = rest[start : start + PLACE_BLOCK_ROWS]
        coords[block] = np.asarray(transform(block), dtype=np.float32)
        placing.update((start + block.size) / rest.size, stage="place", placed=int(start + block.size),
                       rest=int(rest.size))
    return coords
