"""Given results: coordinates stored as finished jobs, idempotent, and refused when malformed."""

from __future__ import annotations

import numpy as np
import pytest

from embedding_projector.errors import InputError
from embedding_projector.jobs.given_results import given_key, store_given
from embedding_projector.jobs.records import read_record, result_paths


def test_stored_coordinates_read_back_byte_for_byte(tmp_path):
    coords = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    status = store_given(tmp_path, "ds", "fp", coords, "x,y,z")
    assert status.id == given_key("ds", "fp", "x,y,z")
    assert read_record(tmp_path, status.id).status == "done"
    assert status.shape == [50, 3] and status.method == "given"
    assert result_paths(tmp_path, status.id).coords.read_bytes() == coords.astype("<f4").tobytes()


def test_storing_again_is_the_same_job_and_sources_differ(tmp_path):
    coords = np.zeros((4, 2), dtype=np.float32)
    first = store_given(tmp_path, "ds", "fp", coords, "a")
    assert store_given(tmp_path, "ds", "fp", coords, "a").id == first.id
    assert store_given(tmp_path, "ds", "fp", coords, "b").id != first.id


def test_a_row_subset_is_saved(tmp_path):
    status = store_given(tmp_path, "ds", "fp", np.ones((2, 2)), "s", rows=[5, 9])
    assert status.rows == 2
    assert np.fromfile(result_paths(tmp_path, status.id).rows, dtype="<i8").tolist() == [5, 9]


@pytest.mark.parametrize(
    ("coords", "rows", "message"),
    [
        (np.zeros((3, 4)), None, "2 or 3 columns"),
        (np.array([[0.0, 1.0], [np.nan, 2.0]]), None, "row 1 is not a finite"),
        (np.zeros((3, 2)), [1, 2], "2 rows but 3"),
    ],
)
def test_malformed_coordinates_are_refused_and_nothing_is_written(tmp_path, coords, rows, message):
    with pytest.raises(InputError, match=message):
        store_given(tmp_path, "ds", "fp", coords, "s", rows=rows)
    assert not any(tmp_path.iterdir())
