"""The page's first requests, named in its HTML (`<link rel="preload">`) so the browser fetches them while
the modules load and the WebGL context is made, instead of one after the other once the script runs.

Only what the page is sure to ask first is named: the dataset's description and, when it is already
computed, the PCA the first view shows (of a 1M-row dataset, the 11 MB of its 3 leading components). The page's own
fetch of the same address then takes the preloaded answer. An address that asks for anything else
(a shared view, a bookmark list, another projection, a row subset, sphereize) names nothing.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams

from embedding_projector.datasets.store import DatasetStore
from embedding_projector.errors import ProjectorError
from embedding_projector.jobs.admission import is_done
from embedding_projector.jobs.first_view import FIRST_COMPONENTS, first_coords_url, first_view_key
from embedding_projector.jobs.runner import JobRunner

PREFERRED_DATASET = "glove-10k"  # static/js/actions.js PREFERRED_DATASET: the page's default
# Query parameters that leave the first layout the PCA of all rows (the rest restore other things).
PLAIN_PARAMS = {"dataset", "dimensions", "colorBy", "labelBy", "selection", "search", "searchColumn", "regex",
                "neighbors", "metric", "camera", "editVersion"}


def first_view_preloads(query: QueryParams, store: DatasetStore, jobs: JobRunner, public_only: bool) -> list[str]:
    """The addresses the page opened with `query` fetches first, to be preloaded (none when unsure)."""
    if set(query) - PLAIN_PARAMS or query.get("projection") not in (None, "pca"):
        return []
    try:
        urls = [] if query.get("dataset") else ["/api/datasets"]  # without one, the page lists them first
        dataset_id = query.get("dataset") or _default_dataset(store, public_only)
        if dataset_id is None:
            return urls
        info = store.get(dataset_id)
        if public_only and not info.public:
            return []
        urls.append(f"/api/datasets/{info.id}")
        key = first_view_key(info)  # None: the first layout may be a given one
    except ProjectorError:  # an unknown dataset: the page asks and is answered as usual
        return []
    if key is not None and is_done(jobs, key):
        urls.append(first_coords_url(key, info.n, min(FIRST_COMPONENTS, info.dim)))
    return urls


def _default_dataset(store: DatasetStore, public_only: bool) -> str | None:
    listed = [d.id for d in store.list(public_only=public_only)]
    if PREFERRED_DATASET in listed:
        return PREFERRED_DATASET
    return listed[0] if listed else None
