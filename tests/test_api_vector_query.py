"""POST /api/datasets/{id}/neighbors over real HTTP: a pasted vector, an expression over labels, a centroid."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from tests.datagen import clustered, metadata_tsv, vectors_tsv, words

N = 300


@pytest.fixture(scope="module")
def dataset(live_server) -> tuple[str, np.ndarray, list[str]]:
    vectors, _ = clustered(N, 8, seed=5)
    body = vectors_tsv(vectors)
    # the server keeps float32: a pasted copy of a stored row is its float32 values
    parsed = np.array([[float(x) for x in line.split("\t")] for line in body.decode().splitlines()])
    parsed = parsed.astype(np.float32).astype(np.float64)
    labels = words(N)
    meta = metadata_tsv([[w, str(i)] for i, w in enumerate(labels)], ["word", "rank"])
    with live_server.client() as c:
        r = c.post("/api/datasets", files={"vectors": ("q.tsv", body), "metadata": ("q.meta.tsv", meta)})
        assert r.status_code == 201, r.text
        return r.json()["id"], parsed, labels


def post(client, dataset_id: str, body: dict):
    return client.post(f"/api/datasets/{dataset_id}/neighbors", json=body)


def oracle(vectors: np.ndarray, q: np.ndarray, k: int, metric: str, exclude=()) -> tuple[list[int], np.ndarray]:
    nn = NearestNeighbors(n_neighbors=k + len(exclude), algorithm="brute", metric=metric).fit(vectors)
    dist, rows = nn.kneighbors(q[None, :])
    keep = [(r, d) for r, d in zip(rows[0].tolist(), dist[0].tolist()) if r not in exclude][:k]
    return [r for r, _ in keep], np.array([d for _, d in keep])


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_vector_expression_and_centroid_are_exact(client, dataset, metric: str) -> None:
    dataset_id, vectors, labels = dataset
    # A pasted row comes back first, at distance 0.
    r = post(client, dataset_id, {"vector": vectors[17].tolist(), "k": 5, "metric": metric})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["query"] == "vector" and got["k"] == 5 and got["terms"] == []
    assert got["neighbors"][0]["row"] == 17 and got["neighbors"][0]["distance"] == pytest.approx(0, abs=1e-9)
    want, want_d = oracle(vectors, vectors[17], 5, metric)
    assert [n["row"] for n in got["neighbors"]][1:] == want[1:]

    # An expression: the terms' rows are left out; case is ignored when no label matches exactly.
    a, b, c = labels[3], labels[40], labels[250]
    r = post(client, dataset_id, {"expression": f"  {a.upper()} -{b}+ {c} ", "k": 10, "metric": metric})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["column"] == "word"
    assert got["terms"] == [
        {"term": a.upper(), "row": 3, "sign": 1}, {"term": b, "row": 40, "sign": -1}, {"term": c, "row": 250, "sign": 1}
    ]
    x = vectors[[3, 40, 250]]
    if metric == "cosine":
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
    q = x[0] - x[1] + x[2]
    want, want_d = oracle(vectors, q, 10, metric, exclude={3, 40, 250})
    assert [n["row"] for n in got["neighbors"]] == want
    np.testing.assert_allclose([n["distance"] for n in got["neighbors"]], want_d, rtol=1e-6, atol=1e-9)

    # The centroid of rows (the page's "centroid of the selection").
    rows = [5, 6, 7, 100, 299]
    r = post(client, dataset_id, {"rows": rows, "k": 7, "metric": metric})
    assert r.status_code == 200, r.text
    want, _ = oracle(vectors, vectors[rows].mean(axis=0), 7, metric)
    assert [n["row"] for n in r.json()["neighbors"]] == want
    print(f"{metric}: vector, expression and centroid answers equal sklearn's brute force")


def test_bad_queries_are_422s_naming_the_problem(client, dataset) -> None:
    dataset_id, vectors, labels = dataset
    cases = [
        ({"expression": f"{labels[1]} - kingg"}, "unknown term 'kingg' in column 'word'"),
        ({"expression": "   "}, "empty"),
        ({"expression": f"{labels[1]} + - {labels[2]}"}, "two signs in a row"),
        ({"expression": f"{labels[1]} -"}, "ends with a sign"),
        ({"expression": " + ".join([labels[1]] * 40)}, "more than 32 terms"),
        ({"expression": "x" * 1001}, "over the limit of 1000"),
        ({"expression": labels[1], "column": "nope"}, "no metadata column 'nope'"),
        ({"vector": [1.0, 2.0]}, "the vector has 2 numbers; this dataset's vectors have 8"),
        ('{"vector": [0, 0, 0, 0, 0, 0, 0, NaN]}', "number 8 is nan"),  # Python's json reads NaN
        ({"vector": [0.0] * 7 + [1e300]}, "number 8 is beyond ±1e+15"),
        ('{"vector": [0, 0, 1e999, 0, 0, 0, 0, 0]}', "number 3 is inf"),
        ('{"vector": [0, null, 0, 0, 0, 0, 0, 0]}', "the vector's number 2 is null"),
        ({"vector": [0.0] * 8}, "the query vector is zero: it has no direction for cosine"),
        ({"expression": f"{labels[1]} - {labels[1]}"}, "the query vector is zero"),
        ({"expression": f"{labels[1]} - {labels[2]} + {labels[2]} - {labels[1]}"}, "the query vector is zero"),
        ({"vector": [0.0] * 8, "rows": [1]}, "exactly one of vector, expression or rows"),
        ({"rows": []}, "rows is empty"),
        ({"rows": [0, N]}, f"row {N} is out of range"),
    ]
    for body, message in cases:
        if isinstance(body, str):
            r = client.post(f"/api/datasets/{dataset_id}/neighbors", content=body,
                            headers={"content-type": "application/json"})
        else:
            r = post(client, dataset_id, body)
        assert r.status_code == 422, (body, r.text)
        assert message in r.json()["error"], (message, r.json()["error"])
    # euclidean has an answer for the zero vector: the rows nearest the origin
    r = post(client, dataset_id, {"vector": [0.0] * 8, "k": 3, "metric": "euclidean"})
    assert r.status_code == 200, r.text
    assert [n["row"] for n in r.json()["neighbors"]] == np.argsort(np.linalg.norm(vectors, axis=1))[:3].tolist()
    r = post(client, dataset_id, {"vector": [0.0] * 8, "k": 10_001})
    assert r.status_code == 422 and "k" in r.json()["error"]
    assert post(client, "no-such-dataset", {"vector": [0.0] * 8}).status_code == 404
    r = post(client, dataset_id, {"rows": [2**40]})
    assert r.status_code == 422 and "rows" in r.json()["error"]
    # A dataset without metadata has no labels to look terms up in.
    r = client.post("/api/datasets", files={"vectors": ("bare.tsv", vectors_tsv(vectors[:5]))})
    assert r.status_code == 201, r.text
    bare = r.json()["id"]
    for body in ({"expression": "word1"}, {"expression": "word1", "column": "word"}):
        r = post(client, bare, body)
        assert r.status_code == 422, r.text
        print(body, "->", r.json()["error"])
    # The route's body limit (4 MB) refuses a bigger body before reading it.
    r = client.post(f"/api/datasets/{dataset_id}/neighbors", content=b"[" + b"0," * (3 << 20) + b"0]",
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "vector query" in r.json()["error"]
