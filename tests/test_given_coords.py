"""given_coords.py (x, y, z or --coords columns -> a given layout) and how DatasetStore keeps it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedding_projector.datasets.given_coords import assemble, find_given, parse_coords_option
from embedding_projector.datasets.parse_metadata import Column, Metadata
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.errors import InputError, Unprocessable


def meta(**columns: list) -> Metadata:
    typed = [Column(name, "numeric" if all(isinstance(v, (int, float)) or v is None for v in values) else "text", values)
             for name, values in columns.items()]
    return Metadata(columns=typed, n_rows=len(next(iter(columns.values()))))


def test_x_y_and_z_are_found_by_name_and_stay_float32() -> None:
    found = find_given(meta(label=["a", "b"], x=[1.5, 2], y=[3, 4], z=[5, 6.25]), "m.tsv")
    assert found is not None and found.source == "x,y,z"
    assert found.coords.dtype == np.float32 and found.coords.tolist() == [[1.5, 3, 5], [2, 4, 6.25]]
    assert find_given(meta(x=[1, 2], label=["a", "b"]), "m.tsv") is None  # x alone is no layout


def test_named_columns_must_exist() -> None:
    with pytest.raises(InputError, match="no column 'umap_y'") as err:
        find_given(meta(umap_x=[1, 2]), "runs.parquet", ["umap_x", "umap_y"])
    assert err.value.file == "runs.parquet"


@pytest.mark.parametrize("text", ["x", "x,y,z,w", "x,,y", "x,x"])
def test_coords_option_needs_two_or_three_distinct_names(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_coords_option(text)
    assert err.value.file == "--coords"


def test_no_vectors_and_no_coordinates_is_refused() -> None:
    with pytest.raises(InputError, match="no vectors and no coordinate columns"):
        assemble(None, meta(label=["a"]), "m.tsv")
    only = assemble(None, meta(x=[1, 2], y=[3, 4]), "m.tsv")
    assert only.coords_only and only.vectors.tolist() == [[1, 3], [2, 4]]


def test_store_keeps_the_layout_beside_the_vectors(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "datasets")
    data = assemble(np.ones((2, 4), np.float32), meta(x=[1, 2], y=[3, 4]), "m.tsv")
    info = store.create("with layout", data.vectors, meta(x=[1, 2], y=[3, 4]), given=data.given)
    assert [g.model_dump() for g in store.get(info.id).given] == [{"source": "x,y", "dimensions": 2}]
    assert store.given_coords(info.id, "x,y").tolist() == [[1, 3], [2, 4]]
    with pytest.raises(Unprocessable, match="no given layout 'a,b'"):
        store.given_coords(info.id, "a,b")
