"""Sprites: each point drawn as its image from the sprite sheet (read back from the canvas pixels),
the "Sprites" toggle, thumbnails in the neighbour list, the search results and the hover card, and
the Load dialog's sprite and Parquet inputs."""

from __future__ import annotations

import io
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import FIRST_VIEW_TIMEOUT_MS, open_projector
from tests.browser.projection_helpers import wait_settled
from tests.browser.sprite_data import (
    CELL,
    DEFAULT_POINT_COLOR,
    N,
    PER_ROW,
    SpriteData,
    close_to,
    rows_showing_own_colour,
    screen_positions,
    sprite_data,
    unoccluded,
    upload_sprite_dataset,
    viewport_image,
)

SPRITES_STATE = "document.querySelector('canvas.scatter-canvas').dataset.sprites"
LIST_THUMB = 32  # px: sprite_thumbs.js LIST_THUMB_PX
HOVER_THUMB = 64  # px: the hover card's thumbnail
SPRITE_HALF_2D = 16  # px: half of a 30-point cloud's thumbnail (sprites_layer.js baseSpriteSize) at zoom 1


@pytest.fixture(scope="module")
def sprites() -> SpriteData:
    return sprite_data()


@pytest.fixture
def sprite_dataset(live_server, sprites: SpriteData, request: pytest.FixtureRequest) -> str:
    return upload_sprite_dataset(live_server.url, sprites, request.node.name)


def wait_sprites(page: Page, state: str) -> None:
    """Wait until the canvas reports `state` ('on', 'off', ...) for a finished render, and no animation."""
    page.wait_for_function(f"() => {SPRITES_STATE} === {state!r}")
    wait_settled(page)


def thumb_offset(style: str) -> tuple[float, float]:
    """The two pixel numbers of a background-position such as "-32px -64px" (or "0px 0px")."""
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", style)]
    assert len(numbers) == 2, style
    return numbers[0], numbers[1]


def expected_offset(row: int, size: int) -> tuple[float, float]:
    scale = size / CELL
    return -(row % PER_ROW) * CELL * scale, -(row // PER_ROW) * CELL * scale


def test_points_are_drawn_as_their_images_and_the_toggle_brings_points_back(
    page: Page, live_server, sprite_dataset: str, sprites: SpriteData
) -> None:
    open_projector(page, live_server.url, sprite_dataset)
    expect(page.locator("#sprites-option")).to_be_visible()
    expect(page.locator("#sprites-toggle")).to_be_checked()
    wait_sprites(page, "on")

    # 3D: thumbnails grow with nearness and overlap more, so most (not all) centres show their image.
    positions = screen_positions(page, range(N))
    assert len(positions) == N
    shown = rows_showing_own_colour(viewport_image(page), positions, sprites.colors)
    print(f"3D: {len(shown)} of {N} points show their own image at their centre")
    assert len(shown) >= N // 2

    # 2D: every thumbnail is the same size, so each one no later thumbnail covers must show its colour.
    page.click("#dims-toggle button[data-mode='2d']")
    page.wait_for_function("() => document.querySelector('canvas.scatter-canvas').dataset.mode === '2d'")
    wait_sprites(page, "on")
    positions = screen_positions(page, range(N))
    visible = unoccluded(positions, SPRITE_HALF_2D)
    image = viewport_image(page)
    shown = rows_showing_own_colour(image, positions, sprites.colors)
    print(f"2D: {len(visible)} uncovered thumbnails, {len(shown)} points show their own image")
    assert len(visible) >= 8
    assert set(visible) <= set(shown), f"rows {sorted(set(visible) - set(shown))} do not show their image"

    # Sprites off: plain points in the default colour, and no cell colour anywhere they are.
    page.uncheck("#sprites-toggle")
    wait_sprites(page, "off")
    image = viewport_image(page)
    assert rows_showing_own_colour(image, positions, sprites.colors) == []
    as_points = [r for r in visible if close_to(image.getpixel((round(positions[r]["x"]), round(positions[r]["y"]))), DEFAULT_POINT_COLOR)]
    assert len(as_points) >= len(visible) - 1, "the uncovered points are not drawn as default-coloured points"

    page.check("#sprites-toggle")
    wait_sprites(page, "on")
    assert set(visible) <= set(rows_showing_own_colour(viewport_image(page), positions, sprites.colors))


def test_lists_and_hover_card_show_thumbnails(page: Page, live_server, sprite_dataset: str, sprites: SpriteData) -> None:
    open_projector(page, live_server.url, sprite_dataset)
    wait_sprites(page, "on")
    page.click("#dims-toggle button[data-mode='2d']")
    page.wait_for_function("() => document.querySelector('canvas.scatter-canvas').dataset.mode === '2d'")
    wait_sprites(page, "on")
    positions = screen_positions(page, range(N))
    row = unoccluded(positions, SPRITE_HALF_2D)[0]

    # Click the point: its 29 neighbours are listed, each with its own thumbnail.
    page.mouse.click(positions[row]["x"], positions[row]["y"])
    expect(page.locator("#selected-label")).to_have_text(sprites.names[row])
    items = page.locator("#neighbor-list li")
    expect(items).to_have_count(N - 1)
    expect(page.locator("#neighbor-list li .thumb")).to_have_count(N - 1)
    listed = page.eval_on_selector_all(
        "#neighbor-list li",
        """els => els.map(e => {
            const t = e.querySelector('.thumb');
            return [Number(e.dataset.row), t.style.backgroundPosition, t.style.backgroundSize, t.style.backgroundImage];
        })""",
    )
    assert sorted(r for r, *_ in listed) == sorted(set(range(N)) - {row})
    scale = LIST_THUMB / CELL
    for r, position, size, image in listed:
        assert thumb_offset(position) == expected_offset(r, LIST_THUMB), f"row {r}: background-position {position}"
        assert thumb_offset(size) == (PER_ROW * CELL * scale, 5 * CELL * scale)
        assert f"/api/datasets/{sprite_dataset}/sprite" in image

    # The thumbnail really shows that row's image: its middle pixel is the row's cell colour.
    first = listed[0][0]
    thumb = page.locator(f"#neighbor-list li[data-row='{first}'] .thumb")
    box = Image.open(io.BytesIO(thumb.screenshot())).convert("RGB")
    assert close_to(box.getpixel((box.width // 2, box.height // 2)), sprites.colors[first])

    # Hover another point: the card shows its label and a bigger thumbnail of its image.
    other = next(r for r in unoccluded(positions, SPRITE_HALF_2D) if r != row)
    page.mouse.move(positions[other]["x"], positions[other]["y"])
    card = page.locator("#hover-card")
    expect(card).to_have_text(sprites.names[other])
    expect(card.locator(".thumb")).to_be_visible()
    style = card.locator(".thumb").evaluate("t => t.style.backgroundPosition")
    assert thumb_offset(style) == expected_offset(other, HOVER_THUMB)

    # Search results carry thumbnails too.
    page.mouse.move(0, 0)
    page.fill("#search-input", "img1")
    matches = [r for r, name in enumerate(sprites.names) if "img1" in name]
    expect(page.locator("#match-list li")).to_have_count(len(matches))
    expect(page.locator("#match-list li .thumb")).to_have_count(len(matches))
    style = page.locator(f"#match-list li[data-row='{matches[-1]}'] .thumb").evaluate("t => t.style.backgroundPosition")
    assert thumb_offset(style) == expected_offset(matches[-1], LIST_THUMB)


def test_a_dataset_without_sprites_has_no_toggle_and_no_thumbnails(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    expect(page.locator("#sprites-option")).to_be_hidden()
    assert page.evaluate(SPRITES_STATE) == "off"
    page.fill("#search-input", "orange")
    expect(page.locator("#match-list li")).to_have_count(1)
    expect(page.locator("#match-list .thumb")).to_have_count(0)


def file_payload(name: str, data: bytes, mime: str) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def submit_upload(page: Page) -> None:
    page.click("#upload-submit")


def wait_uploaded(page: Page, name: str) -> str:
    """Wait until the dialog closed and the new dataset (named `name`) is drawn; its id."""
    expect(page.locator("#upload-dialog")).to_be_hidden()
    page.wait_for_function(
        """name => {
            const s = window.__projector.store.get();
            const d = s.datasets.find(x => x.name === name);
            return d && s.dataset === d.id && document.body.dataset.state === 'ready';
        }""",
        arg=name,
        timeout=FIRST_VIEW_TIMEOUT_MS,
    )
    return page.evaluate("window.__projector.store.get().dataset")


def test_load_dialog_uploads_a_sprite_sheet_and_shows_its_errors(
    page: Page, page_errors, live_server, dataset_id: str, sprites: SpriteData
) -> None:
    page_errors.allow(r"status of 400")
    open_projector(page, live_server.url, dataset_id)
    page.click("#load-button")
    page.fill("#upload-name", "dialog sprites")
    page.set_input_files("#upload-vectors", files=[file_payload("vectors.tsv", sprites.vectors_tsv, "text/tab-separated-values")])
    page.set_input_files("#upload-metadata", files=[file_payload("metadata.tsv", sprites.metadata_tsv, "text/tab-separated-values")])
    page.set_input_files("#upload-sprite", files=[file_payload("sprite.png", sprites.sprite_png, "image/png")])

    # No image size: the server names the missing field, and the dialog stays open with the message.
    submit_upload(page)
    error = page.locator("#upload-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("sprite_dim is missing")
    expect(page.locator("#upload-dialog")).to_be_visible()

    # A size that does not tile the sheet: the message names the sprite file.
    page.fill("#upload-sprite-dim", "20")
    submit_upload(page)
    expect(error).to_contain_text("sprite.png is 96×80 pixels")

    page.fill("#upload-sprite-dim", f"{CELL},{CELL}")
    submit_upload(page)
    new_id = wait_uploaded(page, "dialog sprites")
    info = page.evaluate("window.__projector.store.get().info")
    assert info["id"] == new_id and info["n"] == N
    assert {k: info["sprite"][k] for k in ("cell_width", "cell_height", "per_row")} == {"cell_width": CELL, "cell_height": CELL, "per_row": PER_ROW}
    expect(page.locator("#sprites-option")).to_be_visible()
    wait_sprites(page, "on")
    positions = screen_positions(page, range(N))
    assert len(rows_showing_own_colour(viewport_image(page), positions, sprites.colors)) >= N // 2


def test_load_dialog_takes_a_parquet_table_without_a_metadata_file(
    page: Page, live_server, dataset_id: str, sprites: SpriteData
) -> None:
    table = pa.table({
        "name": sprites.names,
        "embedding": [list(map(float, v)) for v in sprites.vectors],
        "group": sprites.groups,
    })
    out = io.BytesIO()
    pq.write_table(table, out)
    expect_accept = page.locator("#upload-vectors")

    open_projector(page, live_server.url, dataset_id)
    assert ".parquet" in expect_accept.get_attribute("accept")
    page.click("#load-button")
    page.fill("#upload-name", "dialog parquet")
    page.set_input_files("#upload-vectors", files=[file_payload("points.parquet", out.getvalue(), "application/octet-stream")])
    page.set_input_files("#upload-sprite", files=[file_payload("sheet.png", sprites.sprite_png, "image/png")])
    page.fill("#upload-sprite-dim", str(CELL))
    submit_upload(page)
    wait_uploaded(page, "dialog parquet")

    # The table's other columns are the metadata.
    columns = page.evaluate("window.__projector.store.get().metadata.columns.map(c => [c.name, c.values])")
    assert columns == [["name", sprites.names], ["group", sprites.groups]]
    expect(page.locator("#label-by")).to_have_value("name")
    wait_sprites(page, "on")
    page.fill("#search-input", "img7")
    expect(page.locator("#match-list li")).to_have_count(1)
    style = page.locator("#match-list li .thumb").evaluate("t => t.style.backgroundPosition")
    assert thumb_offset(style) == expected_offset(7, LIST_THUMB)
