"""FairQueue: queued job ids per client, handed out round-robin over clients, not first-come."""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict, deque

# Clients whose last turn is remembered. Forgetting the least recently served one is safe: a
# forgotten client ranks like a new one, first in line, which is where its old turn put it anyway.
REMEMBERED_CLIENTS = 4096


class FairQueue:
    """Job ids waiting to run. pop() serves the client whose last turn is oldest, then the oldest job."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[tuple[int, str]]] = {}
        self._client_of: dict[str, str] = {}
        self._last_turn: OrderedDict[str, int] = OrderedDict()
        self._turns = itertools.count()
        self._arrivals = itertools.count()
        self._front = itertools.count(-1, -1)
        self._order: list[str] | None = None

    def __len__(self) -> int:
        return len(self._client_of)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._client_of

    def push(self, job_id: str, client: str, *, front: bool = False) -> None:
        """Queue `job_id` for `client`; `front` puts it before the client's other jobs (a retry)."""
        arrival = next(self._front) if front else next(self._arrivals)
        queue = self._queues.setdefault(client, deque())
        if front:
            queue.appendleft((arrival, job_id))
        else:
            queue.append((arrival, job_id))
        self._client_of[job_id] = client
        self._order = None

    def remove(self, job_id: str) -> bool:
        """Drop a queued job; False when it was not queued."""
        client = self._client_of.pop(job_id, None)
        if client is None:
            return False
        queue = self._queues[client]
        for item in queue:
            if item[1] == job_id:
                queue.remove(item)
                break
        if not queue:
            del self._queues[client]
        self._order = None
        return True

    def pop(self) -> str | None:
        """The next job to run (and its client's turn is used), or None when nothing waits."""
        if not self._queues:
            return None
        client = min(self._queues, key=self._rank)
        _, job_id = self._queues[client].popleft()
        if not self._queues[client]:
            del self._queues[client]
        del self._client_of[job_id]
        self._last_turn[client] = next(self._turns)
        self._last_turn.move_to_end(client)
        while len(self._last_turn) > REMEMBERED_CLIENTS:
            self._last_turn.popitem(last=False)
        self._order = None
        return job_id

    def clear(self) -> None:
        """Forget every queued job (turns are kept)."""
        self._queues.clear()
        self._client_of.clear()
        self._order = None

    def order(self) -> list[str]:
        """Every queued job id in the order pop() would hand them out."""
        if self._order is None:
            heap = [(*self._rank(client), client, 0) for client in self._queues]
            heapq.heapify(heap)
            order: list[str] = []
            turn = 1 << 62  # later than every real turn: a client served in this forecast goes last
            while heap:
                _, _, client, index = heapq.heappop(heap)
                queue = self._queues[client]
                order.append(queue[index][1])
                if index + 1 < len(queue):
                    turn += 1
                    heapq.heappush(heap, (turn, queue[index + 1][0], client, index + 1))
            self._order = order
        return self._order

    def position(self, job_id: str) -> int | None:
        """1 for the job that runs next, and so on; None when it is not queued."""
        if job_id not in self._client_of:
            return None
        return self.order().index(job_id) + 1

    def positions(self) -> dict[str, int]:
        """Every queued job's position (1 = next)."""
        return {job_id: i + 1 for i, job_id in enumerate(self.order())}

    def _rank(self, client: str) -> tuple[int, int]:
        return self._last_turn.get(client, -1), self._queues[client][0][0]
