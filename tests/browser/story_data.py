"""The user-story dataset for the browser tests, and a numpy oracle for nearest neighbours."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from tests.datagen import CATEGORIES, clustered, metadata_tsv, vectors_tsv, words

N, DIM = 300, 16
ORANGE = 7  # datagen.words puts "orange" here
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_BOLD = "<b>bold</b>"
XSS_ROWS = {11: XSS_IMG, 15: XSS_BOLD}  # same cluster as row 7 (rows cycle through 4 clusters)


@dataclass(frozen=True)
class StoryData:
    """Vectors as the server parses them, the metadata columns, and the bytes to upload."""

    vectors: np.ndarray
    words: list[str]
    categories: list[str]
    scores: list[float]
    vectors_tsv: bytes
    metadata_tsv: bytes


def story_data() -> StoryData:
    """300 points x 16 dims in 4 gaussian clusters; words (with "orange" and markup), category, score."""
    vectors, labels = clustered(N, DIM, clusters=4, seed=0)
    names = words(N)
    for row, text in XSS_ROWS.items():
        names[row] = text
    categories = [CATEGORIES[c] for c in labels]
    scores = [round((i * 37 % 101) / 10, 1) for i in range(N)]
    vec_bytes = vectors_tsv(vectors)
    meta_bytes = metadata_tsv(
        [[names[i], categories[i], f"{scores[i]:.1f}"] for i in range(N)], ["word", "category", "score"]
    )
    parsed = np.loadtxt(io.BytesIO(vec_bytes), delimiter="\t", dtype=np.float32)
    return StoryData(parsed, names, categories, scores, vec_bytes, meta_bytes)


def oracle_distances(vectors: np.ndarray, row: int, metric: str) -> np.ndarray:
    """Distance from `row` to every row (float64); the row itself gets +inf."""
    x = vectors.astype(np.float64)
    if metric == "cosine":
        unit = x / np.linalg.norm(x, axis=1, keepdims=True)
        d = 1.0 - unit @ unit[row]
    else:
        d = np.linalg.norm(x - x[row], axis=1)
    d[row] = np.inf
    return d


def check_neighbors(shown: list[tuple[int, float]], vectors: np.ndarray, row: int, metric: str, k: int) -> None:
    """Assert the page's (row, distance) list is the exact k-NN, nearest first, ties in any order."""
    d = oracle_distances(vectors, row, metric)
    expected = np.sort(d)[: min(k, len(d) - 1)]
    assert len(shown) == len(expected), f"{len(shown)} neighbours shown, expected {len(expected)}"
    rows = [r for r, _ in shown]
    assert row not in rows, "the selected row is listed as its own neighbour"
    assert len(set(rows)) == len(rows), "a neighbour is listed twice"
    for i, (r, distance) in enumerate(shown):
        # The i-th listed row must have the i-th smallest true distance (a tie may swap rows) ...
        assert abs(d[r] - expected[i]) <= 1e-5, f"position {i}: row {r} at {d[r]:.6f}, expected {expected[i]:.6f}"
        # ... and the page must show that distance to its 3 decimals.
        assert abs(distance - d[r]) <= 1e-3, f"row {r}: page shows {distance}, oracle {d[r]:.6f}"
