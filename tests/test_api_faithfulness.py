"""The faithfulness job over real HTTP: a PCA of 2-D data keeps every neighbour; a swapped given layout does not."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from tests.datagen import vectors_tsv
from tests.test_api_knn_graph import finished, read_array

N = 300
K = 10


@pytest.fixture(scope="module")
def flat(live_server) -> tuple[dict, np.ndarray, tuple[int, int]]:
    """2-D vectors, and a given layout (metadata x, y) equal to them but for two far-apart points swapped."""
    vectors = np.round(np.random.default_rng(21).uniform(-10, 10, size=(N, 2)), 3)
    a, b = int(np.argmin(vectors[:, 0])), int(np.argmax(vectors[:, 0]))
    given = vectors.copy()
    given[[a, b]] = given[[b, a]]
    meta = "label\tx\ty\n" + "".join(f"p{i}\t{x:.3f}\t{y:.3f}\n" for i, (x, y) in enumerate(given))
    with live_server.client() as c:
        r = c.post("/api/datasets", files={"vectors": ("flat.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta.encode())})
        assert r.status_code == 201, r.text
        return r.json(), vectors, (a, b)


def faithfulness(client, dataset: str, layout: str, **params) -> dict:
    return finished(client, dataset, {"method": "faithfulness", "params": {"layout": layout, "k": K, "metric": "euclidean", **params}})


def test_pca_of_2d_data_is_faithful_and_a_swap_drops_exactly_two_neighbourhoods(client, flat) -> None:
    info, vectors, (a, b) = flat
    pca = finished(client, info["id"], {"method": "pca", "params": {"components": 2}})
    status = faithfulness(client, info["id"], pca["id"])
    assert status["arrays"]["recall"] == {"dtype": "float32", "shape": [N]}
    recall = read_array(client, status["id"], "recall", "<f4")
    extras = status["extras"]
    print(f"PCA of 2-D data: mean recall@{K} {extras['mean_recall']:.4f}, trustworthiness "
          f"{extras['trustworthiness']:.4f}, continuity {extras['continuity']:.4f} ({extras['sample']}-point sample)")
    assert (recall == 1.0).all() and extras["mean_recall"] == 1.0
    assert extras["trustworthiness"] == pytest.approx(1.0) and extras["continuity"] == pytest.approx(1.0)
    # the graph it read is the cached knn_graph job; its first k columns come with the result, for the page
    graph = read_array(client, extras["graph"], "neighbors", "<i4")
    assert graph.shape[0] == N and graph.shape[1] >= K
    np.testing.assert_array_equal(read_array(client, status["id"], "neighbors", "<i4"), graph[:, :K])

    given = finished(client, info["id"], {"method": "given", "params": {"source": "x,y"}})
    swapped = faithfulness(client, info["id"], given["id"])
    recall = read_array(client, swapped["id"], "recall", "<f4")
    near = NearestNeighbors(n_neighbors=K + 1).fit(vectors).kneighbors(vectors)[1][:, 1:]
    expected = {a, b} | set(np.nonzero(np.isin(near, [a, b]).any(axis=1))[0].tolist())
    extras = swapped["extras"]
    print(f"swapped given layout: {int((recall < 1).sum())} points lost neighbours, mean recall@{K} "
          f"{extras['mean_recall']:.4f}, trustworthiness {extras['trustworthiness']:.4f}, continuity {extras['continuity']:.4f}")
    assert set(np.nonzero(recall < 1.0)[0].tolist()) == expected
    assert set(extras["least_faithful"][:2]) == {a, b} and extras["mean_recall"] < 1.0


def test_a_subset_layout_is_checked_on_its_rows_and_bad_requests_name_the_field(client, flat) -> None:
    info, vectors, _ = flat
    rows = list(range(0, N, 3))
    pca = finished(client, info["id"], {"method": "pca", "params": {"components": 2}, "rows": rows})
    status = faithfulness(client, info["id"], pca["id"])
    assert status["rows"] == len(rows) and status["arrays"]["recall"]["shape"] == [len(rows)]
    assert read_array(client, status["id"], "recall", "<f4").min() == 1.0
    assert max(status["extras"]["least_faithful"]) < len(rows)  # positions in the layout's rows
    # a Custom layout (one axis from two patterns over the labels) is checked like any other coordinates
    custom = finished(client, info["id"], {"method": "custom", "params": {"column": "label", "left": "p1", "right": "p2"}})
    checked = faithfulness(client, info["id"], custom["id"])
    recall = read_array(client, checked["id"], "recall", "<f4")
    print(f"custom layout: mean recall@{K} {checked['extras']['mean_recall']:.3f}")
    assert recall.shape == (N,) and 0.0 <= recall.min() and recall.max() <= 1.0 and checked["extras"]["mean_recall"] < 1.0
    url = f"/api/datasets/{info['id']}/projections"
    cases = [
        ({"method": "faithfulness", "params": {"layout": pca["id"]}, "rows": rows}, 400, "rows"),
        ({"method": "faithfulness", "params": {"layout": "nope"}}, 422, "'layout'"),
        ({"method": "faithfulness", "params": {"layout": pca["id"], "k": 101}}, 422, "'k'"),
        ({"method": "faithfulness", "params": {"layout": pca["id"], "axes": [0, 0]}}, 422, "axes"),
        ({"method": "faithfulness", "params": {}}, 422, "layout"),
    ]
    for body, code, named in cases:
        r = client.post(url, json=body)
        assert r.status_code == code and named in r.json()["error"], (body, r.text)
