"""TensorBoard bookmark files in the Bookmarks panel: load one, restore a state on exactly its layout, save the list."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from playwright.sync_api import Page, expect

from embedding_projector.datasets.importer import import_config
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.datasets.tensorboard_bookmarks import parse_states
from tests.browser.conftest import open_projector
from tests.browser.share_helpers import wait_ready
from tests.browser.story_data import N
from tests.tensorboard_states import tb_file
from tests.test_api_tensorboard_bookmarks import write_config


def test_load_restore_and_save_a_tensorboard_bookmarks_file(page: Page, live_server, dataset_id: str,
                                                            tmp_path: Path, page_errors) -> None:
    data, raw = tb_file(N, seed=11)
    path = tmp_path / "state.json"  # TensorBoard's download name
    path.write_bytes(data)
    open_projector(page, live_server.url, dataset_id)
    expect(page.locator("#bookmarks-download")).to_be_disabled()
    page_errors.allow(r"status of 400")
    bad = tmp_path / "broken.json"
    bad.write_bytes(b"[{]")
    with page.expect_file_chooser() as chooser:
        page.click("#bookmarks-load")
    chooser.value.set_files(str(bad))
    expect(page.locator("#bookmarks-message")).to_have_text(re.compile(r"^broken\.json is not JSON \("))
    expect(page.locator("#bookmark-list li")).to_have_count(0)

    with page.expect_file_chooser() as chooser:
        page.click("#bookmarks-load")
    chooser.value.set_files(str(path))
    expect(page.locator("#bookmark-list .bookmark-name")).to_have_text([s["label"] for s in raw])
    expect(page.locator("#bookmarks-count")).to_have_text("3")
    expect(page.locator("#bookmarks-download")).to_be_enabled()

    # Restoring the UMAP state (on TensorBoard's filtered points) fetches exactly the file's coordinates.
    with page.expect_response(lambda r: r.url.endswith("/coords") and "/api/projections/" in r.url) as answer:
        page.locator("#bookmark-list .bookmark-restore").nth(1).click()
    expected = np.array([[p["umap-0"], p["umap-1"]] for p in raw[1]["projections"]], dtype="<f4")
    assert answer.value.body() == expected.tobytes()
    wait_ready(page)
    shown = page.evaluate("""() => {
        const s = window.__projector.store.get();
        return {method: s.projection.method, isolated: s.isolated, selection: s.selection, d: s.coords.d};
    }""")
    filtered = raw[1]["filteredPoints"]
    assert shown == {"method": "given", "isolated": filtered, "selection": [filtered[0], filtered[3]], "d": 2}
    expect(page.locator("#given-layout option:checked")).to_have_text("TensorBoard bookmark 2 (UMAP) (2D)")

    with page.expect_download() as download:
        page.click("#bookmarks-download")
    saved = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename == f"{dataset_id}-bookmarks.json"
    for a, b in zip(parse_states(data, N), parse_states(saved, N), strict=True):
        assert (a.label, a.projection, a.filtered) == (b.label, b.projection, b.filtered)
        assert a.coords.tobytes() == b.coords.tobytes()


def test_a_configs_bookmarks_are_listed_for_its_dataset(page: Page, live_server, tmp_path: Path) -> None:
    # `embedding-projector import` of a config with bookmarksPath, into the running server's data folder.
    write_config(tmp_path / "logs", "states/bookmarks.json")
    store = DatasetStore(live_server.data_dir / "datasets", clean_staging=False)
    (imported,), errors = import_config(store, tmp_path / "logs" / "projector_config.pbtxt", max_sprite_pixels=1 << 20)
    assert errors == []
    open_projector(page, live_server.url, imported.info.id)
    expect(page.locator("#bookmark-list .bookmark-name")).to_have_text(["tsne 3d", "umap on a filter", "pca 2d"])
    page.locator("#bookmark-list .bookmark-restore").nth(0).click()
    page.wait_for_function("() => window.__projector.store.get().projection.method === 'given'")
    wait_ready(page)
    assert page.evaluate("window.__projector.store.get().coords.d") == 3
