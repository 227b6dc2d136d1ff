"""The "cluster" column of a clusters job, for a projection's download (`?clusters={job}`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from embedding_projector.analysis.clusters import CLUSTER_COLUMN
from embedding_projector.errors import InputError, NotFound
from embedding_projector.jobs.runner import JobRunner
from embedding_projector.schemas import JobStatus

NOISE = "noise"


def check_clusters_job(jobs: JobRunner, job: str, dataset: str, field: str) -> JobStatus:
    """The status of `job`; 400 naming `field` unless it is a finished clusters job of `dataset`."""
    try:
        status = jobs.status(job)
    except NotFound:
        raise InputError(f"{field}: no clusters result {job[:40]!r}", file=field) from None
    if status.method != "clusters" or status.status != "done" or status.dataset != dataset:
        raise InputError(f"{field}: {job[:40]} is not a finished clusters job of dataset {dataset!r}", file=field)
    return status


def cluster_column(jobs: JobRunner, clusters_job: str, dataset: str, n_rows: int) -> dict[str, Any]:
    """{name: 'cluster', values}: each dataset row's cluster name, 'noise', or '' outside the job's rows.

    400 (naming `clusters`) unless `clusters_job` is a finished clusters job of `dataset`.
    """
    status = check_clusters_job(jobs, clusters_job, dataset, "clusters")
    path, info = jobs.array_path(clusters_job, "labels")
    labels = np.fromfile(path, dtype="<i4", count=int(info.shape[0]))
    names = [c["label"] for c in status.extras.get("clusters", [])]
    rows = jobs.result_rows(clusters_job)
    values = [""] * n_rows
    for position, label in enumerate(labels.tolist()):
        row = position if rows is None else int(rows[position])
        values[row] = NOISE if label < 0 else names[label]
    return {"name": CLUSTER_COLUMN, "type": "text", "values": values}
