"""process_priority: how a worker process and its warm-up thread give the CPU to the server."""

from __future__ import annotations

import contextlib
import os
import threading

# Workers yield the CPU to the server process, so page requests and neighbour queries keep
# answering while a projection keeps every core busy; an idle server costs the jobs nothing.
WORKER_NICENESS = 5
WARM_UP_NICENESS = 19  # the warm-up thread's (absolute) nice value


def idle_priority() -> None:
    """Run the calling thread only when a core is otherwise idle (SCHED_IDLE; else the highest nice value)."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # 0: the calling thread
    except (AttributeError, OSError):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WARM_UP_NICENESS)


def lower_priority(niceness: int) -> None:
    """Raise the nice value of every thread of this process by `niceness`.

    Linux keeps a nice value per thread and os.nice() changes only the caller's, but the BLAS pools
    started when numpy and scipy were imported would then compete with the server at full priority.
    """
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:  # no /proc: not Linux, where the nice value is per process
        os.nice(niceness)
        return
    for tid in threads:
        with contextlib.suppress(OSError):  # the thread has just ended
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + niceness)
