"""Custom-projection regex patterns against a real server: RE2, off the event loop, short errors.

Finding 1 of issue 10: `^(\\w+)+$x` over a big text column backtracked on the event loop and froze
every request (and SIGTERM) until kill -9.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from tests.conftest import LiveServer, run_server
from tests.datagen import metadata_tsv
from tests.test_api_projections import wait_done

N_WORDS = 200_000
HOSTILE = r"^(\w+)+$x"


@pytest.fixture(scope="module")
def big_words(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """A server holding a dataset of 200k random 16-letter words (each backtracks 2^16 ways)."""
    env = {"PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1", "PROJECTOR_MAX_UPLOAD_BYTES": str(20_000_000)}
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype="S1")
    words = [row.tobytes().decode() for row in rng.choice(letters, size=(N_WORDS, 16))]
    words[:3] = ["the", "them", "other"]
    vectors = io.BytesIO()
    np.save(vectors, rng.normal(size=(N_WORDS, 2)).astype(np.float32))
    with run_server(tmp_path_factory.mktemp("patterns") / "data", env) as server:
        with server.client() as c:
            r = c.post("/api/datasets", files={"vectors": ("v.npy", vectors.getvalue()),
                                               "metadata": ("m.tsv", metadata_tsv([[w] for w in words], None))})
        assert r.status_code == 201, r.text
        yield server, r.json()["id"]


def custom(left: str, right: str = "the", **extra: object) -> dict:
    return {"method": "custom", "params": {"column": "label", "regex": True, "left": left, "right": right, **extra}}


def test_a_backtracking_pattern_does_not_stop_other_requests(big_words) -> None:
    server, dataset = big_words
    answer: dict[str, object] = {}

    def hostile() -> None:
        started = time.monotonic()
        r = httpx.post(f"{server.url}/api/datasets/{dataset}/projections",
                       json=custom(HOSTILE, up=HOSTILE, down=HOSTILE + "y"), timeout=120)
        answer.update(response=r, seconds=time.monotonic() - started)

    thread = threading.Thread(target=hostile)
    thread.start()
    waits = []
    with server.client() as c:
        while thread.is_alive() or not waits:
            started = time.monotonic()
            assert c.get("/api/datasets", timeout=30).status_code == 200
            waits.append(time.monotonic() - started)
    thread.join()
    r = answer["response"]
    assert isinstance(r, httpx.Response)
    assert r.status_code == 422 and "matches no row of column 'label'" in r.json()["error"], r.text
    assert answer["seconds"] < 60, answer
    assert max(waits) < 3, waits  # with Python's re, GET /api/datasets got no answer in 20 s


def test_patterns_re2_cannot_compile_get_a_clear_422(big_words) -> None:
    server, dataset = big_words
    with server.client() as c:
        r = c.post(f"/api/datasets/{dataset}/projections", json=custom("th(?=e)"))
        assert r.status_code == 422
        assert "does not support lookahead (?=...)" in r.json()["error"] and "'left'" in r.json()["error"]
        r = c.post(f"/api/datasets/{dataset}/projections", json=custom(r"(t)\1"))
        assert r.status_code == 422 and "backreferences" in r.json()["error"]


def test_a_megabyte_pattern_is_refused_without_being_echoed(big_words) -> None:
    server, dataset = big_words
    with server.client() as c:
        for regex in (True, False):
            started = time.monotonic()
            r = c.post(f"/api/datasets/{dataset}/projections",
                       json={"method": "custom", "params": {"column": "label", "regex": regex,
                                                            "left": "(a|b)*" * 200_000, "right": "the"}})
            assert r.status_code == 422 and "at most 1000 characters" in r.json()["error"], r.text[:300]
            assert len(r.content) < 1000
            assert time.monotonic() - started < 10


def test_a_long_pattern_matching_nothing_is_quoted_in_part(big_words) -> None:
    server, dataset = big_words
    with server.client() as c:
        r = c.post(f"/api/datasets/{dataset}/projections", json=custom("q" * 1000))
        assert r.status_code == 422 and "(1000 characters)" in r.json()["error"]
        assert len(r.content) < 1000


def test_the_worker_matches_with_re2_too(big_words) -> None:
    """`(?<w>...)` (a JavaScript-style named group) is RE2 syntax that Python's re rejects."""
    server, dataset = big_words
    with server.client() as c:
        r = c.post(f"/api/datasets/{dataset}/projections", json=custom("(?<w>^th)em$", "^OTHER$"))
        assert r.status_code == 202, r.text
        final = wait_done(c, r.json()["id"])
        assert final["status"] == "done", final
        assert final["extras"]["matches"]["left"] == 1 and final["extras"]["matches"]["right"] == 1
