"""The edit layer: an append-only, versioned log of metadata edits per dataset, outside its folder.

`<data_dir>/edits/<dataset>/log/00000001.json, 00000002.json, ...`: version N is the Nth entry.
An entry is created by writing a temp file and hard-linking it to its version's name, which fails
when another process (or thread) took that version first; the writer then re-checks its edit
against the newer state and tries the next number. Nothing is ever rewritten or deleted, so two
servers on one data folder see one history.

Entries: `set` (column, rows, value) and `undo` (reverts the latest set that is not yet undone).
The metadata at a version is materialised once into `cache/` (atomic writes), as the same
`{"columns": [...]}` JSON as the original; version 0 is the dataset's own metadata.json.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from embedding_projector.atomic_files import atomic_write_bytes, fsync_dir
from embedding_projector.errors import Conflict, InputError

MAX_VALUE_CHARS = 1000
MAX_COLUMN_CHARS = 100
# Names our downloads add beside the metadata (row, coordinates), and TensorBoard's structural
# columns (any "__" prefix, such as __seq_next__): a tag column must not shadow them.
RESERVED_NAMES = frozenset({"row", "x", "y", "z"})
_RESERVED_PATTERN = re.compile(r"^(pc|dim)[0-9]+$|^__", re.IGNORECASE)
_BAD_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_ENTRY = re.compile(r"^([0-9]{8})\.json$")
MAX_RETRIES = 1000


@dataclass(frozen=True)
class EditRequest:
    """One asked-for change: `value` in `column` at `rows`; `cell` means the column must exist."""

    column: str
    rows: list[int]
    value: str
    cell: bool = False


def check_column_name(name: str, existing: set[str]) -> None:
    """InputError naming `column` when a new column's name is empty, too long, odd or reserved."""
    if name in existing:
        if name.startswith("__"):
            raise InputError(f"column {name[:60]!r} is structural (a '__' name) and cannot be edited", file="column")
        return
    if not name.strip() or name != name.strip():
        raise InputError("the column name is empty or starts or ends with spaces", file="column")
    if len(name) > MAX_COLUMN_CHARS:
        raise InputError(f"the column name is longer than {MAX_COLUMN_CHARS} characters", file="column")
    if _BAD_NAME_CHARS.search(name):
        raise InputError("the column name holds a tab, line break or other control character", file="column")
    if name.lower() in RESERVED_NAMES or _RESERVED_PATTERN.search(name):
        raise InputError(
            f"the column name {name!r} is reserved (row, x, y, z, pc1.., dim1.. and '__' names are "
            "used by downloads and sequences); choose another",
            file="column",
        )


def check_rows(rows: list[int], n: int) -> np.ndarray:
    """The rows as int64, or InputError naming `rows` when empty, out of range or repeated."""
    if not rows:
        raise InputError("rows is empty: select at least one point", file="rows")
    try:
        array = np.asarray(rows, dtype=np.int64)
    except OverflowError:
        raise InputError(f"rows holds a row outside the dataset's {n} rows", file="rows") from None
    bad = np.flatnonzero((array < 0) | (array >= n))
    if bad.size:
        raise InputError(f"rows[{bad[0]}] = {array[bad[0]]} is outside the dataset's {n} rows", file="rows")
    if np.unique(array).size != array.size:
        raise InputError("rows holds the same row more than once", file="rows")
    return array


def typed_value(value: str, column_type: str | None, column: str) -> str | float | None:
    """The stored form of `value`: text as it is; for a numeric column a number or None ("")."""
    if len(value) > MAX_VALUE_CHARS:
        raise InputError(f"value is {len(value)} characters long; the most is {MAX_VALUE_CHARS}", file="value")
    if column_type != "numeric":
        return value
    if not value.strip():
        return None
    try:
        number = float(value) if "_" not in value else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InputError(
            f"column {column[:60]!r} is numeric: value must be a number or empty, not {value[:60]!r}",
            file="value",
        )
    return number


def apply_set(columns: list[dict[str, Any]], entry: dict[str, Any], n: int) -> None:
    """Apply one `set` entry to `columns` ({"name", "type", "values"} dicts) in place."""
    target = next((c for c in columns if c["name"] == entry["column"]), None)
    if target is None:
        target = {"name": entry["column"], "type": "text", "values": [""] * n}
        columns.append(target)
    values = target["values"]
    value = entry["value"]
    for row in entry["rows"]:
        values[row] = value


class EditLog:
    """Every dataset's edit log under `root` (`<data_dir>/edits`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        # Entries never change once written: their headers (op, undoes) are kept per dataset.
        self._heads: dict[str, dict[int, tuple[str, int | None]]] = {}

    def _log_dir(self, dataset: str) -> Path:
        return self.root / dataset / "log"

    def cache_dir(self, dataset: str) -> Path:
        """Where materialised versions of a dataset's metadata live."""
        return self.root / dataset / "cache"

    def latest(self, dataset: str) -> int:
        """The latest version (the number of entries); 0 when never edited."""
        try:
            names = os.listdir(self._log_dir(dataset))
        except FileNotFoundError:
            return 0
        return max((int(m.group(1)) for m in map(_ENTRY.match, names) if m), default=0)

    def entry_path(self, dataset: str, version: int) -> Path:
        """The file of entry `version` (1-based)."""
        return self._log_dir(dataset) / f"{version:08d}.json"

    def entry(self, dataset: str, version: int) -> dict[str, Any]:
        """Entry `version` as written."""
        with open(self.entry_path(dataset, version), "rb") as fh:
            return json.load(fh)

    def head(self, dataset: str, version: int) -> tuple[str, int | None]:
        """Entry `version`'s (op, undoes), read once."""
        with self._lock:
            head = self._heads.get(dataset, {}).get(version)
        if head is None:
            data = self.entry(dataset, version)
            head = (data["op"], data.get("undoes"))
            with self._lock:
                self._heads.setdefault(dataset, {})[version] = head
        return head

    def undo_target(self, dataset: str, version: int) -> int | None:
        """The set entry an undo at `version + 1` would revert: the latest one not yet undone."""
        undone: set[int] = set()
        for v in range(version, 0, -1):
            op, undoes = self.head(dataset, v)
            if op == "undo" and undoes is not None:
                undone.add(undoes)
            elif op == "set" and v not in undone:
                return v
        return None

    def append(self, dataset: str, make_entry: Any) -> dict[str, Any]:
        """Write the entry `make_entry(latest)` builds as version latest + 1; retried if another writer won.

        `make_entry(version)` sees the state at `version` and returns the entry dict (or raises).
        """
        log_dir = self._log_dir(dataset)
        log_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(MAX_RETRIES):
            latest = self.latest(dataset)
            entry = {
                "version": latest + 1,
                **make_entry(latest),
                "created": datetime.now(UTC).isoformat(timespec="milliseconds"),
            }
            data = json.dumps(entry, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
            fd, tmp = tempfile.mkstemp(prefix=".entry.", suffix=".tmp", dir=log_dir)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                try:
                    os.link(tmp, self.entry_path(dataset, latest + 1))
                except FileExistsError:
                    continue  # another writer took this version: re-check against the newer state
                fsync_dir(log_dir)
                return entry
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        raise Conflict(f"dataset {dataset!r} is being edited too busily; try again")

    def entries(self, dataset: str, version: int | None = None) -> list[dict[str, Any]]:
        """Every entry up to `version` (default: latest), oldest first."""
        last = self.latest(dataset) if version is None else version
        return [self.entry(dataset, v) for v in range(1, last + 1)]

    def cached(self, dataset: str, version: int, kind: str) -> Path:
        """The path of materialised `kind` ('metadata' or 'columns') at `version` (it may not exist yet)."""
        return self.cache_dir(dataset) / f"{kind}-v{version:08d}.json"

    def store_cached(self, dataset: str, version: int, kind: str, data: bytes) -> Path:
        """Write one materialised file atomically (two writers write the same bytes; either wins)."""
        path = self.cached(dataset, version, kind)
        atomic_write_bytes(path, data)
        return path

    def forget(self, dataset: str, staging: Path) -> None:
        """Remove a dataset's whole log (renamed away first, so no reader sees half of it)."""
        with self._lock:
            self._heads.pop(dataset, None)
        folder = self.root / dataset
        if not folder.exists():
            return
        staging.mkdir(parents=True, exist_ok=True)
        doomed = staging / f"edits-{dataset}-{os.getpid()}-{threading.get_ident()}"
        try:
            folder.rename(doomed)
        except FileNotFoundError:
            return
        shutil.rmtree(doomed, ignore_errors=True)
