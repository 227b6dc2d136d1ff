"""The shared job queue's tables on PostgreSQL, beside procrastinate's own, and how to reach them."""

from __future__ import annotations

import sqlalchemy as sa
from procrastinate.schema import SchemaManager

metadata = sa.MetaData()

# One row per job key: the unique key is what makes identical requests on any replica share one job.
jobs = sa.Table(
    "projector_queue_jobs",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("dataset", sa.Text, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("record", sa.Text, nullable=False),  # the JobStatus JSON the API answers
    sa.Column("spec", sa.Text, nullable=False),  # what the worker runs (paths and parameters)
    sa.Column("client", sa.Text, nullable=False),
    sa.Column("max_seconds", sa.Float, nullable=True),
    sa.Column("queue_id", sa.BigInteger, nullable=True),  # the procrastinate job that runs it
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("worker", sa.Text, nullable=True),  # the worker service (host:pid) running it
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# One row per start or join not yet cancelled (the cancel key it answered).
cancel_keys = sa.Table(
    "projector_queue_cancel_keys",
    metadata,
    sa.Column("job", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
)

# Each worker service's processes, for GET /api/status (refreshed with its heartbeat).
workers = sa.Table(
    "projector_queue_workers",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("info", sa.Text, nullable=False),
    sa.Column("heartbeat", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# Per-client job starts (shared_limits.py): the limits count across every replica.
client_starts = sa.Table(
    "projector_client_starts",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("client", sa.Text, nullable=False, index=True),
    sa.Column("job", sa.String(32), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("committed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("new_job", sa.Boolean, nullable=False),
)

CHANNEL = "projector_jobs"  # NOTIFY payload: the key of a job whose row changed
TASK = "embedding_projector.run_projection"
_SCHEMA_LOCK = 0x70726F6A  # one replica or worker creates the tables at a time


def libpq_url(url: str) -> str:
    """The plain postgresql:// form (psycopg, procrastinate) of a SQLAlchemy URL."""
    parsed = sa.engine.make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise ValueError(f"the job queue needs PostgreSQL, not {parsed.drivername}")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def engine_for(url: str) -> sa.Engine:
    """A SQLAlchemy engine on the queue's database (psycopg 3)."""
    parsed = sa.engine.make_url(url).set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)


def ensure_schema(engine: sa.Engine) -> None:
    """Create our tables and procrastinate's, once, whoever starts first."""
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        metadata.create_all(conn)
        if conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
            conn.connection.driver_connection.execute(SchemaManager.get_schema())


def notify(conn: sa.Connection, key: str) -> None:
    """Tell every replica that job `key` changed (sent when the transaction commits)."""
    conn.execute(sa.text("SELECT pg_notify(:channel, :key)"), {"channel": CHANNEL, "key": key})


def fair_priority(conn: sa.Connection, client: str) -> int:
    """The priority for one more job of `client`: one below its lowest waiting job, else 0.

    procrastinate takes the highest priority first, then the oldest. So a client's jobs run in
    the order it sent them, and a client with nothing waiting goes level with everyone's next
    job: clients take turns, as in one process, with no scheduler of our own.
    """
    lowest = conn.execute(sa.text(
        "SELECT min(p.priority) FROM projector_queue_jobs j JOIN procrastinate_jobs p ON p.id = j.queue_id"
        " WHERE j.client = :client AND j.status = 'queued' AND p.status = 'todo'"
    ), {"client": client}).scalar()
    return 0 if lowest is None else min(int(lowest) - 1, 0)


def queue_position(conn: sa.Connection, queue_id: int | None) -> int:
    """1 for the next job a worker takes, in procrastinate's order (priority, then age)."""
    ahead = conn.execute(sa.text(
        "SELECT count(*) FROM procrastinate_jobs o JOIN procrastinate_jobs me ON me.id = :id"
        " WHERE o.task_name = :task AND o.status = 'todo'"
        " AND (o.priority > me.priority OR (o.priority = me.priority AND o.id < me.id))"
    ), {"id": queue_id, "task": TASK}).scalar()
    return int(ahead or 0) + 1
