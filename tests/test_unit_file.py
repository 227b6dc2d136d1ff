"""The neighbour index's unit-vector file: written with the dataset, mapped by the index, budgeted in bytes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from embedding_projector.datasets.store import DatasetStore
from embedding_projector.datasets.unit_file import NORMS_FILE, UNIT_FILE, save_unit
from embedding_projector.neighbors import NeighborIndex, unit_rows


def mixture(n: int, d: int, seed: int) -> np.ndarray:
    """Rows of mixed lengths, a few duplicates (ties) and one zero row."""
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(n, d)) * rng.uniform(0.1, 5, size=(n, 1))).astype(np.float32)
    x[5] = x[2]
    x[n - 1] = x[2] * 3  # same direction: a cosine tie with rows 2 and 5
    x[7] = 0
    return x


def brute(vectors: np.ndarray, row: int, k: int, metric: str) -> set[int]:
    """sklearn's brute-force k nearest of `row`, itself left out."""
    nn = NearestNeighbors(algorithm="brute", metric=metric).fit(vectors.astype(np.float64))
    _, rows = nn.kneighbors(vectors[row : row + 1].astype(np.float64), k + 1)
    return set(rows[0][rows[0] != row][:k].tolist())


def test_create_writes_the_unit_file_beside_the_vectors(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "datasets")
    vectors = mixture(3000, 24, 0)
    info = store.create("Units", vectors, None)
    folder = tmp_path / "datasets" / info.id
    unit = np.load(folder / UNIT_FILE, mmap_mode="r")
    norms = np.load(folder / NORMS_FILE, mmap_mode="r")
    expected_unit, expected_norms = unit_rows(vectors)
    assert unit.flags.f_contiguous and unit.dtype == np.float32 and norms.dtype == np.float64
    assert np.array_equal(unit, expected_unit) and np.array_equal(norms, expected_norms)
    assert not np.any(unit[7]) and norms[7] == 0


def test_the_unit_file_is_exact_across_stages_and_partial_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks of 10 rows gathered 3 to a stage: 1003 rows end in a partial stage of a partial block.
    monkeypatch.setattr("embedding_projector.datasets.unit_file.unit_block_rows", lambda d: 10)
    monkeypatch.setattr("embedding_projector.datasets.unit_file.STAGE_BYTES", 4 * 16 * 30)
    vectors = mixture(1003, 16, 4)
    save_unit(tmp_path / UNIT_FILE, tmp_path / NORMS_FILE, vectors)
    expected_unit, expected_norms = unit_rows(vectors)
    assert np.array_equal(np.load(tmp_path / UNIT_FILE), expected_unit)
    assert np.array_equal(np.load(tmp_path / NORMS_FILE), expected_norms)


def test_a_failed_unit_write_leaves_no_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DatasetStore(tmp_path / "datasets")
    wrote: list[Path] = []

    def half_then_fail(unit_path: Path, norms_path: Path, vectors: np.ndarray) -> None:
        unit_path.write_bytes(b"\x93NUMPY half")
        wrote.append(unit_path)
        raise OSError("disk full")

    monkeypatch.setattr("embedding_projector.datasets.store.save_unit", half_then_fail)
    with pytest.raises(OSError):
        store.create("Broken", mixture(50, 4, 1), None, dataset_id="broken")
    assert wrote and not wrote[0].exists()  # the staged folder is gone, with its half file
    assert not (tmp_path / "datasets" / "broken").exists() and store.list() == []


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_the_store_index_answers_as_sklearn_brute_force(tmp_path: Path, metric: str) -> None:
    store = DatasetStore(tmp_path / "datasets", neighbor_threads=3)
    vectors = mixture(40_000, 16, 2)
    info = store.create("Big enough for blocks", vectors, None)
    index = store.neighbor_index(info.id)
    # Row 7 is zero: at cosine distance 1 from all, a tie sklearn breaks its own way (test_neighbors has it).
    for row in (0, 2, 16_383, 16_384, 39_999) + ((7,) if metric == "euclidean" else ()):
        rows, dist = index.query(row, 25, metric)
        assert set(rows.tolist()) == brute(vectors, row, 25, metric), (row, metric)
        assert np.all(np.diff(dist) >= 0)


def test_a_dataset_without_a_unit_file_gets_one_and_answers(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "datasets")
    vectors = mixture(500, 8, 3)
    info = store.create("Old", vectors, None)
    folder = tmp_path / "datasets" / info.id
    (folder / UNIT_FILE).unlink()
    (folder / NORMS_FILE).unlink()  # as a dataset made before unit files
    fresh = DatasetStore(tmp_path / "datasets")
    rows, _ = fresh.neighbor_index(info.id).query(2, 10, "cosine")
    assert set(rows.tolist()) == brute(vectors, 2, 10, "cosine")
    assert np.array_equal(np.load(folder / UNIT_FILE), unit_rows(vectors)[0])
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp")) == []


def test_a_folder_that_cannot_take_the_unit_file_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DatasetStore(tmp_path / "datasets")
    vectors = mixture(400, 6, 4)
    info = store.create("Read-only", vectors, None)
    folder = tmp_path / "datasets" / info.id
    (folder / UNIT_FILE).unlink()

    def refused(folder: Path, vectors: np.ndarray) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr("embedding_projector.datasets.store.add_unit", refused)
    rows, _ = store.neighbor_index(info.id).query(3, 12, "euclidean")
    assert set(rows.tolist()) == brute(vectors, 3, 12, "euclidean")
    assert not (folder / UNIT_FILE).exists()


def test_the_cache_evicts_by_bytes(tmp_path: Path) -> None:
    sizes = {"a": 16, "b": 16, "c": 16, "tiny": 1}  # 1000 rows each: 72 000 bytes held at d = 16, 12 000 at 1
    # Two indexes of d = 16 and the tiny one fit; three of d = 16 do not.
    store = DatasetStore(tmp_path / "datasets", neighbor_cache_bytes=160_000)
    ids = {name: store.create(name, mixture(1000, d, i), None).id for i, (name, d) in enumerate(sizes.items())}
    first = {name: store.neighbor_index(ids[name]) for name in ("a", "b", "c")}
    assert [first[n].memory_bytes for n in "abc"] == [72_008] * 3  # unit rows, float32 norms and squares
    assert store.neighbor_index(ids["b"]) is first["b"] and store.neighbor_index(ids["c"]) is first["c"]
    again = store.neighbor_index(ids["a"])  # a went out when c came in
    assert again is not first["a"]
    assert store.neighbor_index(ids["c"]) is first["c"]  # a's return pushed out b, the least recently used
    assert store.neighbor_index(ids["b"]) is not first["b"]
    # Bytes, not a count: the tiny index joins two big ones without pushing either out.
    kept = {name: store.neighbor_index(ids[name]) for name in ("b", "c")}
    tiny = store.neighbor_index(ids["tiny"])
    assert store.neighbor_index(ids["b"]) is kept["b"] and store.neighbor_index(ids["c"]) is kept["c"]
    assert store.neighbor_index(ids["tiny"]) is tiny


def test_a_zero_budget_keeps_nothing_and_still_answers(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "datasets", neighbor_cache_bytes=0)
    vectors = mixture(300, 5, 6)
    info = store.create("Zero", vectors, None)
    index = store.neighbor_index(info.id)
    assert store.neighbor_index(info.id) is not index
    assert set(index.query(1, 9, "cosine")[0].tolist()) == brute(vectors, 1, 9, "cosine")


def rss_anon(pid: str = "self") -> int:
    """The process's anonymous resident memory in bytes (what a private copy would add)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon in /proc/self/status")


def test_the_index_holds_no_private_copy(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "datasets")
    vectors = np.random.default_rng(7).normal(size=(40_000, 128)).astype(np.float32)  # 20 MB
    info = store.create("Mapped", vectors, None)
    del vectors
    before = rss_anon()
    index = store.neighbor_index(info.id)
    for row in range(0, 40_000, 4000):
        index.query(row, 100, "cosine")
    grown = rss_anon() - before
    print(f"RssAnon grew {grown / 1e6:.1f} MB for a 20.5 MB matrix")
    assert grown < 5e6  # the unit rows are the mapped file; only norms (0.5 MB) are private


def test_save_unit_writes_in_blocks_any_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("embedding_projector.datasets.unit_file.unit_block_rows", lambda d: 1000)
    vectors = mixture(70_001, 3, 8)  # 71 blocks of rows, the last one row
    save_unit(tmp_path / "u.npy", tmp_path / "n.npy", vectors)
    unit, norms = unit_rows(vectors)
    assert np.array_equal(np.load(tmp_path / "u.npy"), unit) and np.array_equal(np.load(tmp_path / "n.npy"), norms)
    index = NeighborIndex(vectors, unit=np.load(tmp_path / "u.npy", mmap_mode="r"), norms=norms, block_rows=999)
    assert set(index.query(11, 5, "euclidean")[0].tolist()) == brute(vectors, 11, 5, "euclidean")
