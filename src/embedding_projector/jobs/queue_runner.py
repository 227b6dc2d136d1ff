"""QueueRunner: a web replica's job runner on the shared PostgreSQL queue (PROJECTOR_QUEUE_URL).

It answers the same calls as the in-process JobRunner, but holds no job itself. A job is a row of
projector_queue_jobs (unique by its key, so identical requests on any replica share one job)
plus a procrastinate job that a worker service (queue_worker.py) takes. Workers write status and
progress to the row and NOTIFY; each replica LISTENs on one connection and wakes the event
streams of the jobs it follows. Snapshots and results are files in the shared results folder.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import sqlalchemy as sa

from embedding_projector.atomic_files import atomic_write_bytes
from embedding_projector.errors import Forbidden, NotFound, Unauthorized
from embedding_projector.jobs import queue_tables as t
from embedding_projector.jobs.job_key import job_key
from embedding_projector.jobs.job_spec import new_job
from embedding_projector.jobs.queue_app import defer_in, queue_app
from embedding_projector.jobs.records import (
    UNFINISHED,
    interrupted,
    read_record,
    result_paths,
    write_final_record,
    write_record,
)
from embedding_projector.jobs.result_reads import ResultReads
from embedding_projector.jobs.runner import Listener, Submission
from embedding_projector.jobs.snapshot_file import read_snapshot
from embedding_projector.schemas import JobStatus

log = logging.getLogger(__name__)

TERMINAL = ("done", "failed", "cancelled")


class QueueRunner(ResultReads):
    """Submit, follow and cancel jobs that worker services run; the table is the truth for unfinished ones."""

    def __init__(self, results_dir: Path, queue_url: str, stalled_seconds: float = 30.0) -> None:
        """`stalled_seconds`: a worker service silent this long is not listed in workers_info()."""
        self.results_dir = results_dir
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self._url = queue_url
        self._stalled_seconds = stalled_seconds
        self._engine = t.engine_for(queue_url)
        self._app = queue_app(queue_url)
        self._lock = threading.Lock()
        self._listeners: dict[str, list[Listener]] = {}
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Create the tables if this is the first replica, and start listening for job changes."""
        t.ensure_schema(self._engine)
        self._app.open()
        self._thread = threading.Thread(target=self._listen, name="queue-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and end this replica's event streams; the jobs run on (other replicas serve them)."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            followed = {key: list(ls) for key, ls in self._listeners.items()}
        for key, listeners in followed.items():  # each stream sees `closed` and ends; its page reconnects
            self._call(key, listeners)
        if self._thread is not None:
            self._thread.join(timeout=3)
        self._app.close()
        self._engine.dispose()

    @property
    def closed(self) -> bool:
        """Whether stop() has begun."""
        return self._stopping

    def worker_pids(self) -> list[int]:
        """This replica runs no worker process."""
        return []

    def hold_warm_up(self, seconds: float) -> None:
        """Nothing: the worker services warm up on their own machines, not beside this replica's pages."""

    def workers_info(self) -> list[dict[str, Any]]:
        """The processes of every worker service whose heartbeat is recent, each with its service's name."""
        query = sa.select(t.workers.c.name, t.workers.c.info).where(
            t.workers.c.heartbeat > sa.func.now() - sa.text(f"interval '{float(self._stalled_seconds)} seconds'")
        ).order_by(t.workers.c.name)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [dict(worker, service=name) for name, info in rows for worker in json.loads(info)]

    # -- submitting ------------------------------------------------------------------------------

    def submit(
        self,
        dataset: str,
        fingerprint: str,
        vectors_path: Path,
        method: str,
        params: dict[str, Any],
        rows: list[int] | None,
        metadata_path: Path | None = None,
        sphereize: bool = False,
        *,
        client: str = "local",
        max_seconds: float | None = None,
        edit_version: int | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> Submission:
        """Start a job, or join the unfinished or return the cached one with the same key (any replica's)."""
        key = job_key(dataset, fingerprint, method, params, rows, sphereize, edit_version, inputs)
        files = result_paths(self.results_dir, key)
        cached = read_record(self.results_dir, key)
        if cached is not None and cached.status == "done":
            return Submission(cached, None, False)
        if rows is not None and not files.rows.is_file():  # same rows for the same key: written once
            atomic_write_bytes(files.rows, np.asarray(rows, dtype="<i8").tobytes())
        status, spec = new_job(self.results_dir, key, dataset, fingerprint, vectors_path, method, params,
                               None if rows is None else len(rows), metadata_path, sphereize, inputs)
        cancel_key = secrets.token_urlsafe(16)
        with self._engine.begin() as conn:
            conn.execute(
                sa.dialects.postgresql.insert(t.jobs)
                .values(key=key, dataset=dataset, status="new", record=status.model_dump_json(),
                        spec=json.dumps(spec), client=client, max_seconds=max_seconds)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            row = conn.execute(sa.select(t.jobs).where(t.jobs.c.key == key).with_for_update()).one()
            conn.execute(t.cancel_keys.insert().values(job=key, key=cancel_key))
            if row.status in UNFINISHED:  # join: an uncapped client lifts the cap, else the larger one wins
                capped = None if max_seconds is None or row.max_seconds is None else max(max_seconds, row.max_seconds)
                conn.execute(sa.update(t.jobs).where(t.jobs.c.key == key).values(max_seconds=capped))
                return Submission(self._status_of(conn, row), cancel_key, False)
            # New, or failed/cancelled/interrupted before: (re)queue it, in this transaction with
            # procrastinate's job, so a replica that dies here leaves either both or neither.
            queue_id = defer_in(self._app, conn, key, t.fair_priority(conn, client))
            conn.execute(
                sa.update(t.jobs).where(t.jobs.c.key == key).values(
                    status="queued", record=status.model_dump_json(), spec=json.dumps(spec), client=client,
                    max_seconds=max_seconds, queue_id=queue_id, attempts=0, worker=None,
                    queued_at=sa.func.now(), started_at=None, updated_at=sa.func.now(),
                )
            )
            conn.execute(t.cancel_keys.delete().where(t.cancel_keys.c.job == key, t.cancel_keys.c.key != cancel_key))
            t.notify(conn, key)
            # Before the commit: once committed a worker may finish the job, and its "done" record
            # must never be replaced by this "queued" one.
            write_record(files.record, spec["record"])
        return Submission(self.status(key), cancel_key, True)

    # -- reading ---------------------------------------------------------------------------------

    def status(self, job_id: str) -> JobStatus:
        """A job's status: the table's row while unfinished, else its record in the results folder."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(t.jobs).where(t.jobs.c.key == job_id)).one_or_none()
            if row is not None and row.status in UNFINISHED:
                return self._status_of(conn, row)
        record = read_record(self.results_dir, job_id)  # None for a "done" one whose files are gone
        if row is not None and row.status in TERMINAL and (row.status != "done" or record is not None):
            return JobStatus.model_validate_json(row.record)  # as its last event said (snapshot count too)
        if record is not None and record.status not in UNFINISHED:
            return record
        if record is None:
            raise NotFound(f"no projection job {job_id!r}")
        return interrupted(record)  # an unfinished record with no row: left by an in-process server

    def _status_of(self, conn: sa.Connection, row: Any) -> JobStatus:
        """The row's status with the live fields filled in: elapsed time and place in line."""
        status = JobStatus.model_validate_json(row.record)
        changes: dict[str, Any] = {}
        if row.status == "running" and row.started_at is not None:
            elapsed = conn.execute(sa.select(sa.func.extract("epoch", sa.func.now() - row.started_at))).scalar()
            changes["elapsed"] = round(float(elapsed), 3)
        if row.status == "queued":
            changes["queue_position"] = t.queue_position(conn, row.queue_id)
        return status.model_copy(update=changes)

    def snapshot(self, job_id: str) -> tuple[bytes, list[int], int]:
        """The latest intermediate coordinates the worker wrote (float32 bytes, shape, sequence number)."""
        status = self.status(job_id)
        found = read_snapshot(self.results_dir, job_id) if status.status in UNFINISHED else None
        if found is None:
            raise NotFound(f"projection {job_id} has no intermediate coordinates")
        data, shape, seq = found
        return data, shape, seq

    def unfinished(self) -> int:
        """How many jobs are queued or running, on every worker."""
        with self._engine.connect() as conn:
            return int(conn.execute(
                sa.select(sa.func.count()).select_from(t.jobs).where(t.jobs.c.status.in_(UNFINISHED))
            ).scalar())

    def forget_dataset(self, dataset: str) -> None:
        """Drop the cached results and the finished rows of a deleted dataset."""
        super().forget_dataset(dataset)
        with self._engine.begin() as conn:
            conn.execute(t.jobs.delete().where(t.jobs.c.dataset == dataset, t.jobs.c.status.in_(TERMINAL)))

    # -- cancelling ------------------------------------------------------------------------------

    def cancel(self, job_id: str, *, cancel_key: str | None = None, privileged: bool = True) -> JobStatus:
        """Cancel a job wherever it runs: a queued one never starts, a running one's worker kills its child.

        The same rules as JobRunner.cancel: the write token cancels at once; a cancel key removes
        its holder, and the job runs on while another start or join still holds a key.
        """
        with self._engine.begin() as conn:
            row = conn.execute(sa.select(t.jobs).where(t.jobs.c.key == job_id).with_for_update()).one_or_none()
            if row is None or row.status not in UNFINISHED:
                return self.status(job_id)  # finished already: nothing to cancel (or a 404)
            if not privileged:
                if cancel_key is None:
                    raise Unauthorized(
                        f"cancelling projection {job_id} needs the cancel key its start answered "
                        "(header X-Cancel-Key) or the write token"
                    )
                removed = conn.execute(
                    t.cancel_keys.delete().where(t.cancel_keys.c.job == job_id, t.cancel_keys.c.key == cancel_key)
                ).rowcount
                if not removed:
                    raise Forbidden(f"the cancel key given for projection {job_id} is not valid")
                left = conn.execute(
                    sa.select(sa.func.count()).select_from(t.cancel_keys).where(t.cancel_keys.c.job == job_id)
                ).scalar()
                if left:
                    return self._status_of(conn, row)  # another client still wants this result
            status = JobStatus.model_validate_json(row.record)
            elapsed = status.elapsed
            if row.started_at is not None:
                elapsed = round(float(conn.execute(
                    sa.select(sa.func.extract("epoch", sa.func.now() - row.started_at))).scalar()), 3)
            final = status.model_copy(update={"status": "cancelled", "queue_position": None, "elapsed": elapsed})
            conn.execute(sa.update(t.jobs).where(t.jobs.c.key == job_id).values(
                status="cancelled", record=final.model_dump_json(), updated_at=sa.func.now()))
            conn.execute(t.cancel_keys.delete().where(t.cancel_keys.c.job == job_id))
            if row.queue_id is not None:  # a running job's worker is told through NOTIFY (abort)
                self._app.job_manager.cancel_job_by_id(
                    row.queue_id, abort=True, connection=conn.connection.driver_connection)
            t.notify(conn, job_id)
        write_final_record(self.results_dir, final)
        return final

    # -- following -------------------------------------------------------------------------------

    def subscribe(self, job_id: str, listener: Listener) -> JobStatus:
        """Call `listener(status, None)` on every change of the job; returns its status now."""
        with self._lock:
            self._listeners.setdefault(job_id, []).append(listener)
        return self.status(job_id)

    def unsubscribe(self, job_id: str, listener: Listener) -> None:
        """Stop calling `listener` for this job."""
        with self._lock:
            listeners = self._listeners.get(job_id)
            if listeners is not None and listener in listeners:
                listeners.remove(listener)
                if not listeners:
                    del self._listeners[job_id]

    def _call(self, key: str, listeners: list[Listener]) -> None:
        try:
            status = self.status(key)
        except Exception:
            log.exception("could not read the status of job %s", key)
            return
        for listener in listeners:
            try:
                listener(status, None)
            except Exception:
                log.exception("job listener failed")

    def _followed(self, key: str | None = None) -> dict[str, list[Listener]]:
        with self._lock:
            if key is not None:
                return {key: list(self._listeners[key])} if key in self._listeners else {}
            return {k: list(ls) for k, ls in self._listeners.items()}

    def _listen(self) -> None:
        """LISTEN on the jobs channel; after each (re)connect, refresh every followed job once."""
        backoff = 0.5
        while not self._stopping:
            try:
                with psycopg.connect(t.libpq_url(self._url), autocommit=True) as conn:
                    conn.execute(f"LISTEN {t.CHANNEL}")
                    backoff = 0.5
                    for key, listeners in self._followed().items():  # changes missed while away
                        self._call(key, listeners)
                    while not self._stopping:
                        for note in conn.notifies(timeout=0.5):
                            for key, listeners in self._followed(note.payload).items():
                                self._call(key, listeners)
            except psycopg.Error:
                if self._stopping:
                    return
                log.warning("lost the queue's LISTEN connection; reconnecting in %.1f s", backoff)
                threading.Event().wait(backoff)
                backoff = min(backoff * 2, 10.0)
