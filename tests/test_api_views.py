"""Shared views and bookmarks over real HTTP: round trip, unknown ids, unguessable ids, restarts."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer, run_server
from tests.datagen import clustered, metadata_tsv, vectors_tsv, words
from tests.test_api_projections import wait_done


def make_dataset(client) -> str:
    vectors, labels = clustered(60, 6, seed=9)
    meta = metadata_tsv([[w, str(c)] for w, c in zip(words(60), labels)], ["word", "cluster"])
    r = client.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def finished_pca(client, dataset: str, rows: list[int] | None = None) -> str:
    job = client.post(f"/api/datasets/{dataset}/projections", json={"method": "pca", "rows": rows}).json()
    assert wait_done(client, job["id"])["status"] == "done"
    return job["id"]


def a_state(dataset: str, job: str) -> dict:
    return {
        "dataset": dataset,
        "projection": {"method": "pca", "params": {"components": 10}, "job": job, "components": [0, 1, 2],
                       "sphereize": False},
        "colorBy": "cluster",
        "labelBy": "word",
        "selection": [7, 3],
        "isolated": [7, 3, 1, 2],
        "search": {"query": "orange", "column": "word", "regex": False},
        "neighbors": 25,
        "metric": "euclidean",
        "dimensions": 2,
        "camera": {"position": [0.1, 0.2, 3.0], "target": [0.0, 0.0, 0.0], "zoom": 1.5},
        "editVersion": None,  # never edited: the view pins no edit version (test_api_edits pins one)
        "clusters": None,  # no clusters shown (test_api_clusters shares some)
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The whole suite runs once per database: SQLite in the data folder, and PostgreSQL."""
    env = {"PROJECTOR_WARMUP": "false"}
    if request.param == "postgresql":
        env["PROJECTOR_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    data_dir = tmp_path_factory.mktemp(request.param) / "data"
    with run_server(data_dir, env) as server:
        yield {"server": server, "env": env, "data_dir": data_dir}


@pytest.fixture(scope="module")
def live_server(backend: dict) -> LiveServer:
    """This module's server, on the database under test."""
    return backend["server"]


@pytest.fixture(scope="module")
def shared(live_server) -> tuple[str, str]:
    with live_server.client() as c:
        dataset = make_dataset(c)
        return dataset, finished_pca(c, dataset, [7, 3, 1, 2])


def test_view_round_trips(client, shared, live_server) -> None:
    dataset, job = shared
    state = a_state(dataset, job)
    r = client.post("/api/views", json=state)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["url"] == f"{live_server.url}/v/{created['id']}"
    assert client.get(f"/api/views/{created['id']}").json() == state
    page = client.get(f"/v/{created['id']}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_unknown_view_is_404(client) -> None:
    for view_id in ("nope", "A" * 22, "../../etc/passwd"):
        r = client.get(f"/api/views/{view_id}")
        assert r.status_code == 404 and r.json()["ok"] is False
    assert client.get("/v/nope").status_code == 404


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"dataset": "missing"}, "missing"),
        ({"selection": [10_000]}, "selection"),
        ({"projection": {"method": "pca", "job": "0" * 32}}, "projection"),
        ({"isolated": [1, 2, 3]}, "projection"),  # the result covers four isolated rows, not three
        ({"metric": "manhattan"}, "metric"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_views_are_refused(client, shared, change, needle) -> None:
    dataset, job = shared
    r = client.post("/api/views", json={**a_state(dataset, job), **change})
    assert 400 <= r.status_code < 500
    assert needle in r.json()["error"]


LONG = "x" * 5000


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        # Rows: unique and in range, so a selection is never longer than its dataset.
        ({"selection": [3, 5, 3]}, 400, "selection holds row 3 twice"),
        ({"selection": [-1]}, 400, "selection holds row -1"),
        ({"isolated": [7, 3, 7, 2]}, 400, "isolated holds row 7 twice"),
        ({"selection": list(range(60)) * 1000}, 400, "selection holds row 0 twice"),
        # Column names are the dataset's, and every free string is capped.
        ({"colorBy": "nope"}, 400, "colorBy names no column"),
        ({"labelBy": "nope"}, 400, "labelBy names no column"),
        ({"search": {"query": "a", "column": "nope"}}, 400, "search.column names no column"),
        ({"colorBy": LONG}, 422, "colorBy"),
        ({"labelBy": LONG}, 422, "labelBy"),
        ({"search": {"query": LONG}}, 422, "search.query"),
        ({"search": {"query": "a", "column": LONG}}, 422, "search.column"),
        ({"dataset": LONG}, 422, "dataset"),
        # Projection parameters are a few scalars, short ones.
        ({"projection": {"method": "pca", "params": {"components": LONG}}}, 422, "projection.params.components"),
        ({"projection": {"method": "pca", "params": {"a": list(range(100))}}}, 422, "projection.params.a"),
        ({"projection": {"method": "pca", "params": {"a": {"b": 1}}}}, 422, "projection.params.a"),
        ({"projection": {"method": "pca", "params": {f"k{i}": i for i in range(17)}}}, 422, "projection.params"),
        ({"projection": {"method": "pca", "params": {"k" * 65: 1}}}, 422, "projection.params"),
        ({"projection": {"method": "pca", "job": LONG}}, 422, "projection.job"),
        ({"projection": {"method": "pca", "components": [0, 1, 1000]}}, 422, "projection.components"),
        ({"projection": {"method": "pca", "components": [0, 1, 2, 3]}}, 422, "projection.components"),
        ({"camera": {"position": [1e300, 0, 0], "target": [0, 0, 0]}}, 422, "camera.position"),
        ({"camera": {"position": [0, 0, 1], "target": [0, 0, 0], "zoom": 1, "fov": LONG}}, 422, "camera.fov"),
    ],
)
def test_views_are_checked_against_their_dataset(client, shared, change, status, needle) -> None:
    dataset, job = shared
    r = client.post("/api/views", json={**a_state(dataset, job), **change})
    assert r.status_code == status, r.text
    body = r.json()
    assert body["ok"] is False and body["status"] == status
    assert needle in body["error"]
    assert len(r.content) < 2000, "the error echoes the input back"
    # The same check guards bookmarks.
    r = client.post("/api/bookmarks", json={"name": "x", "state": {**a_state(dataset, job), **change}})
    assert r.status_code == status and needle in r.json()["error"]


def test_a_whole_dataset_selection_and_scalar_params_are_kept(client, shared) -> None:
    dataset, job = shared
    state = {**a_state(dataset, job), "selection": list(range(59, -1, -1))}
    state["projection"]["params"] = {"components": 10, "perplexity": 30.5, "learning_rate": "auto",
                                     "regex": True, "seed": None, "left": "p" * 4096}
    r = client.post("/api/views", json=state)
    assert r.status_code == 201, r.text
    assert client.get(f"/api/views/{r.json()['id']}").json() == state


def test_ids_are_unguessable(client, shared) -> None:
    dataset, job = shared
    state = {"dataset": dataset}
    ids = [client.post("/api/views", json=state).json()["id"] for _ in range(200)]
    assert len(set(ids)) == len(ids)
    for view_id in ids[:20]:
        assert len(base64.urlsafe_b64decode(view_id + "==")) >= 16  # at least 128 bits
    # Neighbouring ids share no prefix beyond chance: nothing sequential to walk.
    assert max(len(_common_prefix(a, b)) for a, b in zip(ids, ids[1:])) < 6


def test_ten_thousand_ids_do_not_repeat() -> None:
    from embedding_projector.view_store import new_id

    ids = {new_id() for _ in range(10_000)}
    assert len(ids) == 10_000


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_bookmarks_save_list_and_delete(client, shared) -> None:
    dataset, job = shared
    first = client.post("/api/bookmarks", json={"name": "four points", "state": a_state(dataset, job)})
    assert first.status_code == 201, first.text
    collection = first.json()["collection"]
    second = client.post("/api/bookmarks", json={"collection": collection, "name": "all",
                                                 "state": {"dataset": dataset}}).json()
    listed = client.get(f"/api/bookmarks/{collection}").json()
    assert [b["name"] for b in listed] == ["four points", "all"]
    assert listed[0]["state"] == a_state(dataset, job)
    assert client.delete(f"/api/bookmarks/{collection}/{second['id']}").status_code == 204
    assert [b["name"] for b in client.get(f"/api/bookmarks/{collection}").json()] == ["four points"]
    assert client.delete(f"/api/bookmarks/{collection}/{second['id']}").status_code == 404
    # Collections are named by the server only: unknown ones are 404, never created on demand.
    chosen = client.post("/api/bookmarks", json={"collection": "mine", "name": "x", "state": {"dataset": dataset}})
    assert chosen.status_code == 404
    assert client.get("/api/bookmarks/mine").status_code == 404


def test_two_servers_serve_each_others_links(backend: dict, shared) -> None:
    dataset, job = shared
    with run_server(backend["data_dir"], backend["env"]) as second, second.client() as c2:
        with backend["server"].client() as c1:
            made_here = c1.post("/api/views", json=a_state(dataset, job)).json()["id"]
            made_there = c2.post("/api/views", json={"dataset": dataset}).json()["id"]
            assert c2.get(f"/api/views/{made_here}").json() == a_state(dataset, job)
            assert c1.get(f"/api/views/{made_there}").json()["dataset"] == dataset


def test_views_survive_a_restart(tmp_path, backend: dict) -> None:
    data_dir = tmp_path / "data"
    with run_server(data_dir, backend["env"]) as server, server.client() as c:
        dataset = make_dataset(c)
        state = a_state(dataset, finished_pca(c, dataset, [7, 3, 1, 2]))
        view_id = c.post("/api/views", json=state).json()["id"]
    with run_server(data_dir, backend["env"]) as server, server.client() as c:
        assert c.get(f"/api/views/{view_id}").json() == state


def test_odd_ids_and_names_are_refused_cleanly(client, shared) -> None:
    """Ids the server never makes are 404 before any SQL (PostgreSQL refuses NUL bytes with a 500 otherwise)."""
    dataset, _ = shared
    for path in ("/api/views/a%00b", "/api/views/" + "a" * 65, "/api/bookmarks/a%00b", "/api/bookmarks/a%20b", "/v/a%00b"):
        r = client.get(path)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["ok"] is False
    assert client.delete("/api/bookmarks/a%00b/x").status_code == 404
    made = client.post("/api/bookmarks", json={"name": "ok", "state": {"dataset": dataset}}).json()
    assert client.delete(f"/api/bookmarks/{made['collection']}/a%00b").status_code == 404
    r = client.post("/api/bookmarks", json={"collection": "a\x00b", "name": "x", "state": {"dataset": dataset}})
    assert r.status_code == 404, r.text
    for name in ("a\x00b", "two\nlines", "x" * 201, ""):
        r = client.post("/api/bookmarks", json={"name": name, "state": {"dataset": dataset}})
        assert r.status_code == 422 and "name" in r.json()["error"], r.text
