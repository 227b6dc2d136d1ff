"""parse_metadata: TensorBoard metadata.tsv in, typed columns or a positioned InputError out."""

from __future__ import annotations

from pathlib import Path

import pytest

from embedding_projector.datasets.parse_metadata import Column, Metadata, parse_metadata
from embedding_projector.errors import InputError


def parse_error(content: bytes, expected_rows: int | None = None) -> InputError:
    with pytest.raises(InputError) as info:
        parse_metadata(content, "metadata.tsv", expected_rows)
    assert info.value.file == "metadata.tsv"
    assert "metadata.tsv" in info.value.message
    return info.value


def by_name(metadata: Metadata) -> dict[str, Column]:
    return {column.name: column for column in metadata.columns}


# --- success -----------------------------------------------------------------------------------


def test_single_column_has_no_header() -> None:
    metadata = parse_metadata(b"the\nof\nand\n", "metadata.tsv", expected_rows=3)
    assert metadata.n_rows == 3
    assert metadata.columns == [Column(name="label", type="text", values=["the", "of", "and"])]


def test_single_column_keeps_empty_labels_in_the_middle() -> None:
    metadata = parse_metadata(b"a\n\nc\n", "metadata.tsv")
    assert metadata.columns[0].values == ["a", "", "c"]


def test_single_numeric_column() -> None:
    metadata = parse_metadata(b"3\n1\n4\n", "metadata.tsv")
    assert metadata.columns == [Column(name="label", type="numeric", values=[3.0, 1.0, 4.0])]


def test_multi_column_first_line_is_header() -> None:
    metadata = parse_metadata(b"word\tpos\nthe\tDET\nrun\tVERB\n", "metadata.tsv", 2)
    assert metadata.n_rows == 2
    assert [c.name for c in metadata.columns] == ["word", "pos"]
    assert by_name(metadata)["pos"].values == ["DET", "VERB"]


def test_typed_columns() -> None:
    content = b"word\tcount\tscore\tcode\nthe\t12\t0.5\t007\nof\t\t-1e3\tA1\nand\t3\t2\t\n"
    columns = by_name(parse_metadata(content, "metadata.tsv"))
    assert columns["word"] == Column("word", "text", ["the", "of", "and"])
    assert columns["count"] == Column("count", "numeric", [12.0, None, 3.0])
    assert columns["score"] == Column("score", "numeric", [0.5, -1000.0, 2.0])
    assert columns["code"] == Column("code", "text", ["007", "A1", ""])


@pytest.mark.parametrize("cell", ["nan", "inf", "-inf", "1e400", "1_000", "0x1f"])
def test_non_finite_or_odd_numbers_make_a_text_column(cell: str) -> None:
    content = f"w\tn\na\t1\nb\t{cell}\n".encode()
    column = by_name(parse_metadata(content, "metadata.tsv"))["n"]
    assert column.type == "text" and column.values == ["1", cell]


def test_all_empty_column_is_text() -> None:
    column = by_name(parse_metadata(b"w\tn\na\t\nb\t\n", "metadata.tsv"))["n"]
    assert column == Column("n", "text", ["", ""])


def test_empty_and_duplicate_header_names() -> None:
    content = b"name\t\tname\tname\t\na\tb\tc\td\te\n"
    names = [c.name for c in parse_metadata(content, "metadata.tsv").columns]
    assert names == ["name", "column 2", "name (2)", "name (3)", "column 5"]


def test_crlf_and_trailing_newlines() -> None:
    metadata = parse_metadata(b"w\tn\r\na\t1\r\nb\t2\r\n\r\n", "metadata.tsv", 2)
    assert metadata.n_rows == 2
    assert by_name(metadata)["n"].values == [1.0, 2.0]
    assert by_name(metadata)["w"].values == ["a", "b"]


def test_no_final_newline() -> None:
    assert parse_metadata(b"a\nb", "metadata.tsv", 2).columns[0].values == ["a", "b"]


def test_single_column_surplus_blank_lines_at_end_are_dropped() -> None:
    assert parse_metadata(b"a\nb\n\n\n", "metadata.tsv", 2).columns[0].values == ["a", "b"]
    assert parse_metadata(b"a\nb\n\n", "metadata.tsv", 3).columns[0].values == ["a", "b", ""]


def test_utf8_bom_and_unicode_text() -> None:
    content = "\ufeffword\tn\ncafé\t1\n日本\t2\n".encode()
    columns = by_name(parse_metadata(content, "metadata.tsv"))
    assert columns["word"].values == ["café", "日本"]


def test_path_input(tmp_path: Path) -> None:
    path = tmp_path / "metadata.tsv"
    path.write_bytes(b"w\tn\na\t1\n")
    assert parse_metadata(path, "metadata.tsv").n_rows == 1


def test_large_two_columns() -> None:
    n = 100_000
    content = "word\tcount\n" + "".join(f"w{i}\t{i % 97}\n" for i in range(n))
    metadata = parse_metadata(content.encode(), "metadata.tsv", n)
    assert metadata.n_rows == n
    words, counts = metadata.columns
    assert words.type == "text" and words.values[12345] == "w12345"
    assert counts.type == "numeric" and counts.values[12345] == float(12345 % 97)


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n", b" \r\n\t\n"])
def test_empty(content: bytes) -> None:
    err = parse_error(content)
    assert err.message == "metadata.tsv is empty"
    assert (err.line, err.column) == (None, None)


def test_not_utf8() -> None:
    err = parse_error(b"w\tn\na\t1\nb\xe9\t2\n")
    assert (err.line, err.column) == (3, 2)
    assert "line 3, column 2" in err.message and "UTF-8" in err.message


def test_ragged_row() -> None:
    err = parse_error(b"a\tb\tc\n1\t2\t3\n4\t5\n")
    assert (err.line, err.column) == (3, None)
    assert "line 3" in err.message
    assert "expected 3 fields as in the header, found 2" in err.message


def test_blank_line_in_the_middle_of_multi_column() -> None:
    err = parse_error(b"a\tb\n1\t2\n\n3\t4\n")
    assert err.line == 3 and "line 3" in err.message


def test_header_without_data_rows() -> None:
    err = parse_error(b"a\tb\n")
    assert err.line == 2 and "no data rows" in err.message


def test_row_count_mismatch() -> None:
    content = "".join(f"w{i}\n" for i in range(99)).encode()
    err = parse_error(content, expected_rows=100)
    assert err.message == "metadata.tsv has 99 data rows but the vectors have 100 rows"
    assert (err.line, err.column) == (None, None)


def test_row_count_excludes_header() -> None:
    err = parse_error(b"w\tn\na\t1\nb\t2\n", expected_rows=3)
    assert "has 2 data rows but the vectors have 3 rows" in err.message


def test_too_many_rows() -> None:
    err = parse_error(b"a\nb\nc\n", expected_rows=2)
    assert "has 3 data rows but the vectors have 2 rows" in err.message


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_has_a_header_and_quoted_commas() -> None:
    data = b'word,note,rank\nalpha,"one, two",1\n"be""ta","line\nbreak",2\n'
    meta = parse_metadata(data, "m.csv", expected_rows=2)
    assert [(c.name, c.type) for c in meta.columns] == [("word", "text"), ("note", "text"), ("rank", "numeric")]
    assert meta.columns[0].values == ["alpha", 'be"ta']
    assert meta.columns[1].values == ["one, two", "line\nbreak"]
    assert meta.columns[2].values == [1.0, 2.0]


def test_csv_single_column_still_has_a_header() -> None:
    meta = parse_metadata(b"label\na\nb\n", "m.csv")
    assert meta.columns == [Column(name="label", type="text", values=["a", "b"])]


def test_csv_ragged_row_names_the_line_where_the_record_starts() -> None:
    # The quoted field spans lines 2 and 3, so the short record starts on line 4.
    with pytest.raises(InputError) as err:
        parse_metadata(b'a,b\n"x\ny",1\nonly\n', "m.csv")
    assert (err.value.file, err.value.line) == ("m.csv", 4)
    assert "m.csv line 4: expected 2 fields as in the header, found 1" in err.value.message


def test_csv_row_count_mismatch_is_the_tsv_error() -> None:
    with pytest.raises(InputError) as err:
        parse_metadata(b"a,b\n1,2\n3,4\n", "m.csv", expected_rows=3)
    assert err.value.message == "m.csv has 2 data rows but the vectors have 3 rows"


# --- read in blocks ----------------------------------------------------------------------------

TRICKY = [
    b"\xef\xbb\xbfword\tn\r\nalpha\t1\r\n\xc3\xa9t\xc3\xa9\t\r\n\r\n\t\nzeta\t3\r\n\n\n",  # BOM, CRLF, blank rows
    b"w\tn\n" + b"".join(b"r%d\t%d\n" % (i, i) for i in range(300)) + b"\t\n \n",  # trailing blank lines
    b"only\n\n\xe2\x82\xac uro\nlast",  # one column, an empty label, no final line break
    b"a\tb\n" + b"x" * 5000 + b"\t1\n",  # a line longer than any small block
    b'a,b\n"x\ny",1\n\n2,3\n',  # CSV: a quoted line break, then a blank record in the data (ragged)
    b"h1,h2\n\xc3\xa9,1\n2,3\n\n\n",  # CSV: blank records at the end
]


def outcome(content: bytes, name: str, block_bytes: int) -> object:
    """The parsed columns, or the error's message and position."""
    try:
        return parse_metadata(content, name, block_bytes=block_bytes).columns
    except InputError as err:
        return (err.message, err.line, err.column)


@pytest.mark.parametrize("index", range(len(TRICKY)))
@pytest.mark.parametrize("block_bytes", [1, 2, 3, 5, 17, 64, 4096])
def test_blocks_of_any_size_read_the_same(index: int, block_bytes: int) -> None:
    content = TRICKY[index]
    name = "m.csv" if b"," in content else "metadata.tsv"
    assert outcome(content, name, block_bytes) == outcome(content, name, 1 << 20)


@pytest.mark.parametrize("block_bytes", [1, 7, 100, 1 << 20])
def test_faults_deep_in_the_file_are_placed_whatever_the_blocks(block_bytes: int) -> None:
    rows = b"".join(b"w%d\t%d\n" % (i, i) for i in range(500))
    err = parse_error_in(b"w\tn\n" + rows + b"caf\xe9\t1\n", block_bytes)
    assert (err.line, err.column) == (502, 4)
    err = parse_error_in(b"w\tn\n" + rows + b"\n\n" + b"ragged\n", block_bytes)
    assert err.line == 502 and "expected 2 fields as in the header, found 1" in err.message
    assert parse_metadata(b"w\tn\n" + rows + b"\n\n", "metadata.tsv", block_bytes=block_bytes).n_rows == 500


@pytest.mark.parametrize("block_bytes", [1, 4, 1 << 20])
def test_what_the_blocks_read_is_what_the_file_says(block_bytes: int) -> None:
    meta = parse_metadata(b"\xef\xbb\xbfword\tn\r\n\xc3\xa9t\xc3\xa9\t1\r\nx\rx\t\r\n\t\n \n", "metadata.tsv",
                          block_bytes=block_bytes)
    assert meta.columns == [Column(name="word", type="text", values=["été", "x\rx"]),
                            Column(name="n", type="numeric", values=[1.0, None])]
    long_label = "é" * 3000
    meta = parse_metadata(f"a\n\n{long_label}".encode(), "metadata.tsv", block_bytes=block_bytes)
    assert meta.columns == [Column(name="label", type="text", values=["a", "", long_label])]
    err = parse_error_in(b"w\tn\n" + b"x\t1\n" * 3 + b"y\n", block_bytes)
    assert (err.line, err.message) == (5, "metadata.tsv line 5: expected 2 fields as in the header, found 1")


@pytest.mark.parametrize("content, line, column, byte", [
    (b"\xef\xbb\xbf\xff", 1, 1, 0xFF),  # the BOM is not a column
    (b"\xef\xbb\xbfa\tb\n1\t\xff\n", 2, 3, 0xFF),
    (b"a\n\xef\xbb\xbfb\xff\n", 2, 3, 0xFF),  # a BOM after the start is text (U+FEFF)
])
def test_a_bad_byte_is_placed_after_a_bom(content: bytes, line: int, column: int, byte: int) -> None:
    err = parse_error(content)
    assert (err.line, err.column) == (line, column)
    assert f"(byte 0x{byte:02x})" in err.message


def parse_error_in(content: bytes, block_bytes: int) -> InputError:
    with pytest.raises(InputError) as info:
        parse_metadata(content, "metadata.tsv", block_bytes=block_bytes)
    return info.value
