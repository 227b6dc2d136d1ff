"""Shared fixtures: a real uvicorn server in a subprocess on a free port, with its own data folder."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

UPLOAD_LIMIT = 2_000_000

# `make test` runs the files on two xdist workers (--dist loadfile), handed out in collection order.
# These take half a minute to a minute or more each, so they go first: a long file started last
# would leave one worker running it alone at the end.
SLOW_FIRST = (
    "test_fuzz_api.py",
    "test_queue_cluster.py",
    "test_warmup.py",
    "browser/test_umap_tab.py",
    "test_memory_bounded.py",
    "test_job_crashes.py",
    "test_view_limits.py",
    "test_api_views.py",
    "browser/test_bookmarks.py",
    "browser/test_tsne_tab.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the slow files first; the rest keep their order (the sort is stable)."""
    tests = Path(__file__).resolve().parent
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}

    def order(item: pytest.Item) -> int:
        try:
            return rank.get(item.path.relative_to(tests).as_posix(), len(rank))
        except ValueError:
            return len(rank)

    items.sort(key=order)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """A running server: its base URL, data folder, process and log file."""

    url: str
    data_dir: Path
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    max_upload_bytes: int = UPLOAD_LIMIT

    def client(self, **kwargs: object) -> httpx.Client:
        """An httpx client bound to this server."""
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM the process, and SIGKILL it if it has not exited within 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _copy_log(process: subprocess.Popen, log_path: Path, listening: threading.Event) -> None:
    """Copy the server's output to its log file; set `listening` once uvicorn says it listens (or at exit)."""
    with open(log_path, "wb") as log:
        for line in process.stdout:
            log.write(line)
            log.flush()
            if b"Uvicorn running on" in line:
                listening.set()
    process.wait()  # the output ended because the server exited: let poll() see it
    listening.set()


@contextlib.contextmanager
def run_server(data_dir: Path, env: dict[str, str] | None = None, timeout: float = 90,
               args: list[str] | None = None) -> Iterator[LiveServer]:
    """Start `python -m embedding_projector serve` (plus `args`) on a free port and wait until it answers."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"server-{port}.log"
    extra = {"PROJECTOR_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT), "PROJECTOR_WORKERS": "2", **(env or {})}
    full_env = {**os.environ, **extra, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "embedding_projector", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--data-dir", str(data_dir), "--no-examples", *(args or [])]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=full_env)
    listening = threading.Event()
    threading.Thread(target=_copy_log, args=(process, log_path, listening), daemon=True).start()
    server = LiveServer(f"http://127.0.0.1:{port}", data_dir, process, log_path, extra,
                        int(extra["PROJECTOR_MAX_UPLOAD_BYTES"]))
    try:
        if not listening.wait(timeout):
            pytest.fail(f"server did not start within {timeout} s:\n{server.log()}")
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.wait()}:\n{server.log()}")
        assert httpx.get(server.url + "/api/datasets", timeout=10).status_code == 200, server.log()
        yield server
    finally:
        stop_process(process)


@contextlib.contextmanager
def python_api_env(home: Path, env: dict[str, str]) -> Iterator[Path]:
    """ep.show()'s environment for a block (data folder `home` plus `env`); after it, ep.stop() and the old values."""
    import embedding_projector as ep

    values = {"PROJECTOR_DATA_DIR": str(home), **env}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield home
    finally:
        ep.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server for the whole session (tests must not depend on each other's datasets).

    Without warm-up: every stopped job kills and respawns its worker, and each fresh worker's warm-up
    would spend ~40 s of CPU compiling UMAP beside the tests; the few UMAP runs here compile on demand
    instead (tests/test_warmup.py tests the warm-up itself).
    """
    with run_server(tmp_path_factory.mktemp("live") / "data", {"PROJECTOR_WARMUP": "false"}) as server:
        yield server


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client for the session's live server."""
    with live_server.client() as c:
        yield c


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL database on 127.0.0.1 for the tests (scripts/test_postgres.sh starts it)."""
    script = Path(__file__).resolve().parents[1] / "scripts" / "test_postgres.sh"
    out = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        pytest.fail(f"could not start PostgreSQL for the tests:\n{out.stderr}")
    return out.stdout.strip().splitlines()[-1]


@dataclass
class OpenedCommand:
    """A running `embedding-projector PATH...`: its process, base URL and the dataset URLs it printed."""

    process: subprocess.Popen
    base: str
    urls: list[str]
    lines: list[str]

    def wait_for_line(self, start: str, timeout: float = 30) -> str:
        """The first output line that holds `start`, waiting for it to be printed."""
        with self._printed:
            found = self._printed.wait_for(
                lambda: any(start in line for line in self.lines) or self.process.poll() is not None,
                timeout,
            )
        match = next((line for line in self.lines if start in line), None)
        assert found and match is not None, f"no line {start!r} in:\n" + "\n".join(self.lines)
        return match

    _printed: threading.Condition = field(default_factory=threading.Condition)


def _collect_lines(command: OpenedCommand) -> None:
    """Append each output line of the command to its list, waking whoever waits for one."""
    for raw in command.process.stdout:
        with command._printed:
            command.lines.append(raw.decode(errors="replace").rstrip("\n"))
            command._printed.notify_all()
    command.process.wait()
    with command._printed:
        command._printed.notify_all()


@contextlib.contextmanager
def run_open(args: list[str], env: dict[str, str], datasets: int = 1, timeout: float = 90,
             command: list[str] | None = None) -> Iterator[OpenedCommand]:
    """Run `python -m embedding_projector ARGS` (or `command`), wait until it serves, stop it after."""
    full_env = {**os.environ, "PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1", **env, "PYTHONUNBUFFERED": "1"}
    cmd = command or [sys.executable, "-m", "embedding_projector", *args]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=full_env)
    opened = OpenedCommand(process, "", [], [])
    threading.Thread(target=_collect_lines, args=(opened,), daemon=True).start()
    try:
        first = opened.wait_for_line("Embedding Projector on ", timeout)
        opened.base = first.split()[3]
        opened.wait_for_line("Application startup complete", timeout)
        opened.urls = [line for line in opened.lines if line.startswith(opened.base + "?dataset=")]
        assert len(opened.urls) == datasets, "\n".join(opened.lines)
        yield opened
    finally:
        stop_process(process)
