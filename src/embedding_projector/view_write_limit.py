"""ViewWriteLimit: how many views and bookmarks one client may store per minute (429 past it)."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator

from embedding_projector.errors import TooManyRequests

WINDOW_SECONDS = 60.0


class ViewWriteLimit:
    """A sliding one-minute window per client; checking and recording a write are one step."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._writes: dict[str, deque[float]] = {}
        self._swept_at = clock()

    @contextlib.contextmanager
    def admitted(self, client: str | None) -> Iterator[None]:
        """Count one write by `client` (None: exempt), or raise 429; a write that then fails is not counted."""
        if client is None:
            yield
            return
        stamp = self._admit(client)
        try:
            yield
        except BaseException:
            self._refund(client, stamp)
            raise

    def _admit(self, client: str) -> float:
        now = self._clock()
        with self._lock:
            self._sweep(now)
            writes = self._writes.setdefault(client, deque())
            while writes and now - writes[0] >= WINDOW_SECONDS:
                writes.popleft()
            if len(writes) >= self.per_minute:
                wait = max(1, math.ceil(WINDOW_SECONDS - (now - writes[0])))
                raise TooManyRequests(
                    f"more than {self.per_minute} views and bookmarks a minute from {client}; "
                    f"try again in {wait} s"
                )
            writes.append(now)
            return now

    def _refund(self, client: str, stamp: float) -> None:
        with self._lock:
            writes = self._writes.get(client)
            if writes is not None:
                with contextlib.suppress(ValueError):
                    writes.remove(stamp)

    def _sweep(self, now: float) -> None:
        # Forget clients with no write in the window, once a window, so memory follows recent clients only.
        if now - self._swept_at < WINDOW_SECONDS:
            return
        self._swept_at = now
        for client in [c for c, w in self._writes.items() if not w or now - w[-1] >= WINDOW_SECONDS]:
            del self._writes[client]

    def clients(self) -> int:
        """How many clients are remembered now (for tests of the pruning)."""
        with self._lock:
            return len(self._writes)
