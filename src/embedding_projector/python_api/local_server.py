"""The background server of a Python session: started once on a free port, reused, stopped at exit."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
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


def _drain(stream: IO[str], log: IO[str], first_line: list[str], got_first: threading.Event) -> None:
    """Read the server's stdout to its end: the first line is the URL, the rest goes to the log."""
    try:
        for line in stream:
            if not got_first.is_set():
                first_line.append(line)
                got_first.set()
            log.write(line)
            log.flush()
    finally:
        got_first.set()  # the pipe closed: the server ended before (or after) its first line


def _url_from(line: str) -> str | None:
    for word in line.split():
        if word.startswith("http://"):
            return word.rstrip("/")
    return None


def _start() -> LocalServer:
    data_dir = user_data_dir()
    log_path = data_dir / LOG_NAME
    log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - the drain thread owns it
    env = {**os.environ, "PROJECTOR_FRAME_ANCESTORS": LOCAL_FRAME_ANCESTORS, "PROJECTOR_EXIT_WITH_PARENT": "true"}
    command = [sys.executable, "-m", "embedding_projector", "serve", "-p", "0", "--host", "127.0.0.1",
               "--no-examples", "--data-dir", str(data_dir)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, env=env,
                               text=True, start_new_session=True)
    first: list[str] = []
    got_first = threading.Event()
    assert process.stdout is not None
    threading.Thread(target=_drain, args=(process.stdout, log, first, got_first), name="projector-server-log",
                     daemon=True).start()
    url = _url_from(first[0]) if got_first.wait(START_TIMEOUT) and first else None
    if url is None:
        _kill_group(process)
        raise RuntimeError(f"the local Embedding Projector server did not start (exit status {process.poll()}); "
                           f"its log {log_path} ends:\n{_tail(log_path)}")
    server = LocalServer(process=process, url=url, log_path=log_path)
    try:
        _wait_until_answering(url, process)
    except (httpx.HTTPError, TimeoutError) as exc:
        _kill_group(process)
        raise RuntimeError(f"the local server at {url} does not answer ({exc}); its log {log_path} ends:\n"
                           f"{_tail(log_path)}") from None
    return server


def _wait_until_answering(url: str, process: subprocess.Popen, timeout: float = START_TIMEOUT) -> None:
    """Poll /api/status until it answers: the port is bound at once, but listened on only once the app started."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{url}/api/status", timeout=timeout).raise_for_status()
            return
        except httpx.ConnectError:
            # No event tells us the app has started listening; a refused connect is cheap to retry.
            if process.poll() is not None or time.monotonic() > deadline:
                raise TimeoutError(f"not listening after {timeout:.0f} s (exit status {process.poll()})") from None
            time.sleep(0.05)


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
