"""sphereize(): centred on the mean, unit norm, zero stays zero, input untouched."""

from __future__ import annotations

import numpy as np

from embedding_projector.projections import sphereize as module
from embedding_projector.projections.sphereize import row_mean, sphereize
from tests.datagen import clustered


def test_rows_are_centred_then_unit_norm() -> None:
    vectors, _ = clustered(500, 12, seed=1)
    vectors += 40.0  # a large offset: centring must remove it
    out = sphereize(vectors)
    assert out.dtype == np.float32 and out.shape == vectors.shape
    assert not np.shares_memory(out, vectors)
    norms = np.linalg.norm(out, axis=1)
    print("norms within", norms.min(), norms.max())
    assert np.allclose(norms, 1.0, atol=1e-6)
    # Before the scaling, the mean was zero: each output row is its centred row's direction.
    centred = vectors.astype(np.float64) - vectors.astype(np.float64).mean(axis=0)
    assert np.abs(centred.mean(axis=0)).max() < 1e-9
    expected = centred / np.linalg.norm(centred, axis=1, keepdims=True)
    assert np.allclose(out, expected, atol=1e-6)


def test_blocks_give_the_same_answer(monkeypatch) -> None:
    vectors, _ = clustered(1000, 8, seed=2)
    whole = sphereize(vectors)
    monkeypatch.setattr(module, "BLOCK_BYTES", 8 * 8 * 37)  # 37 rows a block
    assert np.allclose(sphereize(vectors), whole, atol=1e-7)


def test_rows_at_the_mean_stay_zero_without_nan() -> None:
    vectors = np.array([[1, 2, 3], [3, 4, 5], [2, 3, 4]], dtype=np.float32)  # row 2 is the mean
    out = sphereize(vectors)
    assert np.isfinite(out).all()
    assert np.array_equal(out[2], np.zeros(3, dtype=np.float32))
    assert np.allclose(np.linalg.norm(out[:2], axis=1), 1.0)


def test_constant_and_zero_data_stay_zero() -> None:
    for value in (0.0, 0.1, -7.3):
        vectors = np.full((50, 6), value, dtype=np.float32)
        out = sphereize(vectors)
        assert np.isfinite(out).all() and not out.any(), value


def test_mean_of_a_subset_centres_the_whole_matrix_on_it() -> None:
    vectors, _ = clustered(200, 5, seed=3)
    rows = np.array([9, 3, 150, 77, 120, 4], dtype=np.int64)
    whole = sphereize(vectors, mean_of=rows)
    # The projected rows get exactly what sphereizing them alone gives.
    assert np.allclose(whole[rows], sphereize(vectors[rows]), atol=1e-6)
    assert np.allclose(row_mean(vectors, rows), vectors[rows].astype(np.float64).mean(axis=0))


def test_memmap_input_is_only_read(tmp_path) -> None:
    vectors, _ = clustered(300, 7, seed=4)
    path = tmp_path / "v.npy"
    np.save(path, vectors)
    before = path.read_bytes()
    mapped = np.load(path, mmap_mode="r+")  # writable, so a write would land in the file
    out = sphereize(mapped)
    del mapped
    assert path.read_bytes() == before
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)
    assert np.allclose(sphereize(np.load(path, mmap_mode="r")), out)


def test_empty_input() -> None:
    assert sphereize(np.zeros((0, 4), dtype=np.float32)).shape == (0, 4)
