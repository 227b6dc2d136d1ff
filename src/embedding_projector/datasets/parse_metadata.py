"""metadata.tsv -> typed columns, following TensorBoard's rule: one column means no header.

A .csv file is comma-separated with a header row, quoted as the csv module reads it, typed the same.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Literal

import numpy as np

from embedding_projector.errors import InputError

SINGLE_COLUMN_NAME = "label"


@dataclass(frozen=True)
class Column:
    """One metadata column; numeric values are floats with None for empty cells."""

    name: str
    type: Literal["numeric", "text"]
    values: list


@dataclass(frozen=True)
class Metadata:
    """The parsed metadata: columns of equal length n_rows (the header is not a row)."""

    columns: list[Column]
    n_rows: int


def parse_metadata(
    source: bytes | Path, filename: str, expected_rows: int | None = None
) -> Metadata:
    """Parse metadata.tsv: a header row when lines hold TABs, else one header-less 'label' column.

    A file named .csv is comma-separated with a header row (quoting as the csv module reads it).
    """
    data = source.read_bytes() if isinstance(source, Path) else bytes(source)
    text = _decode(data, filename)
    if not text.strip():
        raise InputError(f"{filename} is empty", file=filename)
    if filename.lower().endswith(".csv"):
        names, cells = _csv_cells(text, filename)
        return _finish(names, cells, filename, expected_rows)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final line break ends the last row; it does not start a new one

    if "\t" not in text:
        names, cells = [SINGLE_COLUMN_NAME], [lines]
        # An empty line can be an empty label, so drop trailing ones only when they are surplus.
        extra = lines[expected_rows:] if expected_rows is not None else []
        if extra and not any(line.strip() for line in extra):
            del lines[expected_rows:]
    else:
        while not lines[-1].strip():  # a blank line cannot be a multi-field row
            lines.pop()
        names = unique_names(lines[0].split("\t"))
        cells = _split_rows(lines[1:], len(names), filename)
    return _finish(names, cells, filename, expected_rows)


def _finish(names: list[str], cells: list[list[str]], filename: str, expected_rows: int | None) -> Metadata:
    """Typed columns from the split cells, checked against the vectors' row count."""
    n_rows = len(cells[0])
    if expected_rows is not None and n_rows != expected_rows:
        raise InputError(
            f"{filename} has {_rows(n_rows, 'data row')} but the vectors have "
            f"{_rows(expected_rows, 'row')}",
            file=filename,
        )
    if n_rows == 0:
        raise InputError(f"{filename} has a header row but no data rows", file=filename, line=2)
    columns = [_typed_column(name, values) for name, values in zip(names, cells, strict=True)]
    return Metadata(columns=columns, n_rows=n_rows)


def _csv_cells(text: str, filename: str) -> tuple[list[str], list[list[str]]]:
    """(header names, columns of cells) of a CSV text; InputError naming the line of a ragged record."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    try:
        while True:
            start = reader.line_num + 1  # a quoted field may span lines: name where the record starts
            try:
                records.append((start, next(reader)))
            except StopIteration:
                break
    except csv.Error as exc:
        raise InputError(f"{filename} line {reader.line_num}: {exc}", file=filename, line=reader.line_num) from None
    while records and not records[-1][1]:  # blank lines at the end
        records.pop()
    if not records[0][1]:
        raise InputError(f"{filename} line 1: the header row is empty", file=filename, line=1)
    names = unique_names(records[0][1])
    width = len(names)
    for line, fields in records[1:]:
        if len(fields) != width:
            raise InputError(
                f"{filename} line {line}: expected {width} {'field' if width == 1 else 'fields'} "
                f"as in the header, found {len(fields)}",
                file=filename,
                line=line,
            )
    rows = [fields for _, fields in records[1:]]
    return names, [[row[j] for row in rows] for j in range(width)]


def _rows(n: int, noun: str) -> str:
    """'1 row', '2 rows'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _decode(data: bytes, filename: str) -> str:
    """UTF-8 text without a byte-order mark; InputError at the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8-sig", "replace")) + 1
        raise InputError(
            f"{filename} line {line}, column {column}: not UTF-8 text "
            f"(byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            file=filename,
            line=line,
            column=column,
        ) from None


def unique_names(raw: list[str]) -> list[str]:
    """Header names with blanks filled in ("column 3") and duplicates numbered ("name (2)")."""
    names: list[str] = []
    taken: set[str] = set()
    for index, name in enumerate(raw, start=1):
        name = name.strip() or f"column {index}"
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = f"{name} ({n})"
        taken.add(unique)
        names.append(unique)
    return names


def _split_rows(lines: list[str], width: int, filename: str) -> list[list[str]]:
    """The data lines split on TABs into columns; InputError on a ragged row."""
    # One flat split instead of a list per row: 400k small lists cost more than the parsing.
    tabs = np.fromiter(map(str.count, lines, repeat("\t")), dtype=np.int64, count=len(lines))
    ragged = np.flatnonzero(tabs != width - 1)
    if ragged.size:
        index = int(ragged[0])
        line = index + 2  # the header is line 1
        plural = "field" if width == 1 else "fields"
        raise InputError(
            f"{filename} line {line}: expected {width} {plural} as in the header, "
            f"found {tabs[index] + 1}",
            file=filename,
            line=line,
        )
    flat = "\t".join(lines).split("\t") if lines else []
    return [flat[j::width] for j in range(width)]


def _typed_column(name: str, cells: list[str]) -> Column:
    """A numeric column if every non-empty cell is a finite number, otherwise a text column."""
    present = [cell for cell in cells if cell.strip()]
    if not present or any("_" in cell for cell in present):  # float() would accept "1_000"
        return Column(name=name, type="text", values=cells)
    try:
        numbers = np.array(present, dtype=np.float64)
    except ValueError:
        return Column(name=name, type="text", values=cells)
    if not np.isfinite(numbers).all():
        return Column(name=name, type="text", values=cells)
    if len(present) == len(cells):
        return Column(name=name, type="numeric", values=numbers.tolist())
    parsed = iter(numbers.tolist())
    values = [next(parsed) if cell.strip() else None for cell in cells]
    return Column(name=name, type="numeric", values=values)
