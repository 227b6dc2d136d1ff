"""Public mode: the write token, public datasets, and per-client limits, against a real server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer, run_server
from tests.datagen import clustered, vectors_tsv
from tests.test_request_bodies import open_socket, read_answer, request_head, upload_headers

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {
        "PROJECTOR_WRITE_TOKEN": TOKEN,
        "PROJECTOR_PUBLIC_URL": "https://projector.example.org",
        "PROJECTOR_WARMUP": "false",
        "PROJECTOR_JOB_STARTS_PER_MINUTE": "3",
        "PROJECTOR_MAX_JOBS_PER_CLIENT": "10",
        "PROJECTOR_MAX_DATASETS": "3",
    }
    with run_server(tmp_path_factory.mktemp("public") / "data", env) as server:
        yield server


def upload(c, public: bool, headers: dict | None = None, name: str = "points"):
    vectors = vectors_tsv(clustered(40, 5, seed=1)[0])
    return c.post("/api/datasets", files={"vectors": ("v.tsv", vectors)},
                  data={"name": name, "public": "true" if public else "false"}, headers=headers or {})


def test_writes_need_the_token(public_server: LiveServer) -> None:
    with public_server.client() as c:
        before = c.get("/api/datasets", headers=AUTH).json()
        missing = upload(c, True)
        assert missing.status_code == 401 and missing.json()["ok"] is False
        wrong = upload(c, True, {"Authorization": "Bearer not-the-token-at-all"})
        assert wrong.status_code == 403
        assert c.get("/api/datasets", headers=AUTH).json() == before
        made = upload(c, False, AUTH, name="private")
        assert made.status_code == 201, made.text
        dataset = made.json()["id"]
        assert c.delete(f"/api/datasets/{dataset}").status_code == 401
        assert c.delete(f"/api/datasets/{dataset}", headers={"X-Projector-Token": "wrong-token-wrong-token"}).status_code == 403
        assert c.delete(f"/api/datasets/{dataset}", headers=AUTH).status_code == 204


def test_status_says_that_writes_need_a_token_but_never_shows_it(public_server: LiveServer) -> None:
    with public_server.client() as c:
        answer = c.get("/api/status")
    assert answer.status_code == 200
    assert answer.json()["write_token"] is True
    assert TOKEN not in answer.text


def test_private_datasets_are_unlisted_and_need_the_token_to_project(public_server: LiveServer) -> None:
    with public_server.client() as c:
        private = upload(c, False, AUTH, name="hidden").json()["id"]
        public = upload(c, True, AUTH, name="shown").json()["id"]
        anonymous = [d["id"] for d in c.get("/api/datasets").json()]
        assert public in anonymous and private not in anonymous
        assert private in [d["id"] for d in c.get("/api/datasets", headers=AUTH).json()]
        body = {"method": "pca"}
        assert c.post(f"/api/datasets/{private}/projections", json=body).status_code == 401
        assert c.post(f"/api/datasets/{private}/projections", json=body, headers=AUTH).status_code in (200, 202)
        job = c.post(f"/api/datasets/{public}/projections", json=body)
        assert job.status_code in (200, 202)
        # Links use the public URL, and views need no token to make or to read.
        view = c.post("/api/views", json={"dataset": public}).json()
        assert view["url"] == f"https://projector.example.org/v/{view['id']}"
        assert c.get(f"/api/views/{view['id']}").status_code == 200
        # The dataset limit (3) counts every dataset: the next upload is refused with a 429.
        c.delete(f"/api/datasets/{private}", headers=AUTH)
        assert upload(c, True, AUTH, name="second").status_code == 201
        assert upload(c, True, AUTH, name="third").status_code == 201
        full = upload(c, True, AUTH, name="fourth")
        assert full.status_code == 429 and "3 datasets" in full.json()["error"]
    # A full server refuses an upload from its headers, before the body.
    with open_socket(public_server) as sock:
        started = time.monotonic()
        sock.sendall(request_head("POST", "/api/datasets", upload_headers(5 << 20, AUTH)))
        answer = read_answer(sock, started)
    assert answer.status == 429 and "3 datasets" in answer.body["error"] and answer.closed


# The per-client job limits (the exact request at which the first 429 comes, sequentially and
# with 20 concurrent starts, cache hits and refusals counting zero, trusted proxies) are tested in
# test_job_admission.py, each test as its own client.


def test_oversize_body_gets_413(public_server: LiveServer) -> None:
    with public_server.client() as c:
        for dataset in c.get("/api/datasets", headers=AUTH).json():  # a full server would say 429 first
            c.delete(f"/api/datasets/{dataset['id']}", headers=AUTH)
        big = b"1\t2\n" * (public_server.max_upload_bytes // 4 + 10)
        r = c.post("/api/datasets", files={"vectors": ("big.tsv", big)}, headers=AUTH)
        assert r.status_code == 413
