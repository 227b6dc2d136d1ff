"""The background server of a Python session: started once on a free port, reused, stopped at exit."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from embedding_projector.data_home import user_data_dir
from embedding_projector.security_headers import LOCAL_FRAME_ANCESTORS

START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
LOG_NAME = "python-server.log"


@dataclass
class LocalServer:
    """A server process in its own process group, and the URL it printed."""

    process: subprocess.Popen
    url: str
    log_path: Path


_server: LocalServer | None = None
_lock = threading.Lock()


STARTED = "Application startup complete"  # uvicorn's line once the app serves


def _drain(stream: IO[str], log: IO[str], first_line: list[str], started: threading.Event) -> None:
    """Read the server's output to its end into the log: keep the first line (the URL), set `started` once it serves."""
    try:
        for line in stream:
            if not first_line:
                first_line.append(line)
            if STARTED in line:
                started.set()
            log.write(line)
            log.flush()
    finally:
        started.set()  # the pipe closed: the server ended


def _url_from(lines: list[str]) -> str | None:
    for word in (lines[0].split() if lines else []):
        if word.startswith("http://"):
            return word.rstrip("/")
    return None


def _start() -> LocalServer:
    data_dir = user_data_dir()
    log_path = data_dir / LOG_NAME
    log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - the drain thread owns it
    env = {**os.environ, "PROJECTOR_FRAME_ANCESTORS": LOCAL_FRAME_ANCESTORS, "PROJECTOR_EXIT_WITH_PARENT": "true",
           "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "embedding_projector", "serve", "-p", "0", "--host", "127.0.0.1",
               "--no-examples", "--data-dir", str(data_dir)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env=env, text=True, start_new_session=True)
    first: list[str] = []
    started = threading.Event()
    assert process.stdout is not None
    threading.Thread(target=_drain, args=(process.stdout, log, first, started), name="projector-server-log",
                     daemon=True).start()
    started.wait(START_TIMEOUT)
    url = _url_from(first)
    try:
        if url is None or process.poll() is not None:
            raise RuntimeError(f"exit status {process.poll()}")
        httpx.get(f"{url}/api/status", timeout=30).raise_for_status()
    except (RuntimeError, httpx.HTTPError) as exc:
        _kill_group(process)
        raise RuntimeError(f"the local Embedding Projector server did not start ({exc}); its log {log_path} "
                           f"ends:\n{_tail(log_path)}") from None
    return LocalServer(process=process, url=url, log_path=log_path)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _kill_group(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the server's process group, wait, then SIGKILL whatever of the group is left."""
    group = process.pid  # start_new_session: the server leads its own group
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(group, signal.SIGKILL)  # a worker still finishing, or a server that did not stop in time
    except ProcessLookupError:
        pass
    process.wait()


def local_server() -> LocalServer:
    """The session's server: started on first use, the same one after."""
    global _server
    with _lock:
        if _server is None or _server.process.poll() is not None:
            _server = _start()
            atexit.unregister(stop)  # once, however often the server is restarted
            atexit.register(stop)
        return _server


def stop() -> None:
    """Stop the local server and its workers (nothing of its process group is left); a no-op without one."""
    global _server
    with _lock:
        if _server is not None:
            _kill_group(_server.process)
            _server = None
