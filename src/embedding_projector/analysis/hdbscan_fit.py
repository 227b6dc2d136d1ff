"""HDBSCAN labels of a layout or of a k-NN graph, without scikit-learn's all-pairs minimum spanning tree.

scikit-learn's HDBSCAN builds its tree with Prim's algorithm over all pairs (15-30 s for 50k 2-D
points here, quadratic). Here the tree is that of the k-NN graph's mutual reachability (scipy's
minimum spanning tree over each point's k nearest neighbours), which keeps the edges clusters are
made of, and scikit-learn's own routines turn it into clusters: ARI 0.9999 against the exact tree
at 50k (tests/test_clusters.py, benchmarks/bench_clusters.py). fast_hdbscan (exact, numba) was
measured too and is not used: see docs/design.md.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

# Neighbours per point in the sparse graph: enough that a cluster's mutual-reachability tree
# stays inside the graph (at least min_samples are needed for the core distances).
GRAPH_K = 15
# Distances are shifted by this so that duplicate points (distance 0) keep their edge: scipy's
# sparse matrices treat a stored 0 as no edge.
ZERO_SHIFT = 1e-9


def layout_labels(coords: np.ndarray, min_cluster_size: int, min_samples: int) -> np.ndarray:
    """HDBSCAN labels (-1 noise) of 2-D/3-D coordinates, through their k-d tree's k-NN graph."""
    coords = np.ascontiguousarray(coords, dtype=np.float64)
    k = min(max(GRAPH_K, min_samples), len(coords) - 1)
    distances, neighbors = cKDTree(coords).query(coords, k=k + 1, workers=-1)
    return graph_labels(neighbors[:, 1:], distances[:, 1:], min_cluster_size, min_samples, coords)


def graph_labels(
    neighbors: np.ndarray, distances: np.ndarray, min_cluster_size: int, min_samples: int,
    points: np.ndarray | None = None,
) -> np.ndarray:
    """HDBSCAN labels (-1 noise) from every point's k nearest neighbours (self excluded, nearest first).

    `min_samples` counts the point itself, as in scikit-learn. Components the graph leaves apart are
    joined by their representatives' distances in `points` (or by an edge longer than any), so they
    split at the top of the tree.
    """
    try:  # scikit-learn's tree routines, fed our own tree: about 3x faster than HDBSCAN(metric="precomputed") at 400k
        from sklearn.cluster._hdbscan._linkage import MST_edge_dtype, make_single_linkage
        from sklearn.cluster._hdbscan._tree import tree_to_labels
    except ImportError:  # they are private: a scikit-learn that moved them takes the public route
        return _public_graph_labels(neighbors, distances, min_cluster_size, min_samples, points)
    n, k = neighbors.shape
    distances = distances.astype(np.float64)
    core = distances[:, min(min_samples, k + 1) - 2] if min_samples >= 2 else np.zeros(n)
    reach = np.maximum(np.maximum(core[:, None], core[neighbors]), distances)
    rows = np.repeat(np.arange(n), k)
    graph = sparse.csr_matrix((reach.ravel() + ZERO_SHIFT, (rows, neighbors.ravel())), shape=(n, n))
    tree = csgraph.minimum_spanning_tree(graph).tocoo()
    a, b, w = tree.row, tree.col, tree.data - ZERO_SHIFT
    count, component = csgraph.connected_components(tree, directed=False)
    if count > 1:
        first = np.unique(component, return_index=True)[1]
        x, y = first[:-1], first[1:]
        if points is not None:
            gap = np.linalg.norm(points[x] - points[y], axis=1)
        else:
            gap = np.full(x.size, 2.0 * float(w.max(initial=1.0)))
        a, b = np.concatenate([a, x]), np.concatenate([b, y])
        w = np.concatenate([w, np.maximum(np.maximum(core[x], core[y]), gap)])
    order = np.argsort(w, kind="stable")
    edges = np.rec.fromarrays([a[order], b[order], w[order]], dtype=MST_edge_dtype)
    labels, _ = tree_to_labels(make_single_linkage(edges), min_cluster_size, "eom", False, 0.0, None)
    return labels.astype(np.int32)


def _public_graph_labels(
    neighbors: np.ndarray, distances: np.ndarray, min_cluster_size: int, min_samples: int,
    points: np.ndarray | None,
) -> np.ndarray:
    """graph_labels through scikit-learn's public HDBSCAN(metric="precomputed") on the sparse graph."""
    n, k = neighbors.shape
    from sklearn.cluster import HDBSCAN

    rows = np.repeat(np.arange(n), k)
    graph = sparse.csr_matrix(
        (distances.ravel().astype(np.float64) + ZERO_SHIFT, (rows, neighbors.ravel())), shape=(n, n)
    )
    graph = graph.maximum(graph.T).tocsr()
    graph = _connected(graph, points)
    # Without self in the rows, sklearn's (min_samples - 1)-th stored neighbour is the point's
    # min_samples-th neighbour counting itself.
    model = HDBSCAN(
        min_cluster_size=min_cluster_size, min_samples=max(1, min(min_samples - 1, k)), metric="precomputed",
        copy=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model.fit_predict(graph).astype(np.int32)


def _connected(graph: sparse.csr_matrix, points: np.ndarray | None) -> sparse.csr_matrix:
    """`graph` with its components chained by one edge each (sklearn refuses a disconnected graph)."""
    count, component = csgraph.connected_components(graph, directed=False)
    if count == 1:
        return graph
    first = np.unique(component, return_index=True)[1]
    a, b = first[:-1], first[1:]
    longest = float(graph.data.max()) if graph.nnz else 1.0
    if points is not None:
        weights = np.linalg.norm(points[a] - points[b], axis=1) + ZERO_SHIFT
    else:
        weights = np.full(a.size, 2.0 * longest)
    links = sparse.csr_matrix((weights, (a, b)), shape=graph.shape)
    return graph.maximum(links).maximum(links.T).tocsr()
