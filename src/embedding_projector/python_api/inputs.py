"""Coerce what a notebook holds (numpy, pandas, pyarrow, dicts, lists) into a float32 matrix and an Arrow table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

VECTOR_COLUMN = "vector"


def _is_dataframe(value: Any) -> bool:
    return hasattr(value, "columns") and hasattr(value, "iloc")


def _is_series(value: Any) -> bool:
    return hasattr(value, "iloc") and hasattr(value, "dtype") and not hasattr(value, "columns")


def _list_column_matrix(column: pa.Array | pa.ChunkedArray, where: str) -> np.ndarray:
    """A list<number> Arrow column -> an (n, d) float array, every row the same length."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not (pa.types.is_list(column.type) or pa.types.is_large_list(column.type)
            or pa.types.is_fixed_size_list(column.type)):
        raise TypeError(f"{where} is of type {column.type}, not a list of numbers")
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise ValueError(f"{where} row {row}: the vector is missing (null)")
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    if len(lengths) and (lengths != lengths[0]).any():
        row = int(np.flatnonzero(lengths != lengths[0])[0])
        raise ValueError(f"{where} row {row} has {lengths[row]} values but row 0 has {lengths[0]}")
    values = column.flatten()
    if values.null_count:
        first = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0])
        raise ValueError(f"{where} row {first // int(lengths[0])} holds a missing value (null)")
    return values.to_numpy(zero_copy_only=False).reshape(len(column), int(lengths[0]) if len(lengths) else 0)


def _object_rows(values: np.ndarray, where: str) -> np.ndarray:
    """A 1-D object array of per-row sequences (a pandas column of lists) -> an (n, d) array."""
    try:
        return np.stack([np.asarray(v, dtype=np.float64) for v in values])
    except ValueError as exc:
        raise ValueError(f"{where}: every row must be a list of numbers of the same length ({exc})") from None


def coerce_vectors(vectors: Any, vector: str | None = None) -> np.ndarray:
    """The (n, d) float32 matrix of a 2-D array, a column of lists (pandas or Arrow) or a table's `vector` column."""
    where = "vectors"
    if _is_dataframe(vectors) or isinstance(vectors, pa.Table):
        if vector is None:
            raise TypeError("a table needs the column that holds the vectors: show(df, vector='emb') "
                            "or show(df['emb'], metadata=df)")
        where = f"column {vector!r}"
        vectors = vectors[vector] if _is_dataframe(vectors) else vectors.column(vector)
    if isinstance(vectors, (pa.Array, pa.ChunkedArray)):
        matrix = _list_column_matrix(vectors, where)
    elif _is_series(vectors):
        raw = vectors.to_numpy()
        matrix = _object_rows(raw, where) if raw.dtype == object else raw
    else:
        matrix = np.asarray(vectors)
        if matrix.dtype == object and matrix.ndim == 1:
            matrix = _object_rows(matrix, where)
    if matrix.ndim != 2:
        raise ValueError(f"{where} must be 2-D (rows x dimensions); got shape {matrix.shape}")
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(f"{where} is empty (shape {matrix.shape})")
    if not (np.issubdtype(matrix.dtype, np.floating) or np.issubdtype(matrix.dtype, np.integer)):
        raise TypeError(f"{where} must hold numbers; got dtype {matrix.dtype}")
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(matrix, dtype=np.float32)
    step = max(1, (1 << 20) // out.shape[1])  # in blocks: no matrix-sized mask of fresh memory
    for start in range(0, out.shape[0], step):
        finite = np.isfinite(out[start : start + step])
        if not finite.all():
            row, col = (int(v) for v in np.argwhere(~finite)[0])
            row += start
            raise ValueError(f"{where} row {row}, value {col} is {float(matrix[row, col])} "
                             "(NaN, inf or beyond float32)")
    return out


def _labels_table(labels: Sequence[Any]) -> pa.Table:
    return pa.table({"label": pa.array(list(labels))})


def coerce_metadata(metadata: Any, n: int) -> pa.Table | None:
    """An Arrow table of n rows from a DataFrame (index ignored), a dict of columns or a list of labels."""
    if metadata is None:
        return None
    if _is_dataframe(metadata):
        table = pa.Table.from_pandas(metadata, preserve_index=False)
    elif isinstance(metadata, pa.Table):
        table = metadata
    elif isinstance(metadata, Mapping):
        columns = {}
        for name, values in metadata.items():
            array = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(
                values.to_numpy() if _is_series(values) else list(values) if not isinstance(values, np.ndarray) else values
            )
            if len(array) != n:
                raise ValueError(f"metadata column {name!r} has {len(array)} rows but vectors has {n}")
            columns[str(name)] = array
        table = pa.table(columns)
    elif _is_series(metadata):
        table = _labels_table(metadata.to_numpy().tolist())
    elif isinstance(metadata, (list, tuple, np.ndarray)):
        table = _labels_table(metadata.tolist() if isinstance(metadata, np.ndarray) else metadata)
    else:
        raise TypeError(f"metadata must be a DataFrame, a dict of columns or a list of labels; got {type(metadata).__name__}")
    if table.num_rows != n:
        raise ValueError(f"metadata has {table.num_rows} rows but vectors has {n}")
    return _without_clashes(table)


def _is_list(dtype: pa.DataType) -> bool:
    return pa.types.is_list(dtype) or pa.types.is_large_list(dtype) or pa.types.is_fixed_size_list(dtype)


def _without_clashes(table: pa.Table) -> pa.Table:
    """List columns become text (the server takes the one list column as the vectors); `vector` is renamed."""
    names = [str(n) for n in table.column_names]
    taken = set(names)
    columns, out_names = [], []
    for name, column in zip(names, table.columns):
        if _is_list(column.type):
            column = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
        if name == VECTOR_COLUMN:
            new = f"{name}_"
            while new in taken:
                new += "_"
            taken.add(new)
            name = new
        columns.append(column)
        out_names.append(name)
    return pa.table(columns, names=out_names)


def parquet_bytes(matrix: np.ndarray, metadata: pa.Table | None) -> bytes:
    """One Parquet file in memory: `vector` as fixed_size_list<float32, d> plus the metadata columns."""
    n, d = matrix.shape
    vector = pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1), pa.float32()), d)
    columns: list[Any] = [vector]
    names = [VECTOR_COLUMN]
    if metadata is not None:
        columns += list(metadata.columns)
        names += metadata.column_names
    sink = pa.BufferOutputStream()
    # Floats barely compress (snappy: 83 MB for GloVe's 80, and 2.5x the write time): only the
    # metadata columns are compressed.
    codecs = {name: "snappy" for name in names}
    codecs[VECTOR_COLUMN] = "none"
    pq.write_table(pa.table(columns, names=names), sink, compression=codecs)
    return sink.getvalue().to_pybytes()
