"""Which worker warms up next, and which idle worker takes the next job (the runner's warm-up policy).

Measured on 2 cores (GloVe 10k t-SNE, 250 iterations): with every worker compiling numba at once
right after a start, the first t-SNE took 2.9x as long as a warm one. So:
- one worker warms at a time, and only while it is idle (the runner asks it to; it answers
  "warm" or "warm-failed", and the next idle cold worker is asked);
- jobs go to an idle worker that is not warming, warm ones first (UMAP needs the compiled code;
  t-SNE, PCA and knn_graph need no numba at all), and to a warming one only when no other is idle;
- the warm-up thread runs under SCHED_IDLE (worker.py) when there are other workers, so
  a job in another worker keeps both cores. (Not with one worker: a job beside a starved warm-up
  thread in the same process would wait for the GIL it holds.)
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
    """The idle, ready workers in the order they should take jobs: not warming and warm first.

    A warming worker is left out while another is still starting (it is ready within seconds): a
    job beside the warm-up in one process shares its GIL with numba's compiler.
    """
    idle = [w for w in workers if w.ready and w.job is None]
    if any(not w.ready for w in workers):
        idle = [w for w in idle if not w.warming]
    return sorted(idle, key=lambda w: (w.warming, not w.warm))
