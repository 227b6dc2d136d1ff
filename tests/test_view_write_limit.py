"""ViewWriteLimit on its own, with a fake clock: the window slides, refunds, and old clients are forgotten."""

from __future__ import annotations

import pytest

from embedding_projector.errors import InputError, TooManyRequests
from embedding_projector.view_write_limit import ViewWriteLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def write(limit: ViewWriteLimit, client: str | None) -> None:
    with limit.admitted(client):
        pass


def test_the_window_slides_and_a_failed_write_is_refunded() -> None:
    clock = Clock()
    limit = ViewWriteLimit(3, clock)
    for _ in range(3):
        write(limit, "a")
        clock.now += 10
    with pytest.raises(TooManyRequests, match="try again in 30 s"):
        write(limit, "a")
    write(limit, "b")  # another client has its own window
    write(limit, None)  # the token holder is exempt
    with pytest.raises(InputError), limit.admitted("b"):
        raise InputError("refused after admission")  # e.g. the budget said no
    write(limit, "b")
    write(limit, "b")
    with pytest.raises(TooManyRequests):
        write(limit, "b")
    clock.now += 30  # the first write of "a" is a minute old now
    write(limit, "a")
    with pytest.raises(TooManyRequests):
        write(limit, "a")


def test_clients_are_forgotten_a_minute_after_their_last_write() -> None:
    clock = Clock()
    limit = ViewWriteLimit(30, clock)
    for i in range(20_000):
        write(limit, f"10.0.{i // 256}.{i % 256}")
    assert limit.clients() == 20_000
    clock.now += 61
    write(limit, "late")
    assert limit.clients() == 1
