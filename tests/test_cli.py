"""The embedding-projector command: help, and user errors as clean messages."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embedding_projector", *args],
                          capture_output=True, text=True, timeout=60)


def test_serve_help_lists_every_option() -> None:
    out = run("serve", "--help")
    assert out.returncode == 0
    for option in ("--host", "--port", "--data-dir", "--no-examples"):
        assert option in out.stdout


def test_bad_setting_is_a_message_not_a_traceback() -> None:
    out = run("serve", "--port", "70000")
    assert out.returncode == 2
    assert "port" in out.stderr and "Traceback" not in out.stderr


def test_served_connections_send_small_writes_at_once() -> None:
    """Accepted connections get TCP_NODELAY (asyncio sets it only for proto IPPROTO_TCP sockets).

    Without it a keep-alive response's body, written after its headers, waited ~40 ms for the
    client's delayed ACK: every request on a reused connection took >= 40 ms.
    """
    import asyncio
    import socket

    from embedding_projector.cli import listening_socket

    async def main() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=listening_socket("127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            flag = await asyncio.wait_for(seen, 10)
            writer.close()
        return flag

    assert asyncio.run(main()) != 0
