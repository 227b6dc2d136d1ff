"""The pydantic API contract shared by the routers, the store and the job runner."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JobState = Literal["queued", "running", "done", "failed", "cancelled"]


class ColumnInfo(BaseModel):
    """One metadata column as the page needs to know it before loading values."""

    name: str
    type: Literal["numeric", "text"]
    distinct: int = Field(description="number of distinct non-empty values")
    min: float | None = None
    max: float | None = None


class DatasetSummary(BaseModel):
    """A dataset as listed by GET /api/datasets."""

    id: str
    name: str
    n: int
    dim: int


class DatasetInfo(DatasetSummary):
    """A dataset's full description (GET /api/datasets/{id})."""

    columns: list[ColumnInfo]
    source: str = Field("upload", description="where it came from: upload, example, import")
    created: str = Field(description="ISO 8601 time of import")
    fingerprint: str = Field(description="content hash of the vectors; part of projection cache keys")


class Neighbor(BaseModel):
    """One neighbour of a row."""

    row: int
    distance: float


class NeighborsResponse(BaseModel):
    """GET /api/datasets/{id}/neighbors."""

    row: int
    metric: Literal["cosine", "euclidean"]
    neighbors: list[Neighbor]


class ProjectionRequest(BaseModel):
    """POST /api/datasets/{id}/projections: a method, its parameters and optionally a row subset."""

    model_config = ConfigDict(extra="forbid")

    method: str = Field(description="pca")
    params: dict[str, Any] = Field(default_factory=dict)
    rows: list[int] | None = Field(None, description="project only these rows (isolate); null = all")


class JobStatus(BaseModel):
    """A projection job as GET /api/projections/{id} reports it."""

    id: str
    dataset: str
    method: str
    params: dict[str, Any]
    rows: int | None = Field(None, description="size of the row subset, or null for all rows")
    status: JobState
    progress: float = 0.0
    shape: list[int] | None = None
    error: str | None = None
    elapsed: float | None = Field(None, description="seconds since the job started running")
    queue_position: int | None = Field(None, description="1 = next to run, while queued")
    worker: int | None = Field(None, description="pid of the worker process running the job")
    snapshot: int = Field(0, description="sequence number of the latest intermediate coordinates")
    info: dict[str, Any] = Field(default_factory=dict, description="latest progress facts")
    extras: dict[str, Any] = Field(default_factory=dict, description="method extras")
