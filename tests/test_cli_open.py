"""`embedding-projector PATH...`: import, serve, print each dataset's address; --open; bad files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import run_open

N, DIM = 30, 5


def write_parquet(path: Path, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(N, DIM)).astype(np.float32)
    pq.write_table(pa.table({
        "embedding": pa.array(list(vectors), type=pa.list_(pa.float32())),
        "word": [f"w{i}" for i in range(N)],
        "rank": list(range(N)),
    }), path)
    return vectors


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No --data-dir: the per-user folder, isolated through XDG_DATA_HOME."""
    isolated = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    return {k: v for k, v in {**os.environ, **isolated}.items() if k != "PROJECTOR_DATA_DIR"}


def dataset_id(url: str) -> str:
    return httpx.URL(url).params["dataset"]


def test_parquet_opens_reuses_and_a_changed_file_is_new(tmp_path: Path, env: dict[str, str]) -> None:
    data = tmp_path / "data.parquet"
    write_parquet(data)
    with run_open([str(data), "--vector", "embedding", "-p", "0"], env) as opened:
        url = opened.urls[0]
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        info = httpx.get(f"{opened.base}api/datasets/{dataset_id(url)}", timeout=10).json()
        assert (info["n"], info["dim"]) == (N, DIM)
        assert [(c["name"], c["type"]) for c in info["columns"]] == [("word", "text"), ("rank", "numeric")]
        assert str(tmp_path / "xdg" / "embedding-projector") in opened.lines[0]  # the per-user folder
    # A second process opening the same unchanged file finds the dataset instead of adding a copy.
    with run_open([str(data), "--vector", "embedding", "-p", "0"], env) as again:
        assert again.urls == [url.replace(opened.base, again.base)]
        listed = httpx.get(again.base + "api/datasets", timeout=10).json()
        assert [d["id"] for d in listed] == [dataset_id(url)]
    write_parquet(data, seed=1)
    with run_open([str(data), "--vector", "embedding", "-p", "0"], env) as changed:
        assert dataset_id(changed.urls[0]) != dataset_id(url)
        assert len(httpx.get(changed.base + "api/datasets", timeout=10).json()) == 2


def test_several_paths_and_csv_metadata(tmp_path: Path, env: dict[str, str]) -> None:
    vectors = np.random.default_rng(2).normal(size=(4, 3))
    np.savez(tmp_path / "a.npz", embeddings=vectors, ids=np.arange(4))
    (tmp_path / "meta.csv").write_text('word,note\nalpha,"one, two"\nbeta,x\ngamma,y\ndelta,z\n')
    np.save(tmp_path / "b.npy", vectors[:, :2])
    with run_open([str(tmp_path / "a.npz"), "--metadata", str(tmp_path / "meta.csv"), "-p", "0"], env) as one:
        info = httpx.get(f"{one.base}api/datasets/{dataset_id(one.urls[0])}", timeout=10).json()
        assert (info["n"], info["dim"], [c["name"] for c in info["columns"]]) == (4, 3, ["word", "note"])
        meta = httpx.get(f"{one.base}api/datasets/{info['id']}/metadata", timeout=10).json()
        assert meta["columns"][1]["values"][0] == "one, two"
    with run_open([str(tmp_path / "a.npz"), str(tmp_path / "b.npy"), "-p", "0"], env, datasets=2) as two:
        dims = [httpx.get(f"{two.base}api/datasets/{dataset_id(u)}", timeout=10).json()["dim"] for u in two.urls]
        assert dims == [3, 2]


def _bad_files(tmp_path: Path) -> list[tuple[list[str], str, str]]:
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    write_parquet(tmp_path / "good.parquet")
    np.save(tmp_path / "v.npy", np.ones((3, 2)))
    (tmp_path / "m.csv").write_text("word\na\nb\n")
    return [
        ([str(tmp_path / "broken.parquet")], "broken.parquet", "not a readable Parquet file"),
        ([str(tmp_path / "good.parquet"), "--vector", "nope"], "good.parquet", "has no column 'nope'"),
        ([str(tmp_path / "v.npy"), "--metadata", str(tmp_path / "m.csv")], "m.csv", "2 data rows"),
        ([str(tmp_path / "missing.parquet")], "missing.parquet", "does not exist"),
    ]


def test_a_bad_file_is_one_line_and_status_1_and_no_server(tmp_path: Path, env: dict[str, str]) -> None:
    for args, name, problem in _bad_files(tmp_path):
        process = subprocess.Popen([sys.executable, "-m", "embedding_projector", *args, "-p", "0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 1, (args, err)
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("embedding-projector: "), err
        assert name in lines[0] and problem in lines[0], lines[0]
        assert out == ""  # no "Embedding Projector on": it never listened, and it has exited


def test_open_starts_the_browser_on_the_dataset_once_it_answers(tmp_path: Path, env: dict[str, str]) -> None:
    data = tmp_path / "data.parquet"
    write_parquet(data)
    written = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    # The page is fetched by the "browser" itself: it can only succeed once the server answers.
    browser.write_text(
        "#!/bin/sh\n"
        f"{sys.executable} -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1]); "
        f"open(sys.argv[2], \"w\").write(sys.argv[1])' \"$1\" {written}\n"
        "echo browser-opened\n"
    )
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    with run_open([str(data), "--open", "-p", "0"], {**env, "BROWSER": str(browser)}) as opened:
        opened.wait_for_line("browser-opened")
        assert written.read_text() == opened.urls[0]
        info = httpx.get(f"{opened.base}api/datasets/{dataset_id(opened.urls[0])}", timeout=10).json()
        assert (info["n"], info["dim"]) == (N, DIM)


def test_without_open_no_browser_is_started(tmp_path: Path, env: dict[str, str]) -> None:
    data = tmp_path / "data.parquet"
    write_parquet(data)
    browser = tmp_path / "browser.sh"
    browser.write_text(f"#!/bin/sh\ntouch {tmp_path / 'opened'}\n")
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    with run_open([str(data), "-p", "0"], {**env, "BROWSER": str(browser)}) as opened:
        # The page's first request has been answered: the server has been up for a while.
        assert httpx.get(opened.urls[0], timeout=10).status_code == 200
    assert not (tmp_path / "opened").exists()
