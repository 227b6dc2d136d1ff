"""A dataset's unit vectors on disk: unit.npy (float32, F order) and norms.npy (float64), written in blocks.

NeighborIndex scans unit.npy memory-mapped, so a server holds no private copy of a matrix: the
page cache is shared and the process's RSS counts each touched page once. The file is column-major
(F order) because the scan's matrix-vector products over row blocks ran faster on it (see
neighbors.py). It is written a stage of rows at a time with positioned writes, one per column of the
stage, so writing it never holds more than the stage (32 MB of float32) beside the matrix
(tests/test_import_streamed.py holds imports to their budget).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import numpy as np

from embedding_projector.atomic_files import fsync_dir
from embedding_projector.neighbors import unit_block_rows, unit_rows

UNIT_FILE = "unit.npy"
NORMS_FILE = "norms.npy"
STAGE_BYTES = 32 << 20  # the unit rows gathered before they are written, column by column


def save_unit(unit_path: Path, norms_path: Path, vectors: np.ndarray) -> None:
    """Write unit_rows() of `vectors` (a memmap too) to `unit_path` (F-order '<f4' .npy) and norms to `norms_path`."""
    n, d = vectors.shape
    header = np.lib.format.header_data_from_array_1_0(np.empty((0, d), dtype="<f4"))
    header.update(shape=(n, d), fortran_order=True)
    norms = np.empty(n, dtype="<f8")
    with unit_path.open("wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        data_start = fh.tell()
        fh.flush()
        fh.truncate(data_start + 4 * n * d)
        fd = fh.fileno()
        step = unit_block_rows(d)
        # Blocks are gathered into one F-order stage of several, so each column's write is longer:
        # a write per column of each 8 MB block was 282k writes, 3.0 s, for 1M x 768.
        span = max(1, STAGE_BYTES // (4 * d * step)) * step
        stage = np.empty((min(span, n), d), dtype=np.float32, order="F")
        for begin in range(0, n, span):
            end = min(begin + span, n)
            for start in range(begin, end, step):
                stop = min(start + step, end)
                _, norms[start:stop] = unit_rows(vectors[start:stop], out=stage[start - begin : stop - begin])
            for j in range(d):  # F order: each column's slice of the stage is contiguous
                os.pwrite(fd, stage[: end - begin, j].data, data_start + 4 * (j * n + begin))
    with norms_path.open("wb") as fh:  # a handle: np.save would add ".npy" to a temp file's name
        np.save(fh, norms, allow_pickle=False)


def open_unit(folder: Path, n: int, d: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The folder's unit rows and norms, memory-mapped read-only; None when missing or not of shape (n, d)."""
    try:
        unit = np.load(folder / UNIT_FILE, mmap_mode="r", allow_pickle=False)
        norms = np.load(folder / NORMS_FILE, mmap_mode="r", allow_pickle=False)
    except (FileNotFoundError, ValueError):
        return None
    if unit.shape != (n, d) or unit.dtype != np.float32 or norms.shape != (n,) or norms.dtype != np.float64:
        return None
    return unit, norms


def add_unit(folder: Path, vectors: np.ndarray) -> None:
    """Write the unit files into an existing dataset folder: temp files, fsync, renamed in (norms first)."""
    token = secrets.token_hex(4)
    tmp_unit = folder / f".{UNIT_FILE}.{token}.tmp"
    tmp_norms = folder / f".{NORMS_FILE}.{token}.tmp"
    try:
        save_unit(tmp_unit, tmp_norms, vectors)
        for path in (tmp_unit, tmp_norms):
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
        # open_unit needs both: a crash between the renames leaves norms alone, and a rebuild.
        os.replace(tmp_norms, folder / NORMS_FILE)
        os.replace(tmp_unit, folder / UNIT_FILE)
        fsync_dir(folder)
    finally:
        for path in (tmp_unit, tmp_norms):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
