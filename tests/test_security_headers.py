"""Every response carries the headers a public page needs: a strict CSP (the page's import map
allowed by its hash), nosniff, Referrer-Policy and a configurable frame-ancestors."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from fastapi import FastAPI

from embedding_projector.app import create_app
from embedding_projector.settings import Settings
from tests.conftest import free_port, run_server
from tests.in_process import ask_in_process

SHAPE = {"ok", "status", "error", "file", "line", "column"}
IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.DOTALL)


def policy_of(response: httpx.Response) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources}."""
    directives = [d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";")]
    return {name: value for name, value in directives}


def expected_policy(import_map_hash: str, frame_ancestors: str = "'self'") -> dict[str, str]:
    return {
        "default-src": "'self'",
        "script-src": f"'self' 'sha256-{import_map_hash}'",
        "style-src": "'self'",
        "img-src": "'self'",
        "connect-src": "'self'",
        "worker-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": frame_ancestors,
    }


def import_map_hash(page: str) -> str:
    (text,) = IMPORT_MAP.findall(page)
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_every_kind_of_response_has_the_headers(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    digest = import_map_hash(page.text)
    # The page has nothing else the policy would block: no other inline script, no inline style
    # or event-handler attribute, no data: URL.
    assert len(re.findall(r"<script\b(?![^>]*\bsrc=)", page.text)) == 1
    assert not re.search(r"\sstyle=|<style|\son[a-z]+=|[\"'(]data:", page.text)

    responses = {
        "page": page,
        "static module": client.get("/static/js/main.js"),
        "static worker": client.get("/static/js/search_worker.js"),
        "api": client.get("/api/datasets"),
        "api 404": client.get("/api/datasets/missing"),
        "unknown route": client.get("/no/such/page"),
        "unknown view": client.get("/v/missing"),
        "405": client.delete("/api/datasets"),
        "422": client.post("/api/datasets"),
    }
    for name, response in responses.items():
        assert policy_of(response) == expected_policy(digest), name
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert response.headers["referrer-policy"] == "no-referrer", name
        assert response.headers["x-frame-options"] == "SAMEORIGIN", name
    assert responses["static module"].headers["content-type"].startswith("text/javascript")
    for name in ("api 404", "unknown route", "unknown view", "405", "422"):
        assert set(responses[name].json()) == SHAPE, name


def test_a_500_carries_the_headers_too(tmp_path: Path) -> None:
    # Starlette's ServerErrorMiddleware answers a 500 past every add_middleware() middleware.
    app: FastAPI = create_app(Settings(data_dir=tmp_path, examples=False, warmup=False))

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    answer = ask_in_process(app, "GET", "/api/boom")
    assert answer.status_code == 500
    assert set(answer.json()) == SHAPE
    assert policy_of(answer)["frame-ancestors"] == "'self'"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_frame_ancestors_follows_the_setting(tmp_path: Path) -> None:
    wider = "'self' https://notebook.example.org"
    with run_server(tmp_path / "data", env={"PROJECTOR_FRAME_ANCESTORS": wider}) as server:
        page = httpx.get(server.url + "/", timeout=30)
        api = httpx.get(server.url + "/api/datasets", timeout=30)
    for response in (page, api):
        assert policy_of(response) == expected_policy(import_map_hash(page.text), wider)
        assert "x-frame-options" not in response.headers  # it cannot say "these origins"


def test_a_frame_ancestors_value_that_would_add_directives_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "PROJECTOR_FRAME_ANCESTORS": "'self'; script-src *", "PROJECTOR_WORKERS": "1"}
    cmd = [sys.executable, "-m", "embedding_projector", "serve", "--host", "127.0.0.1", "--port",
           str(free_port()), "--data-dir", str(tmp_path / "data"), "--no-examples"]
    out = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "frame_ancestors must be a CSP source list" in out.stderr + out.stdout
