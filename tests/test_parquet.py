"""Parquet: vectors from the one list column (list or fixed-size list), metadata with its types kept."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from embedding_projector.datasets.parse_parquet import parse_parquet
from embedding_projector.datasets.parse_vectors import parse_vectors, parse_vectors_and_metadata
from embedding_projector.errors import InputError


def parquet_bytes(table: pa.Table, **kwargs: object) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, **kwargs)
    return out.getvalue()


def vectors_column(matrix: np.ndarray, kind: str) -> pa.Array:
    """The matrix as a list, large_list or fixed_size_list array of its dtype."""
    value_type = pa.from_numpy_dtype(matrix.dtype)
    flat = pa.array(matrix.ravel(), type=value_type)
    n, dim = matrix.shape
    if kind == "fixed":
        return pa.FixedSizeListArray.from_arrays(flat, dim)
    offsets = pa.array(np.arange(0, n * dim + 1, dim, dtype=np.int64 if kind == "large" else np.int32))
    cls = pa.LargeListArray if kind == "large" else pa.ListArray
    return cls.from_arrays(offsets, flat)


@pytest.mark.parametrize("kind", ["list", "large", "fixed"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_vector_column_kinds(kind: str, dtype: type) -> None:
    matrix = (np.random.default_rng(1).normal(size=(7, 5)) * 10).astype(dtype)
    content = parquet_bytes(pa.table({"emb": vectors_column(matrix, kind)}))
    vectors, metadata = parse_parquet(content, "points.parquet")
    assert vectors.dtype == np.float32 and vectors.flags.c_contiguous
    assert np.array_equal(vectors, matrix.astype(np.float32)) and metadata is None


def test_metadata_types_are_kept(tmp_path: Path) -> None:
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    table = pa.table({
        "word": ["a", "b", None, "d"],
        "vector": vectors_column(matrix, "fixed"),
        "count": pa.array([1, 2, None, 4], type=pa.int64()),
        "score": [0.5, float("nan"), float("inf"), 1.5],
        "flag": [True, False, None, True],
        "day": [datetime.date(2024, 1, d) for d in (1, 2, 3, 4)],
        "kind": pa.array(["x", "y", "x", "x"]).dictionary_encode(),
    })
    path = tmp_path / "words.parquet"
    pq.write_table(table, path)
    vectors, metadata = parse_vectors_and_metadata(path, "words.parquet")
    assert np.array_equal(vectors, matrix)
    assert metadata is not None and metadata.n_rows == 4
    columns = {c.name: (c.type, c.values) for c in metadata.columns}
    assert list(columns) == ["word", "count", "score", "flag", "day", "kind"]
    assert columns["word"] == ("text", ["a", "b", "", "d"])
    assert columns["count"] == ("numeric", [1, 2, None, 4])
    assert columns["score"] == ("numeric", [0.5, None, None, 1.5])
    assert columns["flag"] == ("text", ["true", "false", "", "true"])
    assert columns["day"] == ("text", ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"])
    assert columns["kind"] == ("text", ["x", "y", "x", "x"])


def test_many_row_groups_and_chunks() -> None:
    matrix = np.random.default_rng(2).normal(size=(1000, 8)).astype(np.float32)
    table = pa.table({"embedding": vectors_column(matrix, "list"), "i": np.arange(1000)})
    content = parquet_bytes(table, row_group_size=128)
    assert pq.ParquetFile(pa.BufferReader(content)).num_row_groups == 8
    vectors, metadata = parse_parquet(content, "big.parquet")
    assert np.array_equal(vectors, matrix)
    assert metadata is not None and metadata.columns[0].values[-1] == 999


def test_dispatch_by_magic_and_by_name() -> None:
    content = parquet_bytes(pa.table({"v": vectors_column(np.ones((2, 2), np.float32), "list")}))
    assert parse_vectors(content, "no-suffix").shape == (2, 2)
    with pytest.raises(InputError, match="not a readable Parquet file"):
        parse_vectors(b"1\t2\n3\t4\n", "vectors.parquet")


def parse_error(table: pa.Table, filename: str = "bad.parquet") -> InputError:
    with pytest.raises(InputError) as info:
        parse_parquet(parquet_bytes(table), filename)
    assert info.value.file == filename and filename in info.value.message
    print(info.value.message)
    return info.value


def test_ragged_lists_name_the_column_and_row() -> None:
    err = parse_error(pa.table({"vec": [[1.0, 2.0], [3.0, 4.0], [5.0], [6.0, 7.0]]}))
    assert "'vec'" in err.message and "row 3 has 1 values but row 1 has 2" in err.message and err.line == 3


def test_null_vector_names_the_row() -> None:
    err = parse_error(pa.table({"vec": [[1.0, 2.0], None, [5.0, 6.0]]}))
    assert "row 2" in err.message and "null" in err.message and err.line == 2


def test_null_value_inside_a_vector() -> None:
    err = parse_error(pa.table({"vec": [[1.0, 2.0], [3.0, None]]}))
    assert "row 2, value 2 is null" in err.message and (err.line, err.column) == (2, 2)


def test_null_in_a_fixed_size_list() -> None:
    column = pa.array([[1.0, 2.0], None], type=pa.list_(pa.float32(), 2))
    assert "row 2" in parse_error(pa.table({"vec": column})).message


def test_non_finite_values() -> None:
    err = parse_error(pa.table({"vec": [[1.0, 2.0], [3.0, float("nan")]]}))
    assert (err.line, err.column) == (2, 2) and "not finite" in err.message
    err = parse_error(pa.table({"vec": [[1e300, 2.0]]}))  # float64 beyond float32's range
    assert (err.line, err.column) == (1, 1)


def test_no_list_column_lists_the_columns() -> None:
    err = parse_error(pa.table({"a": [1.0, 2.0], "b": ["x", "y"]}))
    assert "no list<float> column" in err.message and "a (double)" in err.message and "b (string)" in err.message


def test_several_list_columns_need_a_vector_name() -> None:
    lists = [[1.0, 2.0], [3.0, 4.0]]
    err = parse_error(pa.table({"left": lists, "right": lists}))
    assert "'left'" in err.message and "'right'" in err.message and "embedding" in err.message
    vectors, metadata = parse_parquet(
        parquet_bytes(pa.table({"pca": lists, "Embedding": [[5.0, 6.0], [7.0, 8.0]], "w": ["p", "q"]})),
        "two.parquet",
    )
    assert vectors[0].tolist() == [5.0, 6.0]
    assert metadata is not None and [c.name for c in metadata.columns] == ["w"]  # other lists left out


def test_empty_table_and_empty_vectors() -> None:
    assert "no rows" in parse_error(pa.table({"vec": pa.array([], type=pa.list_(pa.float32()))})).message
    assert "empty" in parse_error(pa.table({"vec": pa.array([[], []], type=pa.list_(pa.float32()))})).message


def test_vector_option_takes_the_named_column(tmp_path: Path) -> None:
    a, b = np.ones((3, 2), dtype=np.float32), np.arange(9, dtype=np.float32).reshape(3, 3)
    table = pa.table({"a": vectors_column(a, "list"), "b": vectors_column(b, "list"), "w": ["x", "y", "z"]})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    matrix, meta = parse_parquet(path, "t.parquet", vector_column="b")
    assert np.array_equal(matrix, b)
    assert meta is not None and [c.name for c in meta.columns] == ["w"]


@pytest.mark.parametrize(("column", "problem"), [("missing", "has no column 'missing'"),
                                                  ("w", "column 'w' is string, not a list of numbers")])
def test_vector_option_refuses_a_bad_column_listing_the_columns(column: str, problem: str) -> None:
    data = parquet_bytes(pa.table({"v": [[1.0, 2.0]], "w": ["x"]}))
    with pytest.raises(InputError) as err:
        parse_parquet(data, "t.parquet", vector_column=column)
    assert err.value.file == "t.parquet" and problem in err.value.message
    assert "(its columns: v (list<element: double>), w (string))" in err.value.message
