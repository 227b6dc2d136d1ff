"""A TCP proxy in front of web replicas for the tests: every connection goes to the first one that answers.

Like a load balancer with a primary and backups (nginx's `backup` servers): while the first replica
lives it gets every connection; once it is gone, the next one does. It logs which replica took
each connection.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import free_port


class FailoverProxy:
    """Listens on 127.0.0.1:port in a thread of its own and forwards to `backends` (host, port) in order."""

    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.taken: list[int] = []  # the backend port of each connection, in order
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> None:
        """Start listening."""
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        """Stop listening and drop every connection."""
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _shutdown(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for host, port in self.backends:
            try:
                up_reader, up_writer = await asyncio.open_connection(host, port)
            except OSError:
                continue
            self.taken.append(port)
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
            return
        writer.close()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


@contextmanager
def failover_proxy(urls: list[str]) -> Iterator[FailoverProxy]:
    """A FailoverProxy in front of the servers at `urls` (http://127.0.0.1:port), in that order."""
    backends = [(u.split("//")[1].split(":")[0], int(u.rsplit(":", 1)[1])) for u in urls]
    proxy = FailoverProxy(backends)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
