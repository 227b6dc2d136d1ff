"""`embedding-projector worker`: a worker service that takes jobs from the shared PostgreSQL queue.

It runs procrastinate's worker (one task: run_projection) with an in-process JobRunner as its
executor, so every job runs in a long-lived, warmed-up child process that can be killed (umap-learn
cannot be stopped any other way) and results land in the shared results folder exactly as on one
machine. The task mirrors the runner's status into the job's row at most a few times a second,
with a NOTIFY each time, and writes snapshots beside the results. An abort (DELETE on any replica)
cancels the task, which kills the child. Every worker service also sweeps for jobs whose worker
stopped sending heartbeats: each is retried once, then failed with the reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from typing import Any

import sqlalchemy as sa
from procrastinate import JobContext
from procrastinate.job_context import AbortReason
from procrastinate.jobs import Status

from embedding_projector.jobs import queue_tables as t
from embedding_projector.jobs.queue_app import defer_in, queue_app
from embedding_projector.jobs.records import write_final_record
from embedding_projector.jobs.runner import JobRunner
from embedding_projector.jobs.snapshot_file import drop_snapshot, write_snapshot
from embedding_projector.schemas import JobStatus
from embedding_projector.settings import Settings

log = logging.getLogger(__name__)

WRITE_INTERVAL = 0.25  # seconds between two progress writes of one job to its row
TERMINAL = ("done", "failed", "cancelled")
ATTEMPTS = 2  # a job whose worker dies is retried once, then failed


class QueueWorker:
    """One worker service: `concurrency` jobs at once, each in a child process of its JobRunner."""

    def __init__(self, settings: Settings, concurrency: int) -> None:
        """Needs settings.queue_url; the data folder must be the web replicas' (shared)."""
        if not settings.queue_url:
            raise ValueError("the worker needs PROJECTOR_QUEUE_URL (postgresql+psycopg://...)")
        self.settings = settings
        self.concurrency = concurrency
        self.results_dir = settings.data_dir / "results"
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.engine = t.engine_for(settings.queue_url)
        self.app = queue_app(settings.queue_url, for_worker=True)
        self.defer_app = queue_app(settings.queue_url)  # sync: defers on our own transaction's connection
        self.runner = JobRunner(self.results_dir, workers=concurrency, warm_up=settings.warmup, owns_results=False)

        @self.app.task(name=t.TASK, pass_context=True)
        async def run_projection(context: JobContext, key: str) -> None:
            await self._run(context, key)

    def run(self) -> int:
        """Serve jobs until SIGTERM/SIGINT; returns the exit status."""
        t.ensure_schema(self.engine)
        self.runner.start()
        try:
            asyncio.run(self._main())
        finally:
            log.info("worker %s: stopping its job processes", self.name)
            self.runner.stop()
            with self.engine.begin() as conn:
                conn.execute(t.workers.delete().where(t.workers.c.name == self.name))
            self.engine.dispose()
            log.info("worker %s: stopped", self.name)
        return 0

    async def _main(self) -> None:
        heartbeat = self.settings.queue_heartbeat_seconds
        async with self.app.open_async():
            sweeper = asyncio.create_task(self._sweep_loop())
            try:
                await self.app.run_worker_async(
                    concurrency=self.concurrency, name=self.name, update_heartbeat_interval=heartbeat,
                    stalled_worker_timeout=self.settings.queue_stalled_seconds, abort_job_polling_interval=1.0,
                    shutdown_graceful_timeout=5.0,
                )
            finally:
                sweeper.cancel()
                log.info("worker %s: procrastinate's worker returned", self.name)

    # -- one job ---------------------------------------------------------------------------------

    async def _run(self, context: JobContext, key: str) -> None:
        claimed = await asyncio.to_thread(self._claim, key)
        if claimed is None:
            return  # cancelled (or taken over) before it started
        status, spec, client, max_seconds, attempt = claimed
        loop = asyncio.get_running_loop()
        changes: asyncio.Queue[tuple[JobStatus, Any]] = asyncio.Queue()

        def listener(current: JobStatus, snapshot: Any) -> None:  # on the runner's thread: hand over only
            loop.call_soon_threadsafe(changes.put_nowait, (current, snapshot))

        snapshot = None
        last_write = 0.0
        try:
            try:
                await asyncio.to_thread(self.runner.run_spec, status, spec, client, max_seconds)
            except Exception as exc:  # this service is stopping: the row must not stay "running"
                failed = status.model_copy(update={"status": "failed", "error": f"{type(exc).__name__}: {exc}"})
                await asyncio.to_thread(self._write, key, attempt, failed)
                raise
            pending: JobStatus | None = await asyncio.to_thread(self.runner.subscribe, key, listener)
            while True:
                now = time.monotonic()
                if pending is not None and (pending.status in TERMINAL or now - last_write >= WRITE_INTERVAL):
                    if snapshot is not None:
                        data, shape = snapshot
                        await asyncio.to_thread(write_snapshot, self.results_dir, key, data, shape, pending.snapshot)
                        snapshot = None
                    still_ours = await asyncio.to_thread(self._write, key, attempt, pending)
                    last_write = time.monotonic()
                    if pending.status in TERMINAL:
                        return
                    if not still_ours:  # cancelled on a replica: the abort is on its way, but stop now
                        await asyncio.to_thread(self.runner.cancel, key)
                        return
                    pending = None
                timeout = None if pending is None else max(0.0, WRITE_INTERVAL - (time.monotonic() - last_write))
                try:
                    pending, new_snapshot = await asyncio.wait_for(changes.get(), timeout)
                except TimeoutError:
                    continue
                snapshot = new_snapshot or snapshot
        except asyncio.CancelledError:
            # Aborted: DELETE on a replica (the row already says cancelled), or this service stops,
            # which hands the job back to the queue for another worker.
            log.info("job %s: aborted (%s), stopping its process", key, context.abort_reason())
            await asyncio.shield(asyncio.to_thread(self.runner.cancel, key))
            if context.abort_reason() == AbortReason.SHUTDOWN:
                await asyncio.shield(asyncio.to_thread(self._hand_back, key, attempt))
                log.info("job %s: handed back to the queue", key)
            raise
        finally:
            self.runner.unsubscribe(key, listener)
            drop_snapshot(self.results_dir, key)

    def _claim(self, key: str) -> tuple[JobStatus, dict[str, Any], str, float | None, int] | None:
        """Mark the job running here and count the attempt; None when it is no longer queued or running."""
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.update(t.jobs).where(t.jobs.c.key == key, t.jobs.c.status.in_(("queued", "running")))
                .values(status="running", attempts=t.jobs.c.attempts + 1, worker=self.name,
                        started_at=sa.func.now(), updated_at=sa.func.now())
                .returning(t.jobs.c.record, t.jobs.c.spec, t.jobs.c.client, t.jobs.c.max_seconds, t.jobs.c.attempts)
            ).one_or_none()
            if row is None:
                return None
            status = JobStatus.model_validate_json(row.record).model_copy(
                update={"status": "running", "queue_position": None})
            conn.execute(sa.update(t.jobs).where(t.jobs.c.key == key).values(record=status.model_dump_json()))
            t.notify(conn, key)
        return status, json.loads(row.spec), row.client, row.max_seconds, row.attempts

    def _write(self, key: str, attempt: int, status: JobStatus) -> bool:
        """Store the job's status in its row (if this attempt still runs it) and NOTIFY; whether it did."""
        if status.status == "queued":  # waiting here for a child process: taken, so running to everyone else
            status = status.model_copy(update={"status": "running", "queue_position": None})
        clean = status.model_copy(update={"elapsed": None if status.status == "running" else status.elapsed})
        with self.engine.begin() as conn:
            changed = conn.execute(
                sa.update(t.jobs).where(t.jobs.c.key == key, t.jobs.c.attempts == attempt,
                                        t.jobs.c.status == "running", t.jobs.c.worker == self.name)
                .values(status=status.status, record=clean.model_dump_json(), updated_at=sa.func.now())
            ).rowcount
            if changed:
                t.notify(conn, key)
        return bool(changed)

    def _hand_back(self, key: str, attempt: int) -> None:
        """Queue a job this stopping service was running again, for another worker (not a failed attempt)."""
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(t.jobs).where(t.jobs.c.key == key, t.jobs.c.attempts == attempt,
                                        t.jobs.c.worker == self.name, t.jobs.c.status == "running")
                .with_for_update()
            ).one_or_none()
            if row is None:
                return
            queued = JobStatus.model_validate_json(row.record).model_copy(
                update={"status": "queued", "progress": 0.0, "worker": None, "snapshot": 0})
            queue_id = defer_in(self.defer_app, conn, key, 1)  # ahead of the waiting ones: it had its turn
            conn.execute(sa.update(t.jobs).where(t.jobs.c.key == key).values(
                status="queued", record=queued.model_dump_json(), queue_id=queue_id, attempts=attempt - 1,
                worker=None, started_at=None, updated_at=sa.func.now()))
            t.notify(conn, key)

    # -- heartbeats and stalled jobs -------------------------------------------------------------

    async def _sweep_loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self._beat)
                await self._sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the stalled-job sweep failed")
            await asyncio.sleep(self.settings.queue_heartbeat_seconds)

    def _beat(self) -> None:
        """Publish this service's processes (GET /api/status lists them)."""
        info = json.dumps(self.runner.workers_info())
        with self.engine.begin() as conn:
            conn.execute(
                sa.dialects.postgresql.insert(t.workers).values(name=self.name, info=info)
                .on_conflict_do_update(index_elements=["name"], set_={"info": info, "heartbeat": sa.func.now()})
            )

    async def _sweep(self) -> None:
        """Retry once, then fail, every job whose worker service stopped sending heartbeats."""
        stalled = await self.app.job_manager.get_stalled_jobs(
            task_name=t.TASK, seconds_since_heartbeat=self.settings.queue_stalled_seconds)
        for job in stalled:
            decision = await asyncio.to_thread(self._decide_stalled, str(job.task_kwargs.get("key")), job.id)
            if decision == "retry":
                await self.app.job_manager.retry_job(job)
            elif decision == "fail":
                await self.app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
        await asyncio.to_thread(self._requeue_orphans)

    def _recent(self) -> sa.ColumnElement:
        """The database's now less the stalled time: a heartbeat or an update after it is recent."""
        return sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, self.settings.queue_stalled_seconds)

    def _beating(self, conn: sa.Connection, worker: str | None) -> bool:
        """Whether the worker service `worker` sent its heartbeat within the stalled time."""
        if worker is None:
            return False
        return conn.execute(
            sa.select(sa.literal(1)).where(t.workers.c.name == worker, t.workers.c.heartbeat > self._recent())
        ).first() is not None

    def _requeue_orphans(self) -> None:
        """Give a procrastinate job again to every queued row that has none left to run it.

        Submitting writes both in one transaction, so this needs something unforeseen (a job
        finished by procrastinate while its row was queued again, or an operator's hand), but a
        queued row with nothing behind it would wait for ever.
        """
        recent = self._recent()
        with self.engine.begin() as conn:
            orphans = conn.execute(
                sa.select(t.jobs.c.key, t.jobs.c.client).where(
                    t.jobs.c.status == "queued", t.jobs.c.updated_at < recent,
                    sa.text("NOT EXISTS (SELECT 1 FROM procrastinate_jobs p WHERE p.id = projector_queue_jobs.queue_id"
                            " AND p.status IN ('todo', 'doing'))"),
                ).with_for_update(skip_locked=True)
            ).all()
            for key, client in orphans:
                waiting = conn.execute(sa.text(
                    "SELECT id FROM procrastinate_jobs WHERE queueing_lock = :k AND status = 'todo'"), {"k": key}
                ).scalar()
                queue_id = waiting if waiting is not None else defer_in(
                    self.defer_app, conn, key, t.fair_priority(conn, client))
                conn.execute(sa.update(t.jobs).where(t.jobs.c.key == key).values(
                    queue_id=queue_id, updated_at=sa.func.now()))
                t.notify(conn, key)
                log.warning("job %s was queued with nothing to run it; queued again", key)

    def _decide_stalled(self, key: str, queue_id: int | None) -> str:
        """Queue the job again (its first attempt) or fail it with the reason; the first sweeper to ask wins."""
        seconds = self.settings.queue_stalled_seconds
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(t.jobs).where(t.jobs.c.key == key, t.jobs.c.queue_id == queue_id,
                                        t.jobs.c.status == "running").with_for_update()
            ).one_or_none()
            if row is None:
                return "fail"  # cancelled or finished meanwhile: only procrastinate's job is left to close
            if self._beating(conn, row.worker):
                # Its service still beats (ours, or another one in its graceful shutdown, when
                # procrastinate's own heartbeat has stopped): it will finish or hand the job back.
                return "skip"
            status = JobStatus.model_validate_json(row.record)
            if row.attempts < ATTEMPTS:
                queued = status.model_copy(update={"status": "queued", "progress": 0.0, "worker": None, "snapshot": 0})
                conn.execute(sa.update(t.jobs).where(t.jobs.c.key == key).values(
                    status="queued", record=queued.model_dump_json(), worker=None, started_at=None,
                    updated_at=sa.func.now()))
                t.notify(conn, key)
                log.warning("job %s: its worker %s stopped answering; retrying it", key, row.worker)
                return "retry"
            failed = status.model_copy(update={
                "status": "failed", "worker": None, "queue_position": None,
                "error": f"its worker stopped answering (no heartbeat for {seconds:g} s), "
                         f"{row.attempts} times; not retried again",
            })
            conn.execute(sa.update(t.jobs).where(t.jobs.c.key == key).values(
                status="failed", record=failed.model_dump_json(), updated_at=sa.func.now()))
            t.notify(conn, key)
        write_final_record(self.results_dir, failed)
        return "fail"
