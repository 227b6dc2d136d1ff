"""The Load dialog sends a file over the server's chunk size through /api/uploads: in checked chunks,
with the write token, showing the percentage sent; a dropped chunk is resumed from where the server
stands, a chunk that keeps failing (or is refused) ends in the dialog's error and a deleted upload,
Cancel abandons the upload, a start whose answer was lost opens one upload, and a page outside a secure
context (plain http to a host name: no crypto.subtle) still sends every chunk's SHA-256, with big
metadata and sprite files in chunks too."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Request, Route, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, open_projector, watch_page
from tests.conftest import LiveServer, run_server

CHUNK = 64 * 1024
UPLOAD_LIMIT = 100 * 1024  # the plain multipart limit: the vectors file is over it
TOKEN = "chunked-page-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
N, DIM = 1500, 40
CHUNK_PUT = "**/api/uploads/*?offset=*"
TSV = "text/tab-separated-values"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with small chunks, a per-file limit under the test file's size, and a write token."""
    env = {"PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1", "PROJECTOR_UPLOAD_CHUNK_BYTES": str(CHUNK),
           "PROJECTOR_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT), "PROJECTOR_WRITE_TOKEN": TOKEN}
    with run_server(tmp_path_factory.mktemp("pagechunk") / "data", env) as live:
        yield live


@pytest.fixture(scope="module")
def matrix() -> np.ndarray:
    return np.random.default_rng(11).standard_normal((N, DIM)).astype(np.float32)


@pytest.fixture(scope="module")
def npy(matrix: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, matrix, allow_pickle=False)
    data = buffer.getvalue()
    assert len(data) > UPLOAD_LIMIT and math.ceil(len(data) / CHUNK) == 4
    return data


METADATA = ("word\tindex\n" + "".join(f"w{i}\t{i}\n" for i in range(N))).encode()  # small: it goes in the form


def fingerprint(m: np.ndarray) -> str:
    """The dataset fingerprint the server reports: the first 128 bits of the SHA-256 of the C-order float32 bytes."""
    return hashlib.sha256(np.ascontiguousarray(m, dtype="<f4").data).hexdigest()[:32]


def open_with_token(page: Page, server: LiveServer) -> list[Request]:
    """Open the page with the write token in the tab's storage; answer the list of requests it makes."""
    page.add_init_script(f"sessionStorage.setItem('projector-write-token', {json.dumps(TOKEN)})")
    seen: list[Request] = []
    page.on("request", lambda r: seen.append(r))
    open_projector(page, server.url)
    return seen


def choose_files(page: Page, npy: bytes, name: str) -> None:
    page.click("#load-button")
    expect(page.locator("#upload-dialog")).to_be_visible()
    page.fill("#upload-name", name)
    page.set_input_files("#upload-vectors", files=[{"name": "big.npy", "mimeType": "application/octet-stream",
                                                    "buffer": npy}])
    page.set_input_files("#upload-metadata", files=[{"name": "words.tsv", "mimeType": TSV, "buffer": METADATA}])


def chunk_puts(seen: list[Request]) -> list[Request]:
    return [r for r in seen if r.method == "PUT" and "/api/uploads/" in r.url]


def offset_of(request_url: str) -> int:
    return int(re.search(r"[?&]offset=(\d+)", request_url).group(1))


def upload_id_of(request_url: str) -> str:
    return re.search(r"/api/uploads/([^/?]+)", request_url).group(1)


def expect_shown(page: Page, server: LiveServer, name: str, matrix: np.ndarray) -> None:
    """The dataset is selected and drawn with all its points, and its vectors are the file's, exactly."""
    expect(page.locator("#upload-dialog")).to_be_hidden()
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", str(N), timeout=30_000)
    assert page.eval_on_selector("#dataset-select", "s => s.options[s.selectedIndex].text") == name
    dataset = page.eval_on_selector("#dataset-select", "s => s.value")
    with server.client(headers=AUTH) as c:
        info = c.get(f"/api/datasets/{dataset}").json()
    assert (info["n"], info["dim"], info["fingerprint"]) == (N, DIM, fingerprint(matrix))


def no_unfinished_uploads(server: LiveServer) -> bool:
    folder = server.data_dir / ".uploads"
    return not folder.exists() or not any(folder.iterdir())


def test_a_file_over_the_limit_goes_in_chunks_with_the_token_and_shows_the_percentage(
    page: Page, server: LiveServer, npy: bytes, matrix: np.ndarray
) -> None:
    seen = open_with_token(page, server)
    held: list[Route] = []
    # Hold the third chunk until the percentage of the first two has been seen.
    page.route(CHUNK_PUT, lambda route: held.append(route) if offset_of(route.request.url) == 2 * CHUNK
               else route.continue_())
    choose_files(page, npy, "Chunked upload")
    page.click("#upload-submit")

    expect(page.locator("#upload-progress")).to_have_text(f"Uploading… {200 * CHUNK // len(npy)}%")
    expect(page.locator("#upload-submit")).to_be_disabled()
    assert len(held) == 1
    held[0].continue_()

    expect_shown(page, server, "Chunked upload", matrix)
    puts = chunk_puts(seen)
    assert [offset_of(r.url) for r in puts] == [0, CHUNK, 2 * CHUNK, 3 * CHUNK]
    for r in puts:
        assert r.headers["x-chunk-sha256"] == hashlib.sha256(npy[offset_of(r.url):offset_of(r.url) + CHUNK]).hexdigest()
    uploads = [r for r in seen if "/api/uploads" in r.url]
    assert uploads and all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in uploads)
    (made,) = [r for r in seen if r.method == "POST" and r.url.endswith("/api/datasets")]
    form = made.post_data_buffer or b""
    assert b'name="vectors_upload"' in form and b'name="vectors"' not in form  # the big file by its upload id
    assert b'name="metadata"; filename="words.tsv"' in form  # the small one in the form itself
    assert no_unfinished_uploads(server)


def test_a_dropped_chunk_is_resumed_and_the_vectors_arrive_intact(
    page: Page, server: LiveServer, npy: bytes, matrix: np.ndarray, page_errors
) -> None:
    page_errors.allow(r"net::ERR_FAILED")  # the browser logs the dropped request itself
    seen = open_with_token(page, server)
    dropped: list[str] = []

    def drop_second_chunk_once(route: Route) -> None:
        if offset_of(route.request.url) == CHUNK and not dropped:
            dropped.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route(CHUNK_PUT, drop_second_chunk_once)
    choose_files(page, npy, "Resumed upload")
    page.click("#upload-submit")

    expect_shown(page, server, "Resumed upload", matrix)
    assert len(dropped) == 1
    upload = upload_id_of(dropped[0])
    assert [offset_of(r.url) for r in chunk_puts(seen)] == [0, CHUNK, CHUNK, 2 * CHUNK, 3 * CHUNK]
    # It asked the server where the upload stood before going on.
    asked = [r for r in seen if r.method == "GET" and r.url.endswith(f"/api/uploads/{upload}")]
    assert len(asked) == 1
    assert seen.index(asked[0]) < [seen.index(r) for r in chunk_puts(seen)][2]
    assert no_unfinished_uploads(server)


def test_a_chunk_that_keeps_failing_shows_the_error_and_deletes_the_upload(
    page: Page, server: LiveServer, npy: bytes, page_errors
) -> None:
    page_errors.allow(r"status of 503")
    seen = open_with_token(page, server)
    failed: list[str] = []

    def fail_second_chunk(route: Route) -> None:
        if offset_of(route.request.url) == CHUNK:
            failed.append(route.request.url)
            route.fulfill(status=503, content_type="application/json",
                          body=json.dumps({"ok": False, "status": 503, "error": "the disk is busy"}))
        else:
            route.continue_()

    page.route(CHUNK_PUT, fail_second_chunk)
    datasets_before = page.eval_on_selector("#dataset-select", "s => s.options.length")
    choose_files(page, npy, "Never made")
    with page.expect_request(lambda r: r.method == "DELETE" and "/api/uploads/" in r.url, timeout=15_000) as deleted:
        page.click("#upload-submit")

    error = page.locator("#upload-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(f"big.npy: the upload stopped at {100 * CHUNK // len(npy)}% after 4 tries")
    expect(error).to_contain_text("the disk is busy")
    expect(page.locator("#upload-dialog")).to_be_visible()
    expect(page.locator("#upload-submit")).to_have_text("Upload")
    assert len(failed) == 4  # the first try and three retries, each after asking where the upload stood
    upload = upload_id_of(failed[0])
    assert upload_id_of(deleted.value.url) == upload
    with server.client(headers=AUTH) as c:
        expect_gone = c.get(f"/api/uploads/{upload}")
    assert expect_gone.status_code == 404
    assert len([r for r in seen if r.method == "GET" and r.url.endswith(f"/api/uploads/{upload}")]) == 3
    assert page.eval_on_selector("#dataset-select", "s => s.options.length") == datasets_before


def test_a_refused_chunk_is_shown_at_once(page: Page, server: LiveServer, npy: bytes, page_errors) -> None:
    page_errors.allow(r"status of 400")
    seen = open_with_token(page, server)
    page.route(CHUNK_PUT, lambda route: route.fulfill(
        status=400, content_type="application/json",
        body=json.dumps({"ok": False, "status": 400, "error": "big.npy: the chunk at byte 0 has SHA-256 abc",
                         "file": "big.npy"})))
    choose_files(page, npy, "Refused")
    with page.expect_request(lambda r: r.method == "DELETE" and "/api/uploads/" in r.url):
        page.click("#upload-submit")
    expect(page.locator("#upload-error")).to_have_text("big.npy: the chunk at byte 0 has SHA-256 abc")
    assert len(chunk_puts(seen)) == 1  # not retried
    assert not [r for r in seen if r.method == "GET" and "/api/uploads/" in r.url]


def test_cancel_while_uploading_abandons_the_upload(page: Page, server: LiveServer, npy: bytes, page_errors) -> None:
    page_errors.allow(r"net::ERR_FAILED|ERR_ABORTED")  # the held chunk, cancelled by the page
    seen = open_with_token(page, server)
    held: list[Route] = []
    page.route(CHUNK_PUT, lambda route: held.append(route) if offset_of(route.request.url) == CHUNK
               else route.continue_())
    datasets_before = page.eval_on_selector("#dataset-select", "s => s.options.length")
    choose_files(page, npy, "Cancelled")
    second = lambda r: r.method == "PUT" and "/api/uploads/" in r.url and offset_of(r.url) == CHUNK  # noqa: E731
    with page.expect_request(second) as sending:
        page.click("#upload-submit")
    expect(page.locator("#upload-progress")).to_have_text(f"Uploading… {100 * CHUNK // len(npy)}%")
    upload = upload_id_of(sending.value.url)

    with page.expect_request(lambda r: r.method == "DELETE" and "/api/uploads/" in r.url) as deleted:
        page.click("#upload-cancel")
    expect(page.locator("#upload-dialog")).to_be_hidden()
    assert upload_id_of(deleted.value.url) == upload
    assert deleted.value.response().status == 204
    with server.client(headers=AUTH) as c:
        assert c.get(f"/api/uploads/{upload}").status_code == 404
    assert not [r for r in seen if r.method == "POST" and r.url.endswith("/api/datasets")]
    assert page.eval_on_selector("#dataset-select", "s => s.options.length") == datasets_before


def test_a_form_refused_for_its_metadata_sends_the_vectors_once(
    page: Page, server: LiveServer, npy: bytes, matrix: np.ndarray, page_errors
) -> None:
    """The metadata has a row too few: the error names it, and Upload again with a mended metadata file
    names the vectors' upload, kept complete on the server, instead of sending its chunks anew."""
    page_errors.allow(r"status of 400")
    seen = open_with_token(page, server)
    choose_files(page, npy, "Mended metadata")
    short = ("word\tindex\n" + "".join(f"w{i}\t{i}\n" for i in range(N - 1))).encode()
    page.set_input_files("#upload-metadata", files=[{"name": "short.tsv", "mimeType": TSV, "buffer": short}])
    page.click("#upload-submit")
    expect(page.locator("#upload-error")).to_contain_text("short.tsv")
    expect(page.locator("#upload-submit")).to_have_text("Upload")
    first_puts = chunk_puts(seen)
    assert [offset_of(r.url) for r in first_puts] == [0, CHUNK, 2 * CHUNK, 3 * CHUNK]
    upload = upload_id_of(first_puts[0].url)

    page.set_input_files("#upload-metadata", files=[{"name": "words.tsv", "mimeType": TSV, "buffer": METADATA}])
    page.click("#upload-submit")
    expect_shown(page, server, "Mended metadata", matrix)
    assert chunk_puts(seen) == first_puts  # no chunk sent twice
    forms = [r for r in seen if r.method == "POST" and r.url.endswith("/api/datasets")]
    # Two forms, and the vectors (checked by fingerprint above) came only ever through that one upload.
    assert len(forms) == 2 and {upload_id_of(r.url) for r in chunk_puts(seen)} == {upload}
    assert no_unfinished_uploads(server)


def test_closing_the_dialog_after_a_refused_form_deletes_its_upload(
    page: Page, server: LiveServer, npy: bytes, page_errors
) -> None:
    page_errors.allow(r"status of 400")
    seen = open_with_token(page, server)
    choose_files(page, npy, "Abandoned")
    page.set_input_files("#upload-metadata", files=[{"name": "short.tsv", "mimeType": TSV, "buffer": b"w0\n"}])
    page.click("#upload-submit")
    expect(page.locator("#upload-error")).to_contain_text("short.tsv")
    upload = upload_id_of(chunk_puts(seen)[0].url)
    with server.client(headers=AUTH) as c:
        assert c.get(f"/api/uploads/{upload}").status_code == 200  # kept for another try
    with page.expect_request(lambda r: r.method == "DELETE" and r.url.endswith(f"/api/uploads/{upload}")) as deleted:
        page.click("#upload-cancel")
    assert deleted.value.response().status == 204
    assert no_unfinished_uploads(server)


def test_a_start_whose_answer_was_lost_is_sent_again_and_opens_one_upload(
    page: Page, server: LiveServer, npy: bytes, matrix: np.ndarray, page_errors
) -> None:
    page_errors.allow(r"net::ERR_FAILED")
    seen = open_with_token(page, server)
    answered: list[int] = []

    def lose_first_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch()  # the server opens the upload; its answer never reaches the page
        answered.append(answer.status)
        if len(answered) == 1:
            route.abort("failed")
        else:
            route.fulfill(response=answer)

    page.route("**/api/uploads", lose_first_answer)
    choose_files(page, npy, "Lost start")
    page.click("#upload-submit")
    expect_shown(page, server, "Lost start", matrix)
    starts = [r for r in seen if r.method == "POST" and r.url.endswith("/api/uploads")]
    assert answered == [201, 200]
    assert len(starts) == 2 and starts[0].post_data == starts[1].post_data  # the same key: the same upload
    assert len({upload_id_of(r.url) for r in chunk_puts(seen)}) == 1
    assert no_unfinished_uploads(server)


PLAIN_HOST = "projector.test"
SPRITE_CELL, SPRITE_PER_ROW = 16, 40


@pytest.fixture(scope="module")
def plain_http_browser(browser: Browser) -> Iterator[Browser]:
    """A chromium that resolves projector.test to 127.0.0.1: a plain-http origin that is not a secure context."""
    other = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {PLAIN_HOST} 127.0.0.1"])
    yield other
    other.close()


def noisy_sprite(n: int) -> bytes:
    """A sheet of n 16×16 cells of random pixels: a PNG that does not compress below the form limit."""
    rows = -(-n // SPRITE_PER_ROW)
    pixels = np.random.default_rng(5).integers(0, 256, (rows * SPRITE_CELL, SPRITE_PER_ROW * SPRITE_CELL, 3), np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def test_outside_a_secure_context_every_chunk_still_carries_its_sha256_and_big_metadata_and_sprites_go_in_chunks(
    plain_http_browser: Browser, server: LiveServer, npy: bytes, matrix: np.ndarray, page_errors
) -> None:
    context = plain_http_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    watch_page(page, page_errors)
    metadata = ("word\tnote\n" + "".join(f"w{i}\t{'long note ' * 12}{i}\n" for i in range(N))).encode()
    sprite = noisy_sprite(N)
    assert len(metadata) > UPLOAD_LIMIT and len(sprite) > UPLOAD_LIMIT
    url = server.url.replace("127.0.0.1", PLAIN_HOST)
    try:
        page.add_init_script(f"sessionStorage.setItem('projector-write-token', {json.dumps(TOKEN)})")
        seen: list[Request] = []
        page.on("request", lambda r: seen.append(r))
        open_projector(page, url)
        assert page.evaluate("[window.isSecureContext, !!globalThis.crypto?.subtle]") == [False, False]
        choose_files(page, npy, "Plain http")
        page.set_input_files("#upload-metadata", files=[{"name": "notes.tsv", "mimeType": TSV, "buffer": metadata}])
        page.set_input_files("#upload-sprite", files=[{"name": "sheet.png", "mimeType": "image/png", "buffer": sprite}])
        page.fill("#upload-sprite-dim", str(SPRITE_CELL))
        page.click("#upload-submit")
        expect(page.locator("#upload-dialog")).to_be_hidden()
        expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", str(N), timeout=30_000)

        sent = {"big.npy": npy, "notes.tsv": metadata, "sheet.png": sprite}
        names = {}
        for r in seen:
            if r.method == "POST" and r.url.endswith("/api/uploads"):
                names[r.response().json()["id"]] = json.loads(r.post_data)["filename"]
        assert sorted(names.values()) == sorted(sent)
        puts = chunk_puts(seen)
        assert len(puts) == sum(-(-len(data) // CHUNK) for data in sent.values())
        for r in puts:
            data, offset = sent[names[upload_id_of(r.url)]], offset_of(r.url)
            assert r.post_data_buffer == data[offset:offset + CHUNK]
            assert r.headers["x-chunk-sha256"] == hashlib.sha256(r.post_data_buffer).hexdigest()
        assert any(r.url.endswith("/static/vendor/noble-hashes/sha2.js") for r in seen)  # loaded for the digests

        # What the user sees: the notes (from the last row) are searchable, and the points are thumbnails.
        dataset = page.eval_on_selector("#dataset-select", "s => s.value")
        expect(page.locator("#sprites-option")).to_be_visible()
        page.fill("#search-input", f"w{N - 1}")
        expect(page.locator("#match-list li")).to_have_count(1)
        expect(page.locator("#match-list li .thumb")).to_have_count(1)
        with server.client(headers=AUTH) as c:
            assert c.get(f"/api/datasets/{dataset}/sprite").content == sprite
            columns = c.get(f"/api/datasets/{dataset}/metadata").json()["columns"]
        assert columns[1]["values"][N - 1] == f"{'long note ' * 12}{N - 1}"
        assert no_unfinished_uploads(server)
    finally:
        context.close()
    bad = page_errors.unexpected()
    assert not bad, bad


def test_outside_a_secure_context_without_the_hash_module_the_chunks_go_without_digests(
    plain_http_browser: Browser, server: LiveServer, npy: bytes, matrix: np.ndarray, page_errors
) -> None:
    """The digest header is optional: a page whose @noble/hashes does not load still uploads."""
    page_errors.allow(r"ERR_FAILED|no SHA-256")
    context = plain_http_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    watch_page(page, page_errors)
    try:
        page.route("**/static/vendor/noble-hashes/**", lambda route: route.abort("failed"))
        page.add_init_script(f"sessionStorage.setItem('projector-write-token', {json.dumps(TOKEN)})")
        seen: list[Request] = []
        page.on("request", lambda r: seen.append(r))
        open_projector(page, server.url.replace("127.0.0.1", PLAIN_HOST))
        choose_files(page, npy, "No hash module")
        page.click("#upload-submit")
        expect_shown(page, server, "No hash module", matrix)
        puts = chunk_puts(seen)
        assert len(puts) == 4 and not any("x-chunk-sha256" in r.headers for r in puts)
    finally:
        context.close()
    bad = page_errors.unexpected()
    assert not bad, bad
