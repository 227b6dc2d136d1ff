"""Sprite sheets: a PNG or JPEG of equal cells, one per row of the dataset, laid out row-first.

TensorBoard's projector takes `images_per_row = image_width / single_image_dim[0]` and puts point i
at column `i % images_per_row`, row `floor(i / images_per_row)` (its shader divides by the number of
rows instead, the same number for the square sheets its tools write). We check that
the sheet is an exact grid of whole cells and has a cell for every row, so the page never samples
outside the image.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from embedding_projector.errors import InputError, TooLarge

SpriteFormat = Literal["png", "jpeg"]
SPRITE_FORMATS: dict[str, SpriteFormat] = {"PNG": "png", "JPEG": "jpeg"}
# Pillow's JPEG reader reports camera JPEGs with several pictures as MPO; browsers show the first.
_FORMAT_NAMES: dict[str, SpriteFormat] = {**SPRITE_FORMATS, "MPO": "jpeg"}
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg"}
FILE_NAMES = {"png": "sprite.png", "jpeg": "sprite.jpg"}
MAX_CELL = 8192
_DIM_SEPARATOR = re.compile(r"\s*[,x×\s]\s*")
_CELL_DIGITS = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class SpriteSheet:
    """A checked sprite sheet: its format, pixel size and cell grid."""

    format: SpriteFormat
    width: int
    height: int
    cell_width: int
    cell_height: int
    per_row: int

    @property
    def capacity(self) -> int:
        """How many whole cells the sheet holds."""
        return self.per_row * (self.height // self.cell_height)

    def cell_origin(self, index: int) -> tuple[int, int]:
        """Top-left pixel (x, y) of row `index`'s cell: column index % per_row, row index // per_row."""
        return (index % self.per_row) * self.cell_width, (index // self.per_row) * self.cell_height


def parse_sprite_dim(text: str | None, field: str = "sprite_dim") -> tuple[int, int]:
    """'28' or '28,28' (also '28x28') -> (width, height) of one cell; InputError naming `field`."""
    parts = [p for p in _DIM_SEPARATOR.split((text or "").strip()) if p]
    if not parts:
        raise InputError(
            f"{field} is missing: give the size of one sprite image in pixels, such as 28 or 28,28",
            file=field,
        )
    # ASCII digits only, and few of them: int() refuses '²' and 5000-digit strings with a ValueError.
    if len(parts) > 2 or not all(_CELL_DIGITS.fullmatch(p) for p in parts):
        raise InputError(
            f"{field} {text!r} is not a cell size; give width and height in pixels, such as 28 or 28,28",
            file=field,
        )
    return check_cell_size([int(p) for p in parts], field)


def check_cell_size(dims: list[int], field: str, file: str | None = None) -> tuple[int, int]:
    """[w] or [w, h] as a (width, height) pair of whole pixels within 1..MAX_CELL."""
    if len(dims) not in (1, 2):
        raise InputError(
            f"{field} must hold one or two numbers (width, height), not {len(dims)}", file=file or field
        )
    width, height = dims[0], dims[-1]
    for value in (width, height):
        if not 1 <= value <= MAX_CELL:
            raise InputError(
                f"{field}: a cell size of {value} pixels is outside 1..{MAX_CELL}", file=file or field
            )
    return width, height


def parse_sprite(
    source: bytes | Path,
    filename: str,
    *,
    rows: int,
    cell: tuple[int, int],
    max_pixels: int,
) -> SpriteSheet:
    """Check a sprite sheet for `rows` points with cells of `cell` = (width, height) pixels."""
    stream = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    with stream:
        try:
            # Only the PNG and JPEG header parsers ever see the bytes; the name's suffix is ignored.
            image = Image.open(stream, formats=list(SPRITE_FORMATS))
        except UnidentifiedImageError:
            raise InputError(f"{filename} is not a PNG or JPEG image", file=filename) from None
        except Image.DecompressionBombError:
            raise TooLarge(
                f"{filename} has too many pixels to decode safely (over Pillow's decompression-bomb limit)",
                file=filename,
            ) from None
        # Pillow reads the chunks before the pixels while it opens a PNG: a text (zTXt, iTXt) or
        # colour-profile (iCCP) chunk that inflates past its safety limit raises ValueError here.
        except (ValueError, OSError, EOFError) as exc:
            raise InputError(_header_problem(filename, exc), file=filename) from None
        with image:
            width, height = image.size
            if width * height > max_pixels:
                raise TooLarge(
                    f"{filename} is {width}×{height} = {width * height} pixels, over the sprite limit "
                    f"of {max_pixels} pixels",
                    file=filename,
                )
            fmt = _FORMAT_NAMES.get(image.format or "")
            if fmt is None:
                raise InputError(f"{filename} is not a PNG or JPEG image", file=filename)
            try:
                image.load()
            # Pillow's decoders raise many types on corrupt data; the header already parsed, so any
            # failure here is a damaged file, not a bug of ours.
            except Exception as exc:  # noqa: BLE001
                raise InputError(
                    f"{filename} does not decode as a {fmt.upper()} image ({exc})", file=filename
                ) from None
    return check_grid(fmt, width, height, cell, rows, filename)


def _header_problem(filename: str, exc: Exception) -> str:
    """The message for an image whose header chunks Pillow refused."""
    if "too large" in str(exc).lower() or "too much memory" in str(exc).lower():
        limit = PngImagePlugin.MAX_TEXT_CHUNK // (1 << 20)
        return (
            f"{filename} has a PNG text or colour-profile chunk (zTXt, iTXt or iCCP) that decompresses "
            f"to more than {limit} MB; save the image without that metadata"
        )
    return f"{filename} is not a readable PNG or JPEG image ({str(exc)[:200]})"


def check_grid(
    fmt: SpriteFormat, width: int, height: int, cell: tuple[int, int], rows: int, filename: str
) -> SpriteSheet:
    """The cell arithmetic: a whole number of cells each way, and at least `rows` cells."""
    cell_w, cell_h = cell
    if width % cell_w or height % cell_h:
        raise InputError(
            f"{filename} is {width}×{height} pixels, which is not a whole number of "
            f"{cell_w}×{cell_h} cells; check the sprite's single image size",
            file=filename,
        )
    sheet = SpriteSheet(fmt, width, height, cell_w, cell_h, width // cell_w)
    if sheet.capacity < rows:
        raise InputError(
            f"{filename} holds {sheet.capacity} image{'s' * (sheet.capacity != 1)} of {cell_w}×{cell_h} "
            f"({sheet.per_row} per row × {height // cell_h} rows) but the dataset has {rows} rows",
            file=filename,
        )
    return sheet
