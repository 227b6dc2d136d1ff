"""JobLimits (reserve, commit, release; pruning) and client_id (trusted proxies), without a server."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.requests import Request

from embedding_projector import public_mode
from embedding_projector.errors import TooManyRequests
from embedding_projector.public_mode import JobLimits, client_id, trusted_networks


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(public_mode.time, "monotonic", fake)
    return fake


def test_reserved_slots_count_before_they_are_committed(clock: Clock) -> None:
    limits = JobLimits(starts_per_minute=3, jobs_per_client=10)
    held = [limits.reserve("a", f"job{i}", lambda _: True) for i in range(3)]
    with pytest.raises(TooManyRequests, match="more than 3 projection starts a minute from a"):
        limits.reserve("a", "job9", lambda _: True)
    limits.release(held[0])  # e.g. the job turned out to be cached: it costs nothing
    limits.commit(held[1])
    limits.commit(held[2])
    third = limits.reserve("a", "job3", lambda _: True)
    limits.commit(third)
    with pytest.raises(TooManyRequests):
        limits.reserve("a", "job4", lambda _: True)
    clock.now += 60
    limits.commit(limits.reserve("a", "job4", lambda _: True))  # the window moved on


def test_unfinished_jobs_limit_counts_each_job_once(clock: Clock) -> None:
    limits = JobLimits(starts_per_minute=100, jobs_per_client=2)
    active = {"j1", "j2"}
    limits.commit(limits.reserve("a", "j1", active.__contains__))
    limits.commit(limits.reserve("a", "j2", active.__contains__))
    limits.commit(limits.reserve("a", "j1", active.__contains__))  # asking again for a held job
    with pytest.raises(TooManyRequests, match=r"a already has 2 projections queued or running \(the limit is 2\)"):
        limits.reserve("a", "j3", active.__contains__)
    active.discard("j1")  # finished
    limits.commit(limits.reserve("a", "j3", active.__contains__))


def test_clients_are_forgotten_once_idle(clock: Clock) -> None:
    limits = JobLimits(starts_per_minute=30, jobs_per_client=4)
    active: set[str] = set()
    for i in range(600):
        active.add(f"job{i}")
        limits.commit(limits.reserve(f"10.1.{i // 256}.{i % 256}", f"job{i}", active.__contains__))
    assert limits.clients() == 600
    clock.now += 61
    limits.reserve("10.9.9.9", "x", active.__contains__)
    assert limits.clients() == 601  # their jobs are still unfinished: still remembered
    active.clear()
    clock.now += public_mode.PRUNE_SECONDS + 1
    limits.reserve("10.9.9.8", "y", active.__contains__)
    # 10.9.9.9 still holds a pending reservation; 10.9.9.8 is the one being served.
    assert limits.clients() == 2


def test_a_reservation_never_settled_is_let_go(clock: Clock) -> None:
    limits = JobLimits(starts_per_minute=1, jobs_per_client=1)
    limits.reserve("a", "j1", lambda _: True)  # its request died before commit or release
    with pytest.raises(TooManyRequests):
        limits.reserve("a", "j2", lambda _: True)
    clock.now += public_mode.PENDING_SECONDS
    limits.commit(limits.reserve("a", "j2", lambda _: True))


def request_from(peer: str, forwarded: list[str], trusted: str) -> Request:
    scope = {
        "type": "http",
        "client": (peer, 40000),
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
        "app": SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(trusted_proxies=trusted))),
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("127.0.0.1", ["203.0.113.5"], "", "127.0.0.1"),  # no trusted proxies: the header is ignored
        ("127.0.0.1", ["203.0.113.5"], "127.0.0.1", "203.0.113.5"),
        ("127.0.0.1", ["6.6.6.6, 203.0.113.5"], "127.0.0.1", "203.0.113.5"),  # left entries are claims
        ("10.0.0.2", ["203.0.113.5, 10.0.0.7"], "10.0.0.0/8", "203.0.113.5"),  # proxies in the chain
        ("10.0.0.2", ["203.0.113.5", "10.0.0.7"], "10.0.0.0/8", "203.0.113.5"),  # two headers
        ("192.0.2.1", ["203.0.113.5"], "10.0.0.0/8", "192.0.2.1"),  # an untrusted peer's header
        ("127.0.0.1", [], "127.0.0.1", "127.0.0.1"),
        ("2001:db8:1:2:3:4:5:6", [], "", "2001:db8:1:2::/64"),  # one IPv6 host holds a whole /64
        ("::ffff:192.0.2.7", [], "", "192.0.2.7"),
        ("127.0.0.1", ["2001:db8::1"], "127.0.0.1, ::1", "2001:db8::/64"),
    ],
)
def test_client_id(peer: str, forwarded: list[str], trusted: str, expected: str) -> None:
    assert client_id(request_from(peer, forwarded, trusted)) == expected


def test_trusted_proxies_must_be_addresses() -> None:
    assert [str(n) for n in trusted_networks(" 127.0.0.1 , 10.0.0.0/8,")] == ["127.0.0.1/32", "10.0.0.0/8"]
    with pytest.raises(ValueError, match="'proxy.example.org' is not an IP address"):
        trusted_networks("127.0.0.1, proxy.example.org")
