"""Exports over real HTTP: a projection as TSV, CSV and .npy, a selection's metadata as TSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embedding_projector.datasets.parse_metadata import Column, Metadata
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.exports import distinct_headers
from tests.conftest import LiveServer, run_server
from tests.datagen import clustered
from tests.test_api_jobs import upload_clusters
from tests.test_api_projections import fetch_coords, job_events, wait_done

N = 80
ENV = {"PROJECTOR_WARMUP": "false"}
TRICKY = [
    "tab\there", "line\nbreak", "carriage\rreturn", 'say "hi"', "a, b", "both\t\"x\",\ny", "naïve ✓", "",
]


def words() -> list[str]:
    """Plain words with every awkward character case in the first rows."""
    return TRICKY + [f"word{i}" for i in range(len(TRICKY), N)]


def scores() -> tuple[list[float | None], list[str]]:
    """Numeric values (missing, integral, fractional) and how each should be written."""
    values = [None if i % 7 == 0 else float(i) if i % 2 else i + 0.25 for i in range(N)]
    texts = ["" if i % 7 == 0 else str(i) if i % 2 else f"{i}.25" for i in range(N)]
    return values, texts


def create_dataset(data_dir: Path) -> tuple[str, np.ndarray]:
    """Write a dataset whose metadata no TSV upload could carry (tabs, newlines) before the server starts."""
    vectors, _ = clustered(N, 12, seed=5)
    metadata = Metadata(
        columns=[
            Column(name="word", type="text", values=words()),
            Column(name="score, raw", type="numeric", values=scores()[0]),
        ],
        n_rows=N,
    )
    info = DatasetStore(data_dir / "datasets").create("Tricky words", vectors, metadata, dataset_id="tricky")
    return info.id, vectors


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("exports") / "data"
    create_dataset(data_dir)
    with run_server(data_dir, ENV) as live:
        yield live


@pytest.fixture
def client(server: LiveServer):
    with server.client() as c:
        yield c


def run(client, body: dict) -> str:
    job = client.post("/api/datasets/tricky/projections", json=body)
    assert job.status_code in (200, 202), job.text
    assert wait_done(client, job.json()["id"])["status"] == "done"
    return job.json()["id"]


def download(client, job_id: str, fmt: str, filename: str):
    r = client.get(f"/api/projections/{job_id}/export", params={"format": fmt})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == f'attachment; filename="{filename}"'
    return r


def tsv_table(text: str) -> list[list[str]]:
    assert text.endswith("\n")
    return [line.split("\t") for line in text[:-1].split("\n")]


def csv_table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_pca_exports_as_tsv_csv_and_npy(client) -> None:
    job_id = run(client, {"method": "pca"})
    coords = fetch_coords(client, job_id)
    header = [f"pc{i}" for i in range(1, 11)] + ["word", "score, raw"]
    score_texts = scores()[1]

    r = download(client, job_id, "tsv", "tricky-pca.tsv")
    assert r.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    table = tsv_table(r.text)
    assert len(table) == N + 1 and table[0] == header
    assert all(len(line) == len(header) for line in table)
    assert np.array_equal(np.array([line[:10] for line in table[1:]], dtype=np.float32), coords)
    cleaned = [w.replace("\t", " ").replace("\n", " ").replace("\r", " ") for w in words()]
    assert [line[10] for line in table[1:]] == cleaned
    assert [line[11] for line in table[1:]] == score_texts
    print("TSV rows 0-2:", table[1:4])

    r = download(client, job_id, "csv", "tricky-pca.csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert b"\r\n" in r.content
    table = csv_table(r.content.decode("utf-8"))
    assert len(table) == N + 1 and table[0] == header
    assert np.array_equal(np.array([line[:10] for line in table[1:]], dtype=np.float32), coords)
    assert [line[10] for line in table[1:]] == words()  # tabs, quotes, commas and newlines intact
    assert [line[11] for line in table[1:]] == score_texts

    r = download(client, job_id, "npy", "tricky-pca.npy")
    assert r.headers["content-type"] == "application/octet-stream"
    array = np.load(io.BytesIO(r.content), allow_pickle=False)
    assert array.dtype == np.float32 and np.array_equal(array, coords)


def test_tsne_on_a_row_subset_exports_its_rows(client) -> None:
    rows = [61, 3, 0, 45, 12, 7, 33, 2, 70, 18, 5, 29, 1, 54, 40, 66, 9, 23, 77, 4]
    body = {"method": "tsne", "params": {"perplexity": 5, "iterations": 250, "seed": 1}, "rows": rows}
    job_id = run(client, body)
    coords = fetch_coords(client, job_id)
    assert coords.shape == (len(rows), 2)
    header = ["row", "x", "y", "word", "score, raw"]
    for fmt, parse in (("tsv", tsv_table), ("csv", csv_table)):
        table = parse(download(client, job_id, fmt, f"tricky-tsne.{fmt}").content.decode("utf-8"))
        assert table[0] == header and len(table) == len(rows) + 1
        assert [int(line[0]) for line in table[1:]] == rows
        assert np.array_equal(np.array([line[1:3] for line in table[1:]], dtype=np.float32), coords)
        assert [line[4] for line in table[1:]] == [scores()[1][r] for r in rows]
        if fmt == "csv":
            assert [line[3] for line in table[1:]] == [words()[r] for r in rows]
    npy = download(client, job_id, "npy", "tricky-tsne.npy").content
    assert np.array_equal(np.load(io.BytesIO(npy), allow_pickle=False), coords)


def test_unfinished_job_is_409_and_unknown_job_404(client) -> None:
    big = upload_clusters(client, n=3000, dim=20, seed=6)
    body = {"method": "tsne", "params": {"perplexity": 30, "iterations": 10000, "seed": 4}}
    job = client.post(f"/api/datasets/{big}/projections", json=body).json()
    try:
        next(e for e in job_events(client, job["id"]) if e["status"] == "running")
        r = client.get(f"/api/projections/{job['id']}/export", params={"format": "csv"})
        assert r.status_code == 409, r.text
        assert r.json()["ok"] is False and r.json()["status"] == 409 and "running" in r.json()["error"]
    finally:
        assert client.delete(f"/api/projections/{job['id']}").json()["status"] == "cancelled"
    for fmt in ("tsv", "npy"):
        r = client.get(f"/api/projections/{job['id']}/export", params={"format": fmt})
        assert r.status_code == 409 and "cancelled" in r.json()["error"]

    unknown = client.get(f"/api/projections/{'0' * 32}/export")
    assert unknown.status_code == 404 and unknown.json()["status"] == 404
    done = run(client, {"method": "pca", "params": {"components": 2}})
    bad = client.get(f"/api/projections/{done}/export", params={"format": "xlsx"})
    assert bad.status_code == 422 and "format" in bad.json()["error"]


def test_selection_export_keeps_order_and_content(client) -> None:
    rows = [5, 0, 1, 79, 3, 40]
    r = client.post("/api/datasets/tricky/export", json={"rows": rows, "format": "tsv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="tricky-selection.tsv"'
    assert r.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    table = tsv_table(r.text)
    assert table[0] == ["word", "score, raw"] and len(table) == len(rows) + 1
    cleaned = ['both "x", y', "tab here", "line break", "word79", 'say "hi"', "word40"]
    assert [line[0] for line in table[1:]] == cleaned
    assert [line[1] for line in table[1:]] == [scores()[1][r] for r in rows]
    # TSV is the default; CSV keeps the text exactly.
    assert client.post("/api/datasets/tricky/export", json={"rows": rows}).text == r.text
    table = csv_table(client.post("/api/datasets/tricky/export", json={"rows": rows, "format": "csv"}).text)
    assert [line[0] for line in table[1:]] == [words()[r] for r in rows]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"rows": []}, 400, "empty"),
        ({"rows": [0, N]}, 400, "out of range"),
        ({"rows": [-1]}, 400, "out of range"),
        ({"rows": [2, 2]}, 400, "more than once"),
        ({"rows": [1], "format": "npy"}, 422, "format"),
        ({}, 422, "rows"),
    ],
)
def test_selection_export_checks_rows(client, body, status, needle) -> None:
    r = client.post("/api/datasets/tricky/export", json=body)
    print(r.json())
    assert r.status_code == status and needle in r.json()["error"]


def test_selection_export_of_unknown_dataset_is_404(client) -> None:
    r = client.post("/api/datasets/nope-123/export", json={"rows": [0]})
    assert r.status_code == 404 and r.json()["status"] == 404


def test_results_and_rows_survive_a_restart(tmp_path) -> None:
    data_dir = tmp_path / "data"
    create_dataset(data_dir)
    rows = [10, 2, 30, 4, 50, 6, 70, 8]
    body = {"method": "pca", "params": {"components": 3}, "rows": rows, "sphereize": True}
    with run_server(data_dir, ENV) as live, live.client() as c:
        job_id = run(c, body)
        before = {fmt: download(c, job_id, fmt, f"tricky-pca.{fmt}").content for fmt in ("tsv", "csv", "npy")}
    assert (data_dir / "results" / f"{job_id}.rows").is_file()
    with run_server(data_dir, ENV) as live, live.client() as c:
        status = c.get(f"/api/projections/{job_id}").json()
        assert status["status"] == "done" and status["rows"] == len(rows) and status["sphereize"] is True
        for fmt, content in before.items():
            assert download(c, job_id, fmt, f"tricky-pca.{fmt}").content == content
        table = tsv_table(before["tsv"].decode("utf-8"))
        assert table[0] == ["row", "pc1", "pc2", "pc3", "word", "score, raw"]
        assert [int(line[0]) for line in table[1:]] == rows
        again = c.post("/api/datasets/tricky/projections", json=body)
        assert again.status_code == 200 and again.json()["id"] == job_id


def test_a_metadata_column_named_like_a_coordinate_is_renamed_and_a_layouts_own_left_out() -> None:
    columns = [{"name": "x", "values": [1]}, {"name": "word", "values": ["a"]}, {"name": "y", "values": [2]}]
    assert [c["name"] for c in distinct_headers(columns, ["x", "y"])] == ["x (metadata)", "word", "y (metadata)"]
    assert [c["name"] for c in distinct_headers(columns, ["x", "y"], ["x", "y"])] == ["word"]
    assert [c["name"] for c in distinct_headers(columns, ["pc1", "pc2"])] == ["x", "word", "y"]
