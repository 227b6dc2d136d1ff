"""column_info: the summary of a metadata column that DatasetInfo lists (type, distinct values, range)."""

from __future__ import annotations

import numpy as np

from embedding_projector.datasets.parse_metadata import Column
from embedding_projector.schemas import ColumnInfo


def column_info(column: Column) -> ColumnInfo:
    """Summarise a parsed column for DatasetInfo."""
    if column.type == "numeric":
        values = np.array([np.nan if v is None else v for v in column.values], dtype=np.float64)
        finite = values[np.isfinite(values)]
        return ColumnInfo(
            name=column.name,
            type="numeric",
            distinct=int(np.unique(finite).size),
            min=float(finite.min()) if finite.size else None,
            max=float(finite.max()) if finite.size else None,
        )
    return ColumnInfo(name=column.name, type="text", distinct=len(set(column.values) - {""}))
