"""The Load dialog sends a file over the server's chunk size through /api/uploads: in checked chunks,
with the write token, showing the percentage sent; a dropped chunk is resumed from where the server
stands, a chunk that keeps failing (or is refused) ends in the dialog's error and a deleted upload, and
Cancel abandons the upload."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
from collections.abc import Iterator

import numpy as np
import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests.browser.conftest import open_projector
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
    """The dataset fingerprint the server reports: blake2b-128 of the C-order float32 bytes."""
    return hashlib.blake2b(np.ascontiguousarray(m, dtype="<f4").data, digest_size=16).hexdigest()


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
