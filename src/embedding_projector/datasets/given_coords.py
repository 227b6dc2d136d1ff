"""Given coordinates: metadata columns x, y (and z), or the columns --coords names, as a layout.

Pure: parsed metadata in, a float32 (n, 2|3) matrix or InputError out. The columns stay metadata
columns too (colour by x, search by y), so nothing is taken away from the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedding_projector.datasets.parse_metadata import Column, Metadata
from embedding_projector.errors import InputError

DEFAULT_COLUMNS = ("x", "y", "z")
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class GivenCoords:
    """One given layout: its source (the comma-joined column names) and its float32 coordinates."""

    source: str
    coords: np.ndarray


@dataclass(frozen=True)
class Assembled:
    """What a dataset is made of once its coordinates are found: vectors, given layouts, coords_only."""

    vectors: np.ndarray
    given: list[GivenCoords]
    coords_only: bool


def parse_coords_option(text: str, field: str = "--coords") -> list[str]:
    """The column names of `--coords umap_x,umap_y[,umap_z]`: 2 or 3 distinct, non-empty names."""
    names = [name.strip() for name in text.split(",")]
    if len(names) not in (2, 3) or not all(names):
        raise InputError(f"{field} {text!r}: name 2 or 3 columns, comma-separated (such as x,y or x,y,z)", file=field)
    if len(set(names)) != len(names):
        raise InputError(f"{field} {text!r} names a column twice", file=field)
    return names


def _wanted_columns(metadata: Metadata, columns: list[str] | None, filename: str) -> list[Column] | None:
    by_name = {c.name: c for c in metadata.columns}
    if columns is None:
        if "x" not in by_name or "y" not in by_name:
            return None
        return [by_name[name] for name in DEFAULT_COLUMNS if name in by_name]
    missing = [name for name in columns if name not in by_name]
    if missing:
        listing = ", ".join(repr(c.name) for c in metadata.columns)
        raise InputError(
            f"{filename} has no column {missing[0]!r} for the coordinates (its columns: {listing})",
            file=filename,
        )
    return [by_name[name] for name in columns]


def _cell_number(value: object) -> float | None:
    """A cell as a finite float, or None when it is empty or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not value.strip() or "_" in value:
            return None
        try:
            value = float(value)
        except ValueError:
            return None
    number = float(value)  # type: ignore[arg-type]
    return number if np.isfinite(number) and abs(number) <= _FLOAT32_MAX else None


def _column_values(column: Column, filename: str, first_line: int, row_word: str) -> np.ndarray:
    """The column as float32, or InputError at its first cell that is not a finite number."""
    if column.type == "numeric":  # one array op; empty cells (None) become NaN and are refused below
        numbers = np.array(column.values, dtype=np.float64)
        good = np.isfinite(numbers) & (np.abs(numbers) <= _FLOAT32_MAX)
        if good.all():
            return numbers.astype(np.float32)
        bad = int(np.flatnonzero(~good)[0])
    else:
        bad = next(i for i, value in enumerate(column.values) if _cell_number(value) is None)
    value = column.values[bad]
    shown = "empty" if value is None or (isinstance(value, str) and not value.strip()) else f"{str(value)[:40]!r}"
    line = bad + first_line
    raise InputError(
        f"{filename} {row_word} {line}, column {column.name!r}: the coordinate is {shown}, "
        "not a finite number (given coordinates need a number in every row)",
        file=filename,
        line=line,
    )


def find_given(
    metadata: Metadata | None,
    filename: str,
    columns: list[str] | None = None,
    *,
    first_line: int = 2,
    row_word: str = "line",
) -> GivenCoords | None:
    """The layout in columns x, y (z) or in `columns`; None when there are none (and none were named).

    `first_line` is the line (or row) number of the first data row in the file: 2 below a TSV
    header, 1 for a Parquet row.
    """
    if metadata is None:
        if columns is not None:
            raise InputError(f"{filename} has no metadata columns to take the coordinates from", file=filename)
        return None
    chosen = _wanted_columns(metadata, columns, filename)
    if chosen is None:
        return None
    matrix = np.column_stack([_column_values(c, filename, first_line, row_word) for c in chosen])
    return GivenCoords(source=",".join(c.name for c in chosen), coords=np.ascontiguousarray(matrix, dtype="<f4"))


def assemble(
    vectors: np.ndarray | None,
    metadata: Metadata | None,
    filename: str,
    columns: list[str] | None = None,
    *,
    first_line: int = 2,
    row_word: str = "line",
) -> Assembled:
    """Vectors plus given layouts; without vectors the coordinates are the vectors (coords_only).

    Raises InputError naming `filename` when there are neither vectors nor coordinates.
    """
    given = find_given(metadata, filename, columns, first_line=first_line, row_word=row_word)
    if vectors is not None:
        return Assembled(vectors, [given] if given else [], coords_only=False)
    if given is None:
        raise InputError(
            f"{filename} has no vectors and no coordinate columns x, y (or z): "
            "upload vectors, or metadata with x and y columns",
            file=filename,
        )
    return Assembled(given.coords.copy(), [given], coords_only=True)
