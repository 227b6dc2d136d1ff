"""Bring your own coordinates, over real HTTP: x, y (z) columns become a given layout answered at once."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from embedding_projector.datasets.importer import import_files
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.errors import InputError
from tests.conftest import LiveServer
from tests.datagen import clustered, vectors_tsv, words
from tests.test_api_datasets import dataset_dirs


def parquet_bytes(columns: dict) -> bytes:
    """A Parquet file of these columns."""
    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf)
    return buf.getvalue()


def layout(n: int, d: int = 2, seed: int = 0) -> np.ndarray:
    """Coordinates with float32-exact values, far apart from each other."""
    return np.random.default_rng(seed).uniform(-50, 50, size=(n, d)).astype(np.float32)


def post(client, files: dict, data: dict | None = None):
    return client.post("/api/datasets", files=files, data=data or {})


def given_job(client, dataset: str, source: str, rows: list[int] | None = None):
    return client.post(f"/api/datasets/{dataset}/projections",
                       json={"method": "given", "params": {"source": source}, "rows": rows})


def test_parquet_with_vectors_and_xy_answers_the_file_coordinates_at_once(client) -> None:
    n = 40
    vectors, coords = clustered(n, 6)[0], layout(n)
    body = parquet_bytes({
        "word": words(n),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), 6),
        "x": pa.array(coords[:, 0], type=pa.float32()),
        "y": pa.array(coords[:, 1].astype(np.float64)),
    })
    r = post(client, {"vectors": ("points.parquet", body)})
    assert r.status_code == 201, r.text
    info = r.json()
    assert info["given"] == [{"source": "x,y", "dimensions": 2}]
    assert info["coords_only"] is False and (info["n"], info["dim"]) == (n, 6)
    assert [c["name"] for c in info["columns"]] == ["word", "x", "y"]  # they stay metadata columns

    job = given_job(client, info["id"], "x,y")
    assert job.status_code == 200, job.text  # never queued
    status = job.json()
    assert (status["status"], status["method"], status["params"]) == ("done", "given", {"source": "x,y"})
    got = client.get(f"/api/projections/{status['id']}/coords")
    assert got.headers["x-shape"] == f"{n},2"
    assert got.content == coords.astype("<f4").tobytes()
    assert given_job(client, info["id"], "x,y").json()["id"] == status["id"]  # the same result again

    rows = [3, 17, 5]
    part = given_job(client, info["id"], "x,y", rows)
    assert part.status_code == 200 and part.json()["rows"] == 3
    assert client.get(f"/api/projections/{part.json()['id']}/coords").content == coords[rows].astype("<f4").tobytes()

    csv = client.get(f"/api/projections/{status['id']}/export", params={"format": "csv"})
    # The layout's own x, y columns are its coordinates: written once.
    assert csv.status_code == 200 and csv.text.splitlines()[0].split(",") == ["x", "y", "word"]
    edit = client.post(f"/api/datasets/{info['id']}/edits", json={"column": "x", "rows": [0], "value": "5", "cell": True})
    assert edit.status_code == 400 and edit.json()["file"] == "column" and "given layout" in edit.json()["error"]

    for params, problem in (({"source": "a,b"}, "a,b"), ({"source": "x,y", "k": 1}, "'k'"), ({}, "source")):
        refused = client.post(f"/api/datasets/{info['id']}/projections", json={"method": "given", "params": params})
        assert refused.status_code == 422 and problem in refused.json()["error"], refused.text


def test_coords_only_parquet_and_tsv_neighbours_are_in_the_given_space(client) -> None:
    n = 30
    coords = layout(n, 3, seed=1)
    body = parquet_bytes({"x": coords[:, 0], "y": coords[:, 1], "z": coords[:, 2], "name": words(n)})
    info = post(client, {"vectors": ("only.parquet", body)}).json()
    assert info["coords_only"] is True and info["given"] == [{"source": "x,y,z", "dimensions": 3}]
    assert (info["n"], info["dim"]) == (n, 3)
    job = given_job(client, info["id"], "x,y,z").json()
    assert client.get(f"/api/projections/{job['id']}/coords").content == coords.astype("<f4").tobytes()
    near = client.get(f"/api/datasets/{info['id']}/neighbors", params={"row": 0, "k": 3, "metric": "euclidean"}).json()
    expected = np.argsort(np.linalg.norm(coords - coords[0], axis=1))[1:4].tolist()
    assert [nb["row"] for nb in near["neighbors"]] == expected

    # metadata.tsv alone with x, y: the upload needs no vectors file.
    flat = layout(n, 2, seed=2)
    tsv = "label\tx\ty\n" + "".join(f"p{i}\t{x!r}\t{y!r}\n" for i, (x, y) in enumerate(flat.tolist()))
    r = post(client, {"metadata": ("points.tsv", tsv.encode())})
    assert r.status_code == 201, r.text
    alone = r.json()
    assert alone["coords_only"] is True and alone["given"] == [{"source": "x,y", "dimensions": 2}]
    assert alone["name"] == "points"
    job = given_job(client, alone["id"], "x,y").json()
    assert client.get(f"/api/projections/{job['id']}/coords").content == flat.tobytes()

    # vectors.tsv + metadata.tsv with x, y: vectors for neighbours, and the given layout.
    vectors = clustered(n, 4)[0]
    both = post(client, {"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", tsv.encode())}).json()
    assert both["coords_only"] is False and both["dim"] == 4 and both["given"][0]["source"] == "x,y"


BAD = {
    "text in x": ({"metadata": ("m.tsv", b"x\ty\n1\t2\nabc\t3\n")}, "m.tsv", 3, "'x'"),
    "empty y": ({"metadata": ("m.tsv", b"x\ty\n1\t2\n4\t\n")}, "m.tsv", 3, "'y'"),
    "NaN in parquet": ({"vectors": ("p.parquet", parquet_bytes({"x": [1.0, 2.0, 3.0], "y": [1.0, float("nan"), 2.0]}))},
                       "p.parquet", 2, "'y'"),
    "no coordinates, no vectors": ({"metadata": ("m.tsv", b"label\tcolour\na\tb\n")}, "m.tsv", None, "x and y"),
    "nothing at all": ({}, "vectors", None, "vectors"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_coordinates_are_a_400_naming_file_column_and_line(live_server: LiveServer, client, case: str) -> None:
    files, file, line, named = BAD[case]
    before = dataset_dirs(live_server)
    r = client.post("/api/datasets", files=files, data={"name": "bad"} if not files else None)
    body = r.json()
    print(case, "->", body)
    assert r.status_code == 400 and body["file"] == file and named in body["error"]
    if line is not None:
        assert body["line"] == line and str(line) in body["error"]
    assert dataset_dirs(live_server) == before


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embedding_projector", *args],
                          capture_output=True, text=True, timeout=120)


def test_import_coords_names_the_columns(tmp_path: Path) -> None:
    n = 25
    coords = layout(n, 2, seed=4)
    vectors = clustered(n, 5)[0]
    path = tmp_path / "runs.parquet"
    path.write_bytes(parquet_bytes({
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), 5),
        "umap_x": coords[:, 0], "umap_y": coords[:, 1], "kind": ["a"] * n,
    }))
    data = tmp_path / "data"
    out = run_cli("import", str(path), "--data-dir", str(data), "--coords", "umap_x,umap_y")
    print(out.stdout, out.stderr)
    assert out.returncode == 0, out.stderr
    dataset_id = out.stdout.split("\t")[0]
    store = DatasetStore(data / "datasets", clean_staging=False)
    info = store.get(dataset_id)
    assert [g.model_dump() for g in info.given] == [{"source": "umap_x,umap_y", "dimensions": 2}]
    assert not info.coords_only and info.dim == 5
    assert store.given_coords(dataset_id, "umap_x,umap_y").tobytes() == coords.tobytes()

    with pytest.raises(InputError) as wrong:  # in process: the same import_files the command runs
        import_files(store, path, coords=["umap_x", "kind"])
    assert (wrong.value.file, wrong.value.line) == ("runs.parquet", 1) and "'kind'" in wrong.value.message
    one = run_cli("import", str(path), "--data-dir", str(data), "--coords", "umap_x")
    assert one.returncode != 0 and "2 or 3 columns" in one.stderr and "Traceback" not in one.stderr

    # A metadata .tsv alone with x, y imports as coordinates only.
    points = tmp_path / "points.tsv"
    points.write_text("name\tx\ty\n" + "".join(f"p{i}\t{x!r}\t{y!r}\n" for i, (x, y) in enumerate(coords.tolist())))
    info = import_files(store, points).info
    assert info.coords_only and info.dim == 2 and [c.name for c in info.columns] == ["name", "x", "y"]
    assert np.load(store.vectors_path(info.id)).tobytes() == coords.tobytes()
