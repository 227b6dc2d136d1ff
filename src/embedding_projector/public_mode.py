"""Public mode: the write token, and per-client limits on projection jobs."""

from __future__ import annotations

import functools
import ipaddress
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

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


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_CLIENT_CHARS = 64  # an unparsable forwarded entry is kept as a client name, this long at most
PRUNE_SECONDS = 5.0  # how often JobLimits sweeps out clients it no longer needs to remember
WINDOW_SECONDS = 60.0
# A reservation neither committed nor released by then (its request died between the two) is let go.
PENDING_SECONDS = 600.0


@functools.lru_cache(maxsize=8)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """The networks named by PROJECTOR_TRUSTED_PROXIES ("10.0.0.1, 192.168.0.0/16"); ValueError if bad."""
    networks = []
    for part in spec.split(","):
        part = part.strip()
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"trusted_proxies: {part!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(text: str, networks: tuple[Network, ...]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in networks)


def _client_name(text: str) -> str:
    """The limits' name for an address: IPv4 as is, IPv6 by its /64 (one host holds a whole /64)."""
    address = _address(text)
    if address is None:
        return text.strip()[:MAX_CLIENT_CHARS] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_id(request: Request) -> str:
    """Who a request comes from, for the per-client limits.

    The connecting address, unless it is one of settings.trusted_proxies: then the right-most
    X-Forwarded-For entry that is not itself a trusted proxy (entries left of it are the
    client's own claims, which anyone can forge).
    """
    peer = request.client.host if request.client else "unknown"
    settings = getattr(request.app.state, "settings", None)
    networks = trusted_networks(settings.trusted_proxies) if settings is not None else ()
    if not networks or not _is_trusted(peer, networks):
        return _client_name(peer)
    entries = [e.strip() for h in request.headers.getlist("x-forwarded-for") for e in h.split(",")]
    entries = [e for e in entries if e]
    for entry in reversed(entries):
        if not _is_trusted(entry, networks):
            return _client_name(entry)
    return _client_name(entries[0] if entries else peer)


@dataclass(frozen=True)
class Reservation:
    """A start slot held against a client's limits while its request is checked and submitted."""

    client: str
    job_id: str
    counts_as_new_job: bool  # False when the client re-joins an unfinished job it already holds
    at: float = 0.0  # monotonic time it was made


@dataclass
class _Client:
    starts: deque[float] = field(default_factory=deque)  # monotonic times of accepted starts
    jobs: set[str] = field(default_factory=set)  # unfinished jobs this client started or joined
    pending: list[Reservation] = field(default_factory=list)


class JobLimits:
    """Per-client limits on job starts: a rate per minute, and how many may be unfinished at once.

    `reserve` checks both limits and holds a slot in one step under one lock, so concurrent
    requests cannot all pass the check before any is counted; `commit` turns the slot into a
    start, `release` gives it back (a cache hit, or a request refused after the check).
    """

    def __init__(self, starts_per_minute: int, jobs_per_client: int) -> None:
        self.starts_per_minute = starts_per_minute
        self.jobs_per_client = jobs_per_client
        self._lock = threading.Lock()
        self._clients: dict[str, _Client] = {}
        self._last_prune = time.monotonic()

    def reserve(self, client: str, job_id: str, is_active: Callable[[str], bool]) -> Reservation:
        """Hold a start slot for `client` asking for job `job_id`, or raise 429 over either limit.

        `is_active(job)` may wait (the runner's lock, a record on disk), so it is never called
        under this object's lock: a job that finished stays finished, so asking first is safe.
        """
        self._maybe_prune(is_active)
        with self._lock:
            held = set(self._clients[client].jobs) if client in self._clients else set()
        finished = {job for job in held if not is_active(job)}
        now = time.monotonic()
        with self._lock:
            state = self._clients.setdefault(client, _Client())
            state.jobs -= finished
            self._expire(state, now)
            if len(state.starts) + len(state.pending) >= self.starts_per_minute:
                raise TooManyRequests(
                    f"more than {self.starts_per_minute} projection starts a minute from {client}; "
                    "wait a little"
                )
            rejoin = job_id in state.jobs or any(r.job_id == job_id for r in state.pending)
            if not rejoin:
                unfinished = len(state.jobs) + sum(r.counts_as_new_job for r in state.pending)
                if unfinished >= self.jobs_per_client:
                    raise TooManyRequests(
                        f"{client} already has {unfinished} projections queued or running "
                        f"(the limit is {self.jobs_per_client}); stop one or wait"
                    )
            reservation = Reservation(client, job_id, counts_as_new_job=not rejoin, at=now)
            state.pending.append(reservation)
            return reservation

    def commit(self, reservation: Reservation) -> None:
        """Count the reserved start: the client now holds its job (new, or joined while unfinished)."""
        with self._lock:
            state = self._clients.setdefault(reservation.client, _Client())
            self._drop_pending(state, reservation)
            state.starts.append(time.monotonic())
            state.jobs.add(reservation.job_id)

    def release(self, reservation: Reservation) -> None:
        """Give a reserved slot back uncounted."""
        with self._lock:
            state = self._clients.get(reservation.client)
            if state is not None:
                self._drop_pending(state, reservation)

    def clients(self) -> int:
        """How many clients are remembered right now."""
        with self._lock:
            return len(self._clients)

    @staticmethod
    def _drop_pending(state: _Client, reservation: Reservation) -> None:
        for i, held in enumerate(state.pending):
            if held is reservation:
                del state.pending[i]
                return

    @staticmethod
    def _expire(state: _Client, now: float) -> None:
        while state.starts and now - state.starts[0] >= WINDOW_SECONDS:
            state.starts.popleft()
        if state.pending and now - state.pending[0].at >= PENDING_SECONDS:
            state.pending = [r for r in state.pending if now - r.at < PENDING_SECONDS]

    def _maybe_prune(self, is_active: Callable[[str], bool]) -> None:
        """Forget clients with no start in the window, nothing pending and no unfinished job."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_prune < PRUNE_SECONDS:
                return
            self._last_prune = now
            idle = {}
            for name, state in self._clients.items():
                self._expire(state, now)
                if not state.starts and not state.pending:
                    idle[name] = set(state.jobs)
        gone = [name for name, held in idle.items() if not any(is_active(job) for job in held)]
        with self._lock:
            for name in gone:
                state = self._clients.get(name)
                # Still idle, and holding no job it did not hold when asked (those were finished).
                if state is not None and not state.starts and not state.pending and state.jobs <= idle[name]:
                    del self._clients[name]
