"""parse_sprite: PNG/JPEG sprite sheets, TensorBoard's row-first cell layout, and every refusal."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from embedding_projector.datasets.parse_sprite import SpriteSheet, parse_sprite, parse_sprite_dim
from embedding_projector.errors import InputError, TooLarge

LIMIT = 8192 * 8192


def image_bytes(width: int, height: int, fmt: str = "PNG", colour: str = "white") -> bytes:
    """A real image of this size in this format."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG signature and IHDR claiming this size, with no pixel data: cheap to make, huge to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def png_with_big_chunk(kind: str, width: int = 40, height: int = 30) -> bytes:
    """A valid PNG whose zTXt text or iCCP colour profile inflates to 64 MiB (65 KB on the wire).

    Pillow's PngInfo writes the zTXt; `icc_profile=` writes the iCCP. Both come before the pixels.
    """
    out = io.BytesIO()
    inflated = "\0" * (64 << 20)
    if kind == "zTXt":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", inflated, zip=True)
        Image.new("RGB", (width, height), "white").save(out, format="PNG", pnginfo=info)
    else:
        Image.new("RGB", (width, height), "white").save(out, format="PNG", icc_profile=inflated.encode())
    return out.getvalue()


def refused(content: bytes, rows: int, cell: tuple[int, int] = (10, 10), filename: str = "sprite.png",
            limit: int = LIMIT, error: type = InputError) -> str:
    with pytest.raises(error) as info:
        parse_sprite(content, filename, rows=rows, cell=cell, max_pixels=limit)
    assert info.value.file == filename and filename in info.value.message
    print(info.value.message)
    return info.value.message


def test_png_sheet_with_a_partial_last_row() -> None:
    sheet = parse_sprite(image_bytes(40, 30), "sprite.png", rows=10, cell=(10, 10), max_pixels=LIMIT)
    assert sheet == SpriteSheet("png", 40, 30, 10, 10, per_row=4)
    assert sheet.capacity == 12
    # Row-first: point i at column i % per_row, row i // per_row; the last row holds 2 of 4.
    assert [sheet.cell_origin(i) for i in (0, 3, 4, 9)] == [(0, 0), (30, 0), (0, 10), (10, 20)]


def test_one_image() -> None:
    sheet = parse_sprite(image_bytes(28, 28), "one.png", rows=1, cell=(28, 28), max_pixels=LIMIT)
    assert (sheet.per_row, sheet.capacity, sheet.cell_origin(0)) == (1, 1, (0, 0))


def test_exactly_full_sheet_and_non_square_cells() -> None:
    sheet = parse_sprite(image_bytes(30, 80), "s.png", rows=12, cell=(10, 20), max_pixels=LIMIT)
    assert (sheet.per_row, sheet.capacity, sheet.cell_origin(11)) == (3, 12, (20, 60))


def test_jpeg_is_accepted() -> None:
    sheet = parse_sprite(image_bytes(20, 20, "JPEG"), "faces.jpg", rows=4, cell=(10, 10), max_pixels=LIMIT)
    assert sheet.format == "jpeg"


def test_sprite_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "sheet.png"
    path.write_bytes(image_bytes(20, 10))
    assert parse_sprite(path, "sheet.png", rows=2, cell=(10, 10), max_pixels=LIMIT).per_row == 2


def test_text_file_named_png_is_refused() -> None:
    assert "not a PNG or JPEG" in refused(b"hello, I am text\n", rows=1, filename="fake.png")


def test_other_image_formats_are_refused() -> None:
    assert "not a PNG or JPEG" in refused(image_bytes(20, 20, "GIF"), rows=1, filename="anim.png")


def test_truncated_png_is_refused() -> None:
    data = image_bytes(200, 200, colour="red")
    noisy = io.BytesIO()
    Image.effect_noise((200, 200), 50).save(noisy, format="PNG")
    for content in (data[: len(data) // 2], noisy.getvalue()[:-200]):
        assert "does not decode" in refused(content, rows=1, cell=(10, 10), filename="cut.png")


def test_size_not_a_multiple_of_the_cell() -> None:
    assert "not a whole number of 10×10 cells" in refused(image_bytes(45, 30), rows=1)
    assert "not a whole number" in refused(image_bytes(40, 35), rows=1)
    assert "not a whole number" in refused(image_bytes(8, 8), rows=1)  # the cell is larger than the sheet


def test_too_few_cells() -> None:
    message = refused(image_bytes(40, 30), rows=13)
    assert "holds 12 images" in message and "4 per row × 3 rows" in message and "13 rows" in message


def test_pixel_limit_is_a_413() -> None:
    refused(image_bytes(100, 100), rows=1, limit=9_999, error=TooLarge)
    assert parse_sprite(image_bytes(100, 100), "s.png", rows=1, cell=(10, 10), max_pixels=10_000)


def test_huge_header_is_refused_before_decoding() -> None:
    # 9000² pixels would take ~240 MB decoded; the header alone decides.
    message = refused(png_header_only(9000, 9000), rows=1, error=TooLarge)
    assert "81000000 pixels" in message
    # Far past Pillow's own decompression-bomb limit: still our 413, not a crash.
    refused(png_header_only(100_000, 100_000), rows=1, limit=1 << 40, error=TooLarge)


@pytest.mark.parametrize(
    ("text", "cell"), [("28", (28, 28)), ("28,28", (28, 28)), ("32, 16", (32, 16)), ("64x48", (64, 48))]
)
def test_sprite_dim(text: str, cell: tuple[int, int]) -> None:
    assert parse_sprite_dim(text) == cell


@pytest.mark.parametrize("text", [None, "", "  ", "abc", "28,28,28", "0", "-3", "2.5", "99999"])
def test_bad_sprite_dim_names_the_field(text: str | None) -> None:
    with pytest.raises(InputError) as info:
        parse_sprite_dim(text)
    assert info.value.file == "sprite_dim" and "sprite_dim" in info.value.message


@pytest.mark.parametrize("kind", ["zTXt", "iCCP"])
def test_png_with_a_chunk_that_inflates_too_far_is_a_400(kind: str) -> None:
    png = png_with_big_chunk(kind)
    assert len(png) < 200_000  # small on the wire, 64 MiB inflated
    message = refused(png, rows=12, filename="bomb.png")
    assert "decompresses to more than" in message and "zTXt, iTXt or iCCP" in message
