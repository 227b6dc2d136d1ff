"""Tags and edits, one user story: box-select a group, tag it, colour by the tag and read the legend,
search it, share the view, tag more, edit one cell and undo it, open the old link (old tags, and a
notice of the newer edits with "Show latest"), and download metadata.tsv with the edits."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PageErrors, open_projector
from tests.browser.map_tools_helpers import (
    canvas_box, clear_of_points, drag_path, grid_layout, positions, rect, rows_inside, selection, switch_to_2d,
    upload_layout,
)
from tests.browser.share_helpers import fresh_page, legend_entries, wait_ready
from tests.browser.test_exports import download

SIDE = 12
N = SIDE * SIDE


def box_clear_of(at: list, x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    """The rectangle, nudged by a few px until no point lies on its outline."""
    for d in range(0, 40, 2):
        poly = rect(x0 + d, y0 + d, x1 + d, y1 + d)
        if clear_of_points(poly, at):
            return poly
    raise AssertionError("no box clear of the points")


def box_select(page: Page, at: list, frac: tuple[float, float, float, float]) -> set[int]:
    """Drag a box over the canvas fraction (x0, y0, x1, y1); answer the rows inside it (as selected)."""
    box = canvas_box(page)
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    poly = box_clear_of(at, x + w * frac[0], y + h * frac[1], x + w * frac[2], y + h * frac[3])
    page.click("#tool-box")
    drag_path(page, [poly[0], poly[2]])
    want = rows_inside(poly, at)
    expect(page.locator("#selection-count")).to_have_text(f"{len(want):,} selected")
    assert selection(page) == want
    return want


def tag(page: Page, column: str, value: str, version: int, n: int) -> None:
    page.fill("#tag-column", column)
    page.fill("#tag-value", value)
    expect(page.locator("#tag-button")).to_have_text(f"Tag {n} points")
    page.click("#tag-button")
    expect(page.locator("#edit-message")).to_have_text(f"Tagged {n} points “{value}” in {column} (edit {version}).")


def expected_tsv(tags: dict[int, str]) -> str:
    return "word\tindex\tgroup\n" + "".join(f"p{i}\t{i}\t{tags.get(i, '')}\n" for i in range(N))


def test_tag_colour_share_edit_undo_old_link_and_download(
    page: Page, browser: Browser, live_server, page_errors: PageErrors
) -> None:
    page_errors.allow(r"status of 400")  # the refused tag below
    dataset = upload_layout(live_server.url, grid_layout(SIDE), "tags story")
    open_projector(page, live_server.url, dataset)
    switch_to_2d(page)
    at = positions(page, N)
    assert all(p is not None for p in at)

    # Tag a box-selected group: the tag column appears in "Color by", and the legend counts it.
    left = box_select(page, at, (0.15, 0.2, 0.4, 0.7))
    assert len(left) > 5
    # A refused edit shows the server's message, naming what is wrong.
    page.fill("#tag-column", "x")
    page.fill("#tag-value", "left")
    page.click("#tag-button")
    expect(page.locator("#edit-error")).to_contain_text("the column name 'x' is reserved")
    tag(page, "group", "left", 1, len(left))
    expect(page.locator("#edit-error")).to_be_hidden()
    page.select_option("#color-by", "group")
    expect(page.locator("#legend .legend-item[data-value='left'] .legend-count")).to_have_text(str(len(left)))
    # Search sees the tag at once: a search of the tag column finds exactly the tagged points.
    page.select_option("#search-by", "group")
    page.fill("#search-input", "left")
    page.press("#search-input", "Enter")
    expect(page.locator("#match-count")).to_have_text(f"{len(left)} matches")
    assert selection(page) == left
    expect(page.locator("#edit-message")).to_have_text("")  # about an older selection

    # Share this view: its link pins edit 1.
    page.click("#share-button")
    page.wait_for_function("() => document.querySelector('#share-link').value.includes('/v/')")
    shared = page.locator("#share-link").input_value()
    page.keyboard.press("Escape")

    # Tag more, then edit one cell and undo that edit.
    right = box_select(page, at, (0.6, 0.2, 0.85, 0.7))
    assert right and not right & left
    tag(page, "group", "right", 2, len(right))
    expect(page.locator("#legend .legend-item[data-value='right'] .legend-count")).to_have_text(str(len(right)))
    page.click("#tool-orbit")
    solo = next(r for r in range(N) if r not in left | right)
    page.mouse.click(*at[solo])
    expect(page.locator("#edit-cell-form")).to_be_visible()
    page.select_option("#edit-column", "group")
    expect(page.locator("#edit-value")).to_have_value("")
    page.fill("#edit-value", "solo")
    page.click("#edit-save")
    expect(page.locator("#edit-message")).to_have_text(f"Set group of point #{solo} (edit 3).")
    expect(page.locator("#legend .legend-item[data-value='solo'] .legend-count")).to_have_text("1")
    page.click("#edit-undo")
    expect(page.locator("#edit-message")).to_have_text("Undid edit 3 (edit 4).")
    expect(page.locator("#legend .legend-item[data-value='solo']")).to_have_count(0)
    expect(page.locator("#edit-value")).to_have_value("")

    # The metadata.tsv download is TensorBoard's format with the edits.
    latest = {**{r: "left" for r in left}, **{r: "right" for r in right}}
    name, body = download(page, "#download-metadata")
    assert name == f"{dataset}-metadata.tsv"
    assert body.decode() == expected_tsv(latest)

    # The old link opens with the old tags, and says that newer edits exist.
    with fresh_page(browser) as (old, _):
        old.goto(shared)
        wait_ready(old)
        expect(old.locator("#edit-notice")).to_be_visible()
        expect(old.locator("#edit-notice-text")).to_have_text("Tags as of edit 1; 3 newer edits. Show the latest to edit.")
        expect(old.locator("#legend .legend-item[data-value='left'] .legend-count")).to_have_text(str(len(left)))
        expect(old.locator("#legend .legend-item[data-value='right']")).to_have_count(0)
        expect(old.locator("#tag-button")).to_be_disabled()
        expect(old.locator("#tag-button")).to_have_attribute("title", "Show the latest edits to edit")
        _, body = download(old, "#download-metadata")
        assert body.decode() == expected_tsv({r: "left" for r in left})
        old.click("#edit-show-latest")
        expect(old.locator("#edit-notice")).to_be_hidden()
        expect(old.locator("#legend .legend-item[data-value='right'] .legend-count")).to_have_text(str(len(right)))
        assert "right" in " ".join(legend_entries(old))
        old.wait_for_function("() => new URLSearchParams(location.search).get('editVersion') === '4'")
