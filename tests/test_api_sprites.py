"""Sprites over real HTTP: a good sheet round-trips; every bad one is a 4xx that stores nothing."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.datagen import clustered, vectors_tsv
from tests.test_api_datasets import dataset_dirs
from tests.test_parse_sprite import image_bytes, png_header_only, png_with_big_chunk

VECTORS = ("vectors.tsv", vectors_tsv(clustered(10, 3)[0]))  # 10 rows


def upload(client, sprite: tuple[str, bytes] | None, sprite_dim: str | None, vectors=VECTORS):
    files = {"vectors": vectors}
    if sprite is not None:
        files["sprite"] = sprite
    data = {"sprite_dim": sprite_dim} if sprite_dim is not None else {}
    return client.post("/api/datasets", files=files, data=data)


def test_good_sprite_round_trips(client) -> None:
    png = image_bytes(16 * 4, 16 * 3, colour="navy")  # 12 cells for 10 rows: the last row is partial
    r = upload(client, ("faces.png", png), "16")
    assert r.status_code == 201, r.text
    info = r.json()
    assert info["sprite"] == {"url": f"/api/datasets/{info['id']}/sprite", "width": 64, "height": 48,
                              "cell_width": 16, "cell_height": 16, "per_row": 4}
    assert client.get(f"/api/datasets/{info['id']}").json()["sprite"] == info["sprite"]
    got = client.get(info["sprite"]["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/png" and got.content == png

    jpeg = image_bytes(20, 75, "JPEG")  # 2 per row × 5 rows of 10×15
    r = upload(client, ("faces.jpg", jpeg), "10,15")
    assert r.status_code == 201, r.text
    got = client.get(r.json()["sprite"]["url"])
    assert got.headers["content-type"] == "image/jpeg" and got.content == jpeg
    assert r.json()["sprite"]["per_row"] == 2


def test_dataset_without_sprite(client) -> None:
    r = upload(client, None, None)
    assert r.status_code == 201 and r.json()["sprite"] is None
    missing = client.get(f"/api/datasets/{r.json()['id']}/sprite")
    assert missing.status_code == 404 and missing.json()["ok"] is False
    assert client.get("/api/datasets/nope/sprite").status_code == 404


BAD_SPRITES = {
    "text named .png": (("sprite.png", b"not an image at all\n"), "10", 400, "sprite.png", "not a PNG or JPEG"),
    "gif named .png": (("anim.png", image_bytes(40, 30, "GIF")), "10", 400, "anim.png", "not a PNG or JPEG"),
    "truncated png": (("cut.png", image_bytes(40, 30)[:60]), "10", 400, "cut.png", "decode"),
    "wrong size": (("odd.png", image_bytes(45, 30)), "10", 400, "odd.png", "not a whole number of 10×10"),
    "too few cells": (("few.png", image_bytes(30, 30)), "10", 400, "few.png", "holds 9 images"),
    "over the pixel limit": (("huge.png", png_header_only(9000, 9000)), "10", 413, "huge.png", "sprite limit"),
    "zTXt that inflates to 64 MiB": (("text.png", png_with_big_chunk("zTXt")), "10", 400, "text.png",
                                     "decompresses to more than"),
    "iCCP that inflates to 64 MiB": (("icc.png", png_with_big_chunk("iCCP")), "10", 400, "icc.png",
                                     "decompresses to more than"),
    "no sprite_dim": (("sprite.png", image_bytes(40, 30)), None, 400, "sprite_dim", "sprite_dim is missing"),
    "bad sprite_dim": (("sprite.png", image_bytes(40, 30)), "ten", 400, "sprite_dim", "not a cell size"),
}


@pytest.mark.parametrize("case", list(BAD_SPRITES))
def test_bad_sprite_is_refused_and_leaves_nothing(live_server: LiveServer, client, case: str) -> None:
    sprite, sprite_dim, status, file, words = BAD_SPRITES[case]
    before_list, before_disk = client.get("/api/datasets").json(), dataset_dirs(live_server)
    r = upload(client, sprite, sprite_dim)
    body = r.json()
    print(case, "->", body)
    assert r.status_code == status and body["ok"] is False and body["status"] == status
    assert body["file"] == file and file in body["error"] and words in body["error"]
    assert client.get("/api/datasets").json() == before_list
    assert dataset_dirs(live_server) == before_disk
    assert upload(client, None, None).status_code == 201  # still serving


def test_sprite_over_the_upload_limit_is_413(live_server: LiveServer, client) -> None:
    before_list, before_disk = client.get("/api/datasets").json(), dataset_dirs(live_server)
    big = png_header_only(16, 16) + b"\0" * (live_server.max_upload_bytes + 10)
    r = upload(client, ("big.png", big), "16")
    assert r.status_code == 413 and r.json()["file"] == "big.png"
    assert client.get("/api/datasets").json() == before_list
    assert dataset_dirs(live_server) == before_disk
