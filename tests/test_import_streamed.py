"""`embedding-projector import` of a generated TSV and Parquet well past a whole-file read's memory,
run as a subprocess that reports its own peak RSS (VmHWM): the peak grows by at most 1.2× the matrix.

The baseline is an import of the same width with a quarter of the rows, so the readers' fixed cost
(pyarrow's blocks, batches and row groups: ~60-110 MB at any size) is in both and cancels out, and
what is left is the part that grows with the file. A whole-file read grows by 2× the matrix or more.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest

from embedding_projector.datasets.store import DatasetStore
from tests.conftest import run_server
from tests.datagen import mixture_blocks, write_big

ROWS, DIM, CLUSTERS = 49_152, 384, 20  # a 72 MB matrix; its TSV is ~200 MB
BASE_ROWS = 8_192  # one generated row group, dozens of the TSV reader's blocks
GROWTH_MB = (ROWS - BASE_ROWS) * DIM * 4 / (1 << 20)
# Two runs' transient peaks (pyarrow's read-ahead) differ by ~10 MB alone, and CI (two test files at
# once) saw a Parquet import 17 MB over 1.2x; the reader before batching grew by 147 MB against 88.
SLACK_MB = 40
UPLOAD_LIMIT = 1 << 20  # the server's per-request limit, which an import from disk does not have
# cli.main in this process, then its own peak RSS, the way the command would run.
WRAPPER = (
    "import sys\n"
    "from embedding_projector import cli\n"
    "code = cli.main(sys.argv[1:])\n"
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
    "print('VMHWM_KB', hwm.split()[1], file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def import_peak(path: Path, data_dir: Path, *extra: str) -> tuple[str, float, str]:
    """Run the import in a fresh interpreter: (dataset id, peak RSS in MB, stderr)."""
    env = {**os.environ, "PROJECTOR_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT)}
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, "import", str(path), "--data-dir", str(data_dir), *extra],
        capture_output=True, text=True, timeout=120, env=env,
    )
    peak = [line for line in out.stderr.splitlines() if line.startswith("VMHWM_KB")]
    assert peak, out.stderr
    return out.stdout.split("\t")[0] if out.returncode == 0 else "", int(peak[0].split()[1]) / 1024, out.stderr


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """The big set and the baseline's smaller one (same width), as TSV and Parquet (with cluster, text)."""
    root = tmp_path_factory.mktemp("streamed")
    formats = ("tsv", "parquet")
    return {
        "big": write_big(root / "big", ROWS, DIM, CLUSTERS, seed=3, formats=formats),
        "base": write_big(root / "base", BASE_ROWS, DIM, CLUSTERS, seed=4, formats=formats),
    }


def expected_rows(rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The generator's vectors and clusters at these rows, recomputed block by block."""
    vectors, labels = zip(*mixture_blocks(ROWS, DIM, CLUSTERS, seed=3), strict=True)
    return np.concatenate(vectors)[rows], np.concatenate(labels)[rows]


@pytest.mark.parametrize("fmt", ["tsv", "parquet"])
def test_big_import_stays_within_its_memory_budget(
    fmt: str, generated: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    big, base = generated["big"], generated["base"]
    assert big[fmt].stat().st_size > 40 * UPLOAD_LIMIT
    _, baseline, _ = import_peak(base[fmt], tmp_path / "base")
    dataset, peak, err = import_peak(big[fmt], tmp_path / "data")
    assert dataset, err
    # A whole-file read holds the file's bytes or a decoded table beside the matrix: ≥ 2× here.
    assert peak - baseline <= 1.2 * GROWTH_MB + SLACK_MB, (
        f"{fmt}: peak {peak:.0f} MB, baseline {baseline:.0f} MB, matrix grown by {GROWTH_MB:.0f} MB"
    )

    store = DatasetStore(tmp_path / "data" / "datasets")
    rows = [0, 1, 8191, 8192, ROWS - 1]
    vectors, labels = expected_rows(rows)
    # The TSV holds the shortest decimal of each float32, so both formats give the very same values.
    np.testing.assert_array_equal(store.vectors(dataset)[rows], vectors)
    with run_server(tmp_path / "data", env={"PROJECTOR_WORKERS": "1", "PROJECTOR_WARMUP": "false"}) as server:
        info = httpx.get(f"{server.url}/api/datasets/{dataset}", timeout=30).json()
        columns = httpx.get(f"{server.url}/api/datasets/{dataset}/metadata", timeout=30).json()["columns"]
    assert (info["n"], info["dim"]) == (ROWS, DIM)
    by_name = {c["name"]: c["values"] for c in columns}
    if fmt == "tsv":  # vectors only: the rows are numbered
        assert [by_name["index"][r] for r in rows] == rows
        return
    assert [c["name"] for c in columns] == ["cluster", "text"]
    assert [by_name["cluster"][r] for r in rows] == labels.tolist()
    assert by_name["text"][ROWS - 1] == f"item {ROWS - 1} of cluster {labels[-1]}"


NPY_ROWS = 131_072  # a 192 MB matrix: what a whole load would add stands out of the modules' own ~100 MB


def test_a_float32_npy_is_read_from_its_file_not_loaded_whole(tmp_path: Path) -> None:
    big = write_big(tmp_path / "big", NPY_ROWS, DIM, CLUSTERS, seed=5)["npy"]
    base = write_big(tmp_path / "base", BASE_ROWS, DIM, CLUSTERS, seed=6)["npy"]
    _, baseline, _ = import_peak(base, tmp_path / "base-data")
    dataset, peak, err = import_peak(big, tmp_path / "data")
    assert dataset, err
    grown = (NPY_ROWS - BASE_ROWS) * DIM * 4 / (1 << 20)
    # Loading the matrix whole grows the peak by the matrix at least; reading it by blocks grows it
    # by the buffers that outgrow the small file's (the unit file's 32 MB stage) and the coordinates.
    assert peak - baseline <= 0.25 * grown, f"npy: peak {peak:.0f} MB, baseline {baseline:.0f} MB, matrix grown by {grown:.0f} MB"
    store = DatasetStore(tmp_path / "data" / "datasets")
    np.testing.assert_array_equal(store.vectors(dataset), np.load(big))


def test_a_value_deep_in_a_big_npy_that_is_not_finite_is_named_by_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npy"
    matrix = np.concatenate([vectors for vectors, _ in mixture_blocks(ROWS, DIM, CLUSTERS, seed=3)])
    matrix[30_000, 7] = np.inf
    np.save(bad, matrix)
    dataset, _, err = import_peak(bad, tmp_path / "data")
    assert dataset == ""
    assert "bad.npy row 30001, column 8 is not finite (inf)" in err
    assert not (tmp_path / "data" / "datasets").exists() or DatasetStore(tmp_path / "data" / "datasets").list() == []


def test_fault_deep_in_a_big_tsv_names_file_line_and_column(
    generated: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    source = generated["big"]["tsv"].read_bytes().splitlines(keepends=True)
    line = 30_001
    cells = source[line - 1].split(b"\t")
    cells[7] = b"nan"
    source[line - 1] = b"\t".join(cells)
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(b"".join(source))
    dataset, _, err = import_peak(bad, tmp_path / "data")
    assert dataset == ""
    assert f"bad.tsv line {line}, column 8: 'nan' is not a finite number" in err
    ragged = tmp_path / "ragged.tsv"
    source[line - 1] = b"\t".join(cells[:-1]) + b"\n"
    ragged.write_bytes(b"".join(source))
    _, _, err = import_peak(ragged, tmp_path / "data")
    assert f"ragged.tsv line {line}: expected {DIM} values (as on line 1), found {DIM - 1}" in err
    assert not (tmp_path / "data" / "datasets").exists() or DatasetStore(tmp_path / "data" / "datasets").list() == []
