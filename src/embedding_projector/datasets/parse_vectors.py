"""Vectors files (TensorBoard's vectors.tsv, a 2-D .npy array, an .npz archive, Parquet) -> a float32 matrix, or InputError."""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from embedding_projector.datasets.matrix_file import RowReader
from embedding_projector.datasets.parse_metadata import Metadata, open_source, parse_metadata
from embedding_projector.datasets.parse_parquet import is_parquet, parse_parquet
from embedding_projector.errors import InputError

NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_OPCODE = b"\x80"
_BOM = b"\xef\xbb\xbf"
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_CELL_PREVIEW = 40
NPZ_VECTOR_NAMES = ("vectors", "embeddings", "embedding")


def parse_vectors(source: bytes | Path, filename: str) -> np.ndarray:
    """Parse a vectors file (.npy or Parquet by magic or name, else TensorBoard TSV) into float32 (n, d)."""
    return parse_vectors_and_metadata(source, filename)[0]


def parse_vectors_and_metadata(source: bytes | Path, filename: str) -> tuple[np.ndarray, Metadata | None]:
    """The vectors, plus the metadata a Parquet file carries in its other columns (None otherwise)."""
    with open_source(source) as stream:
        head = stream.read(len(NPY_MAGIC))
    if not head.startswith(NPY_MAGIC) and is_parquet(head, filename):
        matrix, metadata = parse_parquet(source, filename)
        assert matrix is not None  # parse_parquet raises when there is no vectors column
        return matrix, metadata
    return _parse_matrix(source, filename, head), None


def parse_data_file(
    source: bytes | Path, filename: str, *, vector: str | None = None, in_file: bool = False
) -> tuple[np.ndarray | RowReader | None, Metadata | None]:
    """Like parse_vectors_and_metadata, but a Parquet file may lack vectors (coordinates only): (None, columns).

    `vector` names the Parquet column or the .npz array that holds the vectors (--vector). With
    `in_file`, a float32 C-order .npy file is checked and left in its file, read by row slices
    (parse_vectors_npy).
    """
    with open_source(source) as stream:
        head = stream.read(len(NPY_MAGIC))
    if not head.startswith(NPY_MAGIC) and is_parquet(head, filename):
        if vector is not None:
            return parse_parquet(source, filename, vector_column=vector)
        return parse_parquet(source, filename, vectors_optional=True)
    if vector is not None and not _is_npz(head, filename):
        raise InputError(
            f"{filename}: a vector column or array ({vector!r}) can be named only in a Parquet or .npz file",
            file=filename,
        )
    return _parse_matrix(source, filename, head, vector, in_file=in_file), None


def parse_metadata_file(source: bytes | Path, filename: str, expected_rows: int | None = None) -> Metadata:
    """The metadata of a dataset from metadata.tsv, a .csv with a header, or a Parquet file of columns."""
    with open_source(source) as stream:
        head = stream.read(len(NPY_MAGIC))
    if not is_parquet(head, filename):
        return parse_metadata(source, filename, expected_rows=expected_rows)
    matrix, meta = parse_parquet(source, filename, vectors_optional=True)
    if matrix is not None or meta is None:
        raise InputError(f"{filename} holds vectors (a list column); upload it as the vectors file", file=filename)
    if expected_rows is not None and meta.n_rows != expected_rows:
        raise InputError(f"{filename} has {meta.n_rows} rows but the vectors have {expected_rows} rows", file=filename)
    return meta


def _is_npz(head: bytes, filename: str) -> bool:
    return head.startswith(_ZIP_MAGIC) or filename.lower().endswith(".npz")


def _parse_matrix(
    source: bytes | Path, filename: str, head: bytes, vector: str | None = None, *, in_file: bool = False
) -> np.ndarray | RowReader:
    if head.startswith(NPY_MAGIC) or filename.lower().endswith(".npy"):
        return parse_vectors_npy(source, filename, in_file=in_file)
    if _is_npz(head, filename):
        return parse_vectors_npz(source, filename, vector)
    return parse_vectors_tsv(source, filename)


# --- TSV -----------------------------------------------------------------------------------------


def parse_vectors_tsv(source: bytes | Path, filename: str) -> np.ndarray:
    """Parse TensorBoard's vectors.tsv (TAB-separated numbers, one row per line, no header)."""
    with open_source(source) as stream:
        matrix, complete = _read_tsv_fast(stream)
        bad = _first_non_finite(matrix)
        if bad is not None:
            # Every cell before pyarrow's stop parsed, so this is the first fault: quote its text.
            row, col = bad
            stream.seek(_line_start(stream, row))
            raw = next(_lines(stream), b"").split(b"\t")
            cell = raw[col].decode("utf-8-sig", "replace") if col < len(raw) else str(matrix[row, col])
            raise InputError(
                f"{filename} line {row + 1}, column {col + 1}: {_non_finite(cell)}",
                file=filename,
                line=row + 1,
                column=col + 1,
            )
        if complete:
            return matrix
        # pyarrow refused a block (or the file is blank). The rows before that block are good, so the
        # exact scan starts there: it names the first problem, or parses the rare valid lines pyarrow
        # rejects (such as a last line of spaces). Scanning the whole file in Python instead took 13 s
        # for 4M rows and, holding the GIL, stalled every other request for seconds.
        done = matrix.shape[0]
        stream.seek(_line_start(stream, done))
        width = matrix.shape[1] if done else 0
        rest = [row for _, row in _scan_tsv(stream, filename, first_line=done + 1, width=width)]
    if not done and not rest:
        raise InputError(f"{filename} is empty", file=filename)
    return np.vstack([matrix, *rest]) if rest else matrix


def _line_start(stream: BinaryIO, line: int) -> int:
    """Byte offset where 0-based `line` starts; \r\n, \n and a lone \r each end a line.

    Counted with numpy a block at a time, so skipping millions of lines costs milliseconds.
    """
    stream.seek(0)
    base, left, cr_before = 0, line, False
    while left > 0:
        block = stream.read(1 << 22)
        if not block:
            return base
        byte = np.frombuffer(block, dtype=np.uint8)
        lf, cr = byte == 10, byte == 13
        ends = lf.copy()
        # A \r ends a line unless a \n follows; the block's last \r is settled by the next block.
        ends[:-1] |= cr[:-1] & ~lf[1:]
        found = np.flatnonzero(ends)
        if cr_before and not lf[0]:
            found = np.concatenate(([-1], found))
        cr_before = bool(cr[-1])
        if len(found) >= left:
            return base + int(found[left - 1]) + 1
        left -= len(found)
        base += len(block)
    return base


class _Prefix(io.RawIOBase):
    """The first `size` bytes of a stream, so pyarrow never sees the trailing line breaks."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        super().__init__()
        self._stream, self._left = stream, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._stream.readinto(memoryview(buffer)[: self._left]) if self._left > 0 else 0
        self._left -= n or 0
        return n or 0


def _content_end(stream: BinaryIO) -> int:
    """The content's length without its trailing \\r and \\n bytes."""
    end = stream.seek(0, io.SEEK_END)
    while end > 0:
        start = max(0, end - 4096)
        stream.seek(start)
        kept = len(stream.read(end - start).rstrip(b"\r\n"))
        end = start + kept
        if kept:
            break
    return end


def _read_tsv_fast(stream: BinaryIO) -> tuple[np.ndarray, bool]:
    """Vectorised read with pyarrow: the rows it parsed, and whether that was the whole file.

    pyarrow yields blocks in order, so when it refuses one, every row before that block is good.
    """
    end = _content_end(stream)
    if end == 0:
        return np.empty((0, 0), dtype=np.float32), False
    stream.seek(0)
    first = stream.readline().split(b"\r")[0]
    width = first.count(b"\t") + 1
    stream.seek(0)
    # Batches stream straight into the output, so the peak is the matrix plus a few blocks rather
    # than a whole pyarrow table beside it. The row count is a generous guess: pages of np.empty that
    # are never written cost no memory, and a short guess grows the buffer in place.
    most = end // (2 * width) + 1  # every value takes at least one character and one separator
    out = np.empty((min(end // max(len(first), 1) * 3 // 2 + 1024, most), width), dtype=np.float32)
    rows = 0
    reader = None
    try:
        reader = pa_csv.open_csv(
            _Prefix(stream, end),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True),
            # No quoting, and keep empty lines so that row i is always line i + 1.
            parse_options=pa_csv.ParseOptions(
                delimiter="\t", quote_char=False, escape_char=False, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": pa.float32() for i in range(width)},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            if batch.num_columns != width or any(t != pa.float32() for t in batch.schema.types):
                return _trimmed(out, rows), False
            if any(col.null_count for col in batch.columns):
                return _trimmed(out, rows), False
            stop = rows + batch.num_rows
            if stop > len(out):
                # realloc moves the pages (mremap) instead of holding an old and a new copy at once;
                # resize zero-fills the new rows, so grow by a quarter rather than double.
                out.resize((max(stop, len(out) * 5 // 4 + 1024), width), refcheck=False)
            # Stacking the columns and copying the transpose is ~5x faster than strided writes.
            out[rows:stop] = np.stack([col.to_numpy(zero_copy_only=False) for col in batch.columns]).T
            rows = stop
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _trimmed(out, rows), False
    finally:
        if reader is not None:
            # Join the reader's read-ahead threads now: left to interpreter exit, a live Arrow
            # thread can abort the process ("terminate called without an active exception").
            reader.close()
    return _trimmed(out, rows), rows > 0


def _trimmed(out: np.ndarray, rows: int) -> np.ndarray:
    """The first `rows` rows, the unused tail given back in place (no copy)."""
    out.resize((rows, out.shape[1]), refcheck=False)
    return out


def _first_non_finite(matrix: np.ndarray) -> tuple[int, int] | None:
    """(row, column) of the first NaN/inf in row-major order, or None; checked in blocks of ~4 MB."""
    step = max(1, (4 << 20) // max(matrix.shape[1] if matrix.ndim == 2 else 1, 1))
    for start in range(0, matrix.shape[0], step):
        finite = np.isfinite(matrix[start : start + step])
        if not finite.all():
            row, col = np.argwhere(~finite)[0]
            return start + int(row), int(col)
    return None


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines without terminators; \\r\\n, \\n and a lone \\r all end a line, as for pyarrow."""
    for raw in stream:
        yield from raw.splitlines()


def _scan_tsv(
    stream: BinaryIO, filename: str, first_line: int = 1, width: int = 0
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (line number, float32 row) for each data line from the stream's position, which is line
    `first_line`; `width` is the values per line when earlier lines set it. InputError at the first fault."""
    width_line, first_blank = (1 if width else 0), 0
    for lineno, raw in enumerate(_lines(stream), start=first_line):
        if lineno == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            column = len(raw[: exc.start].decode("utf-8", "replace")) + 1
            raise InputError(
                f"{filename} line {lineno}, column {column}: not UTF-8 text "
                f"(byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
                file=filename,
                line=lineno,
                column=column,
            ) from None
        if not text.strip():
            first_blank = first_blank or lineno
            continue
        if first_blank:
            raise InputError(
                f"{filename} line {first_blank}: the line is empty; "
                "blank lines are allowed only at the end of the file",
                file=filename,
                line=first_blank,
            )
        fields = text.split("\t")
        if not width:
            width, width_line = len(fields), lineno
        elif len(fields) != width:
            raise InputError(
                f"{filename} line {lineno}: expected {width} values (as on line {width_line}), "
                f"found {len(fields)}",
                file=filename,
                line=lineno,
            )
        yield lineno, _parse_row(fields, filename, lineno)


def _parse_row(fields: list[str], filename: str, lineno: int) -> np.ndarray:
    """One line's values as float32; InputError naming the first cell that is not a finite number."""
    try:
        # numpy and float() accept "1_0"; pyarrow does not, and neither do we.
        row = None if any("_" in f for f in fields) else np.array(fields, dtype=np.float64)
    except ValueError:
        row = None
    if row is not None and (np.abs(row) <= _FLOAT32_MAX).all():
        return row.astype(np.float32)
    for j, cell in enumerate(fields, start=1):
        try:
            value = float(cell) if "_" not in cell else None
        except ValueError:
            value = None
        if value is not None and abs(value) <= _FLOAT32_MAX:
            continue
        if not cell.strip():
            problem = "the value is empty, expected a number"
        elif value is None:
            problem = f"{_preview(cell)} is not a number"
        else:
            problem = _non_finite(cell)
        raise InputError(
            f"{filename} line {lineno}, column {j}: {problem}", file=filename, line=lineno, column=j
        )
    # numpy refused a cell that float() takes (rare): every cell is fine, so use float().
    return np.array([float(cell) for cell in fields], dtype=np.float32)


def _non_finite(cell: str) -> str:
    """The message for a number that is NaN, infinite or beyond float32's range."""
    try:
        too_large = bool(np.isfinite(float(cell)))
    except ValueError:
        too_large = False
    return f"{_preview(cell)} is not a finite number" + (" (too large for float32)" * too_large)


def _preview(cell: str) -> str:
    """The cell quoted for a message, cut to a readable length."""
    return repr(cell[:_CELL_PREVIEW]) + "…" if len(cell) > _CELL_PREVIEW else repr(cell)


# --- NPY -----------------------------------------------------------------------------------------


def parse_vectors_npy(source: bytes | Path, filename: str, *, in_file: bool = False) -> np.ndarray | RowReader:
    """Load a 2-D numeric .npy array (never unpickling) as a C-contiguous float32 matrix.

    With `in_file`, a float32 C-order file's rows are checked block by block and returned as a
    RowReader of the file: a million 768-d rows then cost no 3 GB of fresh memory, whose page faults
    alone took 7.6 s here (reading the file through one reused 8 MB buffer took 0.8 s).
    """
    pickled = InputError(
        f"{filename} holds Python objects (pickle), which is not accepted; save a numeric array",
        file=filename,
    )
    with open_source(source) as stream:
        head = stream.read(len(NPY_MAGIC))
    if not head.startswith(NPY_MAGIC):
        if head.startswith(_PICKLE_OPCODE):
            raise pickled
        raise InputError(f"{filename} is not a .npy file (it lacks the .npy header)", file=filename)
    try:
        if isinstance(source, Path):
            array = np.load(source, mmap_mode="r", allow_pickle=False)
        else:
            array = np.load(io.BytesIO(source), allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        if isinstance(exc, ValueError) and "pickle" in str(exc).lower():
            raise pickled from None
        raise InputError(f"{filename} is not a valid .npy file ({exc})", file=filename) from None
    if array.dtype.hasobject:
        raise pickled
    _check_array(array.dtype, array.shape, filename)
    if in_file and isinstance(source, Path) and isinstance(array, np.memmap) and array.dtype == np.dtype("<f4") \
            and array.flags.c_contiguous:
        with contextlib.suppress(ValueError):  # a header RowReader does not read: loaded below
            return _finite_rows(RowReader(source), filename)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow becomes inf, reported below
        if isinstance(source, Path) and isinstance(array, np.memmap):
            matrix = _read_rows(source, array, filename)
        else:
            # A memmap must be copied out of the file; an in-memory writable array may be reused.
            copy = True if isinstance(array, np.memmap) or not array.flags.writeable else None
            matrix = np.array(array, dtype=np.float32, order="C", copy=copy)
    return _finite(matrix, array.dtype, filename)


def _check_array(dtype: np.dtype, shape: tuple[int, ...], filename: str) -> None:
    """InputError unless the array is a 2-D array of real numbers with at least one row and column."""
    if dtype.kind not in "biuf":
        raise InputError(
            f"{filename} holds {dtype} values; vectors must be real numbers "
            "(float, int or bool)",
            file=filename,
        )
    if len(shape) != 2 or 0 in shape:
        raise InputError(
            f"{filename} has shape {shape}; vectors must be a 2-D array "
            "(rows, dimensions) with at least one of each",
            file=filename,
        )


def _finite(matrix: np.ndarray, dtype: np.dtype, filename: str, first_row: int = 0) -> np.ndarray:
    """The matrix, or InputError naming its first value that is not finite (rows counted from `first_row`)."""
    bad = _first_non_finite(matrix) if dtype.kind == "f" else None
    if bad is not None:
        row, col = bad
        matrix_row, row = row, row + first_row
        raise InputError(
            f"{filename} row {row + 1}, column {col + 1} is not finite ({matrix[matrix_row, col]}); "
            "values must be finite and within float32 range",
            file=filename,
            line=row + 1,
            column=col + 1,
        )
    return matrix


def _finite_rows(reader: RowReader, filename: str) -> RowReader:
    """The reader, or InputError naming its first value that is not finite (checked in blocks of rows)."""
    step = reader.block_rows()
    for start in range(0, len(reader), step):
        bad = _first_non_finite(reader[start : start + step])
        if bad is not None:
            _finite(reader[start + bad[0] : start + bad[0] + 1], np.dtype("<f4"), filename, first_row=start + bad[0])
    return reader


def _read_rows(path: Path, array: np.memmap, filename: str) -> np.ndarray:
    """A .npy's values as float32 through plain reads in blocks (of rows, or of columns for
    Fortran order); copying from the memory map would make the whole file resident as well."""
    n, dim = array.shape
    out = np.empty((n, dim), dtype=np.float32)
    fortran = not array.flags.c_contiguous
    with path.open("rb") as fh:
        fh.seek(array.offset)
        if array.dtype == np.dtype("<f4") and not fortran:
            view, filled = memoryview(out).cast("B"), 0
            while filled < out.nbytes and (got := fh.readinto(view[filled:])):
                filled += got
            if filled != out.nbytes:
                raise InputError(f"{filename} is shorter than its header says", file=filename)
            return out
        outer, inner = (dim, n) if fortran else (n, dim)
        step = max(1, (8 << 20) // (inner * array.dtype.itemsize))
        for start in range(0, outer, step):
            count = min(step, outer - start)
            block = np.fromfile(fh, dtype=array.dtype, count=count * inner)
            if block.size != count * inner:
                raise InputError(f"{filename} is shorter than its header says", file=filename)
            if fortran:
                out[:, start : start + count] = block.reshape(count, inner).T
            else:
                out[start : start + count] = block.reshape(count, inner)
    return out


# --- NPZ -----------------------------------------------------------------------------------------


def parse_vectors_npz(source: bytes | Path, filename: str, name: str | None = None) -> np.ndarray:
    """The vectors of an .npz archive: the array `name`, else its only 2-D numeric array, else the
    one named vectors, embeddings or embedding. Never unpickles (object arrays are refused)."""
    try:
        with zipfile.ZipFile(open_source(source)) as archive:
            headers = {
                member[: -len(".npy")]: _npy_header(archive, member, filename)
                for member in archive.namelist()
                if member.endswith(".npy")
            }
            chosen = _npz_choice(headers, filename, name)
            label = f"{filename} array {chosen!r}"
            dtype, shape = headers[chosen]
            if dtype.hasobject:
                raise InputError(
                    f"{label} holds Python objects (pickle), which is not accepted; save a numeric array",
                    file=filename,
                )
            _check_array(dtype, shape, label)
            with archive.open(chosen + ".npy") as member:
                array = np.lib.format.read_array(member, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise InputError(f"{filename} is not a valid .npz file ({exc})", file=filename) from None
    with np.errstate(over="ignore", invalid="ignore"):  # overflow becomes inf, reported below
        matrix = np.ascontiguousarray(array, dtype=np.float32)
    return _finite(matrix, dtype, label)


def _npy_header(archive: zipfile.ZipFile, member: str, filename: str) -> tuple[np.dtype, tuple[int, ...]]:
    """(dtype, shape) of one array in the archive, read from its header without loading it."""
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    return dtype, shape


def _npz_choice(headers: dict[str, tuple[np.dtype, tuple[int, ...]]], filename: str, name: str | None) -> str:
    """The name of the array that holds the vectors; InputError listing the arrays when unclear."""
    listing = ", ".join(f"{key} {shape} {dtype}" for key, (dtype, shape) in headers.items()) or "none"
    if name is not None:
        if name not in headers:
            raise InputError(f"{filename} has no array {name!r} (its arrays: {listing})", file=filename)
        return name
    matrices = [
        key for key, (dtype, shape) in headers.items()
        if len(shape) == 2 and not dtype.hasobject and dtype.kind in "biuf"
    ]
    if len(matrices) == 1:
        return matrices[0]
    if len(headers) == 1:  # the one array, whatever it is: its own check says what is wrong with it
        return next(iter(headers))
    named = [key for key in headers if key.lower() in NPZ_VECTOR_NAMES]
    if len(named) == 1:
        return named[0]
    problem = "no 2-D numeric array" if not matrices else "several 2-D arrays"
    raise InputError(
        f"{filename} has {problem} to take the vectors from (its arrays: {listing}); name one with "
        f"--vector, or call it one of {', '.join(NPZ_VECTOR_NAMES)}",
        file=filename,
    )
