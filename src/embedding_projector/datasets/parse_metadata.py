"""metadata.tsv -> typed columns, following TensorBoard's rule: one column means no header.

A .csv file is comma-separated with a header row, quoted as the csv module reads it, typed the same.
The file is read in blocks of whole lines, twice: once to check it is UTF-8 and to see whether it has
a TAB anywhere (which decides the header rule), then to split it. Only the cells themselves are held,
never the file's bytes or text whole (only a line longer than a block is gathered whole), so a 180 MB
metadata.tsv costs its cells and one block.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from embedding_projector.errors import InputError

SINGLE_COLUMN_NAME = "label"
BLOCK_BYTES = 8 << 20
_BOM = b"\xef\xbb\xbf"


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
    source: bytes | Path, filename: str, expected_rows: int | None = None, *, block_bytes: int = BLOCK_BYTES
) -> Metadata:
    """Parse metadata.tsv: a header row when lines hold TABs, else one header-less 'label' column.

    A file named .csv is comma-separated with a header row (quoting as the csv module reads it).
    """
    with open_source(source) as stream:
        has_tab, has_text = _survey(stream, filename, block_bytes)
        if not has_text:
            raise InputError(f"{filename} is empty", file=filename)
        stream.seek(0)
        if filename.lower().endswith(".csv"):
            names, cells = _csv_cells(stream, filename)
        elif has_tab:
            names, cells = _tsv_cells(_lines(stream, block_bytes), filename)
        else:
            names, cells = [SINGLE_COLUMN_NAME], [_single_cells(_lines(stream, block_bytes), expected_rows)]
    return _finish(names, cells, filename, expected_rows)


def open_source(source: bytes | Path) -> BinaryIO:
    """A seekable stream over a parser's input; BytesIO shares the bytes without copying them."""
    return source.open("rb") if isinstance(source, Path) else io.BytesIO(source)


def _blocks(stream: BinaryIO, block_bytes: int) -> Iterator[bytes]:
    """The stream in blocks that end at a line break (the last one may not), the BOM cut off.

    A line longer than a block is gathered whole (a file without any LF is one such line).
    """
    first = stream.read(max(block_bytes, len(_BOM)))
    pending = [first[len(_BOM):] if first.startswith(_BOM) else first]  # the start of an unfinished line
    while True:
        data = stream.read(block_bytes)
        if not data:
            rest = b"".join(pending)
            if rest:
                yield rest
            return
        end = data.rfind(b"\n") + 1
        if end == 0:  # the line goes on past this read
            pending.append(data)
            continue
        pending.append(data[:end])
        yield b"".join(pending)
        pending = [data[end:]]


def _survey(stream: BinaryIO, filename: str, block_bytes: int) -> tuple[bool, bool]:
    """(has a TAB, has any non-blank text); InputError at the first byte that is not UTF-8."""
    has_tab = has_text = False
    line = 1
    for block in _blocks(stream, block_bytes):
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError as exc:
            line_start = block.rfind(b"\n", 0, exc.start) + 1
            at = line + block.count(b"\n", 0, exc.start)
            column = len(block[line_start:exc.start].decode("utf-8", "replace")) + 1
            raise InputError(
                f"{filename} line {at}, column {column}: not UTF-8 text "
                f"(byte 0x{block[exc.start]:02x}); save the file as UTF-8",
                file=filename, line=at, column=column,
            ) from None
        has_tab = has_tab or "\t" in text
        has_text = has_text or bool(text.strip())
        line += block.count(b"\n")
    return has_tab, has_text


def _lines(stream: BinaryIO, block_bytes: int) -> Iterator[list[str]]:
    """The file's lines in lists of one block each, without line breaks (CRLF read as LF)."""
    for block in _blocks(stream, block_bytes):
        text = block.decode("utf-8")
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()  # the block's final line break ends its last line; it does not start a new one
        yield lines


def _single_cells(blocks: Iterator[list[str]], expected_rows: int | None) -> list[str]:
    """The one header-less column: every line is a label, an empty one too."""
    lines: list[str] = []
    for block in blocks:
        lines.extend(block)
    # An empty line can be an empty label, so drop trailing ones only when they are surplus.
    extra = lines[expected_rows:] if expected_rows is not None else []
    if extra and not any(line.strip() for line in extra):
        del lines[expected_rows:]
    return lines


def _tsv_cells(blocks: Iterator[list[str]], filename: str) -> tuple[list[str], list[list[str]]]:
    """(header names, columns of cells) of a TAB-separated file read block by block."""
    names: list[str] | None = None
    columns: list[list[str]] = []
    next_line = 2  # the line number of the first line not yet split (the header is line 1)
    blank: list[str] = []  # blank lines not yet known to be rows: at the end of the file they are not
    for lines in blocks:
        if names is None:
            names = unique_names(lines[0].split("\t"))
            columns = [[] for _ in names]
            lines = lines[1:]
        last = len(lines)
        while last and not lines[last - 1].strip():
            last -= 1
        if last == 0:
            blank.extend(lines)
            continue
        rows = blank + lines[:last] if blank else lines[:last]
        _split_rows(rows, columns, next_line, filename)
        next_line += len(rows)
        blank = lines[last:]
    assert names is not None  # the survey found text
    return names, columns


def _split_rows(lines: list[str], columns: list[list[str]], first_line: int, filename: str) -> None:
    """Split the data lines on TABs onto the ends of `columns`; InputError on a ragged row."""
    width = len(columns)
    # One flat split instead of a list per row: 400k small lists cost more than the parsing.
    tabs = np.fromiter(map(str.count, lines, repeat("\t")), dtype=np.int64, count=len(lines))
    ragged = np.flatnonzero(tabs != width - 1)
    if ragged.size:
        index = int(ragged[0])
        line = first_line + index
        plural = "field" if width == 1 else "fields"
        raise InputError(
            f"{filename} line {line}: expected {width} {plural} as in the header, "
            f"found {tabs[index] + 1}",
            file=filename,
            line=line,
        )
    flat = "\t".join(lines).split("\t")
    for j, column in enumerate(columns):
        column.extend(flat[j::width])


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


def _csv_cells(stream: BinaryIO, filename: str) -> tuple[list[str], list[list[str]]]:
    """(header names, columns of cells) of a CSV file; InputError naming the line of a ragged record."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    names: list[str] | None = None
    columns: list[list[str]] = []
    blank: list[int] = []  # lines of empty records not yet known to be inside the data

    def add(line: int, fields: list[str]) -> None:
        if len(fields) != len(columns):
            width = len(columns)
            raise InputError(
                f"{filename} line {line}: expected {width} {'field' if width == 1 else 'fields'} "
                f"as in the header, found {len(fields)}",
                file=filename,
                line=line,
            )
        for column, cell in zip(columns, fields):
            column.append(cell)

    try:
        while True:
            start = reader.line_num + 1  # a quoted field may span lines: name where the record starts
            try:
                fields = next(reader)
            except StopIteration:
                break
            if names is None:
                if not fields:
                    raise InputError(f"{filename} line 1: the header row is empty", file=filename, line=1)
                names = unique_names(fields)
                columns = [[] for _ in names]
            elif not fields:
                blank.append(start)
            else:
                for line in blank:
                    add(line, [])
                blank.clear()
                add(start, fields)
    except csv.Error as exc:
        raise InputError(f"{filename} line {reader.line_num}: {exc}", file=filename, line=reader.line_num) from None
    finally:
        text.detach()
    assert names is not None  # the survey found text
    return names, columns


def _rows(n: int, noun: str) -> str:
    """'1 row', '2 rows'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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
