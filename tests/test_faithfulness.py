"""The faithfulness analysis in-process: recall@k per point, trustworthiness and continuity, on hand-made layouts."""

from __future__ import annotations

import numpy as np
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

from embedding_projector.analysis import faithfulness
from embedding_projector.analysis.graph_cache import Graph
from embedding_projector.analysis.rank_scores import trust_and_continuity, tree_neighbors
from embedding_projector.projections.progress import Progress


def graph_of(vectors: np.ndarray, k: int, metric: str = "euclidean") -> Graph:
    """The exact k-NN graph (sklearn brute force), as the cache would hand it over."""
    found = NearestNeighbors(n_neighbors=k + 1, algorithm="brute", metric=metric).fit(vectors).kneighbors(vectors)[1]
    return Graph("graph-job", found[:, 1:].astype(np.int32), np.zeros((len(vectors), k), np.float32))


def check(vectors: np.ndarray, layout: np.ndarray, k: int = 10, metric: str = "euclidean", **params):
    p = faithfulness.Params(layout="layout-job", k=k, metric=metric, **params)
    return faithfulness.run(vectors, p, Progress(), graph=graph_of(vectors, k, metric), layout=layout)


def points(n: int, d: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-10, 10, size=(n, d))


def test_a_layout_equal_to_the_data_is_faithful_everywhere() -> None:
    data = points(400)
    result = check(data, data.astype(np.float32))
    recall, extras = result.arrays["recall"], result.extras
    print(f"identity: mean recall@10 {extras['mean_recall']:.4f} trust {extras['trustworthiness']:.4f} "
          f"continuity {extras['continuity']:.4f}")
    assert recall.dtype == np.float32 and recall.shape == (400,)
    assert (recall == 1.0).all() and extras["mean_recall"] == 1.0
    assert extras["trustworthiness"] == 1.0 and extras["continuity"] == 1.0 and extras["sample"] == 400
    assert extras["graph"] == "graph-job" and extras["k"] == 10 and len(extras["least_faithful"]) == 100


def test_two_swapped_points_drop_exactly_their_neighbourhoods() -> None:
    data = points(500, seed=3)
    a, b = int(np.argmin(data[:, 0])), int(np.argmax(data[:, 0]))  # far apart
    layout = data.copy()
    layout[[a, b]] = layout[[b, a]]
    k = 8
    result = check(data, layout, k=k)
    recall = result.arrays["recall"]
    near = graph_of(data, k).neighbors
    # a, b, and every point that had a or b among its k nearest (b now sits where a was, and a is far away)
    expected = {a, b} | {int(i) for i in np.nonzero(np.isin(near, [a, b]).any(axis=1))[0]}
    dropped = set(np.nonzero(recall < 1.0)[0].tolist())
    extras = result.extras
    print(f"swap: {len(dropped)} points lost neighbours (expected {len(expected)}); mean recall@{k} "
          f"{extras['mean_recall']:.4f} trust {extras['trustworthiness']:.4f} continuity {extras['continuity']:.4f}")
    assert dropped == expected
    assert recall[a] == 0.0 and recall[b] == 0.0  # each sits among the other's strangers
    assert set(extras["least_faithful"][:2]) == {a, b}
    assert extras["trustworthiness"] < 1.0 and extras["continuity"] < 1.0


def test_scores_match_sklearn_and_the_axes_on_screen_are_the_ones_checked() -> None:
    rng = np.random.default_rng(1)
    data = np.column_stack([rng.normal(scale=5, size=(600, 2)), rng.normal(scale=0.3, size=(600, 6))])  # nearly flat
    layout = np.column_stack([data[:, :2], rng.normal(size=(600, 2))])
    blurred = data[:, :2] + rng.normal(scale=3, size=(600, 2))  # scores well away from 1
    for k in (5, 30):
        mine = trust_and_continuity(data, blurred, k)
        theirs = (trustworthiness(data, blurred, n_neighbors=k), trustworthiness(blurred, data, n_neighbors=k))
        print(f"k={k}: trustworthiness {mine[0]:.4f} (sklearn {theirs[0]:.4f}), continuity {mine[1]:.4f} ({theirs[1]:.4f})")
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    # the first two columns keep the data's neighbours far better than the two noise columns
    kept = check(data, layout.astype(np.float32), axes=[0, 1]).extras
    noise = check(data, layout.astype(np.float32), axes=[2, 3]).extras
    print(f"axes 0,1: recall {kept['mean_recall']:.3f}; axes 2,3: recall {noise['mean_recall']:.3f}")
    assert kept["mean_recall"] > 0.5 > 0.1 > noise["mean_recall"] and kept["trustworthiness"] > noise["trustworthiness"]


def test_cosine_ranks_use_the_angle_and_duplicates_never_count_a_point_as_its_own_neighbour() -> None:
    data = points(300, d=5, seed=4) + 20.0
    # scaling a row changes euclidean distances but not cosine ones: a faithful cosine "layout" is the unit sphere's
    scaled = data * np.random.default_rng(5).uniform(0.5, 2.0, size=(300, 1))
    result = check(scaled, (data / np.linalg.norm(data, axis=1, keepdims=True))[:, :3].astype(np.float32), metric="cosine")
    assert result.extras["metric"] == "cosine" and result.extras["mean_recall"] > 0.3
    stacked = np.repeat(points(50, seed=6), 3, axis=0)  # every point three times
    found = tree_neighbors(stacked, 4)
    assert (found != np.arange(150)[:, None]).all()
