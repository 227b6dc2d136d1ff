"""Every error answer has one JSON shape; this pins it."""

from __future__ import annotations

SHAPE = {"ok", "status", "error", "file", "line", "column"}


def test_error_shape_for_each_kind(client) -> None:
    cases = [
        (client.get("/api/datasets/missing"), 404),
        (client.get("/api/no-such-route"), 404),
        (client.post("/api/datasets", files={"vectors": ("v.tsv", b"1\tx\n")}), 400),
        (client.post("/api/datasets"), 422),
        (client.get("/api/datasets/missing/neighbors", params={"row": "abc"}), 422),
        (client.delete("/api/datasets"), 405),
    ]
    for response, status in cases:
        body = response.json()
        assert response.status_code == status, body
        assert set(body) == SHAPE, body
        assert body["ok"] is False and body["status"] == status and isinstance(body["error"], str)
    parse_error = cases[2][0].json()
    assert (parse_error["file"], parse_error["line"], parse_error["column"]) == ("v.tsv", 1, 2)
