"""Which worker warms up next, and which idle worker takes the next job (the runner's warm-up policy).

Measured on 2 cores (GloVe 10k t-SNE, 250 iterations): with every worker compiling numba at once
right after a start, the first t-SNE took 2.9x as long as a warm one. So:
- one worker warms at a time, and only while it is idle (the runner asks it to; it answers
  "warm" or "warm-failed", and the next idle cold worker is asked);
- jobs go to an idle worker that is not warming, warm ones first (UMAP needs the compiled code;
  t-SNE, PCA and knn_graph need no numba at all), and to a warming one only when no other is idle;
- the warm-up thread runs at the lowest CPU priority (worker.py), so a job in another worker
  keeps both cores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class WorkerState(Protocol):
    """What the policy reads of a worker."""

    ready: bool
    warm: bool
    warming: bool
    warm_failed: bool
    job: Any


def next_to_warm(workers: Sequence[WorkerState]) -> WorkerState | None:
    """The idle cold worker to warm up now, or None (one already warms, or none is idle and cold)."""
    if any(w.warming for w in workers):
        return None
    for worker in workers:
        if worker.ready and worker.job is None and not worker.warm and not worker.warm_failed:
            return worker
    return None


def dispatch_order(workers: Sequence[WorkerState]) -> list[WorkerState]:
    """The idle, ready workers in the order they should take jobs: not warming and warm first."""
    idle = [w for w in workers if w.ready and w.job is None]
    return sorted(idle, key=lambda w: (w.warming, not w.warm))
