"""EditLayer: metadata as edited, on top of a dataset's immutable metadata.json and its EditLog.

It checks an edit against the state it lands on, appends it, and materialises the metadata (and
its column summaries) at any version, once per version, on disk.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from embedding_projector.atomic_files import atomic_write_bytes
from embedding_projector.datasets.column_summary import column_info
from embedding_projector.datasets.edits import (
    EditLog,
    EditRequest,
    apply_set,
    check_column_name,
    check_rows,
    typed_value,
)
from embedding_projector.datasets.parse_metadata import Column
from embedding_projector.errors import Conflict, InputError
from embedding_projector.schemas import ColumnInfo


def _dump(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _link_or_copy(source: Path, target: Path) -> None:
    """Put `source`'s bytes at `target` in one step: a hard link when possible (same bytes, no copy)."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        atomic_write_bytes(target, source.read_bytes())
        return
    os.replace(tmp, target)


class EditLayer:
    """Edits of every dataset, read and written through one EditLog."""

    def __init__(self, log: EditLog) -> None:
        self.log = log
        self._lock = threading.Lock()
        self._columns: dict[tuple[str, int], list[ColumnInfo]] = {}

    def latest(self, dataset: str) -> int:
        """The dataset's latest edit version (0: never edited)."""
        return self.log.latest(dataset)

    def metadata_path(self, dataset: str, version: int, original: Path) -> Path:
        """The metadata JSON at `version`, materialised on first use; `original` is version 0."""
        if version == 0:
            return original
        target = self.log.cached(dataset, version, "metadata")
        if target.is_file():
            return target
        # Walk back to a version already on disk: a set entry is applied on top of the version
        # before it; an undo of entry M leaves the metadata as it was at M - 1.
        sets: list[int] = []
        v = version
        while v > 0 and not self.log.cached(dataset, v, "metadata").is_file():
            op, undoes = self.log.head(dataset, v)
            if op == "undo" and undoes is not None:
                v = undoes - 1
            else:
                sets.append(v)
                v -= 1
        base = original if v == 0 else self.log.cached(dataset, v, "metadata")
        if not sets:
            _link_or_copy(base, target)
            return target
        with open(base, "rb") as fh:
            body = json.load(fh)
        columns = body["columns"]
        n = len(columns[0]["values"]) if columns else 0
        for s in reversed(sets):
            apply_set(columns, self.log.entry(dataset, s), n)
        return self.log.store_cached(dataset, version, "metadata", _dump(body))

    def columns_at(self, dataset: str, version: int, original: Path) -> list[ColumnInfo]:
        """The column summaries at `version` (version > 0), cached in memory and on disk."""
        key = (dataset, version)
        with self._lock:
            known = self._columns.get(key)
        if known is not None:
            return known
        path = self.log.cached(dataset, version, "columns")
        if path.is_file():
            columns = [ColumnInfo.model_validate(c) for c in json.loads(path.read_bytes())]
        else:
            with open(self.metadata_path(dataset, version, original), "rb") as fh:
                body = json.load(fh)
            columns = [column_info(Column(c["name"], c["type"], c["values"])) for c in body["columns"]]
            self.log.store_cached(dataset, version, "columns", _dump([c.model_dump() for c in columns]))
        with self._lock:
            self._columns[key] = columns
        return columns

    def _columns_or_original(
        self, dataset: str, version: int, original: Path, original_columns: list[ColumnInfo]
    ) -> list[ColumnInfo]:
        return original_columns if version == 0 else self.columns_at(dataset, version, original)

    def apply(
        self, dataset: str, n: int, request: EditRequest, original: Path, original_columns: list[ColumnInfo]
    ) -> tuple[dict[str, Any], ColumnInfo]:
        """Check and append a `set` entry; answer it and its column's summary after the edit."""
        rows = check_rows(request.rows, n)
        if request.cell and rows.size != 1:
            raise InputError(f"a single-cell edit names one row, not {rows.size}", file="rows")

        def make_entry(latest: int) -> dict[str, Any]:
            columns = self._columns_or_original(dataset, latest, original, original_columns)
            types = {c.name: c.type for c in columns}
            if request.cell and request.column not in types:
                raise InputError(
                    f"column {request.column[:60]!r} does not exist; a single-cell edit changes an "
                    "existing column (tag a selection to make a new one)",
                    file="column",
                )
            check_column_name(request.column, set(types))
            value = typed_value(request.value, types.get(request.column), request.column)
            return {"op": "set", "column": request.column, "rows": rows.tolist(), "value": value,
                    "new_column": request.column not in types}

        entry = self.log.append(dataset, make_entry)
        columns = self.columns_at(dataset, entry["version"], original)
        return entry, next(c for c in columns if c.name == request.column)

    def undo(self, dataset: str, original: Path) -> dict[str, Any]:
        """Append an `undo` of the latest edit not yet undone (409 when there is none).

        The answer says what the page must change: the undone entry's column and rows, their
        values now, and the column's summary now (None when the undo removed the column).
        """

        def make_entry(latest: int) -> dict[str, Any]:
            target = self.log.undo_target(dataset, latest)
            if target is None:
                raise Conflict("there is no edit to undo")
            return {"op": "undo", "undoes": target}

        entry = self.log.append(dataset, make_entry)
        undone = self.log.entry(dataset, entry["undoes"])
        version = entry["version"]
        with open(self.metadata_path(dataset, version, original), "rb") as fh:
            columns = json.load(fh)["columns"]
        column = next((c for c in columns if c["name"] == undone["column"]), None)
        summary = next((c for c in self.columns_at(dataset, version, original) if c.name == undone["column"]), None)
        rows = undone["rows"]
        return {
            "version": version,
            "undoes": entry["undoes"],
            "column": undone["column"],
            "rows": rows,
            "values": None if column is None else [column["values"][r] for r in rows],
            "column_info": None if summary is None else summary.model_dump(),
        }

    def forget(self, dataset: str, staging: Path) -> None:
        """Drop a dataset's edit log and caches."""
        with self._lock:
            for key in [k for k in self._columns if k[0] == dataset]:
                del self._columns[key]
        self.log.forget(dataset, staging)
