"""A job's event stream ends with the job's last status even when the runner closes in the same instant."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from embedding_projector.api.projections import projection_events
from embedding_projector.schemas import JobStatus

RUNNING = JobStatus(id="j", dataset="d", method="tsne", params={}, status="running")
FAILED = RUNNING.model_copy(update={"status": "failed", "error": "interrupted"})


class ClosingRunner:
    """The in-process runner's order on stop: the job's failed status goes out, then `closed` turns true.

    The failed status is sent the moment the stream first asks `closed`, the narrowest window there is.
    """

    def __init__(self) -> None:
        self.listener: Any = None
        self._closed = False

    def subscribe(self, _job: str, listener: Any) -> JobStatus:
        self.listener = listener
        return RUNNING

    def unsubscribe(self, _job: str, _listener: Any) -> None:
        self.listener = None

    @property
    def closed(self) -> bool:
        if not self._closed and self.listener is not None:
            self.listener(FAILED, None)  # as JobRunner.stop() does from its own thread
            self._closed = True
        return self._closed


def statuses(chunks: list[str]) -> list[str]:
    return [json.loads(line[6:])["status"] for chunk in chunks for line in chunk.splitlines() if line.startswith("data: ")]


def test_the_stream_sends_the_failed_status_sent_just_before_the_runner_closed() -> None:
    async def read() -> list[str]:
        response = await projection_events("j", ClosingRunner())  # type: ignore[arg-type]
        return [chunk async for chunk in response.body_iterator]  # type: ignore[misc]

    # A thread of its own: another test on this pytest worker may have left an event loop running here.
    with ThreadPoolExecutor(1) as thread:
        assert statuses(thread.submit(asyncio.run, read()).result()) == ["running", "failed"]
