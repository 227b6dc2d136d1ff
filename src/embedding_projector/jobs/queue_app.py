"""The procrastinate app both sides of the shared queue use: web replicas defer and abort, workers run."""

from __future__ import annotations

import procrastinate

from embedding_projector.jobs.queue_tables import libpq_url


def queue_app(url: str, *, for_worker: bool = False) -> procrastinate.App:
    """A procrastinate App on the queue's database: async connector for a worker, sync for a web replica."""
    conninfo = libpq_url(url)
    if for_worker:
        return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
    return procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo))
