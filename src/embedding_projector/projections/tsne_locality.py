"""t-SNE's rows reordered so that each row's affinity neighbours sit near it in memory.

openTSNE's attractive gradient reads, for every row, the embedding of each of its ~150 affinity
neighbours. In data order those rows are scattered over the whole embedding, so at 1M rows nearly
every read misses the cache. Measured at 1M × 50 (PCA-50 of the generated mixture, 147M affinities,
2 threads): the attractive gradient took 3.11 s in data order, against 0.75 s for the repulsive
(FFT) half. With the rows in reverse Cuthill-McKee order of the affinity graph, which puts the
non-zeros near the diagonal, the same gradient took 0.52 s, equal up to rounding (4e-21 against
values of 2e-6). Ordering and permuting the affinities took 16 s once.

t-SNE is the same problem in any row order, so the rows are permuted before the optimisation and
every layout that leaves it (snapshots, the result) is put back in data order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse.csgraph import reverse_cuthill_mckee

# Below this the embedding (16 bytes a row) stays in the cache in any order.
LOCALITY_MIN_N = 50_000


@dataclass(frozen=True)
class RowOrder:
    """A permutation of the rows: optimised row i is data row `order[i]`."""

    order: np.ndarray
    inverse: np.ndarray

    def to_data(self, coords: np.ndarray) -> np.ndarray:
        """Optimised-order coordinates back in data order."""
        return np.asarray(coords)[self.inverse]


def reorder(embedding: Any, min_rows: int | None = None) -> RowOrder | None:
    """Permute an openTSNE embedding (not yet optimised) and its affinities in place; None below `min_rows`.

    `min_rows` defaults to LOCALITY_MIN_N, read at the call.
    """
    n = embedding.shape[0]
    if n < (LOCALITY_MIN_N if min_rows is None else min_rows):
        return None
    affinities = embedding.affinities
    P = affinities.P.tocsr()
    order = reverse_cuthill_mckee(P, symmetric_mode=True).astype(np.intp)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(n, dtype=np.intp)
    permuted = P[order][:, order].tocsr()
    permuted.sort_indices()
    affinities.P = permuted
    embedding[:] = np.asarray(embedding)[order]
    return RowOrder(order=order, inverse=inverse)
