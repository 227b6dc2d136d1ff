"""The procrastinate app both sides of the shared queue use: web replicas defer and abort, workers run."""

from __future__ import annotations

import procrastinate
import sqlalchemy as sa

from embedding_projector.jobs.queue_tables import TASK, libpq_url


def queue_app(url: str, *, for_worker: bool = False) -> procrastinate.App:
    """A procrastinate App on the queue's database: async connector for a worker, sync for a web replica."""
    conninfo = libpq_url(url)
    if for_worker:
        return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
    return procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo))


def defer_in(app: procrastinate.App, conn: sa.Connection, key: str, priority: int) -> int:
    """Queue job `key` in `conn`'s transaction (with our row's change); procrastinate's job id.

    `app` must have the sync connector: procrastinate writes on the outside psycopg connection.
    """
    return app.configure_task(
        TASK, queueing_lock=key, priority=priority, connection=conn.connection.driver_connection
    ).defer(key=key)
