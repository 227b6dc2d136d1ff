"""Bookmark files built to TensorBoard's schema: every field of `State` in vz_projector/data.ts."""

from __future__ import annotations

import json

import numpy as np


def tb_state(
    label: str,
    coords: np.ndarray,
    projection: str,
    *,
    filtered: list[int] | None = None,
    selected: list[int] | None = None,
    color: str = "",
    label_by: str = "",
    components: list[int] | None = None,
    dim: int = 6,
    camera: dict | None = None,
) -> dict:
    """One State as TensorBoard's projector writes it (getCurrentState + populateBookmarkFromUI)."""
    n, d = coords.shape
    if projection == "pca":
        comps = components or list(range(d))
        keys = [f"pca-{c}" for c in comps]
    elif projection == "custom":
        keys = ["linear-x", "linear-y"]
    else:
        keys = [f"{projection}-{i}" for i in range(d)]
    # TensorBoard keeps every projection computed so far on each point: add a stale other one.
    points = [{**dict(zip(keys, map(float, row))), "pca-9": 0.5} if projection != "pca" else dict(zip(keys, map(float, row)))
              for row in coords.astype(np.float64)]
    return {
        "label": label,
        "isSelected": False,
        "selectedProjection": projection,
        "dataSetDimensions": [n, dim],
        "tSNEIteration": 120 if projection == "tsne" else 0,
        "tSNEPerplexity": 18,
        "tSNELearningRate": 10,
        "tSNEis3d": d == 3,
        "umapIs3d": d == 3,
        "umapNeighbors": 15,
        "umapMinDist": 0.1,
        "pcaComponentDimensions": components or [0, 1, 2][:d],
        "customSelectedSearchByMetadataOption": "word",
        "customXLeftText": "",
        "customXLeftRegex": False,
        "customXRightText": "",
        "customXRightRegex": False,
        "customYUpText": "",
        "customYUpRegex": False,
        "customYDownText": "",
        "customYDownRegex": False,
        "projections": points,
        "filteredPoints": filtered,
        "selectedPoints": selected or [],
        "cameraDef": camera or {"orthographic": d == 2, "position": [0.5, -0.25, 3.0], "target": [0.0, 0.1, 0.0], "zoom": 1.25},
        "selectedColorOptionName": color,
        "forceCategoricalColoring": False,
        "selectedLabelOption": label_by,
    }


def tb_file(n: int, seed: int = 4) -> tuple[bytes, list[dict]]:
    """A file of three states for a dataset of `n` rows: t-SNE 3D, UMAP 2D on a filter, PCA 2D."""
    rng = np.random.default_rng(seed)
    filtered = [int(i) for i in rng.permutation(n)[: n // 3]]
    states = [
        tb_state("tsne 3d", rng.normal(size=(n, 3)) * 7.1, "tsne", selected=[r for r in (4, 2) if r < n], color="cluster", label_by="word"),
        tb_state("umap on a filter", rng.normal(size=(len(filtered), 2)), "umap", filtered=filtered,
                 selected=[p for p in (0, 3) if p < len(filtered)],
                 color="no such column"),
        tb_state("pca 2d", rng.normal(size=(n, 2)) / 3, "pca", components=[0, 1]),
    ]
    return json.dumps(states).encode(), states
