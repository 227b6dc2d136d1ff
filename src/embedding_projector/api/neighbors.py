"""GET /api/datasets/{id}/neighbors: exact k nearest neighbours of a row."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from embedding_projector.dependencies import DatasetStoreDep
from embedding_projector.schemas import Neighbor, NeighborsResponse

router = APIRouter(prefix="/api/datasets", tags=["neighbors"])


@router.get("/{dataset_id}/neighbors", response_model=NeighborsResponse)
async def neighbors(
    dataset_id: str,
    store: DatasetStoreDep,
    row: int = Query(ge=0),
    k: int = Query(100, ge=1, le=10_000),
    metric: Literal["cosine", "euclidean"] = "cosine",
) -> NeighborsResponse:
    """The k nearest rows to `row`, nearest first, the row itself excluded."""

    def query() -> NeighborsResponse:
        rows, distances = store.neighbor_index(dataset_id).query(row, k, metric)
        return NeighborsResponse(
            row=row,
            metric=metric,
            neighbors=[Neighbor(row=r, distance=d) for r, d in zip(rows.tolist(), distances.tolist())],
        )

    return await run_in_threadpool(query)
