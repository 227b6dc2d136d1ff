"""parse_vectors: TensorBoard TSV and .npy in, float32 matrix or a positioned InputError out."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import pytest

from embedding_projector.datasets.parse_vectors import (
    parse_data_file,
    parse_vectors,
    parse_vectors_npy,
    parse_vectors_tsv,
)
from embedding_projector.errors import InputError


def tsv(matrix: np.ndarray, newline: str = "\n") -> bytes:
    """Rows joined with TABs, the way TensorBoard's vectors.tsv is written."""
    return "".join("\t".join(repr(float(v)) for v in row) + newline for row in matrix).encode()


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def parse_error(content: bytes, filename: str = "vectors.tsv") -> InputError:
    with pytest.raises(InputError) as info:
        parse_vectors(content, filename)
    assert info.value.file == filename
    assert filename in info.value.message
    return info.value


def assert_position(err: InputError, line: int | None, column: int | None) -> None:
    assert (err.line, err.column) == (line, column)
    if line is not None:
        assert f"line {line}" in err.message or f"row {line}" in err.message
    if column is not None:
        assert f"column {column}" in err.message


@pytest.fixture
def matrix() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((20, 7)).astype(np.float32)


# --- TSV success -------------------------------------------------------------------------------


def test_tsv_round_trip_bytes(matrix: np.ndarray) -> None:
    out = parse_vectors(tsv(matrix), "vectors.tsv")
    assert out.dtype == np.float32 and out.flags.c_contiguous
    assert out.shape == matrix.shape
    assert np.allclose(out, matrix)


def test_tsv_round_trip_path(matrix: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "vectors.tsv"
    path.write_bytes(tsv(matrix))
    out = parse_vectors(path, "vectors.tsv")
    assert out.dtype == np.float32 and out.flags.c_contiguous
    assert np.allclose(out, matrix)


def test_tsv_crlf_and_trailing_blank_lines(matrix: np.ndarray, tmp_path: Path) -> None:
    content = tsv(matrix, "\r\n") + b"\r\n\n\n"
    assert np.allclose(parse_vectors(content, "vectors.tsv"), matrix)
    path = tmp_path / "v.tsv"
    path.write_bytes(content)
    assert np.allclose(parse_vectors(path, "v.tsv"), matrix)


def test_tsv_without_final_newline(matrix: np.ndarray) -> None:
    assert np.allclose(parse_vectors(tsv(matrix).rstrip(b"\n"), "vectors.tsv"), matrix)


def test_tsv_single_column_and_single_row() -> None:
    assert parse_vectors(b"1\n2\n3\n", "v.tsv").tolist() == [[1.0], [2.0], [3.0]]
    assert parse_vectors(b"1\t2\t3", "v.txt").tolist() == [[1.0, 2.0, 3.0]]


def test_tsv_utf8_bom_is_ignored() -> None:
    assert parse_vectors(b"\xef\xbb\xbf1\t2\n3\t4\n", "v.tsv").tolist() == [[1, 2], [3, 4]]


def test_tsv_trailing_whitespace_line_uses_exact_scan() -> None:
    assert parse_vectors(b"1\t2\n3\t4\n  \n", "v.tsv").tolist() == [[1, 2], [3, 4]]


def test_tsv_functions_are_exposed(matrix: np.ndarray) -> None:
    assert np.allclose(parse_vectors_tsv(tsv(matrix), "vectors.npy"), matrix)


def test_tsv_large_matches(tmp_path: Path) -> None:
    matrix = np.random.default_rng(1).uniform(-5, 5, (50_000, 50)).astype(np.float32)
    path = tmp_path / "big.tsv"
    np.savetxt(path, matrix, fmt="%.6f", delimiter="\t")
    out = parse_vectors(path, "big.tsv")
    assert out.shape == (50_000, 50)
    assert np.allclose(out, matrix, atol=1e-6)
    assert np.array_equal(out, parse_vectors(path.read_bytes(), "big.tsv"))


# --- TSV errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n", b"\r\n\r\n", b"  \t \n \n"])
def test_tsv_empty(content: bytes) -> None:
    err = parse_error(content)
    assert err.message == "vectors.tsv is empty"
    assert_position(err, None, None)


def test_tsv_not_utf8() -> None:
    err = parse_error(b"1\t2\n3\t\xff4\n")
    assert_position(err, 2, 3)
    assert "UTF-8" in err.message


def test_tsv_blank_line_in_the_middle() -> None:
    err = parse_error(b"1\t2\n3\t4\n\n5\t6\n")
    assert_position(err, 3, None)
    assert "empty" in err.message


def test_tsv_leading_blank_line() -> None:
    assert_position(parse_error(b"\n1\t2\n"), 1, None)


def test_tsv_ragged_row() -> None:
    err = parse_error(b"1\t2\t3\n4\t5\t6\n7\t8\n")
    assert_position(err, 3, None)
    assert "expected 3 values (as on line 1), found 2" in err.message


def test_tsv_extra_value() -> None:
    err = parse_error(b"1\t2\n3\t4\t5\n")
    assert_position(err, 2, None)
    assert "found 3" in err.message


def test_tsv_not_a_number() -> None:
    err = parse_error(b"1\t2\t3\n4\tabc\t6\n")
    assert_position(err, 2, 2)
    assert "'abc' is not a number" in err.message


def test_tsv_header_row_is_not_numbers() -> None:
    err = parse_error(b"x\ty\n1\t2\n")
    assert_position(err, 1, 1)


def test_tsv_long_cell_is_truncated() -> None:
    err = parse_error(b"1\t" + b"w" * 500 + b"\n")
    assert_position(err, 1, 2)
    assert len(err.message) < 120


def test_tsv_empty_cell() -> None:
    err = parse_error(b"1\t2\n3\t\n")
    assert_position(err, 2, 2)
    assert "empty" in err.message


def test_tsv_quotes_are_not_special() -> None:
    err = parse_error(b'1\t"2"\n')
    assert_position(err, 1, 2)


def test_tsv_underscore_digits_rejected() -> None:
    assert_position(parse_error(b"1\t1_000\n"), 1, 2)


@pytest.mark.parametrize("cell", [b"nan", b"NaN", b"inf", b"-inf", b"1e39"])
def test_tsv_non_finite(cell: bytes) -> None:
    err = parse_error(b"1\t2\t3\n4\t5\t6\n7\t8\t" + cell + b"\n")
    assert_position(err, 3, 3)
    assert "not a finite number" in err.message


def test_tsv_non_finite_in_large_file_maps_row_to_line(tmp_path: Path) -> None:
    matrix = np.ones((5000, 4), dtype=np.float32)
    lines = tsv(matrix).splitlines(keepends=True)
    lines[4321] = b"1.0\t1.0\tnan\t1.0\n"
    path = tmp_path / "v.tsv"
    path.write_bytes(b"".join(lines))
    with pytest.raises(InputError) as info:
        parse_vectors(path, "v.tsv")
    assert_position(info.value, 4322, 3)


# --- NPY ---------------------------------------------------------------------------------------


def test_npy_float32_round_trip_bytes_and_path(matrix: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "v.npy"
    np.save(path, matrix)
    for source in (npy(matrix), path):
        out = parse_vectors(source, "v.npy")
        assert out.dtype == np.float32 and out.flags.c_contiguous and out.flags.writeable
        assert np.array_equal(out, matrix)


def test_npy_detected_by_magic_whatever_the_name(matrix: np.ndarray) -> None:
    assert np.array_equal(parse_vectors(npy(matrix), "upload.bin"), matrix)


def test_npy_int_and_bool_cast_to_float32(tmp_path: Path) -> None:
    out = parse_vectors(npy(np.arange(6, dtype=np.int64).reshape(2, 3)), "v.npy")
    assert out.dtype == np.float32 and out.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert parse_vectors(npy(np.array([[True, False]])), "v.npy").tolist() == [[1.0, 0.0]]


def test_npy_float64_and_fortran_order(tmp_path: Path) -> None:
    array = np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3))
    path = tmp_path / "v.npy"
    np.save(path, array)
    out = parse_vectors_npy(path, "v.npy")
    assert out.flags.c_contiguous and out.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_npy_object_array_refused() -> None:
    err = parse_error(npy(np.array([[1, "a"]], dtype=object)), "v.npy")
    assert "pickle" in err.message
    assert_position(err, None, None)


def test_npy_plain_pickle_refused() -> None:
    err = parse_error(pickle.dumps([[1.0, 2.0]]), "v.npy")
    assert "pickle" in err.message


@pytest.mark.parametrize(
    "content",
    [b"\x93NUMPY\x01\x00garbage", b"not an array at all"],
    ids=["bad-header", "no-magic"],
)
def test_npy_invalid(content: bytes) -> None:
    err = parse_error(content, "v.npy")
    assert "not" in err.message and ".npy" in err.message


def test_npy_truncated(matrix: np.ndarray) -> None:
    err = parse_error(npy(matrix)[:-10], "v.npy")
    assert "not a valid .npy" in err.message


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), ()])
def test_npy_must_be_2d(shape: tuple[int, ...]) -> None:
    err = parse_error(npy(np.zeros(shape, dtype=np.float32)), "v.npy")
    assert str(shape) in err.message and "(rows, dimensions)" in err.message


@pytest.mark.parametrize("shape", [(0, 3), (3, 0)])
def test_npy_no_rows_or_columns(shape: tuple[int, ...]) -> None:
    err = parse_error(npy(np.zeros(shape, dtype=np.float32)), "v.npy")
    assert str(shape) in err.message


@pytest.mark.parametrize(
    "array", [np.array([[1 + 2j]]), np.array([["a", "b"]]), np.array([[np.datetime64(0, "s")]])]
)
def test_npy_non_numeric_dtype(array: np.ndarray) -> None:
    err = parse_error(npy(array), "v.npy")
    assert str(array.dtype) in err.message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e39])
def test_npy_non_finite(bad: float) -> None:
    array = np.zeros((4, 6), dtype=np.float64)
    array[2, 4] = bad
    array[3, 0] = bad  # only the first one is reported
    err = parse_error(npy(array), "v.npy")
    assert_position(err, 3, 5)
    assert "row 3, column 5 is not finite" in err.message


def test_parquet_is_told_by_its_magic_and_npy_wins_over_a_parquet_name() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from embedding_projector.datasets.parse_vectors import parse_vectors_and_metadata

    buf = io.BytesIO()
    pq.write_table(pa.table({"v": [[1.0, 2.0], [3.0, 4.0]], "w": ["a", "b"]}), buf)
    matrix, metadata = parse_vectors_and_metadata(buf.getvalue(), "upload.bin")
    assert matrix.tolist() == [[1.0, 2.0], [3.0, 4.0]] and metadata is not None
    assert parse_vectors(npy(np.ones((2, 3))), "misnamed.parquet").shape == (2, 3)
    matrix, metadata = parse_vectors_and_metadata(tsv(np.ones((2, 2))), "v.tsv")
    assert matrix.shape == (2, 2) and metadata is None


@pytest.mark.parametrize("dtype", ["<f4", ">f4", "<f8", ">i8", "|u1", "?"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_from_a_file_any_dtype_and_order(tmp_path: Path, dtype: str, order: str) -> None:
    rng = np.random.default_rng(4)
    array = np.asarray(rng.normal(size=(3000, 7)) * 50, order=order).astype(dtype, order=order)
    path = tmp_path / "v.npy"
    np.save(path, array)
    matrix = parse_vectors_npy(path, "v.npy")
    assert matrix.dtype == np.float32 and matrix.flags.c_contiguous
    assert np.array_equal(matrix, array.astype(np.float32))


@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_from_a_file_in_several_blocks(tmp_path: Path, order: str) -> None:
    # float64, 11 MB: read in blocks of rows (C order) or of columns (Fortran order).
    array = np.asarray(np.random.default_rng(5).normal(size=(200_000, 7)), order=order)
    np.save(tmp_path / "big.npy", array)
    assert np.array_equal(parse_vectors_npy(tmp_path / "big.npy", "big.npy"), array.astype(np.float32))


def test_truncated_npy_file(tmp_path: Path) -> None:
    np.save(tmp_path / "cut.npy", np.ones((100, 4), np.float32))
    data = (tmp_path / "cut.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-40])
    with pytest.raises(InputError) as info:
        parse_vectors_npy(tmp_path / "cut.npy", "cut.npy")
    assert info.value.file == "cut.npy"


def test_tsv_with_a_long_first_line_grows_its_buffer() -> None:
    # The row count is guessed from the first line's length; short lines after a long one exceed it.
    first = "0." + "1" * 500 + "\t2\n"
    content = (first + "3\t4\n" * 5000).encode()
    matrix = parse_vectors(content, "v.tsv")
    assert matrix.shape == (5001, 2) and matrix.flags.c_contiguous
    assert matrix[0, 1] == 2 and (matrix[1:] == [3, 4]).all()


# --- big files pyarrow refuses: the fault is found from pyarrow's stop, not by scanning everything ---

BIG_ROWS = 400_000  # several of pyarrow's 1 MB blocks
ROW = b"0.1234\t-5.5\t7e-3"


def big_tsv(bad_line: int, bad: bytes, newline: bytes = b"\n", rows: int = BIG_ROWS) -> bytes:
    """`rows` good lines with line `bad_line` (1-based) replaced by `bad`."""
    before, after = bad_line - 1, rows - bad_line
    return (ROW + newline) * before + bad + newline + (ROW + newline) * after


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
@pytest.mark.parametrize(
    ("bad", "column", "words"),
    [
        (b"0.1234\tabc\t7e-3", 2, "'abc' is not a number"),
        (b"0.1234\t-5.5", None, "expected 3 values (as on line 1), found 2"),
        (b"0.1234\t1_0\t7e-3", 2, "'1_0' is not a number"),
        (b"0.1234\t\t7e-3", 2, "the value is empty"),
    ],
)
@pytest.mark.parametrize("where", [1, 2, 123_457, BIG_ROWS])
def test_fault_in_a_big_file_is_named_exactly(
    newline: bytes, bad: bytes, column: int | None, words: str, where: int
) -> None:
    err = parse_error(big_tsv(where, bad, newline), "big.tsv")
    if where == 1 and column is None:  # a short first line sets the width: line 2 is the one off
        where, words = 2, "expected 2 values (as on line 1), found 3"
    assert_position(err, where, column)
    assert words in err.message and f"line {where}" in err.message


def test_blank_line_in_the_middle_of_a_big_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.tsv"
    path.write_bytes(big_tsv(300_001, b""))
    err = parse_error(path, "blank.tsv")
    assert_position(err, 300_001, None)
    assert "the line is empty" in err.message


def test_non_finite_before_a_later_fault_is_the_first_fault() -> None:
    # pyarrow reads the NaN on line 250,000 and stops at the bad last line; the NaN comes first.
    content = big_tsv(250_000, b"0.1\tnan\t0.2")[: -len(ROW) - 1] + b"1\tx\t2\n"
    err = parse_error(content, "v.tsv")
    assert_position(err, 250_000, 2)
    assert "'nan' is not a finite number" in err.message


def test_valid_big_file_with_a_last_line_of_spaces_is_parsed() -> None:
    content = big_tsv(BIG_ROWS, ROW) + b"   \n"
    matrix = parse_vectors_tsv(content, "v.tsv")
    assert matrix.shape == (BIG_ROWS, 3)
    np.testing.assert_array_equal(matrix[-1], np.array([0.1234, -5.5, 7e-3], dtype=np.float32))


def test_rejected_4m_row_file_fails_fast(tmp_path: Path) -> None:
    # Before: 13-16 s, every line parsed again in Python. Generous for a loaded machine.
    import time

    path = tmp_path / "huge.tsv"
    path.write_bytes(big_tsv(4_000_000, b"0.5\tabc\t1", rows=4_000_000))
    started = time.perf_counter()
    err = parse_error(path, "huge.tsv")
    took = time.perf_counter() - started
    print(f"4M rows, fault on the last line: {took:.2f} s")
    assert_position(err, 4_000_000, 2)
    assert took < 5


# --- NPZ ---------------------------------------------------------------------------------------


def _npz(**arrays: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def test_npz_with_one_2d_array_takes_it() -> None:
    matrix = np.arange(12, dtype=np.float64).reshape(4, 3)
    got = parse_vectors(_npz(emb=matrix, labels=np.arange(4)), "a.npz")
    assert got.dtype == np.float32 and np.array_equal(got, matrix)


def test_npz_named_array_and_conventional_name() -> None:
    a, b = np.ones((3, 2)), np.zeros((3, 5))
    matrix, meta = parse_data_file(_npz(a=a, b=b), "two.npz", vector="b")
    assert matrix.shape == (3, 5) and meta is None
    assert parse_vectors(_npz(other=a, embeddings=b), "two.npz").shape == (3, 5)
    with pytest.raises(InputError, match=r"two\.npz has no array 'c' \(its arrays: a \(3, 2\) float64, b"):
        parse_data_file(_npz(a=a, b=b), "two.npz", vector="c")
    with pytest.raises(InputError, match="several 2-D arrays"):
        parse_vectors(_npz(a=a, b=b), "two.npz")


def test_npz_object_array_is_refused_without_unpickling() -> None:
    objects = np.empty((2, 2), dtype=object)
    objects[:] = [[1, 2], [3, "x"]]
    with pytest.raises(InputError, match=r"o\.npz array 'arr_0' holds Python objects \(pickle\)"):
        parse_vectors(_npz(arr_0=objects), "o.npz")


def test_tsv_longer_than_its_first_line_suggests_grows_in_place(tmp_path: Path) -> None:
    # The row guess comes from the first line's length: a long first line makes it far too short.
    rng = np.random.default_rng(5)
    matrix = rng.integers(0, 9, (30_000, 4)).astype(np.float32)
    first = "\t".join(f"{v:.20f}" for v in matrix[0])
    rest = "".join("\t".join(f"{v:.0f}" for v in row) + "\n" for row in matrix[1:])
    path = tmp_path / "v.tsv"
    path.write_text(first + "\n" + rest)
    out = parse_vectors_tsv(path, "v.tsv")
    np.testing.assert_array_equal(out, matrix)
    assert out.flags.c_contiguous and out.flags.owndata
