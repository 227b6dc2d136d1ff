"""t-SNE in locality order (tsne_locality.py): the rows permuted by reverse Cuthill-McKee of the
affinities give the same problem, the same gradient and the same layout, back in data order."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.manifold import trustworthiness
from openTSNE import TSNE, _tsne

from embedding_projector.projections import tsne, tsne_locality
from embedding_projector.projections.progress import Progress
from tests.datagen import clustered
from tests.test_tsne import knn_accuracy


@pytest.fixture(scope="module")
def shuffled() -> tuple[np.ndarray, np.ndarray]:
    """Clustered rows in random order: each row's neighbours are scattered over the matrix."""
    vectors, labels = clustered(n=1200, dim=20, clusters=6, seed=4)
    order = np.random.default_rng(4).permutation(len(vectors))
    return vectors[order], labels[order]


def prepared(vectors: np.ndarray):
    return TSNE(random_state=0, n_jobs=1, neighbors="exact", negative_gradient_method="bh").prepare_initial(vectors)


def positive_gradient(P, embedding: np.ndarray) -> np.ndarray:
    gradient = np.zeros_like(embedding)
    _tsne.estimate_positive_gradient_nn(P.indices, P.indptr, P.data, embedding, embedding, gradient, 1,
                                        num_threads=1, should_eval_error=False)
    return gradient


def mean_offset(P) -> float:
    """How far from the diagonal the affinities lie: the mean |i - j| over the non-zeros."""
    coo = P.tocoo()
    return float(np.abs(coo.row - coo.col).mean())


def test_the_permuted_problem_is_the_same_with_its_neighbours_near_the_diagonal(shuffled) -> None:
    vectors, _ = shuffled
    embedding = prepared(vectors)
    before_P = embedding.affinities.P.tocsr().copy()
    before = np.array(embedding, dtype=np.float64) * 1e3  # spread out, so the gradient is not ~0
    embedding[:] = before
    order = tsne_locality.reorder(embedding, min_rows=0)
    assert order is not None and sorted(order.order.tolist()) == list(range(len(vectors)))
    after_P = embedding.affinities.P
    np.testing.assert_array_equal(after_P.toarray(), before_P.toarray()[np.ix_(order.order, order.order)])
    np.testing.assert_array_equal(np.asarray(embedding), before[order.order])
    np.testing.assert_array_equal(order.to_data(embedding), before)
    np.testing.assert_allclose(order.to_data(positive_gradient(after_P, np.asarray(embedding))),
                               positive_gradient(before_P, before), rtol=1e-10, atol=1e-300)
    print(f"mean |i - j| of the affinities: data order {mean_offset(before_P):.0f}, RCM {mean_offset(after_P):.0f}")
    assert mean_offset(after_P) * 5 < mean_offset(before_P)


def test_below_the_threshold_the_rows_keep_their_order(shuffled) -> None:
    embedding = prepared(shuffled[0])
    before = np.array(embedding)
    assert tsne_locality.reorder(embedding, min_rows=len(before) + 1) is None
    np.testing.assert_array_equal(np.asarray(embedding), before)


def runs(vectors: np.ndarray, iterations: int, monkeypatch, fft: bool) -> tuple:
    """The same t-SNE in data order and in locality order, with the latter's snapshots."""
    params = tsne.Params(iterations=iterations, seed=0)
    monkeypatch.setattr(tsne, "FFT_MIN_N", 0 if fft else 10**9)
    plain = tsne.run(vectors, params, Progress(lambda *_: None), n_jobs=1)
    snapshots: list[np.ndarray] = []
    with monkeypatch.context() as patch:
        patch.setattr(tsne_locality, "LOCALITY_MIN_N", 0)
        patch.setattr(tsne, "REPORT_INTERVAL", 0.0)
        reordered = tsne.run(vectors, params, Progress(lambda _f, _i, c: c is None or snapshots.append(c.copy())),
                             n_jobs=1)
    return plain, reordered, snapshots


def test_with_fft_a_run_in_locality_order_is_the_run_in_data_order(shuffled, monkeypatch) -> None:
    """The FFT gradient (every 2-D run from 20k rows, so every reordered one) does not depend on the order."""
    vectors, _ = shuffled
    plain, reordered, snapshots = runs(vectors, 100, monkeypatch, fft=True)
    assert reordered.extras["row_order"] == "reverse Cuthill-McKee" and "row_order" not in plain.extras
    scale = np.abs(plain.coords).max()
    difference = np.abs(reordered.coords - plain.coords).max()
    print(f"largest difference {difference:.2e} of coordinates up to {scale:.2f}")
    assert difference <= 1e-6 * scale
    # Snapshots are in data order too: the last before the end is the result, one step earlier.
    assert np.abs(snapshots[-2] - reordered.coords).max() < 0.1 * scale


def test_with_barnes_hut_a_run_in_locality_order_is_as_faithful(shuffled, monkeypatch) -> None:
    """openTSNE's Barnes-Hut tree depends on the row order (3-D runs use it), so the pictures differ a little
    and are compared by quality."""
    vectors, labels = shuffled
    plain, reordered, _ = runs(vectors, 500, monkeypatch, fft=False)
    trust = [trustworthiness(vectors, r.coords, n_neighbors=10) for r in (plain, reordered)]
    accuracy = [knn_accuracy(r.coords, labels) for r in (plain, reordered)]
    print(f"trustworthiness {trust[0]:.4f} / {trust[1]:.4f}, k-NN accuracy {accuracy[0]:.3f} / {accuracy[1]:.3f}")
    assert abs(trust[1] - trust[0]) < 0.01 and accuracy[1] >= 0.95
