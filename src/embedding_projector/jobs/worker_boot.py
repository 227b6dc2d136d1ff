"""worker_boot: a worker process's entry point, which lowers its priority before the heavy imports.

Importing numpy, scikit-learn, numba and umap-learn takes seconds of CPU on each worker just after
the server starts. At normal priority that competed with the server sending the page and with the
browser drawing it; niced first, every thread the imports start inherits the lower priority too.
"""

from __future__ import annotations

from multiprocessing.connection import Connection

from embedding_projector.jobs.process_priority import WORKER_NICENESS, lower_priority


def boot_worker(conn: Connection, parent_pid: int) -> None:
    """Lower this process's priority, then import and run the worker loop."""
    lower_priority(WORKER_NICENESS)
    from embedding_projector.jobs.worker import worker_main

    worker_main(conn, parent_pid)
