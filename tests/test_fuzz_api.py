"""Schemathesis fuzzes the live server's own OpenAPI schema: no 5xx, every 4xx in the one error shape.

Two passes over every operation, against one real server in public mode (a write token set): first as
a stranger (no token), then with the token. Path parameters and body fields that name a dataset, job,
view or collection are half the time replaced by real ones seeded beforehand, so the fuzzed values
reach past the 404s into the handlers. Runs are derandomized, so they repeat.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.conftest import LiveServer, run_server
from tests.datagen import clustered, metadata_tsv, vectors_tsv

TOKEN = "fuzz-write-token-0123456789"
SHAPE = {"ok", "status", "error", "file", "line", "column"}
# Examples per operation and pass for the fuzzing phase (the examples and coverage phases add their
# own bounded, deterministic cases): enough to find the 5xx below, small enough for ~3 minutes.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
# Another seed (FUZZ_SEED=7) or more examples explore further; the default run repeats exactly.
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))
REQUEST_TIMEOUT = 60
ROWS = 16
METHODS = ["pca", "tsne", "umap", "custom"]

# Seeded objects, keyed by the path-parameter names the schema uses.
SEEDED: dict[str, str] = {}
# Per pass and operation: which statuses came back and the seconds spent (the summary).
STATUSES: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
SECONDS: dict[str, Counter] = defaultdict(Counter)


def _sprite_png() -> bytes:
    """A 4×4 sheet of 8×8 cells, one per row of the seeded dataset."""
    sheet = Image.new("RGB", (32, 32))
    for i in range(ROWS):
        sheet.paste((i * 15, 255 - i * 15, 128), (i % 4 * 8, i // 4 * 8, i % 4 * 8 + 8, i // 4 * 8 + 8))
    out = io.BytesIO()
    sheet.save(out, format="PNG")
    return out.getvalue()


def _upload(client: httpx.Client, name: str, sprite: bool) -> str:
    vectors, labels = clustered(ROWS, 6, seed=5)
    meta = metadata_tsv([[f"word{i}", str(labels[i])] for i in range(ROWS)], ["word", "label"])
    files = {"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)}
    data = {"name": name, "public": "true"}
    if sprite:
        files["sprite"] = ("s.png", _sprite_png())
        data["sprite_dim"] = "8"
    r = client.post("/api/datasets", files=files, data=data)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _finished_job(client: httpx.Client, dataset: str) -> str:
    """Start a PCA and follow its event stream until it ends."""
    r = client.post(f"/api/datasets/{dataset}/projections", json={"method": "pca", "params": {}})
    assert r.status_code in (200, 202), r.text
    job = r.json()["id"]
    final = None
    with client.stream("GET", f"/api/projections/{job}/events", timeout=180) as events:
        for line in events.iter_lines():
            if line.startswith("data: "):
                final = json.loads(line[6:])
    assert final is not None and final["status"] == "done", final
    return job


def _seed(server: LiveServer) -> None:
    """A public dataset with metadata and a sprite, a spare one to delete, a finished job, a view, a bookmark."""
    with server.client(headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        dataset = _upload(c, "fuzzed", sprite=True)
        spare = _upload(c, "spare", sprite=False)
        job = _finished_job(c, dataset)
        view = c.post("/api/views", json={"dataset": dataset, "selection": [1, 2]})
        assert view.status_code == 201, view.text
        mark = c.post("/api/bookmarks", json={"name": "one", "state": {"dataset": dataset}})
        assert mark.status_code == 201, mark.text
    SEEDED.update(
        dataset_id=dataset, job_id=job, view_id=view.json()["id"],
        collection=mark.json()["collection"], bookmark_id=mark.json()["id"], spare=spare,
    )


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server in public mode, seeded; it must still answer when the fuzzing ends."""
    env = {"PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_WORKERS": "1", "PROJECTOR_WARMUP": "false"}
    with run_server(tmp_path_factory.mktemp("fuzz") / "data", env=env) as server:
        _seed(server)
        yield server
        _print_summary()


def _real_values(path_parameters: dict[str, Any], method: str) -> dict[str, Any]:
    """The same parameters, each that names a seeded object replaced by it."""
    real = dict(path_parameters)
    for name in real:
        if name in SEEDED:
            real[name] = SEEDED[name]
    if method == "DELETE" and "dataset_id" in real and "job_id" not in real:
        real["dataset_id"] = SEEDED["spare"]  # keep the fuzzed dataset for the operations after it
    return real


def _with_seeded_path(context: schemathesis.HookContext, strategy: st.SearchStrategy) -> st.SearchStrategy:
    method = context.operation.method.upper() if context.operation is not None else ""
    return strategy.flatmap(
        lambda params: st.sampled_from([params, _real_values(params, method)])
        if isinstance(params, dict) else st.just(params)
    )


def _seeded_body(body: Any, method: str) -> Any:
    """The same body with the fields that name seeded objects (and a projection method) made real."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if "dataset" in body:
        body["dataset"] = SEEDED["dataset_id"]
    if isinstance(body.get("state"), dict) and "dataset" in body["state"]:
        body["state"] = {**body["state"], "dataset": SEEDED["dataset_id"]}
    if body.get("collection") is not None:
        body["collection"] = SEEDED["collection"]
    if "method" in body:
        body["method"] = method
    rows = body.get("rows")
    if isinstance(rows, list) and rows and all(type(r) is int for r in rows):
        body["rows"] = sorted({r % ROWS for r in rows})
    return body


def _with_seeded_body(context: schemathesis.HookContext, strategy: st.SearchStrategy) -> st.SearchStrategy:
    return strategy.flatmap(
        lambda body: st.one_of(st.just(body), st.sampled_from(METHODS).map(lambda m: _seeded_body(body, m)))
    )


def _optional_files_as_files(raw_schema: dict[str, Any]) -> None:
    """Send optional upload fields (`anyOf: [file, null]`) as file parts, as the page and `push` do.

    schemathesis recognises a file part only by its own schema, so without this the optional
    `metadata` and `sprite` files went as plain form fields and never reached the parsers.
    """
    for component in raw_schema.get("components", {}).get("schemas", {}).values():
        for name, prop in component.get("properties", {}).items():
            variants = prop.get("anyOf", [])
            files = [v for v in variants if v.get("contentMediaType") == "application/octet-stream"]
            if files and all(v in files or v.get("type") == "null" for v in variants):
                component["properties"][name] = {**files[0], **{k: v for k, v in prop.items() if k != "anyOf"}}


def _schema(server: LiveServer, headers: dict[str, str]) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "all", "deterministic": True, "max-examples": MAX_EXAMPLES,
                           "database": "none"},
            # No steering by earlier answers (their ids differ per run), so the same cases go out each run.
            "phases": {
                "stateful": {"enabled": False},
                "examples": {"extra-data-sources": {"responses": False}},
                "coverage": {"extra-data-sources": {"responses": False}},
                "fuzzing": {"extra-data-sources": {"responses": False}, "error-feedback": {"enabled": False}},
            },
            "suppress-health-check": ["all"],
        }
    )
    raw = httpx.get(server.url + "/openapi.json", timeout=30).json()
    _optional_files_as_files(raw)
    schema = schemathesis.openapi.from_dict(raw, config=config)
    schema.config.update(base_url=server.url)
    if headers:
        schema.config.update(headers=headers)
    schema.hooks.register_hook_with_name(_with_seeded_path, "before_generate_path_parameters")
    schema.hooks.register_hook_with_name(_with_seeded_body, "before_generate_body")
    return schema


@pytest.fixture(scope="module")
def stranger_schema(fuzz_server: LiveServer) -> schemathesis.BaseSchema:
    """The live schema, requests sent without the token."""
    return _schema(fuzz_server, {})


@pytest.fixture(scope="module")
def token_schema(fuzz_server: LiveServer) -> schemathesis.BaseSchema:
    """The live schema, requests sent with the write token."""
    return _schema(fuzz_server, {"Authorization": f"Bearer {TOKEN}"})


def check_answer(case: schemathesis.Case, pass_name: str) -> None:
    """Send the case; no 5xx, and a 4xx carries the error shape with its own status."""
    label = f"{case.operation.method.upper()} {case.operation.path}"
    started = time.monotonic()
    response = case.call(timeout=REQUEST_TIMEOUT)
    SECONDS[pass_name][label] += time.monotonic() - started
    status = response.status_code
    STATUSES[pass_name][label][status] += 1
    reproduce = case.as_curl_command()
    assert status < 500, f"{status} from {reproduce}\n{response.text[:2000]}"
    if status >= 400:
        try:
            body = response.json()
        except ValueError:
            pytest.fail(f"{status} without a JSON body from {reproduce}: {response.text[:500]!r}")
        assert isinstance(body, dict) and set(body) == SHAPE, f"{reproduce}\n{body}"
        assert body["ok"] is False and body["status"] == status, f"{reproduce}\n{body}"
        assert isinstance(body["error"], str) and body["error"], f"{reproduce}\n{body}"
        # A refused request never echoes its input back at length (a 1 MB pattern, a huge body).
        assert len(response.content) < 20_000, f"{status} answer of {len(response.content)} bytes from {reproduce}"


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy loader reads `Node._nodeid`, which pytest 9.2 renamed; give it one."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


_fuzz_settings = settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


@schemathesis.pytest.from_fixture("stranger_schema").parametrize()
@_fuzz_settings
def test_fuzz_as_a_stranger(case: schemathesis.Case) -> None:
    check_answer(case, "stranger")


@schemathesis.pytest.from_fixture("token_schema").parametrize()
@_fuzz_settings
def test_fuzz_with_the_token(case: schemathesis.Case) -> None:
    check_answer(case, "token")


def _valid_files() -> dict[str, tuple[str, bytes]]:
    """One good file of each kind the upload takes, to be damaged by the fuzzer."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import PngImagePlugin

    vectors, labels = clustered(ROWS, 6, seed=5)
    npy, parquet, jpeg, ztxt, iccp = (io.BytesIO() for _ in range(5))
    np.save(npy, vectors)
    pq.write_table(pa.table({"vector": [list(map(float, v)) for v in vectors], "word": [f"w{i}" for i in range(ROWS)]}),
                   parquet)
    Image.open(io.BytesIO(_sprite_png())).save(jpeg, format="JPEG")
    # zTXt and iCCP chunks that inflate past Pillow's 1 MB chunk limit (issue 10, finding 11).
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "a" * (4 << 20), zip=True)
    Image.open(io.BytesIO(_sprite_png())).save(ztxt, format="PNG", pnginfo=info)
    Image.open(io.BytesIO(_sprite_png())).save(iccp, format="PNG", icc_profile=b"\0" * (4 << 20))
    return {
        "tsv": ("v.tsv", vectors_tsv(vectors)),
        "npy": ("v.npy", npy.getvalue()),
        "parquet": ("v.parquet", parquet.getvalue()),
        "metadata": ("m.tsv", metadata_tsv([[f"word{i}", str(labels[i])] for i in range(ROWS)], ["word", "label"])),
        "png": ("s.png", _sprite_png()),
        "jpeg": ("s.jpg", jpeg.getvalue()),
        "ztxt": ("z.png", ztxt.getvalue()),
        "iccp": ("i.png", iccp.getvalue()),
    }


VALID = _valid_files()


def _damaged(kinds: list[str]) -> st.SearchStrategy[tuple[str, bytes]]:
    """A good file of one of `kinds`, as it is, truncated, overwritten in places, or replaced by noise."""

    def damage(kind: str) -> st.SearchStrategy[tuple[str, bytes]]:
        name, good = VALID[kind]
        spot = st.integers(0, len(good) - 1)
        return st.one_of(
            st.just(good),
            spot.map(lambda k: good[:k]),
            st.tuples(spot, st.binary(min_size=1, max_size=32)).map(
                lambda t: good[: t[0]] + t[1] + good[t[0] + len(t[1]):]
            ),
            st.binary(max_size=512),
        ).map(lambda content: (name, content))

    return st.sampled_from(kinds).flatmap(damage)


@given(
    vectors=_damaged(["tsv", "npy", "parquet"]),
    metadata=st.none() | _damaged(["metadata"]),
    sprite=st.none() | _damaged(["png", "jpeg", "ztxt", "iccp"]),
    sprite_dim=st.none() | st.sampled_from(["8", "8,8", "4x8", "0", "²", "9" * 5000]) | st.text(max_size=12),
)
# The 5xx this fuzzing found, kept as fixed examples: Pillow's ValueError on an oversized text or ICC
# chunk, and int() on a superscript digit or a 5000-digit size.
@example(vectors=VALID["tsv"], metadata=VALID["metadata"], sprite=VALID["ztxt"], sprite_dim="8")
@example(vectors=VALID["npy"], metadata=None, sprite=VALID["iccp"], sprite_dim="8,8")
@example(vectors=VALID["tsv"], metadata=None, sprite=VALID["png"], sprite_dim="²")
@example(vectors=VALID["tsv"], metadata=None, sprite=VALID["png"], sprite_dim="9" * 5000)
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_fuzz_upload_files(fuzz_server: LiveServer, vectors, metadata, sprite, sprite_dim) -> None:
    """Damaged vectors, metadata and sprite files, with the token: a 201 or a 4xx, never a 5xx."""
    files = {"vectors": vectors}
    if metadata is not None:
        files["metadata"] = metadata
    if sprite is not None:
        files["sprite"] = sprite
    data = {} if sprite_dim is None else {"sprite_dim": sprite_dim}
    with fuzz_server.client(headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        response = c.post("/api/datasets", files=files, data=data)
        label = "POST /api/datasets (damaged files)"
        STATUSES["token"][label][response.status_code] += 1
        assert response.status_code < 500, f"{response.status_code} for {files.keys()} {sprite_dim!r}: {response.text}"
        if response.status_code == 201:
            assert c.delete(f"/api/datasets/{response.json()['id']}").status_code == 204
        else:
            body = response.json()
            assert set(body) == SHAPE and body["status"] == response.status_code, body


def test_the_schema_offers_every_route_and_the_upload_as_multipart(fuzz_server: LiveServer) -> None:
    """What the fuzzing covers: the upload is fuzzed as multipart, and no operation is missing."""
    schema = httpx.get(fuzz_server.url + "/openapi.json", timeout=30).json()
    upload = schema["paths"]["/api/datasets"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    operations = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert ("POST", "/api/datasets/{dataset_id}/projections") in operations
    assert ("POST", "/api/views") in operations and ("POST", "/api/bookmarks") in operations


def test_the_server_still_answers_after_the_fuzzing(fuzz_server: LiveServer) -> None:
    """Runs last in this file: the server is alive, serves its list, and logged no unhandled error.

    The log also catches what a status cannot: a streamed answer (an export) that broke after its 200.
    """
    assert fuzz_server.process.poll() is None, fuzz_server.log()
    with fuzz_server.client(headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        r = c.get("/api/datasets")
        assert r.status_code == 200 and SEEDED["dataset_id"] in {d["id"] for d in r.json()}, r.text
        assert c.get(f"/api/projections/{SEEDED['job_id']}").json()["status"] == "done"
        assert c.get("/api/status").status_code == 200
    log = fuzz_server.log()
    for marker in ("Exception in ASGI application", "unhandled error"):
        assert marker not in log, log[-5000:]
    if {"stranger", "token"} <= STATUSES.keys():  # the fuzzing ran in this session: it reached everything
        schema = httpx.get(fuzz_server.url + "/openapi.json", timeout=30).json()
        for path, operations in schema["paths"].items():
            for method in operations:
                for pass_name in ("stranger", "token"):
                    sent = sum(STATUSES[pass_name][f"{method.upper()} {path}"].values())
                    assert sent >= 5, f"{pass_name} pass sent {sent} requests to {method.upper()} {path}"


def _print_summary() -> None:
    for pass_name, operations in STATUSES.items():
        total = sum(sum(c.values()) for c in operations.values())
        print(f"\nschemathesis {pass_name} pass: {len(operations)} operations, {total} requests")
        for label, counts in sorted(operations.items()):
            statuses = ", ".join(f"{s}×{n}" for s, n in sorted(counts.items()))
            print(f"  {label}: {sum(counts.values())} in {SECONDS[pass_name][label]:.1f} s — {statuses}")

