"""Projector configs: projector_config.pbtxt and the JSON config, paths kept inside their folder,
and imports of them through the store (once per unchanged files)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from embedding_projector.datasets.configs import (
    EmbeddingSpec,
    find_configs,
    parse_json_config,
    parse_pbtxt,
    resolve_path,
)
from embedding_projector.datasets.importer import display_name, files_digest, import_config, import_files, import_folder
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.errors import InputError
from tests.datagen import vectors_tsv
from tests.tensorboard_states import tb_file
from tests.test_parse_sprite import image_bytes

LIMIT = 8192 * 8192

# As tensorboardX / torch.utils.tensorboard's add_embedding writes it (one block per call).
TORCH_PBTXT = """embeddings {
  tensor_name: "default:00000"
  tensor_path: "00000/default/tensors.tsv"
  metadata_path: "00000/default/metadata.tsv"
  sprite {
    image_path: "00000/default/sprite.png"
    single_image_dim: 28
    single_image_dim: 28
  }
}
embeddings {
  tensor_name: "second:00010"
  tensor_path: "00010/second/tensors.tsv"
}
"""

# As TensorFlow's projector.visualize_embeddings writes it for a checkpoint variable.
TF_CHECKPOINT_PBTXT = """embeddings {
  tensor_name: "embedding/.ATTRIBUTES/VARIABLE_VALUE"
  metadata_path: "metadata.tsv"
}
model_checkpoint_path: "embedding.ckpt-1"
"""

# projector.tensorflow.org's standalone config (oss_demo_projector_config.json, shortened).
DEMO_JSON = {
    "embeddings": [
        {
            "tensorName": "Word2Vec 10K",
            "tensorShape": [10000, 200],
            "tensorPath": "oss_data/word2vec_10000_200d_tensors.bytes",
            "metadataPath": "oss_data/word2vec_10000_200d_labels.tsv",
        },
        {
            "tensorName": "Mnist with images 10K",
            "tensorShape": [10000, 784],
            "tensorPath": "oss_data/mnist_10k_784d_tensors.bytes",
            "metadataPath": "oss_data/mnist_10k_784d_labels.tsv",
            "sprite": {"imagePath": "oss_data/mnist_10k_sprite.png", "singleImageDim": [28, 28]},
            "bookmarksPath": "oss_data/mnist_bookmarks.json",
        },
    ],
    "modelCheckpointPath": "Demo datasets",
}


def test_pbtxt_as_pytorch_writes_it() -> None:
    first, second = parse_pbtxt(TORCH_PBTXT)
    assert first == EmbeddingSpec(
        tensor_name="default:00000",
        tensor_path="00000/default/tensors.tsv",
        metadata_path="00000/default/metadata.tsv",
        sprite_path="00000/default/sprite.png",
        sprite_dim=(28, 28),
    )
    assert (second.tensor_name, second.tensor_path, second.sprite_path) == (
        "second:00010", "00010/second/tensors.tsv", None)


def test_pbtxt_checkpoint_config_and_unknown_fields() -> None:
    (spec,) = parse_pbtxt(TF_CHECKPOINT_PBTXT)
    assert spec.tensor_name == "embedding/.ATTRIBUTES/VARIABLE_VALUE" and spec.tensor_path is None


def test_pbtxt_syntax_variants() -> None:
    text = r"""
    # comments anywhere
    model_checkpoint_dir: 'ckpt'   # unknown fields are skipped
    some_future_block { nested { deep: [1, 2, 3] flag: true } }
    [some.extension] { x: 1 }
    embeddings: <
      tensor_name: "tab\there \"quoted\" caf\303\251 \x41\u00e9" "+more";
      tensor_path: 'single.tsv',
      tensor_shape: [3, 2]
      sprite: { image_path: "s.png" single_image_dim: [8, 16] }
    >
    """
    (spec,) = parse_pbtxt(text)
    assert spec.tensor_name == 'tab\there "quoted" café Aé+more'
    assert spec.tensor_path == "single.tsv" and spec.tensor_shape == (3, 2)
    assert spec.sprite_path == "s.png" and spec.sprite_dim == (8, 16)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('# a\nembeddings {\n  tensor_name: "x"\n', 2, "never closed (missing '}')"),
        ('embeddings {\n  tensor_name "x"\n}', 2, "expected ':' or '{'"),
        ('embeddings {\n  tensor_name: "unterminated\n}', 2, "unexpected character"),
        ("embeddings {\n  tensor_name: \"a\\q\"\n}", 2, "unknown escape"),
        ("embeddings {\n  tensor_path: 12\n}", None, "tensor_path must be a quoted string"),
        ('embeddings {\n  sprite { single_image_dim: "big" }\n}', None, "whole numbers"),
        ("embeddings: 3", None, "not a { ... } block"),
    ],
)
def test_pbtxt_errors_name_the_file_and_line(text: str, line: int | None, words: str) -> None:
    with pytest.raises(InputError) as info:
        parse_pbtxt(text)
    print(info.value.message)
    assert info.value.file == "projector_config.pbtxt" and words in info.value.message
    if line is not None:
        assert info.value.line == line and f"line {line}" in info.value.message


def test_json_config_as_the_demo_writes_it() -> None:
    word2vec, mnist = parse_json_config(json.dumps(DEMO_JSON), "demo.json")
    assert word2vec.tensor_shape == (10000, 200) and word2vec.sprite_path is None
    assert mnist.sprite_path == "oss_data/mnist_10k_sprite.png" and mnist.sprite_dim == (28, 28)
    assert mnist.bookmarks_path == "oss_data/mnist_bookmarks.json"


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"embeddings": []}, "embeddings"),
        ({"embeddings": [{"tensorShape": "ten"}]}, "embeddings.0.tensorShape"),
        ({"embeddings": [{"sprite": {"singleImageDim": [28]}}]}, "embeddings.0.sprite.imagePath"),
        ([1, 2], "the file"),
    ],
)
def test_json_config_errors(config: object, words: str) -> None:
    with pytest.raises(InputError) as info:
        parse_json_config(json.dumps(config), "my.json")
    print(info.value.message)
    assert info.value.file == "my.json" and words in info.value.message
    with pytest.raises(InputError, match="my.json"):
        parse_json_config(b"{not json", "my.json")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A config folder with a file inside, a secret outside and symlinks to each."""
    inside = tmp_path / "logs"
    (inside / "sub").mkdir(parents=True)
    (inside / "sub" / "ok.tsv").write_text("1\t2\n")
    (tmp_path / "secret.tsv").write_text("3\t4\n")
    (inside / "out-link.tsv").symlink_to(tmp_path / "secret.tsv")
    (inside / "out-dir").symlink_to(tmp_path)
    (inside / "in-link.tsv").symlink_to(inside / "sub" / "ok.tsv")
    (inside / "projector_config.pbtxt").write_text("")
    return inside


def test_paths_inside_the_folder_resolve(folder: Path) -> None:
    config = folder / "projector_config.pbtxt"
    assert resolve_path(config, "sub/ok.tsv", "tensor_path") == folder / "sub" / "ok.tsv"
    assert resolve_path(config, "./sub/ok.tsv", "tensor_path") == folder / "sub" / "ok.tsv"
    assert resolve_path(config, "in-link.tsv", "tensor_path") == folder / "sub" / "ok.tsv"


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("../secret.tsv", "leads out of the config's folder ('..')"),
        ("sub/../../secret.tsv", "('..')"),
        ("sub\\..\\..\\secret.tsv", "('..')"),
        ("/etc/passwd", "absolute path"),
        ("C:\\data\\x.tsv", "absolute path"),
        ("out-link.tsv", "symbolic link"),
        ("out-dir/secret.tsv", "symbolic link"),
        ("https://example.com/v.tsv", "is a URL"),
        ("missing.tsv", "does not exist"),
        ("sub", "is not a file"),
    ],
)
def test_hostile_paths_are_refused_by_name(folder: Path, written: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        resolve_path(folder / "projector_config.pbtxt", written, "tensor_path")
    message = info.value.message
    print(message)
    assert info.value.file == "projector_config.pbtxt"
    assert repr(written) in message and "tensor_path" in message and words in message


def write_logdir(root: Path, n: int = 12, dim: int = 4) -> np.ndarray:
    """A TensorBoard-style log folder: two embeddings in one pbtxt, one with metadata and a sprite."""
    vectors = np.random.default_rng(0).normal(size=(n, dim)).astype(np.float32)
    (root / "00000" / "default").mkdir(parents=True)
    (root / "00000" / "default" / "tensors.tsv").write_bytes(vectors_tsv(vectors))
    (root / "00000" / "default" / "metadata.tsv").write_text("".join(f"w{i}\n" for i in range(n)))
    (root / "00000" / "default" / "sprite.png").write_bytes(image_bytes(28 * 4, 28 * 3))
    (root / "00010" / "second").mkdir(parents=True)
    (root / "00010" / "second" / "tensors.tsv").write_bytes(vectors_tsv(vectors[:5, :3]))
    (root / "projector_config.pbtxt").write_text(TORCH_PBTXT)
    return vectors


def test_import_a_logdir_once(tmp_path: Path) -> None:
    vectors = write_logdir(tmp_path / "logs")
    store = DatasetStore(tmp_path / "data" / "datasets")
    results, errors = import_folder(store, tmp_path / "logs", max_sprite_pixels=LIMIT)
    assert errors == [] and [r.existed for r in results] == [False, False]
    first, second = (r.info for r in results)
    assert (first.name, first.n, first.dim, second.n, second.dim) == ("default:00000", 12, 4, 5, 3)
    assert first.sprite is not None and (first.sprite.per_row, first.sprite.cell_width) == (4, 28)
    assert np.allclose(store.vectors(first.id), vectors, atol=1e-5)
    assert store.sprite_file(first.id)[0].read_bytes() == (tmp_path / "logs/00000/default/sprite.png").read_bytes()
    # Again, unchanged: nothing new. Then one file changes: only that embedding is imported again.
    again, _ = import_folder(store, tmp_path / "logs", max_sprite_pixels=LIMIT)
    assert [(r.existed, r.info.id) for r in again] == [(True, first.id), (True, second.id)]
    (tmp_path / "logs/00010/second/tensors.tsv").write_bytes(vectors_tsv(vectors[:6, :3]))
    changed, _ = import_folder(store, tmp_path / "logs", max_sprite_pixels=LIMIT)
    assert [r.existed for r in changed] == [True, False] and changed[1].info.n == 6
    assert len(store.list()) == 3


def test_a_big_file_is_recognised_by_its_size_time_and_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Files over FULL_HASH_BYTES are not hashed whole; an unchanged one is still found, a changed one is not.
    monkeypatch.setattr("embedding_projector.datasets.importer.FULL_HASH_BYTES", 1 << 10)
    monkeypatch.setattr("embedding_projector.datasets.importer.SAMPLE_BYTES", 64)
    path = tmp_path / "big.npy"
    np.save(path, np.arange(4000, dtype=np.float32).reshape(1000, 4))
    store = DatasetStore(tmp_path / "datasets")
    first = import_files(store, path)
    again = import_files(store, path)
    assert (first.existed, again.existed, again.info.id) == (False, True, first.info.id)
    stat = path.stat()
    before = files_digest(path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # the last sample's last byte
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the same size and time: a sample tells
    assert files_digest(path) != before
    path.write_bytes(bytes(data))  # rewritten whole: a new time
    changed = import_files(store, path)
    assert not changed.existed and changed.info.id != first.info.id


def test_a_big_file_imported_under_the_whole_file_digest_is_still_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A dataset made before big files were sampled carries the digest of the whole files.
    monkeypatch.setattr("embedding_projector.datasets.importer.FULL_HASH_BYTES", 1 << 10)
    path = tmp_path / "big.npy"
    np.save(path, np.arange(4000, dtype=np.float32).reshape(1000, 4))
    store = DatasetStore(tmp_path / "datasets")
    legacy = store.create("big", np.load(path), None, source="import", origin=f"file:{path.resolve()}",
                          origin_digest=files_digest("big", path, None, None, "None", "None", whole=True))
    again = import_files(store, path)
    assert (again.existed, again.info.id, len(store.list())) == (True, legacy.id, 1)


def test_import_json_with_bytes_tensor_and_shape_check(tmp_path: Path) -> None:
    vectors = np.arange(12, dtype="<f4").reshape(4, 3)
    (tmp_path / "t.bytes").write_bytes(vectors.tobytes())
    config = tmp_path / "config.json"
    entry = {"tensorName": "raw", "tensorShape": [4, 3], "tensorPath": "t.bytes", "bookmarksPath": "b.json"}
    config.write_text(json.dumps({"embeddings": [entry]}))
    (tmp_path / "b.json").write_bytes(tb_file(4)[0])
    store = DatasetStore(tmp_path / "data" / "datasets")
    (result,), errors = import_config(store, config, max_sprite_pixels=LIMIT, name="My raw")
    assert errors == [] and result.info.name == "My raw"
    assert result.info.bookmarks and store.tensorboard_bookmarks(result.info.id) == tb_file(4)[0]
    assert np.array_equal(store.vectors(result.info.id), vectors)

    entry.update(tensorShape=[4, 2], tensorName="wrong shape")
    config.write_text(json.dumps({"embeddings": [entry, {**entry, "tensorPath": "t.npy", "tensorName": "npy"}]}))
    np.save(tmp_path / "t.npy", vectors)
    results, errors = import_config(store, config, max_sprite_pixels=LIMIT)
    messages = [e.message for e in errors]
    print(messages)
    assert results == [] and len(errors) == 2
    assert "needs 32" in messages[0] and "tensorShape [4, 2], but t.npy holds 4×3" in messages[1]


def test_checkpoint_embedding_gets_the_plain_message(tmp_path: Path) -> None:
    (tmp_path / "projector_config.pbtxt").write_text(TF_CHECKPOINT_PBTXT)
    store = DatasetStore(tmp_path / "data" / "datasets")
    results, (error,) = import_folder(store, tmp_path, max_sprite_pixels=LIMIT)
    assert results == [] and store.list() == []
    assert "comes from a TensorFlow checkpoint, which this tool does not read" in error.message
    assert "export it to TSV or .npy (tensor_path)" in error.message


def test_bad_sprite_in_a_config_imports_nothing_for_it(tmp_path: Path) -> None:
    write_logdir(tmp_path / "logs")
    (tmp_path / "logs/00000/default/sprite.png").write_bytes(image_bytes(28 * 3, 28 * 3))  # 9 < 12 cells
    store = DatasetStore(tmp_path / "data" / "datasets")
    results, (error,) = import_folder(store, tmp_path / "logs", max_sprite_pixels=LIMIT)
    assert [r.info.name for r in results] == ["second:00010"]
    assert error.file == "00000/default/sprite.png" and "holds 9 images" in error.message


def test_find_configs_and_run_names(tmp_path: Path) -> None:
    write_logdir(tmp_path / "logs" / "run1")
    (tmp_path / "logs" / "notes.json").write_text('{"hello": 1}')
    (tmp_path / "logs" / ".hidden").mkdir()
    (tmp_path / "logs" / ".hidden" / "projector_config.pbtxt").write_text(TORCH_PBTXT)
    (tmp_path / "logs" / "demo").mkdir()
    (tmp_path / "logs" / "demo" / "cfg.json").write_text(json.dumps(DEMO_JSON))
    found = [p.relative_to(tmp_path / "logs").as_posix() for p in find_configs(tmp_path / "logs")]
    assert found == ["demo/cfg.json", "run1/projector_config.pbtxt"]
    store = DatasetStore(tmp_path / "data" / "datasets")
    results, errors = import_folder(store, tmp_path / "logs", max_sprite_pixels=LIMIT)
    assert [r.info.name for r in results] == ["default:00000 (run1)", "second:00010 (run1)"]
    assert len(errors) == 2 and all(e.file == "cfg.json" and "does not exist" in e.message for e in errors)
    with pytest.raises(InputError, match="holds no projector_config.pbtxt"):
        import_folder(store, tmp_path / "data", max_sprite_pixels=LIMIT)


@pytest.mark.parametrize(
    ("raw", "name"),
    [("word_embedding", "word_embedding"), ("embedding/.ATTRIBUTES/VARIABLE_VALUE", "embedding › .ATTRIBUTES › VARIABLE_VALUE"),
     ("../../etc", "› . › etc"), ("", "embedding")],
)
def test_display_names_are_valid_dataset_names(raw: str, name: str) -> None:
    assert display_name(raw) == name
