"""Small generated datasets for the tests: clustered vectors, words and TSV bytes."""

from __future__ import annotations

import numpy as np

CATEGORIES = ["fruit", "animal", "tool", "colour"]


def clustered(n: int = 300, dim: int = 16, clusters: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters: float32 vectors (n, dim) and each row's cluster index."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, size=(clusters, dim))
    labels = np.arange(n) % clusters
    vectors = centres[labels] + rng.normal(0, 1, size=(n, dim))
    return vectors.astype(np.float32), labels


def overlapping(n: int = 600, dim: int = 20, classes: int = 4, spread: float = 0.4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian classes whose means lie close (std `spread`) next to unit noise: they overlap in the vectors."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, size=(classes, dim))
    labels = np.arange(n) % classes
    vectors = centres[labels] + rng.normal(0, 1, size=(n, dim))
    return vectors.astype(np.float32), labels


def words(n: int) -> list[str]:
    """n distinct words, with 'orange' at row 7 when n > 7."""
    out = [f"word{i}" for i in range(n)]
    if n > 7:
        out[7] = "orange"
    return out


def vectors_tsv(vectors: np.ndarray) -> bytes:
    """TensorBoard's vectors.tsv format."""
    return "".join("\t".join(f"{v:.6f}" for v in row) + "\n" for row in vectors).encode()


def metadata_tsv(rows: list[list[str]], header: list[str] | None) -> bytes:
    """TensorBoard's metadata.tsv format (a header row when there are several columns)."""
    lines = (["\t".join(header)] if header else []) + ["\t".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()
