"""A Parquet file -> vectors from its one list<number> column, metadata from the other columns."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from embedding_projector.datasets.parse_metadata import Column, Metadata, unique_names
from embedding_projector.errors import InputError

PARQUET_MAGIC = b"PAR1"
VECTOR_COLUMN_NAMES = ("vector", "vectors", "embedding", "embeddings")


def is_parquet(head: bytes, filename: str) -> bool:
    """Whether a file is Parquet, by its first bytes or its name."""
    return head.startswith(PARQUET_MAGIC) or filename.lower().endswith((".parquet", ".pq"))


def parse_parquet(
    source: bytes | Path, filename: str, *, vectors_optional: bool = False, vector_column: str | None = None
) -> tuple[np.ndarray | None, Metadata | None]:
    """The float32 (n, d) matrix and, when there are other columns, their metadata with types kept.

    With `vectors_optional`, a file without a list column answers (None, all its columns): a file
    of coordinates only (x, y columns) is read as metadata. `vector_column` names the vectors
    column (--vector); it must exist and hold lists of numbers.
    """
    try:
        # Buffered reads, batch by batch: the peak is the matrix plus one batch, not a decoded
        # column (and its compressed chunk) beside the matrix.
        reader = source if isinstance(source, Path) else pa.BufferReader(source)
        with pq.ParquetFile(reader, buffer_size=1 << 20, pre_buffer=False) as parquet:
            schema = parquet.schema_arrow
            rows = parquet.metadata.num_rows
            if rows == 0:
                raise InputError(f"{filename} has no rows", file=filename)
            if vectors_optional and vector_column is None and not any(_is_vector_type(f.type) for f in schema):
                table = parquet.read()
                names = unique_names(table.schema.names)
                columns = [_metadata_column(label, table.column(i)) for i, label in enumerate(names)]
                return None, Metadata(columns=columns, n_rows=rows)
            if vector_column is not None:
                index = _named_vector_column(schema, vector_column, filename)
            else:
                index = _vector_column(schema, filename)
            name = schema.names[index]
            if schema.names.count(name) > 1:
                raise InputError(f"{filename} has several columns named {name!r}", file=filename)
            batches = parquet.iter_batches(batch_size=_batch_rows(schema.field(index).type), columns=[name])
            chunks = (batch.column(batch.schema.get_field_index(name)) for batch in batches)
            matrix = _vectors(chunks, rows, schema.field(index).type, name, filename)
            others = [i for i, field in enumerate(schema) if i != index and not _is_vector_type(field.type)]
            if not others:
                return matrix, None
            table = parquet.read(columns=[schema.names[i] for i in others])
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{filename} is not a readable Parquet file ({exc})", file=filename) from None
    names = unique_names(table.schema.names)
    columns = [_metadata_column(label, table.column(i)) for i, label in enumerate(names)]
    return matrix, Metadata(columns=columns, n_rows=rows)


def _batch_rows(dtype: pa.DataType) -> int:
    """Rows per batch, so that one batch of vectors is a few MB whatever their length."""
    # Batches of 50 MB made pyarrow hold ~0.9x a 200 MB matrix at once; 6 MB ones about 0.13x.
    dim = dtype.list_size if pa.types.is_fixed_size_list(dtype) else 768
    return max(64, min(1 << 14, (6 << 20) // (4 * max(dim, 1))))


def _is_vector_type(dtype: pa.DataType) -> bool:
    """list, large_list or fixed_size_list of integers or floats."""
    if not (pa.types.is_list(dtype) or pa.types.is_large_list(dtype) or pa.types.is_fixed_size_list(dtype)):
        return False
    value = dtype.value_type
    return pa.types.is_floating(value) or pa.types.is_integer(value)


def _named_vector_column(schema: pa.Schema, name: str, filename: str) -> int:
    """The index of the column --vector names; InputError listing the columns when it is not a vector column."""
    listing = ", ".join(f"{f.name} ({f.type})" for f in schema)
    if name not in schema.names:
        raise InputError(f"{filename} has no column {name!r} (its columns: {listing})", file=filename)
    index = schema.names.index(name)
    if not _is_vector_type(schema.field(index).type):
        raise InputError(
            f"{filename} column {name!r} is {schema.field(index).type}, not a list of numbers "
            f"(its columns: {listing})",
            file=filename,
        )
    return index


def _vector_column(schema: pa.Schema, filename: str) -> int:
    """The index of the vectors column: the only list<number> column, or the one named like vectors."""
    found = [i for i, field in enumerate(schema) if _is_vector_type(field.type)]
    if not found:
        listing = ", ".join(f"{f.name} ({f.type})" for f in schema)
        raise InputError(
            f"{filename} has no list<float> column to take the vectors from (its columns: {listing})",
            file=filename,
        )
    if len(found) == 1:
        return found[0]
    named = [i for i in found if schema.names[i].lower() in VECTOR_COLUMN_NAMES]
    if len(named) == 1:
        return named[0]
    listing = ", ".join(repr(schema.names[i]) for i in found)
    raise InputError(
        f"{filename} has several list columns ({listing}); name the vectors column one of "
        f"{', '.join(VECTOR_COLUMN_NAMES)} so it can be told apart",
        file=filename,
    )


def _vectors(
    chunks: Iterable[pa.Array], rows: int, dtype: pa.DataType, name: str, filename: str
) -> np.ndarray:
    """Copy a list column into one float32 matrix, chunk by chunk, without a loop over rows."""
    where = f"{filename} column {name!r}"
    dim = dtype.list_size if pa.types.is_fixed_size_list(dtype) else None
    out: np.ndarray | None = None
    start = 0
    for chunk in chunks:
        if chunk.null_count:
            row = start + int(np.flatnonzero(chunk.is_null().to_numpy(zero_copy_only=False))[0])
            raise InputError(f"{where} row {row + 1}: the vector is null", file=filename, line=row + 1)
        if len(chunk) == 0:
            continue
        if not pa.types.is_fixed_size_list(dtype):
            lengths = pc.list_value_length(chunk).to_numpy(zero_copy_only=False)
            dim = int(lengths[0]) if dim is None else dim
            bad = np.flatnonzero(lengths != dim)
            if bad.size:
                row = start + int(bad[0])
                raise InputError(
                    f"{where} row {row + 1} has {lengths[bad[0]]} values but row 1 has {dim}; "
                    "every vector must have the same length",
                    file=filename,
                    line=row + 1,
                )
        if not dim:
            raise InputError(f"{where}: the vectors are empty (0 values each)", file=filename)
        values = chunk.flatten()
        if values.null_count:
            first = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0])
            row, col = start + first // dim, first % dim + 1
            raise InputError(
                f"{where} row {row + 1}, value {col} is null", file=filename, line=row + 1, column=col
            )
        if out is None:
            out = np.empty((rows, dim), dtype=np.float32)
        block = out[start : start + len(chunk)]
        with np.errstate(over="ignore", invalid="ignore"):  # overflow becomes inf, reported below
            block[:] = values.to_numpy(zero_copy_only=False).reshape(-1, dim)
        finite = np.isfinite(block)
        if not finite.all():
            r, c = (int(v) for v in np.argwhere(~finite)[0])
            raise InputError(
                f"{where} row {start + r + 1}, value {c + 1} is not finite or beyond float32 range",
                file=filename,
                line=start + r + 1,
                column=c + 1,
            )
        start += len(chunk)
    if out is None or start != rows:
        raise InputError(f"{where} holds {start} vectors but the file has {rows} rows", file=filename)
    return out


def _metadata_column(name: str, column: pa.ChunkedArray) -> Column:
    """Numbers stay numeric (null, NaN and inf become empty); everything else becomes text."""
    dtype = column.type
    if pa.types.is_integer(dtype):
        return Column(name=name, type="numeric", values=column.to_pylist())
    if pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        numbers = column.cast(pa.float64()).to_numpy(zero_copy_only=False)  # nulls become NaN
        values = numbers.tolist()
        if not np.isfinite(numbers).all():
            values = [v if np.isfinite(v) else None for v in values]
        return Column(name=name, type="numeric", values=values)
    if pa.types.is_dictionary(dtype):
        column = column.cast(dtype.value_type)
        dtype = dtype.value_type
    try:
        text = column.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        # Binary, nested and other types: their Python form, written out.
        values = ["" if v is None else str(v) for v in column.to_pylist()]
        return Column(name=name, type="text", values=values)
    return Column(name=name, type="text", values=pc.fill_null(text, "").to_pylist())
