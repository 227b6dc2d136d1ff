"""Per-client job limits kept in the queue's database, so they count across every web replica.

The same two limits and the same reserve/commit/release protocol as public_mode.JobLimits: a rate
of starts per minute, and how many unfinished jobs one client may hold. Each client's check and
reservation is one transaction under a PostgreSQL advisory lock on the client, so two replicas
cannot both let a request through that together go over a limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from embedding_projector.errors import TooManyRequests
from embedding_projector.jobs import queue_tables as t
from embedding_projector.public_mode import PENDING_SECONDS, WINDOW_SECONDS

UNFINISHED = ("queued", "running")


@dataclass(frozen=True)
class SharedReservation:
    """A start slot held in the database (the row `id` of projector_client_starts)."""

    id: int
    client: str


def _ago(seconds: float) -> sa.ColumnElement:
    return sa.func.now() - sa.text(f"interval '{float(seconds)} seconds'")


class SharedJobLimits:
    """JobLimits on PostgreSQL: `reserve` checks and holds a slot, `commit` counts it, `release` drops it."""

    def __init__(self, queue_url: str, starts_per_minute: int, jobs_per_client: int) -> None:
        """The tables are created by QueueRunner.start(), which the app runs first."""
        self.starts_per_minute = starts_per_minute
        self.jobs_per_client = jobs_per_client
        self._engine = t.engine_for(queue_url)

    def reserve(self, client: str, job_id: str, is_active: Callable[[str], bool] | None = None) -> SharedReservation:
        """Hold a start slot for `client` asking for job `job_id`, or raise 429 over either limit.

        Whether a held job is unfinished comes from the shared jobs table (`is_active` is not needed).
        """
        s = t.client_starts
        unfinished_jobs = sa.select(t.jobs.c.key).where(t.jobs.c.status.in_(UNFINISHED))
        with self._engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:c))"), {"c": client})
            # Forget what counts for neither limit: old starts of finished jobs, abandoned reservations.
            conn.execute(s.delete().where(s.c.client == client, sa.or_(
                sa.and_(~s.c.committed, s.c.at < _ago(PENDING_SECONDS)),
                sa.and_(s.c.committed, s.c.at < _ago(WINDOW_SECONDS), s.c.job.not_in(unfinished_jobs)),
            )))
            recent = conn.execute(sa.select(sa.func.count()).select_from(s).where(
                s.c.client == client, sa.or_(~s.c.committed, s.c.at >= _ago(WINDOW_SECONDS)))).scalar()
            if recent >= self.starts_per_minute:
                raise TooManyRequests(
                    f"more than {self.starts_per_minute} projection starts a minute from {client}; wait a little"
                )
            held = set(conn.execute(sa.select(s.c.job).where(
                s.c.client == client, s.c.committed, s.c.job.in_(unfinished_jobs))).scalars())
            pending = conn.execute(sa.select(s.c.job, s.c.new_job).where(s.c.client == client, ~s.c.committed)).all()
            rejoin = job_id in held or any(job == job_id for job, _ in pending)
            if not rejoin:
                unfinished = len(held) + sum(new for _, new in pending)
                if unfinished >= self.jobs_per_client:
                    raise TooManyRequests(
                        f"{client} already has {unfinished} projections queued or running "
                        f"(the limit is {self.jobs_per_client}); stop one or wait"
                    )
            row_id = conn.execute(
                s.insert().values(client=client, job=job_id, committed=False, new_job=not rejoin).returning(s.c.id)
            ).scalar_one()
        return SharedReservation(row_id, client)

    def commit(self, reservation: SharedReservation) -> None:
        """Count the reserved start: the client now holds its job."""
        s = t.client_starts
        with self._engine.begin() as conn:
            conn.execute(sa.update(s).where(s.c.id == reservation.id).values(committed=True, at=sa.func.now()))

    def release(self, reservation: SharedReservation) -> None:
        """Give a reserved slot back uncounted."""
        with self._engine.begin() as conn:
            conn.execute(t.client_starts.delete().where(t.client_starts.c.id == reservation.id))

    def clients(self) -> int:
        """How many clients are remembered right now, over every replica."""
        with self._engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count(sa.distinct(t.client_starts.c.client)))).scalar())
