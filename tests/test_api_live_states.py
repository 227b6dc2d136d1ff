"""Live page states over real HTTP: create, write, read back; bad writes refused; the token; the bound.

The suite runs once on SQLite and once on PostgreSQL, as the views suite does (several replicas
share the live states through the database).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LiveServer, run_server
from tests.datagen import clustered, metadata_tsv, vectors_tsv, words

TOKEN = "live-state-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BOUND = 3  # PROJECTOR_MAX_LIVE_STATES for this server: the oldest past it are dropped


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with a write token and a small live-state bound, on the database under test."""
    env = {"PROJECTOR_WARMUP": "false", "PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_MAX_LIVE_STATES": str(BOUND)}
    if request.param == "postgresql":
        env["PROJECTOR_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    with run_server(tmp_path_factory.mktemp(request.param) / "data", env) as server:
        yield server


@pytest.fixture(scope="module")
def dataset(live_server: LiveServer) -> str:
    vectors, labels = clustered(40, 4, seed=3)
    meta = metadata_tsv([[w, str(c)] for w, c in zip(words(40), labels)], ["word", "cluster"])
    with live_server.client(headers=AUTH) as c:
        r = c.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def new_live(client: httpx.Client, dataset: str) -> str:
    r = client.post("/api/live", json={"dataset": dataset}, headers=AUTH)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def a_view(dataset: str, **changes: object) -> dict:
    view = {
        "dataset": dataset, "projection": None, "colorBy": "cluster", "labelBy": "word", "selection": [5, 2, 9],
        "isolated": None, "search": {"query": "a", "column": "word", "regex": False}, "neighbors": 100,
        "metric": "cosine", "dimensions": 3, "camera": None, "editVersion": 0,
    }
    return {**view, **changes}


def assert_error(r: httpx.Response, status: int, *words_in_message: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["ok"] is False and body["status"] == status and set(body) >= {"error", "file", "line", "column"}
    for word in words_in_message:
        assert word in body["error"], body


def test_round_trip_without_the_token(client: httpx.Client, dataset: str) -> None:
    live = new_live(client, dataset)
    assert len(live) >= 22  # 128 random bits, URL-safe
    assert client.get(f"/api/live/{live}").json() == {"view": None, "updated": None, "writes": 0}
    # The page holds only the id: PUT and GET need no token.
    first = a_view(dataset)
    assert client.put(f"/api/live/{live}", json=first).status_code == 204
    read = client.get(f"/api/live/{live}").json()
    assert read["view"] == first and read["writes"] == 1 and read["updated"]
    second = a_view(dataset, selection=[1], isolated=[1, 3, 4])
    assert client.put(f"/api/live/{live}", json=second).status_code == 204
    read = client.get(f"/api/live/{live}").json()
    assert read["view"] == second and read["writes"] == 2


def test_unknown_ids_and_datasets_404(client: httpx.Client, dataset: str) -> None:
    assert_error(client.get("/api/live/nosuchliveid"), 404, "live state")
    assert_error(client.put("/api/live/nosuchliveid", json=a_view(dataset)), 404, "live state")
    assert_error(client.get("/api/live/bad%20id!"), 404)
    assert_error(client.post("/api/live", json={"dataset": "nosuchdataset"}, headers=AUTH), 404)


def test_bad_writes_refused(client: httpx.Client, dataset: str) -> None:
    live = new_live(client, dataset)
    assert_error(client.put(f"/api/live/{live}", json=a_view(dataset, selection=[3, 40])), 400, "row 40")
    assert_error(client.put(f"/api/live/{live}", json=a_view(dataset, isolated=[1, 1])), 400, "twice")
    assert_error(client.put(f"/api/live/{live}", json=a_view(dataset, colorBy="nope")), 400, "colorBy")
    assert_error(client.put(f"/api/live/{live}", json={**a_view(dataset), "extra": 1}), 422)
    # A state of another dataset cannot be written into this page's live state.
    assert_error(client.put(f"/api/live/{live}", json=a_view("otherdataset")), 400, "otherdataset")
    # Past the JSON body limit (8 MB by default): 413 as it streams in.
    huge = b'{"dataset": "' + dataset.encode() + b'", "selection": [' + b"1," * (5 << 20) + b"1]}"
    assert_error(client.put(f"/api/live/{live}", content=huge, headers={"content-type": "application/json"}), 413)
    # None of those reached the store.
    assert client.get(f"/api/live/{live}").json() == {"view": None, "updated": None, "writes": 0}


def test_creating_needs_the_token(live_server: LiveServer, dataset: str) -> None:
    with live_server.client() as c:
        assert_error(c.post("/api/live", json={"dataset": dataset}), 401, "write token")
        assert_error(c.post("/api/live", json={"dataset": dataset}, headers={"Authorization": "Bearer no"}), 403)


def test_oldest_dropped_past_the_bound(client: httpx.Client, dataset: str) -> None:
    ids = [new_live(client, dataset) for _ in range(BOUND)]
    # Writing touches a state: the first becomes the newest, so the second is the oldest now.
    assert client.put(f"/api/live/{ids[0]}", json=a_view(dataset)).status_code == 204
    ids.append(new_live(client, dataset))
    assert_error(client.get(f"/api/live/{ids[1]}"), 404)
    for kept in (ids[0], ids[2], ids[3]):
        assert client.get(f"/api/live/{kept}").status_code == 200
