"""The socket `serve` binds before uvicorn: it listens at once, and accepted connections get TCP_NODELAY.

Without it (a socket made with proto 0), each small response on a kept-alive connection waited for
the client's delayed ACK: ~40 ms a request, measured on every API call.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx

from embedding_projector.cli import listening_socket
from tests.conftest import stop_process


def test_accepted_connections_send_without_nagle_delay() -> None:
    async def check() -> int:
        sock = listening_socket("127.0.0.1", 0)
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            value = await asyncio.wait_for(seen, 10)
            writer.close()
        return value

    # Its own thread: in a pytest worker that ran a Playwright test, this thread has a running loop.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, check()).result(timeout=30) != 0


def test_the_socket_accepts_connections_before_any_server_runs() -> None:
    """A client may connect as soon as `serve` prints its address, before uvicorn's startup is over."""
    sock = listening_socket("127.0.0.1", 0)
    try:
        with socket.create_connection(sock.getsockname()[:2], timeout=5):
            pass  # refused (ECONNREFUSED) if the socket were only bound
    finally:
        sock.close()


def test_serve_answers_a_request_sent_right_after_its_first_line(tmp_path) -> None:
    """`serve -p 0` prints its address first; a request sent at once waits for the app, never refused.

    A CI run's `ep.show` was refused this way: the app's startup (workers, the data folder) runs after
    the address is printed and before uvicorn would have started listening.
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "embedding_projector", "serve", "-p", "0", "--host", "127.0.0.1",
               "--no-examples", "--data-dir", str(tmp_path / "data")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = next(word for word in first.split() if word.startswith("http://")).rstrip("/")
        answer = httpx.get(f"{url}/api/status", timeout=60)  # no retry: one refusal fails the test
        assert answer.status_code == 200, answer.text
    finally:
        stop_process(process)
