"""How a projection reports progress and learns that it should stop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Cancelled(Exception):
    """Raised inside a projection when its job was cancelled."""


ProgressSink = Callable[[float, dict[str, Any], np.ndarray | None], None]


@dataclass
class Progress:
    """Passed to every projection's run(); forwards progress to the job runner.

    `update(fraction, **info)` reports how far the run is (0..1) plus method facts such as the
    iteration; `snapshot(coords, fraction, **info)` also hands over intermediate coordinates.
    """

    sink: ProgressSink = field(default=lambda fraction, info, coords: None)

    def update(self, fraction: float, **info: Any) -> None:
        """Report progress without coordinates."""
        self.sink(float(min(max(fraction, 0.0), 1.0)), info, None)

    def snapshot(self, coords: np.ndarray, fraction: float, **info: Any) -> None:
        """Report progress with intermediate coordinates (float32, n x d)."""
        self.sink(float(min(max(fraction, 0.0), 1.0)), info, np.asarray(coords, dtype=np.float32))

    def part(self, start: float, stop: float) -> Progress:
        """A Progress for one phase of a job, mapping its 0..1 onto start..stop of this one."""
        span = stop - start
        return Progress(lambda fraction, info, coords: self.sink(start + span * fraction, info, coords))


@dataclass
class ProjectionResult:
    """What a job method's run() returns: float32 coordinates and method extras (JSON-able).

    An analysis (a k-NN graph, per-point scores, clusters) returns `arrays` instead of, or beside,
    coordinates: named int32 or float32 arrays whose first axis is the job's rows. Each is stored as
    `results/{job}.{name}` and served at /api/projections/{job}/{name}.
    """

    coords: np.ndarray | None
    extras: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
