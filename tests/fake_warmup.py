"""A stand-in warm-up for runner tests: no numba, it logs when and under which scheduling policy it ran."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

SECONDS = 0.8


def warm_up(between_steps: Callable[[], object] = lambda: None) -> float:
    """Wait for an idle worker, hold for SECONDS, append {pid, start, end, idle} to $FAKE_WARM_LOG."""
    between_steps()
    start = time.time()
    idle = os.sched_getscheduler(0) == os.SCHED_IDLE  # 0: this thread
    time.sleep(SECONDS)
    with open(os.environ["FAKE_WARM_LOG"], "a") as log:
        log.write(json.dumps({"pid": os.getpid(), "start": start, "end": time.time(), "idle": idle}) + "\n")
    return SECONDS
