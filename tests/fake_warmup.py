"""A stand-in warm-up for runner tests: no numba, it logs when and at what priority it ran."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable

SECONDS = 0.8


def warm_up(between_steps: Callable[[], object] = lambda: None) -> float:
    """Wait for an idle worker, hold for SECONDS, append {pid, start, end, nice} to $FAKE_WARM_LOG."""
    between_steps()
    start = time.time()
    nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    time.sleep(SECONDS)
    with open(os.environ["FAKE_WARM_LOG"], "a") as log:
        log.write(json.dumps({"pid": os.getpid(), "start": start, "end": time.time(), "nice": nice}) + "\n")
    return SECONDS
