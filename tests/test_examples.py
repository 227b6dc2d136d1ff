"""The bundled examples: Digits (with images) from scikit-learn, imported once with its sprite sheet."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from embedding_projector.datasets import examples
from embedding_projector.datasets.store import DatasetStore


def test_digits_example_has_images_and_a_digit_legend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(examples, "glove_files", lambda: None)  # the GloVe part is not under test
    store = DatasetStore(tmp_path / "datasets")
    assert examples.ensure_examples(store) == ["digits"]
    info = store.get("digits")
    assert (info.name, info.n, info.dim, info.source) == ("Digits (with images)", 1797, 64, "example")
    assert [(c.name, c.type, c.distinct) for c in info.columns] == [("digit", "text", 10)]
    sprite = info.sprite
    assert sprite is not None and sprite.url == "/api/datasets/digits/sprite"
    assert sprite.per_row * ((sprite.height // sprite.cell_height)) >= 1797
    assert sprite.width == sprite.per_row * sprite.cell_width

    path, media_type = store.sprite_file("digits")
    assert media_type == "image/png" and path.name == "sprite.png"
    image = Image.open(io.BytesIO(path.read_bytes()))
    assert image.size == (sprite.width, sprite.height)
    # Row 10 is a 0 (load_digits starts 0..9, 0..9): its cell has dark ink on a white margin.
    values = json.loads(store.metadata_path("digits").read_text())["columns"][0]["values"]
    assert values[:11] == [str(d) for d in range(10)] + ["0"]
    x, y = (10 % sprite.per_row) * sprite.cell_width, (10 // sprite.per_row) * sprite.cell_height
    cell = np.asarray(image.convert("L").crop((x, y, x + sprite.cell_width, y + sprite.cell_height)))
    assert cell.min() < 64 and cell[0].min() == 255

    assert examples.ensure_examples(store) == []  # once only
    assert [d.id for d in store.list()] == ["digits"]
