"""Supervision helpers: label columns as classes, and TensorBoard's label prior on t-SNE affinities."""

from __future__ import annotations

import numpy as np
import pydantic
import pytest
import scipy.sparse as sp

from embedding_projector.projections import tsne, umap_
from embedding_projector.projections.supervision import (
    UNLABELLED,
    label_codes,
    labels_problem,
    supervised_affinities,
)


def test_label_codes_number_classes_and_mark_empty_cells_unlabelled() -> None:
    codes = label_codes(["cat", "", "dog", "cat", None, "  ", 3.0, "3", 2.5])
    assert codes.tolist() == [0, UNLABELLED, 1, 0, UNLABELLED, UNLABELLED, 2, 2, 3]
    assert codes.dtype == np.int64
    assert labels_problem("tag", ["", None]) == "supervise_column 'tag' has no labels: every cell is empty"
    assert labels_problem("tag", ["", "a"]) is None


def _toy_affinities() -> tuple[sp.csr_matrix, np.ndarray]:
    # Six points in a ring, each with affinity to both ring neighbours; labels a a b b ? ?
    n = 6
    rows = np.r_[np.arange(n), np.arange(n)]
    cols = np.r_[(np.arange(n) + 1) % n, (np.arange(n) - 1) % n]
    P = sp.csr_matrix((np.full(2 * n, 1 / (2 * n)), (rows, cols)), shape=(n, n))
    return P, label_codes(["a", "a", "b", "b", "", ""])


def test_prior_favours_agreeing_pairs_and_keeps_a_distribution() -> None:
    P, codes = _toy_affinities()
    weighted = supervised_affinities(P, codes, factor=0.5)
    assert weighted.shape == P.shape and weighted.nnz == P.nnz
    assert np.isclose(weighted.sum(), 1.0)
    assert abs(weighted - weighted.T).max() < 1e-15  # symmetric, as openTSNE expects
    same, differ, unknown = weighted[0, 1], weighted[1, 2], weighted[4, 5]
    print(f"same {same:.3g}, different {differ:.3g}, unlabelled {unknown:.3g}")
    assert same > unknown > differ > 0


def test_factor_zero_changes_nothing_and_factor_one_cuts_disagreeing_pairs() -> None:
    P, codes = _toy_affinities()
    assert abs(supervised_affinities(P, codes, 0.0) - P / P.sum()).max() < 1e-12
    cut = supervised_affinities(P, codes, 1.0)
    assert cut[1, 2] < 1e-5 * cut[0, 1]


@pytest.mark.parametrize(
    ("module", "weight"), [(umap_, "target_weight"), (tsne, "supervise_factor")]
)
def test_params_name_the_column_and_bound_the_weight(module, weight: str) -> None:
    assert module.column_read(module.Params()) is None
    params = module.Params(supervise_column="category", **{weight: 1.0})
    assert module.column_read(params) == "category"
    assert getattr(module.Params(), weight) == 0.5
    for bad in ({weight: 1.5}, {weight: -0.1}, {"supervise_column": ""}):
        with pytest.raises(pydantic.ValidationError) as err:
            module.Params(**bad)
        assert next(iter(bad)) in str(err.value)
