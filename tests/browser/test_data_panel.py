"""Data panel: upload through the Load dialog, upload errors, and colouring with its legend."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.story_data import N, StoryData

TSV = "text/tab-separated-values"


def test_upload_through_the_load_dialog_shows_the_new_dataset(page: Page, live_server, story: StoryData) -> None:
    open_projector(page, live_server.url)
    page.click("#load-button")
    dialog = page.locator("#upload-dialog")
    expect(dialog).to_be_visible()
    page.fill("#upload-name", "Story upload")
    page.set_input_files("#upload-vectors", files=[{"name": "vectors.tsv", "mimeType": TSV, "buffer": story.vectors_tsv}])
    page.set_input_files("#upload-metadata", files=[{"name": "metadata.tsv", "mimeType": TSV, "buffer": story.metadata_tsv}])
    page.click("#upload-submit")

    expect(dialog).to_be_hidden()
    # The upload's PCA may wait for a worker that a previous test's Stop replaced: allow for its start.
    expect(page.locator("#showing")).to_have_text(f"Showing {N} of {N} points", timeout=30_000)
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", str(N))
    page.wait_for_function("() => document.body.dataset.state === 'ready'")
    selected = page.eval_on_selector("#dataset-select", "s => s.options[s.selectedIndex].text")
    assert selected == "Story upload"
    dataset = page.eval_on_selector("#dataset-select", "s => s.value")
    # The address follows a frame after the state (url_sync.js schedule): wait for it, not for luck.
    page.wait_for_function("d => new URL(location.href).searchParams.get('dataset') === d", arg=dataset, timeout=10_000)
    expect(page.locator("#dataset-info")).to_have_text(f"{N} points × 16 dimensions")
    expect(page.locator("#label-by")).to_have_value("word")


def test_malformed_vectors_show_the_servers_error_and_add_nothing(page: Page, live_server, page_errors) -> None:
    page_errors.allow(r"status of 400")  # the browser logs the failed upload response itself
    open_projector(page, live_server.url)
    before = httpx.get(live_server.url + "/api/datasets").json()
    options_before = page.locator("#dataset-select option").count()

    page.click("#load-button")
    bad = b"0.1\t0.2\t0.3\n0.4\t0.5\t0.6\n0.7\tnot-a-number\t0.9\n"
    page.set_input_files("#upload-vectors", files=[{"name": "broken_vectors.tsv", "mimeType": TSV, "buffer": bad}])
    page.click("#upload-submit")

    error = page.locator("#upload-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("broken_vectors.tsv")
    expect(error).to_contain_text("line 3")
    assert "null" not in error.text_content()  # nothing but the message (a missing detail once read "null")
    expect(page.locator("#upload-dialog")).to_be_visible()
    assert page.locator("#dataset-select option").count() == options_before
    assert httpx.get(live_server.url + "/api/datasets").json() == before

    page.click("#upload-cancel")
    expect(page.locator("#upload-dialog")).to_be_hidden()


def test_load_dialog_takes_a_named_parquet_vector_column_and_csv_metadata(page: Page, live_server, page_errors) -> None:
    import io

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    page_errors.allow(r"status of 400")
    rng = np.random.default_rng(7)
    table = pa.table({"small": list(rng.normal(size=(9, 3))), "big": list(rng.normal(size=(9, 7)))})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    parquet = {"name": "two_columns.parquet", "mimeType": "application/octet-stream", "buffer": buf.getvalue()}
    csv = {"name": "labels.csv", "mimeType": "text/csv",
           "buffer": b'word,kind\n' + b"".join(b'w%d,"kind, %d"\n' % (i, i % 2) for i in range(9))}
    open_projector(page, live_server.url)
    page.click("#load-button")
    page.fill("#upload-name", "Named column")
    page.set_input_files("#upload-vectors", files=[parquet])
    page.set_input_files("#upload-metadata", files=[csv])
    page.click("#upload-submit")
    # Two list columns and none named: the server's error names both, and the dialog stays open.
    error = page.locator("#upload-error")
    expect(error).to_contain_text("'small'")
    expect(error).to_contain_text("'big'")

    page.fill("#upload-vector-column", "big")
    page.click("#upload-submit")
    expect(page.locator("#upload-dialog")).to_be_hidden()
    expect(page.locator("#dataset-info")).to_have_text("9 points × 7 dimensions", timeout=30_000)
    expect(page.locator("#label-by")).to_have_value("word")
    expect(page.locator("#color-by option", has_text="kind")).to_have_count(1)


def test_color_by_category_draws_a_legend_with_counts(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.select_option("#color-by", "category")

    items = page.locator("#legend .legend-item")
    expect(items).to_have_count(4)
    shown = {
        items.nth(i).locator(".legend-value").inner_text(): int(items.nth(i).locator(".legend-count").inner_text())
        for i in range(4)
    }
    expected = {c: story.categories.count(c) for c in set(story.categories)}
    assert shown == expected
    swatches = page.eval_on_selector_all("#legend .swatch", "els => els.map(e => getComputedStyle(e).backgroundColor)")
    assert len(set(swatches)) == 4, swatches


def test_color_by_numeric_column_draws_a_colour_bar(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.select_option("#color-by", "score")

    expect(page.locator("#legend .colorbar-ramp")).to_be_visible()
    expect(page.locator("#legend .colorbar-min")).to_have_text(f"{min(story.scores):g}")
    expect(page.locator("#legend .colorbar-max")).to_have_text(f"{max(story.scores):g}")
    expect(page.locator("#legend .legend-item")).to_have_count(0)

    page.select_option("#color-by", "")
    expect(page.locator("#legend")).to_be_empty()


def test_text_column_with_many_values_cannot_colour(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    option = page.locator("#color-by option[value='word']")
    expect(option).to_have_text(f"word ({N} values)")
    expect(option).to_be_disabled()


def test_switching_datasets_updates_the_view_and_the_url(page: Page, live_server, dataset_id: str) -> None:
    small = "".join("\t".join(f"{(i * 7 + j * 3) % 11 / 10:.2f}" for j in range(5)) + "\n" for i in range(40))
    answer = httpx.post(
        live_server.url + "/api/datasets",
        files={"vectors": ("small.tsv", small.encode(), TSV)},
        data={"name": "no metadata"},
    )
    assert answer.status_code == 201, answer.text
    other = answer.json()["id"]

    open_projector(page, live_server.url, dataset_id)
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", str(N))
    page.select_option("#dataset-select", other)
    expect(page.locator("#showing")).to_have_text("Showing 40 of 40 points")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", "40")
    page.wait_for_function(f"() => new URL(location.href).searchParams.get('dataset') === '{other}'")
    # Without metadata the server's "index" column labels the points; 5 dims give 5 components.
    expect(page.locator("#label-by")).to_have_value("index")
    expect(page.locator("#axis-x option")).to_have_count(5)
    page.fill("#search-input", "3")
    expect(page.locator("#match-count")).to_have_text("13 matches")  # 3, 13, 23, 30..39
