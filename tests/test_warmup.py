"""Warm-up: it runs quietly, and afterwards real-sized UMAP runs compile nothing new."""

from __future__ import annotations

import sys

import numba

from embedding_projector.analysis import knn_graph
from embedding_projector.analysis.graph_cache import Graph
from embedding_projector.jobs.warmup import warm_up
from embedding_projector.projections import umap_
from embedding_projector.projections.progress import Progress
from tests.datagen import clustered


def compiled_signatures() -> dict[str, int]:
    """How many signatures each numba function of umap-learn and pynndescent has compiled."""
    counts = {}
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in ("umap", "pynndescent"):
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, numba.core.dispatcher.Dispatcher):
                counts[f"{name}.{attr}"] = len(value.signatures)
    return counts


def test_warm_up_is_quiet_and_covers_what_real_runs_compile(capfd) -> None:
    seconds = warm_up()
    out, err = capfd.readouterr()
    assert isinstance(seconds, float) and seconds > 0
    assert out == "" and err == ""
    before = compiled_signatures()
    # Above 4096 rows (NN-descent) and 1 MiB (pynndescent's breadth-first forest splits); eight
    # separated clusters make a graph in several pieces.
    vectors, _ = clustered(n=6000, dim=50, clusters=8, seed=3)
    umap_.run(vectors, umap_.Params(), Progress(), n_epochs=5)
    params = umap_.Params(metric="euclidean", seed=1, dimensions=3)
    umap_.run(vectors, params, Progress(), n_epochs=5)
    umap_.run(vectors[:1000], umap_.Params(), Progress(), n_epochs=5)
    # Neighbours from a cached k-NN graph (umap-learn's precomputed_knn) compile nothing new either.
    neighbors, distances = knn_graph.compute(vectors, 14, "cosine", Progress())
    umap_.run(vectors, umap_.Params(), Progress(), n_epochs=5, graph=Graph("g", neighbors, distances))
    after = compiled_signatures()
    new = {name: (before.get(name, 0), n) for name, n in after.items() if n != before.get(name, 0)}
    print(f"warm-up took {seconds:.1f} s; compiled afterwards: {new}")
    assert new == {}

