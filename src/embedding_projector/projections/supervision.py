"""Supervised layouts: a metadata column's labels as integer classes, and TensorBoard's t-SNE prior.

A label column supervises UMAP (umap-learn's `y`, with -1 for unlabelled rows, its semi-supervised
convention) and t-SNE (TensorBoard's "Supervise with": label agreement reweights the affinities).
Every distinct non-empty value is a class, numbers included (3.0 and 3 are one class, as the page
shows them); an empty cell is unlabelled.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from embedding_projector.exports import cell_text

UNLABELLED = -1
MAX_COLUMN_CHARS = 200
# TensorBoard's bounds on a reweighted affinity (bh_tsne.ts): a pair of different labels keeps at
# least this much of its prior, a pair of the same label at most 1 minus this.
LEAST_PRIOR = 1e-7


def label_codes(values: list[Any]) -> np.ndarray:
    """Each row's class (int64, 0..k-1 in order of first appearance), UNLABELLED for empty cells."""
    classes: dict[str, int] = {}
    codes = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        text = cell_text(value).strip()
        codes[i] = UNLABELLED if not text else classes.setdefault(text, len(classes))
    return codes


def labels_problem(column: str, values: list[Any]) -> str | None:
    """Why `values` cannot supervise a layout (no labelled row at all), or None when they can."""
    if (label_codes(values) == UNLABELLED).all():
        return f"supervise_column {column!r} has no labels: every cell is empty"
    return None


def supervised_affinities(P: sp.spmatrix, codes: np.ndarray, factor: float) -> sp.csr_matrix:
    """TensorBoard's semi-supervised prior on the t-SNE affinities `P` (n x n, sparse), renormalised.

    As in TensorBoard's bh_tsne.ts, each neighbour pair (i, j) is weighted by a prior that depends
    on the labels and on i's class size:
    - either point unlabelled: 1/n;
    - different labels: max(1/n - factor / others_i, 1e-7), others_i the labelled rows not in i's class;
    - same label: min(1/n + factor / same_i, 1 - 1e-7), same_i the size of i's class.
    TensorBoard renormalises the weighted sum in the gradient; here P itself is renormalised (and
    symmetrised, as openTSNE expects), so openTSNE's optimiser and KL divergence work unchanged.
    With factor 1, pairs of different labels keep almost nothing of their affinity.
    """
    n = codes.size
    coo = sp.coo_matrix(P)
    rows, cols = coo.row, coo.col
    labelled = codes != UNLABELLED
    counts = np.bincount(codes[labelled], minlength=1) if labelled.any() else np.zeros(1, dtype=np.int64)
    total_labelled = int(labelled.sum())
    ci, cj = codes[rows], codes[cols]
    same_i = np.where(ci >= 0, counts[np.maximum(ci, 0)], 1).astype(np.float64)
    others_i = np.maximum(total_labelled - same_i, 1.0)
    weight = np.full(rows.size, 1.0 / n)
    known = (ci >= 0) & (cj >= 0)
    agree = known & (ci == cj)
    differ = known & (ci != cj)
    weight[agree] = np.minimum(1.0 / n + factor / same_i[agree], 1.0 - LEAST_PRIOR)
    weight[differ] = np.maximum(1.0 / n - factor / others_i[differ], LEAST_PRIOR)
    weighted = sp.csr_matrix((coo.data * weight, (rows, cols)), shape=P.shape)
    weighted = (weighted + weighted.T) / 2
    return (weighted / weighted.sum()).tocsr()
