"""The socket `serve` binds before uvicorn: accepted connections get TCP_NODELAY from asyncio.

Without it (a socket made with proto 0), each small response on a kept-alive connection waited for
the client's delayed ACK: ~40 ms a request, measured on every API call.
"""

from __future__ import annotations

import asyncio
import socket

from embedding_projector.cli import listening_socket


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

    assert asyncio.run(check()) != 0
