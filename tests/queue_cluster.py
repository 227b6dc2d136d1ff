"""A scaled-out deployment on 127.0.0.1 for the tests: web replicas and worker services on one queue.

Each cluster gets a PostgreSQL database of its own (made and dropped here), one shared data folder,
and real processes: `embedding-projector serve` for each replica, `embedding-projector worker` for
each worker service.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import LiveServer, run_server, stop_process

# Fast failure detection for the tests (the defaults are 10 s and 30 s).
QUEUE_ENV = {"PROJECTOR_QUEUE_HEARTBEAT_SECONDS": "1", "PROJECTOR_QUEUE_STALLED_SECONDS": "4",
             "PROJECTOR_WARMUP": "false"}


@contextlib.contextmanager
def queue_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the test PostgreSQL; its URL. Dropped afterwards."""
    name = f"queue_{secrets.token_hex(6)}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.engine.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@dataclass
class WorkerService:
    """A running `embedding-projector worker`: its process and log file."""

    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """Everything it printed so far."""
        return self.log_path.read_text(errors="replace")

    @property
    def name(self) -> str:
        """The name it registers under (host:pid), as the jobs table's worker column holds it."""
        return f"{os.uname().nodename}:{self.process.pid}"


@dataclass
class Cluster:
    """Web replicas and worker services sharing one queue database and one data folder."""

    queue_url: str
    data_dir: Path
    env: dict[str, str]
    servers: list[LiveServer] = field(default_factory=list)
    workers: list[WorkerService] = field(default_factory=list)

    def engine(self) -> sa.Engine:
        """An engine on the queue's database, to look at its tables."""
        return sa.create_engine(self.queue_url)

    def start_worker(self, concurrency: int = 1, timeout: float = 60) -> WorkerService:
        """Start one more worker service and wait until it takes jobs."""
        log_path = self.data_dir.parent / f"worker-{len(self.workers)}-{secrets.token_hex(3)}.log"
        cmd = [sys.executable, "-m", "embedding_projector", "worker", "--concurrency", str(concurrency),
               "--data-dir", str(self.data_dir)]
        log = open(log_path, "wb")
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"})
        log.close()
        worker = WorkerService(process, log_path)
        self.workers.append(worker)
        deadline = time.monotonic() + timeout
        while "Starting worker" not in worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker did not start:\n{worker.log()}")
            time.sleep(0.2)
        return worker

    def kill(self, worker: WorkerService) -> None:
        """kill -9 a worker service (its child processes notice within a second and exit)."""
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(timeout=10)


@contextlib.contextmanager
def queue_cluster(postgres_url: str, root: Path, servers: int = 2, workers: int = 2,
                  env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """`servers` web replicas and `workers` worker services on a fresh queue database."""
    with queue_database(postgres_url) as url, contextlib.ExitStack() as stack:
        data_dir = root / "shared"
        full_env = {**QUEUE_ENV, "PROJECTOR_QUEUE_URL": url, **(env or {})}
        cluster = Cluster(url, data_dir, full_env)
        # One replica first: it creates the tables; the next ones find them.
        for _ in range(servers):
            cluster.servers.append(stack.enter_context(run_server(data_dir, full_env)))
        try:
            for _ in range(workers):
                cluster.start_worker()
            yield cluster
        finally:
            stoppers = [threading.Thread(target=stop_process, args=(w.process,)) for w in cluster.workers]
            for thread in stoppers:
                thread.start()
            for thread in stoppers:
                thread.join()
