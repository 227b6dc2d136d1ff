"""The Python API against real server processes: show, project, neighbours, the iframe, and stop leaving no process."""

from __future__ import annotations

import html
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

import embedding_projector as ep
from embedding_projector.python_api import local_server
from embedding_projector.python_api.http_client import ProjectorError
from tests.conftest import python_api_env, run_server

N, D = 300, 12
# One worker and no warm-up: the tests run pca, and a warm-up would compile UMAP beside them.
SERVER_ENV = {"PROJECTOR_WORKERS": "1", "PROJECTOR_WARMUP": "false"}


@pytest.fixture(scope="module")
def data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An isolated per-user data folder (and the env the local servers start with)."""
    with python_api_env(tmp_path_factory.mktemp("ep-home"), SERVER_ENV) as home:
        yield home


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return np.random.default_rng(7).normal(size=(N, D))


@pytest.fixture(scope="module")
def shown(data_home: Path, vectors: np.ndarray) -> ep.Projector:
    """One show() for the module: the local server it starts is shared by the tests below."""
    words = pd.DataFrame({"word": [f"w{i}" for i in range(N)], "freq": np.arange(N)}, index=np.arange(N) + 1000)
    return ep.show(vectors, words, name="api test")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0) until its parent reaps it; it runs no code.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    """The pids still alive after `timeout`: a process that was not our child has no exit event to wait on."""
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if not _gone(p)]
        if alive:
            time.sleep(0.1)
    return [p for p in alive if not _gone(p)]


def test_show_lists_the_dataset_with_its_size_and_columns(shown: ep.Projector) -> None:
    base, query = shown.url.split("/?", 1)
    assert f"dataset={shown.dataset}" in query and "projection=pca" in query
    info = httpx.get(f"{base}/api/datasets/{shown.dataset}", timeout=30).json()
    assert (info["n"], info["dim"], info["name"]) == (N, D, "api test")
    assert (shown.n, shown.dim) == (N, D)
    assert [c["name"] for c in info["columns"]] == ["word", "freq"]
    assert shown.dataset in repr(shown)


def test_the_upload_is_float32_exact(shown: ep.Projector, vectors: np.ndarray) -> None:
    """Neighbours by vector of row 5's own float32 vector: row 5 at distance 0 (no text round trip)."""
    rows, distances = shown.neighbors(vectors[5].astype(np.float32), k=1, metric="euclidean")
    assert rows.tolist() == [5] and distances[0] == pytest.approx(0.0, abs=1e-6)


def test_project_returns_the_coordinates_of_the_same_job_over_http(shown: ep.Projector) -> None:
    coords = shown.project("pca", components=3, progress=False)
    assert coords.shape == (N, 3) and coords.dtype == np.float32
    base = shown.url.split("/?")[0]
    with httpx.Client(base_url=base, timeout=60) as http:
        job = http.post(f"/api/datasets/{shown.dataset}/projections",
                        json={"method": "pca", "params": {"components": 3}}).json()
        with http.stream("GET", f"/api/projections/{job['id']}/events") as events:
            for _ in events.iter_lines():
                pass  # the stream ends with the final status
        answer = http.get(f"/api/projections/{job['id']}/coords")
    expected = np.frombuffer(answer.content, "<f4").reshape(tuple(int(s) for s in answer.headers["X-Shape"].split(",")))
    np.testing.assert_array_equal(coords, expected)


def test_project_a_subset_and_a_failing_job(shown: ep.Projector) -> None:
    assert shown.project("pca", rows=np.arange(50), components=2, progress=False).shape == (50, 2)
    with pytest.raises(ProjectorError, match="422"):
        shown.project("pca", components=99, progress=False)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_neighbours_match_numpy(shown: ep.Projector, vectors: np.ndarray, metric: str) -> None:
    x = vectors.astype(np.float32).astype(np.float64)

    def oracle(q: np.ndarray) -> np.ndarray:
        if metric == "cosine":
            return 1 - (x @ q) / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
        return np.linalg.norm(x - q, axis=1)

    rows, distances = shown.neighbors(17, k=8, metric=metric)
    want = oracle(x[17])
    want[17] = np.inf  # the row itself is excluded
    np.testing.assert_array_equal(rows, np.argsort(want)[:8])
    np.testing.assert_allclose(distances, want[rows], rtol=1e-4, atol=1e-5)

    query = np.random.default_rng(1).normal(size=D)
    rows, distances = shown.neighbors(query, k=8, metric=metric)
    want = oracle(query)
    np.testing.assert_array_equal(rows, np.argsort(want)[:8])
    np.testing.assert_allclose(distances, want[rows], rtol=1e-4, atol=1e-5)


def test_the_inline_frame_serves_the_page_and_allows_local_jupyter(shown: ep.Projector) -> None:
    markup = shown._repr_html_()
    match = re.fullmatch(r'<iframe src="([^"]+)" width="100%" height="600" style="border:none;width:100%".*</iframe>',
                         markup)
    assert match, markup
    src = html.unescape(match.group(1))
    assert src == shown.frame_url and src.startswith(shown.url)
    page = httpx.get(src, timeout=30)
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert "http://localhost:*" in page.headers["content-security-policy"]


def test_selection_without_a_page_state_endpoint_says_so(shown: ep.Projector) -> None:
    """Until /api/live is on the server, show() still works; the frame is the plain page."""
    base = shown.url.split("/?")[0]
    if httpx.post(f"{base}/api/live", json={"dataset": shown.dataset}, timeout=30).status_code == 404:
        assert shown.frame_url == shown.url
        with pytest.raises(ProjectorError, match="/api/live"):
            _ = shown.selection
    else:
        assert "&live=" in shown.frame_url
        assert shown.selection.size == 0 and shown.view() is None


def test_a_second_show_reuses_the_server(shown: ep.Projector, vectors: np.ndarray) -> None:
    again = ep.show(vectors[:20], ["a"] * 20, projection=None)
    assert again.url.split("/?")[0] == shown.url.split("/?")[0]
    assert "projection" not in again.url
    with pytest.raises(ValueError, match="metadata has 3 rows but vectors has 20"):
        ep.show(vectors[:20], ["a"] * 3)
    # The same call again (a re-run cell) shows the same dataset; other data or another name do not.
    before = len(httpx.get(f"{shown.url.split('/?')[0]}/api/datasets", timeout=30).json())
    assert ep.show(vectors[:20], ["a"] * 20, projection=None).dataset == again.dataset
    assert ep.show(vectors[:20], ["b"] * 20, projection=None).dataset != again.dataset
    assert ep.show(vectors[:20], ["a"] * 20, name="other", projection=None).dataset != again.dataset
    assert len(httpx.get(f"{shown.url.split('/?')[0]}/api/datasets", timeout=30).json()) == before + 2


def _group_pids(base: str, server_pid: int) -> list[int]:
    workers = httpx.get(f"{base}/api/status", timeout=30).json()["workers"]
    assert workers, "the server lists no workers"
    return [server_pid, *(w["pid"] for w in workers)]


def test_stop_leaves_no_process(shown: ep.Projector) -> None:
    server = local_server._server
    assert server is not None
    pids = _group_pids(server.url, server.process.pid)
    ep.stop()
    assert server.process.poll() is not None  # stop() waited for the server itself
    assert _wait_gone(pids, 10) == []
    ep.stop()  # a second stop is a no-op


CHILD = textwrap.dedent("""
    import sys, time, httpx, numpy as np
    import embedding_projector as ep
    from embedding_projector.python_api import local_server
    p = ep.show(np.random.default_rng(0).normal(size=(50, 4)), projection=None)
    server = local_server._server
    workers = httpx.get(server.url + "/api/status").json()["workers"]
    print(server.process.pid, *(w["pid"] for w in workers), flush=True)
    if sys.argv[1] == "hang":
        time.sleep(600)
""")


@pytest.mark.parametrize("ending", ["exit", "hang"])
def test_a_session_that_ends_leaves_no_server(data_home: Path, ending: str) -> None:
    """A child interpreter that exits (atexit) or is SIGKILLed (exit_with_parent) leaves no server behind."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, ending], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PROJECTOR_DATA_DIR": str(data_home / ending)})
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        pids = [int(p) for p in line.split()]
        assert len(pids) >= 2, line
        if ending == "hang":
            child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        assert _wait_gone(pids, 20) == []
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_show_to_a_hosted_server_takes_its_token(tmp_path: Path, vectors: np.ndarray) -> None:
    token = "hosted-token-0123456789abcdef"
    before = local_server._server
    with run_server(tmp_path / "data", {"PROJECTOR_WRITE_TOKEN": token, **SERVER_ENV}) as hosted:
        with pytest.raises(ProjectorError, match=r"\(401\).*pass token= or set PROJECTOR_TOKEN"):
            ep.show(vectors, projection=None, server=hosted.url)
        shown = ep.show(vectors[:40], [f"w{i}" for i in range(40)], server=hosted.url + "/", token=token,
                        name="hosted")
        assert shown.url.startswith(f"{hosted.url}/?dataset={shown.dataset}&projection=pca")
        info = httpx.get(f"{hosted.url}/api/datasets/{shown.dataset}", timeout=30).json()
        assert (info["name"], info["n"], info["dim"]) == ("hosted", 40, D)
        rows, _ = shown.neighbors(3, k=5)
        assert len(rows) == 5 and 3 not in rows
    assert local_server._server is before  # a hosted show starts no local server


def test_show_with_a_sprite_serves_it(data_home: Path) -> None:
    from PIL import Image

    digits = np.random.default_rng(3).integers(0, 255, size=(9, 8, 8), dtype=np.uint8)
    sheet = Image.new("L", (24, 24))
    for i, tile in enumerate(digits):
        sheet.paste(Image.fromarray(tile), ((i % 3) * 8, (i // 3) * 8))
    with pytest.raises(ValueError, match="sprite_dim"):
        ep.show(digits.reshape(9, -1), sprite=sheet, projection=None)
    shown = ep.show(digits.reshape(9, -1).astype(float), sprite=sheet, sprite_dim=8, projection=None)
    served = httpx.get(f"{shown.url.split('/?')[0]}/api/datasets/{shown.dataset}/sprite", timeout=30)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    back = np.asarray(Image.open(io.BytesIO(served.content)).convert("L"))
    assert np.array_equal(back[8:16, 0:8], digits[3])  # row 3's thumbnail, where the page will cut it
