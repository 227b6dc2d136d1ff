"""Public mode: the write token, and per-client limits on projection jobs."""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from fastapi import Request

from embedding_projector.errors import Forbidden, TooManyRequests, Unauthorized

TOKEN_HEADER = "X-Projector-Token"


def presented_token(request: Request) -> str | None:
    """The token a request carries: `Authorization: Bearer T` or the X-Projector-Token header."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get(TOKEN_HEADER)


def has_write_access(request: Request, write_token: str | None) -> bool:
    """Whether the request may write: always when no token is set, else only with the right one."""
    if not write_token:
        return True
    token = presented_token(request)
    return token is not None and secrets.compare_digest(token.encode(), write_token.encode())


def require_write_access(request: Request, write_token: str | None, what: str) -> None:
    """Raise 401 (no token) or 403 (wrong token) unless the request may write."""
    if has_write_access(request, write_token):
        return
    if presented_token(request) is None:
        raise Unauthorized(f"{what} needs the server's write token (Authorization: Bearer <token>)")
    raise Forbidden(f"the write token given for {what} is not valid")


def client_id(request: Request) -> str:
    """Who a request comes from, for the per-client limits."""
    return request.client.host if request.client else "unknown"


class JobLimits:
    """Per-client limits on job starts: a rate per minute, and how many may be unfinished at once."""

    def __init__(self, starts_per_minute: int, jobs_per_client: int) -> None:
        self.starts_per_minute = starts_per_minute
        self.jobs_per_client = jobs_per_client
        self._lock = threading.Lock()
        self._starts: dict[str, deque[float]] = defaultdict(deque)
        self._jobs: dict[str, set[str]] = defaultdict(set)

    def check(self, client: str, is_active: Callable[[str], bool]) -> None:
        """Raise 429 when `client` is over either limit (a cache hit is never counted)."""
        now = time.monotonic()
        with self._lock:
            starts = self._starts[client]
            while starts and now - starts[0] > 60:
                starts.popleft()
            if len(starts) >= self.starts_per_minute:
                raise TooManyRequests(
                    f"more than {self.starts_per_minute} projection starts a minute from {client}; "
                    "wait a little"
                )
            active = {job for job in self._jobs[client] if is_active(job)}
            self._jobs[client] = active
            if len(active) >= self.jobs_per_client:
                raise TooManyRequests(
                    f"{client} already has {len(active)} projections queued or running "
                    f"(the limit is {self.jobs_per_client}); stop one or wait"
                )
            starts.append(now)

    def started(self, client: str, job_id: str) -> None:
        """Count a job start the client made, and remember it while it is unfinished."""
        with self._lock:
            self._starts[client].append(time.monotonic())
            self._jobs[client].add(job_id)
