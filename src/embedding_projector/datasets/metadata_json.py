"""A dataset's metadata.json, written a slice of values at a time so that its text is never whole in memory."""

from __future__ import annotations

import json
from pathlib import Path

from embedding_projector.datasets.parse_metadata import Column

# Values encoded per json.dumps call: big enough that the C encoder does the work, small enough to hold.
SLICE_VALUES = 65_536


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def write_metadata_json(path: Path, columns: list[Column]) -> None:
    """Write {"columns": [{"name", "type", "values"}, ...]} to `path`, byte for byte as one json.dumps would."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write('{"columns":[')
        for index, column in enumerate(columns):
            if index:
                out.write(",")
            out.write(_dumps({"name": column.name, "type": column.type})[:-1] + ',"values":[')
            for start in range(0, len(column.values), SLICE_VALUES):
                if start:
                    out.write(",")
                out.write(_dumps(column.values[start:start + SLICE_VALUES])[1:-1])
            out.write("]}")
        out.write("]}")
