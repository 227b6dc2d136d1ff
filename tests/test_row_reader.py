"""matrix_file.RowReader: a float32 .npy's row slices read with pread, equal to the array's own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedding_projector.datasets.matrix_file import RowReader
from embedding_projector.projections import pca
from embedding_projector.projections.progress import Progress


def test_row_slices_match_the_array_and_pca_reads_it_alike(tmp_path: Path) -> None:
    matrix = np.random.default_rng(5).normal(size=(1_000, 9)).astype(np.float32) + 40
    np.save(tmp_path / "m.npy", matrix)
    reader = RowReader(tmp_path / "m.npy")
    assert reader.shape == (1_000, 9) and len(reader) == 1_000
    for rows in (slice(0, 10), slice(990, 2_000), slice(500, 500), slice(None)):
        np.testing.assert_array_equal(reader[rows], matrix[rows])
    with pytest.raises(IndexError):
        reader[::2]
    read = pca.run(reader, pca.Params(components=3), Progress())
    mapped = pca.run(np.load(tmp_path / "m.npy", mmap_mode="r"), pca.Params(components=3), Progress())
    np.testing.assert_array_equal(read.coords, mapped.coords)


@pytest.mark.parametrize("array", [np.zeros((3, 2)), np.zeros((3, 2), dtype=np.float32, order="F"), np.zeros(4, dtype=np.float32)])
def test_anything_but_a_c_order_float32_matrix_is_refused(tmp_path: Path, array: np.ndarray) -> None:
    np.save(tmp_path / "x.npy", array)
    with pytest.raises(ValueError, match="x.npy"):
        RowReader(tmp_path / "x.npy")
