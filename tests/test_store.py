"""DatasetStore: the only writer of dataset folders; all or nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedding_projector.datasets.parse_metadata import Column, Metadata
from embedding_projector.datasets.store import DatasetStore, validate_name
from embedding_projector.errors import InputError, NotFound


def test_create_list_get_delete(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "datasets")
    vectors = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    meta = Metadata([Column("word", "text", list("abcdef")), Column("x", "numeric", [1, 2, None, 4, 5, 6])], 6)
    info = store.create("Tiny", vectors, meta)
    assert info.id.startswith("tiny-") and (info.n, info.dim) == (6, 3)
    assert info.columns[1].min == 1 and info.columns[1].max == 6 and info.columns[1].distinct == 5
    assert [d.id for d in store.list()] == [info.id]
    assert np.array_equal(store.vectors(info.id), vectors)
    fresh = DatasetStore(tmp_path / "datasets")  # what a restarted server sees
    assert fresh.get(info.id) == info
    store.delete(info.id)
    assert store.list() == [] and not (tmp_path / "datasets" / info.id).exists()
    with pytest.raises(NotFound):
        store.get(info.id)


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DatasetStore(tmp_path / "datasets")

    def broken_save(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("embedding_projector.datasets.store.save_float32", broken_save)
    with pytest.raises(OSError):
        store.create("Broken", np.zeros((2, 2), np.float32), None)
    assert list((tmp_path / "datasets").iterdir()) == []
    assert list(store.staging.iterdir()) == []


def test_row_count_mismatch_is_refused(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "datasets")
    meta = Metadata([Column("label", "text", ["a"])], 1)
    with pytest.raises(InputError, match="1 data rows but the vectors have 2 rows"):
        store.create("x", np.zeros((2, 2), np.float32), meta, metadata_file="m.tsv")
    assert store.list() == []


@pytest.mark.parametrize("name", ["", "  ", "../x", "a/b", "a\\b", ".hidden", "x" * 101, "tab\there"])
def test_bad_names(name: str) -> None:
    with pytest.raises(InputError):
        validate_name(name)


def test_hostile_ids_are_not_found(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "datasets")
    for dataset_id in ("..", "../etc", "/etc/passwd", "A B"):
        with pytest.raises(NotFound):
            store.get(dataset_id)


def test_sprite_is_kept_with_the_dataset(tmp_path: Path) -> None:
    from embedding_projector.datasets.parse_sprite import parse_sprite
    from tests.test_parse_sprite import image_bytes

    store = DatasetStore(tmp_path / "datasets")
    jpeg = image_bytes(20, 10, "JPEG")
    sheet = parse_sprite(jpeg, "s.jpg", rows=2, cell=(10, 10), max_pixels=1000)
    info = store.create("Pics", np.zeros((2, 2), np.float32), None, sprite=(jpeg, sheet),
                        origin="file:/x", origin_digest="abc")
    assert info.sprite is not None and info.sprite.url == f"/api/datasets/{info.id}/sprite"
    path, media_type = store.sprite_file(info.id)
    assert (path.name, media_type, path.read_bytes()) == ("sprite.jpg", "image/jpeg", jpeg)
    assert DatasetStore(tmp_path / "datasets").get(info.id).sprite == info.sprite  # survives a restart
    assert store.find_origin("file:/x", "abc") == info
    assert store.find_origin("file:/x", "other") is None
    plain = store.create("Plain", np.zeros((2, 2), np.float32), None)
    with pytest.raises(NotFound):
        store.sprite_file(plain.id)


def test_failed_sprite_copy_leaves_nothing(tmp_path: Path) -> None:
    from embedding_projector.datasets.parse_sprite import SpriteSheet

    store = DatasetStore(tmp_path / "datasets")
    sheet = SpriteSheet("png", 10, 10, 10, 10, 1)
    with pytest.raises(FileNotFoundError):
        store.create("Gone", np.zeros((1, 2), np.float32), None, sprite=(tmp_path / "vanished.png", sheet))
    assert list((tmp_path / "datasets").iterdir()) == [] and list(store.staging.iterdir()) == []


def test_a_second_writer_leaves_the_staging_area_alone(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "datasets")
    store.staging.mkdir(parents=True, exist_ok=True)
    (store.staging / "upload-in-progress").write_bytes(b"1\t2\n")
    DatasetStore(tmp_path / "datasets", clean_staging=False)
    assert (store.staging / "upload-in-progress").exists()
