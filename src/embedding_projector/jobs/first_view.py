"""first_view: the projection a page opened on a dataset shows first (the PCA of all rows), its cache
key, and computing it at import, so that the first view of an imported dataset reads a cached result.

A million 768-d rows take 8-9 s of PCA. Computed when the page first asks, that time (and, right after a
server start, the workers' numba warm-up beside it) was the first view's: 41 s in the issue 15 run.
`embedding-projector import` (and the one-command open, which imports first) computes it instead.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from embedding_projector.datasets.matrix_file import RowReader
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.jobs.job_key import job_key
from embedding_projector.jobs.job_spec import new_job
from embedding_projector.jobs.records import read_record
from embedding_projector.jobs.result_write import write_result
from embedding_projector.projections import pca, pca_first
from embedding_projector.projections.progress import Progress
from embedding_projector.schemas import DatasetInfo

log = logging.getLogger(__name__)

FIRST_COMPONENTS = 10  # static/js/actions.js MAX_COMPONENTS: the components the first PCA asks for
METHOD = "pca"
# static/js/actions.js LEADING_COLUMNS_ROWS / LEADING_COLUMNS: from this many rows the page first
# fetches only the PCA's leading components, enough for 2D and 3D (the rest when an axis needs one).
LEADING_COLUMNS_ROWS = 200_000
LEADING_COLUMNS = 3


def first_coords_url(key: str, n: int, components: int) -> str:
    """The address the page fetches a finished PCA's coordinates at first (`n` rows, `components` columns)."""
    url = f"/api/projections/{key}/coords"
    return f"{url}?columns={LEADING_COLUMNS}" if n >= LEADING_COLUMNS_ROWS and components > LEADING_COLUMNS else url


def first_view_params(info: DatasetInfo) -> dict | None:
    """The parameters of the PCA the page asks for first, or None when its first layout may be a given one."""
    if info.given or info.coords_only:
        return None
    # pca.Params, as admission.validate_params("pca", ...) gives them: not through the method registry,
    # whose other methods' imports (scipy, hdbscan) were 0.4 s of every `import`.
    params = pca_first.resolve(pca.Params.model_validate({"components": min(FIRST_COMPONENTS, info.dim)}), info.dim)
    return params.model_dump(mode="json")


def first_view_key(info: DatasetInfo, params: dict | None = None) -> str | None:
    """The job key (and id) of the first view's PCA (`params`, else first_view_params'): all rows,
    unsphereized; None as first_view_params."""
    params = first_view_params(info) if params is None else params
    return None if params is None else job_key(info.id, info.fingerprint, METHOD, params, None)


def precompute_first_view(store: DatasetStore, results_dir: Path, info: DatasetInfo) -> bool:
    """Compute the first view's PCA of `info` into `results_dir` unless it is there: whether it ran.

    It runs in this process and writes the files a worker would (result_write.py: atomically, the
    record last). A failure is logged, not raised: the page then asks for it as before.
    """
    params = first_view_params(info)
    if params is None:
        return False
    key = first_view_key(info, params)
    done = read_record(results_dir, key)
    if done is not None and done.status == "done":
        return False
    path = store.vectors_path(info.id)
    _, spec = new_job(results_dir, key, info.id, info.fingerprint, path, METHOD, params, None, None, False, None)
    began = time.monotonic()
    try:
        # Read from the file, not mapped, on the covariance route: a mapping's pages would stay in the RSS (the import's budget).
        vectors = RowReader(path) if pca.choose_solver(info.n, info.dim) == "covariance" else np.load(
            path, mmap_mode="r", allow_pickle=False)
        result = pca.run(vectors, pca.Params.model_validate(params), Progress())
        write_result(spec, result, info.n, time.monotonic() - began)
    except Exception as exc:  # noqa: BLE001 - the import itself succeeded; the page computes it later
        log.warning("the first view of %s was not computed: %s: %s", info.id, type(exc).__name__, exc)
        return False
    return True
