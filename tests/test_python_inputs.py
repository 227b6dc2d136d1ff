"""The Python API's input coercion: what a notebook holds -> float32 matrix + metadata, read back by the server's parser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from embedding_projector.datasets.parse_parquet import parse_parquet
from embedding_projector.python_api.inputs import coerce_metadata, coerce_vectors, parquet_bytes


def _server_reads(matrix: np.ndarray, metadata: object = None) -> tuple[np.ndarray, dict[str, tuple[str, list]]]:
    """What the server's own Parquet parser makes of the upload show() builds."""
    table = coerce_metadata(metadata, matrix.shape[0])
    vectors, meta = parse_parquet(parquet_bytes(matrix, table), "vectors.parquet")
    assert vectors is not None
    columns = {} if meta is None else {c.name: (c.type, c.values) for c in meta.columns}
    return vectors, columns


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.float64, np.float16, np.float32])
def test_numpy_arrays_of_any_number_type_become_float32(dtype: type) -> None:
    raw = np.arange(12).reshape(4, 3).astype(dtype)
    matrix = coerce_vectors(raw)
    assert matrix.dtype == np.float32 and matrix.shape == (4, 3)
    vectors, _ = _server_reads(matrix)
    np.testing.assert_array_equal(vectors, raw.astype(np.float32))


def test_a_dataframe_column_of_lists_and_the_vector_keyword() -> None:
    df = pd.DataFrame({"emb": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "word": ["a", "b", "c"]})
    np.testing.assert_array_equal(coerce_vectors(df["emb"]), [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(coerce_vectors(df, vector="emb"), [[1, 2], [3, 4], [5, 6]])
    with pytest.raises(TypeError, match="vector='emb'"):
        coerce_vectors(df)


def test_a_pyarrow_list_column_and_table() -> None:
    column = pa.chunked_array([pa.array([[1, 2], [3, 4]]), pa.array([[5, 6]])])
    np.testing.assert_array_equal(coerce_vectors(column), [[1, 2], [3, 4], [5, 6]])
    table = pa.table({"v": column, "k": [1, 2, 3]})
    np.testing.assert_array_equal(coerce_vectors(table, vector="v"), [[1, 2], [3, 4], [5, 6]])
    with pytest.raises(ValueError, match="row 1 has 3 values but row 0 has 2"):
        coerce_vectors(pa.array([[1, 2], [1, 2, 3]]))


def test_nan_and_inf_name_the_row() -> None:
    raw = np.ones((5, 3))
    raw[3, 1] = np.nan
    with pytest.raises(ValueError, match="row 3, value 1 is nan"):
        coerce_vectors(raw)
    raw[3, 1] = 1e39  # beyond float32
    with pytest.raises(ValueError, match="row 3, value 1"):
        coerce_vectors(raw)


def test_a_dataframe_keeps_its_types_and_ignores_its_index() -> None:
    matrix = np.eye(3, dtype=np.float32)
    df = pd.DataFrame({"word": ["x", "y", "z"], "count": [1, 2, 3]}, index=[10, 20, 30])
    _, columns = _server_reads(matrix, df)
    assert columns == {"word": ("text", ["x", "y", "z"]), "count": ("numeric", [1, 2, 3])}


def test_a_dict_of_columns_and_a_list_of_labels() -> None:
    matrix = np.eye(3, dtype=np.float32)
    _, columns = _server_reads(matrix, {"kind": ["a", "b", "a"], "score": np.array([0.5, 1.5, 2.5])})
    assert columns == {"kind": ("text", ["a", "b", "a"]), "score": ("numeric", [0.5, 1.5, 2.5])}
    _, columns = _server_reads(matrix, ["one", "two", "three"])
    assert columns == {"label": ("text", ["one", "two", "three"])}


def test_clashing_columns_are_renamed_or_made_text() -> None:
    """A metadata `vector` column, or a list column, would be mistaken for the vectors by the server."""
    matrix = np.eye(2, dtype=np.float32)
    vectors, columns = _server_reads(matrix, {"vector": ["p", "q"], "other": [[1.0, 2.0], [3.0, 4.0]]})
    np.testing.assert_array_equal(vectors, matrix)
    assert columns == {"vector_": ("text", ["p", "q"]), "other": ("text", ["[1.0, 2.0]", "[3.0, 4.0]"])}


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (pd.DataFrame({"w": range(9)}), "metadata has 9 rows but vectors has 10"),
        (["a"] * 11, "metadata has 11 rows but vectors has 10"),
        ({"w": list(range(9))}, "metadata column 'w' has 9 rows but vectors has 10"),
    ],
)
def test_mismatched_lengths_name_both(metadata: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        coerce_metadata(metadata, 10)


def test_not_2d_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must be 2-D .* shape \(4,\)"):
        coerce_vectors(np.ones(4))
