"""OpenOnStartServer: the quick-stop uvicorn server that opens a browser once it answers (--open)."""

from __future__ import annotations

import socket
import threading
import webbrowser
from collections.abc import Callable

import uvicorn

from embedding_projector.uvicorn_server import QuickStopServer


class OpenOnStartServer(QuickStopServer):
    """QuickStopServer that, given a URL, opens it in the browser right after startup succeeds."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None], url: str | None = None) -> None:
        super().__init__(config, on_exit)
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's startup (lifespan done, sockets serving), then the browser, off the event loop."""
        await super().startup(sockets)
        if self.started and self._url is not None:
            # webbrowser.open may wait for the browser command to return: never on the event loop.
            threading.Thread(target=webbrowser.open, args=(self._url,), daemon=True).start()
