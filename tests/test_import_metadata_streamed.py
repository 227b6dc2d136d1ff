"""`embedding-projector import --metadata` of a big metadata.tsv holds its cells, not the file's bytes,
text and lines beside them: run as a subprocess that reports its own peak RSS (VmHWM).

The baseline imports the same vectors with no metadata, so the interpreter, the imports and the
matrix cancel out; what is left is the metadata's part. Measured on this 61 MB file: the import grew
by 3.3× the file (the cells as Python objects, a str being 49 bytes or more beside its text, and one
block in flight). The whole-file parse grew by 6.5×: the bytes, the text, a list of lines and the
joined and split cells at once, then the JSON text written whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from embedding_projector.datasets.store import DatasetStore
from tests.test_import_streamed import import_peak

ROWS = 400_000
WORDS = ("alpha", "beta", "gamma", "delta", "river", "stone", "cloud", "green", "quick", "brown")
GROWTH_BOUND = 4.0  # times the file's size
SLACK_MB = 30


def text_of(i: int) -> str:
    """A sentence-like text cell of ~150 characters, some of it not ASCII."""
    words = " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(24))
    return f"{words} é{i}"


def write_metadata(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("cluster\tscore\ttext\n")
        out.writelines(f"{i % 200}\t{(i % 997) / 997:.4f}\t{text_of(i)}\n" for i in range(ROWS))


def test_a_big_metadata_file_is_parsed_without_holding_it_whole(tmp_path: Path) -> None:
    vectors = tmp_path / "v.npy"
    np.save(vectors, np.random.default_rng(5).standard_normal((ROWS, 4)).astype(np.float32))
    metadata = tmp_path / "metadata.tsv"
    write_metadata(metadata)
    file_mb = metadata.stat().st_size / (1 << 20)
    assert file_mb > 20

    plain, baseline, err = import_peak(vectors, tmp_path / "base")
    assert plain, err
    dataset, peak, err = import_peak(vectors, tmp_path / "data", "--metadata", str(metadata))
    assert dataset, err
    assert peak - baseline <= GROWTH_BOUND * file_mb + SLACK_MB, (
        f"peak {peak:.0f} MB, baseline {baseline:.0f} MB, metadata file {file_mb:.0f} MB"
    )

    store = DatasetStore(tmp_path / "data" / "datasets")
    columns = json.loads(store.metadata_path(dataset).read_bytes())["columns"]
    assert [(c["name"], c["type"]) for c in columns] == [("cluster", "numeric"), ("score", "numeric"), ("text", "text")]
    by_name = {c["name"]: c["values"] for c in columns}
    for row in (0, 1, 54_321, ROWS - 1):
        assert by_name["cluster"][row] == row % 200
        assert by_name["score"][row] == float(f"{(row % 997) / 997:.4f}")
        assert by_name["text"][row] == text_of(row)
