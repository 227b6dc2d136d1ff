"""Names for clusters from a text column: distinctive terms (c-TF-IDF) or the members nearest the medoid.

Multi-word text (titles, sentences) is named by class-based TF-IDF as in BERTopic: a term's
frequency in the cluster (normalised by the cluster's word count) times log(1 + mean words per
cluster / the term's frequency over all clusters). Single-token labels (GloVe's words) have no
terms to weigh, so a cluster is named by its members nearest its medoid in the layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

TERMS_PER_LABEL = 3
# A column is multi-word when at least this share of its non-empty values holds a space.
MULTI_WORD_SHARE = 0.2
# The medoid is exact on at most this many members (a sample of a larger cluster): O(m^2) distances.
MEDOID_SAMPLE = 2000
MAX_LABEL_CHARS = 80


def cell_texts(values: list[Any]) -> list[str]:
    """Each cell as text ('' for empty cells and None)."""
    return ["" if v is None else str(v).strip() for v in values]


def is_multi_word(texts: list[str]) -> bool:
    """Whether a column holds multi-word text (named by c-TF-IDF) rather than single tokens."""
    filled = [t for t in texts if t]
    if not filled:
        return False
    return sum(1 for t in filled if any(c.isspace() for c in t)) / len(filled) >= MULTI_WORD_SHARE


def ctfidf_terms(texts: list[str], labels: np.ndarray, n_clusters: int, top: int = TERMS_PER_LABEL) -> list[list[str]]:
    """The `top` most distinctive terms of each cluster 0..n_clusters-1 by c-TF-IDF (noise rows ignored)."""
    from sklearn.feature_extraction.text import CountVectorizer

    keep = labels >= 0
    docs = [t for t, k in zip(texts, keep.tolist(), strict=True) if k]
    if not any(docs):
        return [[] for _ in range(n_clusters)]
    try:
        counts = CountVectorizer(stop_words="english").fit(docs)
    except ValueError:  # only stop words
        return [[] for _ in range(n_clusters)]
    vocabulary = counts.get_feature_names_out()
    doc_terms = counts.transform(docs)
    member = sparse.csr_matrix(
        (np.ones(len(docs)), (labels[keep], np.arange(len(docs)))), shape=(n_clusters, len(docs))
    )
    tf = (member @ doc_terms).toarray().astype(np.float64)  # (clusters, terms)
    words = tf.sum(axis=1, keepdims=True)
    mean_words = float(words.mean())
    overall = tf.sum(axis=0)
    weight = (tf / np.maximum(words, 1.0)) * np.log1p(mean_words / np.maximum(overall, 1.0))
    names = []
    for c in range(n_clusters):
        order = np.argsort(-weight[c], kind="stable")[:top]
        names.append([str(vocabulary[i]) for i in order if tf[c, i] > 0])
    return names


def medoid(points: np.ndarray, seed: int = 0) -> int:
    """The position (in `points`) of the member with the least total distance to the others (on a sample)."""
    m = len(points)
    pool = np.arange(m)
    if m > MEDOID_SAMPLE:
        pool = np.sort(np.random.default_rng(seed).choice(m, MEDOID_SAMPLE, replace=False))
    sample = points[pool].astype(np.float64)
    sq = (sample * sample).sum(axis=1)
    dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * sample @ sample.T, 0.0))
    return int(pool[int(np.argmin(dist.sum(axis=1)))])


def nearest_members(points: np.ndarray, centre: int, count: int = TERMS_PER_LABEL) -> np.ndarray:
    """Positions (in `points`) of the `count` members nearest member `centre`, itself first."""
    dist = np.linalg.norm(points - points[centre], axis=1)
    dist[centre] = -1.0
    return np.argsort(dist, kind="stable")[:count]


def cluster_names(
    texts: list[str] | None, labels: np.ndarray, layout: np.ndarray, n_clusters: int
) -> tuple[list[str], list[int], str]:
    """Each cluster's name, its medoid (a job row) and how the names were made ('ctfidf', 'medoids', 'ids')."""
    members = [np.flatnonzero(labels == c) for c in range(n_clusters)]
    medoids = [int(rows[medoid(layout[rows])]) for rows in members]
    if texts is None:
        return [f"cluster {c}" for c in range(n_clusters)], medoids, "ids"
    if is_multi_word(texts):
        terms = ctfidf_terms(texts, labels, n_clusters)
        names, how = [", ".join(t) for t in terms], "ctfidf"
    else:
        names, how = [], "medoids"
        for rows, centre in zip(members, medoids, strict=True):
            near = rows[nearest_members(layout[rows], int(np.searchsorted(rows, centre)))]
            names.append(", ".join(texts[i] for i in near.tolist() if texts[i]))
    return _distinct([n[:MAX_LABEL_CHARS] or f"cluster {c}" for c, n in enumerate(names)]), medoids, how


def _distinct(names: list[str]) -> list[str]:
    """Names made unique (a repeat gets its cluster id), and never 'noise', the noise rows' value."""
    seen: set[str] = {"noise"}
    out = []
    for c, name in enumerate(names):
        if name in seen:
            name = f"{name} ({c})"
        seen.add(name)
        out.append(name)
    return out
