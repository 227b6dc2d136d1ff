"""HDBSCAN through the sparse k-NN graph (analysis/hdbscan_fit.py) against scikit-learn's exact tree,
and the cluster names (analysis/cluster_labels.py)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.cluster import HDBSCAN
from sklearn.metrics import adjusted_rand_score

from embedding_projector.analysis import clusters, hdbscan_fit
from embedding_projector.analysis.cluster_labels import cluster_names, ctfidf_terms, is_multi_word


def exact(points: np.ndarray, min_cluster_size: int, min_samples: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, copy=True).fit_predict(points)


def test_graph_hdbscan_matches_the_exact_tree() -> None:
    rng = np.random.default_rng(0)
    centres = rng.uniform(-20, 20, size=(6, 2))
    truth = np.arange(3000) % 6
    points = centres[truth] + rng.normal(0, 1.0, size=(3000, 2))
    points = np.vstack([points, rng.uniform(-25, 25, size=(150, 2))])  # background noise
    for min_samples in (1, 5, 10):
        ours = hdbscan_fit.layout_labels(points, 40, min_samples)
        same = adjusted_rand_score(exact(points, 40, min_samples), ours)
        print(f"min_samples {min_samples}: ARI vs sklearn's exact HDBSCAN {same:.4f}")
        assert same >= 0.99


def test_far_apart_groups_and_duplicates() -> None:
    # Groups smaller than k leave the k-NN graph in pieces; the chained components still split cleanly.
    rng = np.random.default_rng(1)
    truth = np.repeat(np.arange(4), 12)
    points = np.array([[0, 0], [100, 0], [0, 100], [100, 100]])[truth] + rng.normal(0, 0.5, size=(48, 2))
    points[:6] = points[0]  # exact duplicates (distance 0) keep their edges
    ours = hdbscan_fit.layout_labels(points, 5, 3)
    ari = adjusted_rand_score(truth, ours)
    print(f"4 groups of 12, k-NN graph in pieces: ARI {ari:.4f}")
    assert ari == 1.0


def test_names_by_ctfidf_and_by_medoid() -> None:
    labels = np.array([0] * 6 + [1] * 6 + [-1] * 2)
    texts = ["the red apple pie", "apple and red tart", "red apple", "apple crumble recipe", "apple jam", "apple cake",
             "blue sky above", "sky at night", "a clear sky", "sky blue colour", "sky line", "grey sky", "apple sky", ""]
    assert is_multi_word(texts)
    terms = ctfidf_terms(texts, labels, 2)
    print("c-TF-IDF:", terms)
    assert terms[0][0] == "apple" and terms[1][0] == "sky"
    assert "the" not in terms[0]  # stop words dropped

    layout = np.array([[float(i), 0.0] for i in range(14)])
    words = [f"w{i}" for i in range(14)]
    assert not is_multi_word(words)
    names, medoids, how = cluster_names(words, labels, layout, 2)
    assert how == "medoids" and medoids == [2, 8]  # the middle of 0..5 (2 or 3) and of 6..11 (8 or 9)
    assert names[0].split(", ")[0] == "w2" and set(names[0].split(", ")) <= {f"w{i}" for i in range(6)}
    # a repeated name gets its id; "noise" is never a cluster's name
    assert cluster_names(None, labels, layout, 2)[0] == ["cluster 0", "cluster 1"]
    same, _, _ = cluster_names(["noise"] * 14, labels, layout, 2)
    assert same == ["noise, noise, noise", "noise, noise, noise (1)"]


def test_vectors_are_capped_with_a_clear_message() -> None:
    params = clusters.Params(layout="f" * 32, space="vectors")
    assert clusters.check_fits(params, clusters.MAX_VECTOR_ROWS) is None
    problem = clusters.check_fits(params, 400_000)
    assert problem is not None and "'space'" in problem and "400,000" in problem
    assert clusters.check_fits(clusters.Params(layout="f" * 32), 400_000) is None  # the layout: no cap
