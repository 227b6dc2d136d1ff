"""QuickStopServer: uvicorn's server, plus a hook run the moment SIGTERM or Ctrl-C arrives."""

from __future__ import annotations

import socket
from collections.abc import Callable
from types import FrameType

import uvicorn

# Connections still open this long after a stop signal are cut (a slow upload, say); event streams
# do not wait for it: the hook ends them at once.
STOP_GRACE_SECONDS = 3


class QuickStopServer(uvicorn.Server):
    """Calls `on_exit()` on the stop signal, before uvicorn starts waiting for open connections."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Let uvicorn begin its shutdown, then run the hook (it must not block: a signal handler)."""
        super().handle_exit(sig, frame)
        self._on_exit()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's startup, then its "Uvicorn running on" line, which it leaves out for given sockets."""
        await super().startup(sockets)
        if sockets and self.started:
            self._log_started_message(sockets)
