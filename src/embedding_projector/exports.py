"""Downloads: a projection's coordinates with the metadata (TSV, CSV, .npy), a selection's metadata.

Tables are produced as UTF-8 chunks of `CHUNK_ROWS` lines, so a 400k-row export never sits in
memory as one string. Coordinates are written as the shortest text that reads back as the same
float32.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

TableFormat = Literal["tsv", "csv"]
ExportFormat = Literal["tsv", "csv", "npy"]

CHUNK_ROWS = 10_000
MEDIA_TYPES: dict[str, str] = {
    "tsv": "text/tab-separated-values; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "npy": "application/octet-stream",
}
_TSV_BREAKS = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def read_columns(metadata_path: Path) -> list[dict[str, Any]]:
    """Every metadata column ({"name", "type", "values"}) of a stored metadata.json."""
    with open(metadata_path, "rb") as fh:
        return json.load(fh)["columns"]


def coordinate_names(method: str, dims: int) -> list[str]:
    """Header names of a projection's coordinate columns: pc1..pcK for PCA, else x, y, z."""
    if method == "pca":
        return [f"pc{i + 1}" for i in range(dims)]
    if dims <= 3:
        return ["x", "y", "z"][:dims]
    return [f"dim{i + 1}" for i in range(dims)]


def distinct_headers(
    columns: list[dict[str, Any]], coord_names: list[str], layout_columns: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The metadata columns to write beside coordinates, with no header twice.

    A column the layout was read from (a given layout's x, y) is the coordinates themselves and is
    left out; another column named like a coordinate (a t-SNE's x beside a metadata x) is written
    as "x (metadata)".
    """
    taken = set(coord_names)
    kept = []
    for column in columns:
        name = column["name"]
        if name in layout_columns and name in taken:
            continue
        if name in taken:
            column = {**column, "name": f"{name} (metadata)"}
        taken.add(column["name"])
        kept.append(column)
    return kept


def cell_text(value: object) -> str:
    """A metadata cell as text: "" when missing, 3.0 as "3", other numbers as Python prints them."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def tsv_field(text: str) -> str:
    """`text` with tabs and line breaks replaced by spaces.

    TensorBoard's TSV has no quoting, so a tab or newline inside a value would split the cell or
    the row; a space keeps every row on one line with the right number of fields.
    """
    return text.translate(_TSV_BREAKS)


def export_filename(dataset: str, what: str, ext: str) -> str:
    """The download's file name, "<dataset>-<what>.<ext>" (dataset ids are already file-safe)."""
    return f"{dataset}-{what}.{ext}"


def content_disposition(filename: str) -> str:
    """A Content-Disposition header value that makes the browser save the body as `filename`."""
    return f'attachment; filename="{filename}"'


def check_columns(columns: list[dict[str, Any]], n_rows: int) -> None:
    """Raise ValueError unless every column has a value for each of the dataset's `n_rows` rows."""
    for column in columns:
        if len(column["values"]) != n_rows:
            count = len(column["values"])
            raise ValueError(f"metadata column {column['name']!r} has {count} values for {n_rows} rows")


def table_chunks(
    fmt: TableFormat,
    columns: list[dict[str, Any]],
    rows: np.ndarray | None,
    *,
    coords: np.ndarray | None = None,
    coord_names: Sequence[str] = (),
    row_column: bool = False,
    header: bool = True,
) -> Iterator[bytes]:
    """A header line (unless not `header`), then one line per dataset row in `rows` (None: every
    row in order), as bytes.

    Each line holds the row index (when `row_column`), the line's `coords` (one per line, in the
    same order) and the row's metadata cells. CSV follows RFC 4180 (quoted when needed, CRLF);
    TSV replaces tabs and line breaks inside values with spaces (see `tsv_field`).
    """
    n = (len(columns[0]["values"]) if columns else 0) if rows is None else len(rows)
    if coords is not None:
        n = coords.shape[0]
    text = tsv_field if fmt == "tsv" else _same
    if header:
        names = (["row"] if row_column else []) + list(coord_names) + [text(c["name"]) for c in columns]
        yield _lines(fmt, [names])
    for start in range(0, n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n)
        picks = range(start, stop) if rows is None else rows[start:stop].tolist()
        fields: list[list[str]] = []
        if row_column:
            fields.append([str(r) for r in picks])
        if coords is not None:
            fields.extend(np.asarray(coords[start:stop], dtype=np.float32).T.astype(str).tolist())
        for column in columns:
            values = column["values"]
            fields.append([text(cell_text(values[r])) for r in picks])
        yield _lines(fmt, zip(*fields, strict=True))


def tensorboard_metadata_chunks(columns: list[dict[str, Any]]) -> Iterator[bytes]:
    """metadata.tsv as TensorBoard reads it: a header row only when there is more than one column."""
    return table_chunks("tsv", columns, None, header=len(columns) > 1)


def _same(text: str) -> str:
    return text


def _lines(fmt: TableFormat, lines: Any) -> bytes:
    """CSV lines through the csv module; TSV lines joined as they are (cells already cleaned)."""
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(lines)
        text = out.getvalue()
    else:
        text = "".join("\t".join(line) + "\n" for line in lines)
    # errors="replace": a stray unencodable character must not break a download already under way.
    return text.encode("utf-8", errors="replace")


def npy_bytes(coords: np.ndarray) -> bytes:
    """The coordinates as a little-endian float32 .npy file (no pickle, so NumPy loads it safely)."""
    out = io.BytesIO()
    np.save(out, np.ascontiguousarray(coords, dtype="<f4"), allow_pickle=False)
    return out.getvalue()
