"""GET /api/datasets/{id}/neighbors: exact k nearest neighbours of a row; POST: of a query vector."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from embedding_projector.analysis import vector_query
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.dependencies import DatasetStoreDep
from embedding_projector.errors import Unprocessable
from embedding_projector.schemas import (
    Neighbor,
    NeighborQueryRequest,
    NeighborQueryResponse,
    NeighborsResponse,
    QueryTerm,
)

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


@router.post("/{dataset_id}/neighbors", response_model=NeighborQueryResponse)
async def query_neighbors(
    dataset_id: str, request: NeighborQueryRequest, store: DatasetStoreDep
) -> NeighborQueryResponse:
    """The k nearest rows to a pasted vector, an expression over labels, or the centroid of rows."""
    return await run_in_threadpool(answer_query, store, dataset_id, request)


def answer_query(store: DatasetStore, dataset_id: str, request: NeighborQueryRequest) -> NeighborQueryResponse:
    """Resolve the query to a vector and search every row for its k nearest (exact)."""
    given = [name for name in ("vector", "expression", "rows") if getattr(request, name) is not None]
    if len(given) != 1:
        raise Unprocessable(f"send exactly one of vector, expression or rows; got {', '.join(given) or 'none'}")
    if request.column is not None and request.expression is None:
        raise Unprocessable("column applies to an expression only")
    store.get(dataset_id)  # 404 for an unknown dataset before any work
    vectors = store.vectors(dataset_id)
    terms: list[vector_query.Term] = []
    column = None
    if request.vector is not None:
        q = vector_query.check_vector(request.vector, vectors.shape[1])
    elif request.rows is not None:
        q = vector_query.centroid(request.rows, vectors)
    else:
        parsed = vector_query.parse_expression(request.expression or "")
        column = request.column or default_label_column(store, dataset_id)
        terms = vector_query.resolve_terms(parsed, store.column_values(dataset_id, column), column)
        q = vector_query.expression_vector(terms, vectors, request.metric)
    # cosine adds unit vectors, so an expression's own rounding is relative to its number of terms
    vector_query.check_direction(q, request.metric, float(len(terms)))
    rows, distances = store.neighbor_index(dataset_id).query_vector(
        q, request.k, request.metric, exclude=[t.row for t in terms]
    )
    return NeighborQueryResponse(
        query=given[0],  # type: ignore[arg-type]
        metric=request.metric,
        k=len(rows),
        column=column,
        terms=[QueryTerm(term=t.term, row=t.row, sign=t.sign) for t in terms],
        neighbors=[Neighbor(row=r, distance=d) for r, d in zip(rows.tolist(), distances.tolist())],
    )


def default_label_column(store: DatasetStore, dataset_id: str) -> str:
    """The page's default Label by: the first text column, else the first column."""
    columns = store.columns_at(dataset_id)
    if not columns:
        raise Unprocessable("the dataset has no metadata columns to look an expression's terms up in")
    return next((c.name for c in columns if c.type == "text"), columns[0].name)
