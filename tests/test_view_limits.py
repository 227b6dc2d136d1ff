"""Views and bookmarks on a public server (a write token set, strangers send none): a per-client rate
limit that refuses exactly the (N+1)-th write, a storage budget read from the database, edit keys for
bookmark collections, old databases migrated, and SQLite in WAL mode surviving a kill -9.

Every test runs on SQLite and on PostgreSQL (a fresh schema each, so the budget sees only its own
rows). Each test talks from its own loopback address (127.0.0.x), so per-client limits stay apart.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import LiveServer, run_server
from tests.datagen import clustered, metadata_tsv, vectors_tsv, words
from tests.test_job_crashes import gone_within

TOKEN = "views-test-token-0123456789"
WRITES_PER_MINUTE = 5
N = 500
_addresses = itertools.count(2)


def client_from(server: LiveServer, token: str | None = None) -> httpx.Client:
    """A client whose connections come from a loopback address of its own: a client the server has not seen."""
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{next(_addresses)}")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, timeout=60, transport=transport, headers=headers)


@contextmanager
def fresh_postgres_schema(postgres_url: str) -> Iterator[str]:
    """A new, empty schema in the test database (dropped after); the URL that makes it the server's only one."""
    schema = f"views_{secrets.token_hex(6)}"
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: SQLite in the test's own folder, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        (tmp_path / "db").mkdir()
        yield f"sqlite:///{tmp_path / 'db' / 'views.sqlite3'}"
        return
    with fresh_postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@contextmanager
def public_server(data_dir: Path, database: str, **env: str) -> Iterator[LiveServer]:
    """A server with a write token (public mode) on `database`."""
    full = {"PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1", "PROJECTOR_WRITE_TOKEN": TOKEN,
            "PROJECTOR_DATABASE_URL": database, "PROJECTOR_VIEW_WRITES_PER_MINUTE": str(WRITES_PER_MINUTE), **env}
    with run_server(data_dir, full) as server:
        yield server


def upload(server: LiveServer) -> str:
    """A 500-row dataset (the token uploads it)."""
    vectors, labels = clustered(N, 6, seed=3)
    meta = metadata_tsv([[w, str(c)] for w, c in zip(words(N), labels)], ["word", "cluster"])
    with client_from(server, TOKEN) as c:
        r = c.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def view(dataset: str, rows: range = range(100, 200)) -> dict:
    return {"dataset": dataset, "selection": list(rows), "colorBy": "cluster"}


def assert_error(r: httpx.Response, status: int, needle: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"ok", "status", "error", "file", "line", "column"}
    assert body["ok"] is False and body["status"] == status
    assert needle in body["error"], body["error"]


@pytest.fixture
def server(tmp_path: Path, database: str) -> Iterator[LiveServer]:
    with public_server(tmp_path / "data", database) as s:
        yield s


# ---------- the per-client rate limit ----------


def test_exactly_the_sixth_write_in_a_minute_is_refused(server: LiveServer) -> None:
    dataset = upload(server)
    with client_from(server) as stranger:
        # Refused writes count zero: a bad view (400), a bad body (422), a wrong edit key (403).
        assert_error(stranger.post("/api/views", json=view(dataset, range(N, N + 1))), 400, "selection")
        assert_error(stranger.post("/api/views", json={"dataset": dataset, "colorBy": "x" * 5000}), 422, "colorBy")
        first = stranger.post("/api/bookmarks", json={"name": "one", "state": view(dataset)})  # write 1
        assert first.status_code == 201, first.text
        collection, key = first.json()["collection"], first.json()["edit_key"]
        assert_error(stranger.post("/api/bookmarks", json={"collection": collection, "name": "x", "state": view(dataset)},
                                   headers={"X-Edit-Key": "wrong"}), 403, "edit key")
        second = stranger.post("/api/bookmarks", json={"collection": collection, "name": "two", "state": view(dataset)},
                               headers={"X-Edit-Key": key})  # write 2
        assert second.status_code == 201, second.text
        for _ in range(3):  # writes 3, 4, 5
            assert stranger.post("/api/views", json=view(dataset)).status_code == 201
        # Write 6, a view or a bookmark, is refused; reads and deletes still work.
        assert_error(stranger.post("/api/views", json=view(dataset)), 429, f"more than {WRITES_PER_MINUTE} views and bookmarks a minute")
        assert_error(stranger.post("/api/bookmarks", json={"name": "new", "state": view(dataset)}), 429, "try again in")
        assert len(stranger.get(f"/api/bookmarks/{collection}").json()) == 2
        assert stranger.delete(f"/api/bookmarks/{collection}/{second.json()['id']}", headers={"X-Edit-Key": key}).status_code == 204
        assert_error(stranger.post("/api/views", json=view(dataset)), 429, "a minute")
    # Another client has its own minute, and the token holder has none.
    with client_from(server) as other:
        assert other.post("/api/views", json=view(dataset)).status_code == 201
    with client_from(server, TOKEN) as owner:
        assert all(owner.post("/api/views", json=view(dataset)).status_code == 201 for _ in range(2 * WRITES_PER_MINUTE))


def test_twenty_concurrent_writes_let_exactly_five_through(server: LiveServer) -> None:
    dataset = upload(server)
    with client_from(server) as stranger, ThreadPoolExecutor(20) as pool:
        barrier = threading.Barrier(20)

        def post(i: int) -> int:
            barrier.wait()
            if i % 2:
                return stranger.post("/api/views", json=view(dataset)).status_code
            return stranger.post("/api/bookmarks", json={"name": f"b{i}", "state": view(dataset)}).status_code

        codes = sorted(pool.map(post, range(20)))
    assert codes == [201] * WRITES_PER_MINUTE + [429] * (20 - WRITES_PER_MINUTE)


def test_concurrent_adds_to_one_collection_all_land(server: LiveServer) -> None:
    dataset = upload(server)
    with client_from(server, TOKEN) as owner, ThreadPoolExecutor(20) as pool:
        first = owner.post("/api/bookmarks", json={"name": "first", "state": view(dataset)}).json()
        body = {"collection": first["collection"], "state": view(dataset)}
        key = {"X-Edit-Key": first["edit_key"]}
        codes = list(pool.map(lambda i: owner.post("/api/bookmarks", json={**body, "name": f"n{i}"}, headers=key).status_code,
                              range(20)))
        assert codes == [201] * 20
        assert len(owner.get(f"/api/bookmarks/{first['collection']}").json()) == 21


# ---------- the storage budget ----------

BUDGET = 4096


def test_the_storage_budget_refuses_what_does_not_fit(tmp_path: Path, database: str) -> None:
    with public_server(tmp_path / "data", database, PROJECTOR_VIEW_STORAGE_BYTES=str(BUDGET)) as server:
        dataset = upload(server)
        with client_from(server, TOKEN) as owner:  # the token is exempt from the rate, not the budget
            first = owner.post("/api/views", json=view(dataset))
            assert first.status_code == 201, first.text
            size = len(owner.get(f"/api/views/{first.json()['id']}").content)  # the bytes stored
            name = "b" * 50
            saved = owner.post("/api/bookmarks", json={"name": name, "state": view(dataset)})
            assert saved.status_code == 201
            used = size + size + len(name)
            fits = (BUDGET - used) // size
            assert fits >= 2
            for _ in range(fits):
                assert owner.post("/api/views", json=view(dataset)).status_code == 201
            used += fits * size
            assert_error(owner.post("/api/views", json=view(dataset)), 507, "storage budget used up")
            with client_from(server) as stranger:
                # Refusals for the budget are not writes: they leave this client's minute untouched.
                for _ in range(WRITES_PER_MINUTE + 1):
                    assert_error(stranger.post("/api/bookmarks", json={"name": "x", "state": view(dataset)}), 507,
                                 f"{BUDGET - used:,} left")
                # Deleting frees its bytes: views fit again, exactly as many as the freed bytes hold.
                b = saved.json()
                assert owner.delete(f"/api/bookmarks/{b['collection']}/{b['id']}").status_code == 204
                used -= size + len(name)
                for _ in range((BUDGET - used) // size):
                    assert stranger.post("/api/views", json=view(dataset)).status_code == 201
                    used += size
                assert_error(stranger.post("/api/views", json=view(dataset)), 507, "storage budget used up")
    # A restarted server reads the total from the database, not from a counter it lost.
    with public_server(tmp_path / "data", database, PROJECTOR_VIEW_STORAGE_BYTES=str(BUDGET)) as server:
        with client_from(server, TOKEN) as owner:
            assert_error(owner.post("/api/views", json=view(dataset)), 507, f"{BUDGET - used:,} left")


def test_two_servers_on_one_database_share_the_budget(tmp_path: Path, database: str) -> None:
    env = {"PROJECTOR_VIEW_STORAGE_BYTES": str(BUDGET)}
    with public_server(tmp_path / "a", database, **env) as one, public_server(tmp_path / "b", database, **env) as two:
        with client_from(one, TOKEN) as c1, client_from(two, TOKEN) as c2, ThreadPoolExecutor(8) as pool:
            datasets = {c1: upload(one), c2: upload(two)}
            made: list[httpx.Response] = []
            for c in itertools.cycle((c1, c2)):  # in turn, until the shared budget is used up
                r = c.post("/api/views", json=view(datasets[c]))
                if r.status_code == 507:
                    break
                assert r.status_code == 201, r.text
                made.append(r)
            # Then both at once: nothing more gets in through either server.
            late = list(pool.map(lambda i: (c1, c2)[i % 2].post("/api/views", json=view(datasets[(c1, c2)[i % 2]])),
                                 range(16)))
            assert [r.status_code for r in late] == [507] * 16
            sizes = [len(c1.get(f"/api/views/{r.json()['id']}").content) for r in made]
            assert len(made) >= 4
            assert sum(sizes) <= BUDGET < sum(sizes) + max(sizes)


# ---------- edit keys of bookmark collections ----------


def test_the_shared_link_reads_and_only_the_edit_key_or_token_writes(server: LiveServer, database: str) -> None:
    dataset = upload(server)
    with client_from(server) as owner, client_from(server) as recipient, client_from(server, TOKEN) as admin:
        created = owner.post("/api/bookmarks", json={"name": "first", "state": view(dataset)})
        assert created.status_code == 201, created.text
        collection, key = created.json()["collection"], created.json()["edit_key"]
        assert len(key) >= 32
        # The key is in that answer only: never in a list, nor in the answer of a later add.
        listed = recipient.get(f"/api/bookmarks/{collection}")
        assert listed.status_code == 200 and [b["name"] for b in listed.json()] == ["first"]
        assert key not in listed.text and "edit_key" not in listed.text
        assert listed.headers["X-Can-Edit"] == "false"
        assert owner.get(f"/api/bookmarks/{collection}", headers={"X-Edit-Key": key}).headers["X-Can-Edit"] == "true"
        assert admin.get(f"/api/bookmarks/{collection}").headers["X-Can-Edit"] == "true"
        assert recipient.get(f"/api/bookmarks/{collection}", headers={"X-Edit-Key": "guess"}).headers["X-Can-Edit"] == "false"

        body = {"collection": collection, "name": "intruder", "state": view(dataset)}
        assert_error(recipient.post("/api/bookmarks", json=body), 401, "edit key")
        assert_error(recipient.post("/api/bookmarks", json=body, headers={"X-Edit-Key": key[:-1] + ("B" if key.endswith("A") else "A")}), 403, "edit key")
        target = created.json()["id"]
        assert_error(recipient.delete(f"/api/bookmarks/{collection}/{target}"), 401, "edit key")
        assert_error(recipient.delete(f"/api/bookmarks/{collection}/{target}", headers={"X-Edit-Key": "x"}), 403, "edit key")
        assert [b["name"] for b in recipient.get(f"/api/bookmarks/{collection}").json()] == ["first"]

        added = owner.post("/api/bookmarks", json={**body, "name": "second"}, headers={"X-Edit-Key": key})
        assert added.status_code == 201 and added.json()["collection"] == collection
        assert "edit_key" not in added.json() and key not in added.text
        by_token = admin.post("/api/bookmarks", json={**body, "name": "third"})
        assert by_token.status_code == 201
        assert owner.delete(f"/api/bookmarks/{collection}/{target}", headers={"X-Edit-Key": key}).status_code == 204
        assert admin.delete(f"/api/bookmarks/{collection}/{by_token.json()['id']}").status_code == 204
        assert [b["name"] for b in recipient.get(f"/api/bookmarks/{collection}").json()] == ["second"]

        # A key opens its own collection only; unknown collections stay 404 with or without one.
        other = owner.post("/api/bookmarks", json={"name": "other", "state": view(dataset)}).json()
        assert_error(owner.post("/api/bookmarks", json={**body, "collection": other["collection"]},
                                headers={"X-Edit-Key": key}), 403, "edit key")
        assert_error(owner.post("/api/bookmarks", json={**body, "collection": "nope"}, headers={"X-Edit-Key": key}), 404, "nope")
        assert_error(recipient.delete("/api/bookmarks/nope/x"), 404, "nope")

    # Only a hash of the key is stored.
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT edit_key_hash FROM bookmark_collections WHERE id = :c"),
                              {"c": collection}).scalar_one()
        dump = "\n".join(str(row) for t in ("bookmark_collections", "bookmarks")
                         for row in conn.execute(sa.text(f"SELECT * FROM {t}")))
    engine.dispose()
    assert stored == hashlib.sha256(key.encode()).hexdigest()
    assert key not in dump


# ---------- an old database ----------

_OLD_SCHEMA = [
    "CREATE TABLE views (id VARCHAR(64) PRIMARY KEY, dataset VARCHAR(128) NOT NULL, state TEXT NOT NULL, "
    "created TIMESTAMP WITH TIME ZONE NOT NULL)",
    "CREATE TABLE bookmark_collections (id VARCHAR(64) PRIMARY KEY, created TIMESTAMP WITH TIME ZONE NOT NULL)",
    "CREATE TABLE bookmarks (id VARCHAR(64) PRIMARY KEY, collection VARCHAR(64) NOT NULL, dataset VARCHAR(128) "
    "NOT NULL, name VARCHAR(200) NOT NULL, state TEXT NOT NULL, created TIMESTAMP WITH TIME ZONE NOT NULL)",
]


def test_an_old_database_keeps_its_views_and_bookmarks(tmp_path: Path, database: str) -> None:
    """Tables from before edit keys and sizes: migrated; old collections read by link, written with the token."""
    old_state = '{"dataset": "d", "selection": [1, 2]}'
    engine = sa.create_engine(database)
    with engine.begin() as conn:
        for ddl in _OLD_SCHEMA:
            conn.execute(sa.text(ddl))
        now = "2025-01-01 00:00:00"
        conn.execute(sa.text("INSERT INTO views VALUES ('old-view', 'd', :s, :t)"), {"s": old_state, "t": now})
        conn.execute(sa.text("INSERT INTO bookmark_collections VALUES ('old-list', :t)"), {"t": now})
        conn.execute(sa.text("INSERT INTO bookmarks VALUES ('old-mark', 'old-list', 'd', 'kept', :s, :t)"),
                     {"s": old_state, "t": now})
    engine.dispose()
    with public_server(tmp_path / "data", database) as server:
        dataset = upload(server)
        with client_from(server) as stranger, client_from(server, TOKEN) as admin:
            assert stranger.get("/api/views/old-view").json() == {"dataset": "d", "selection": [1, 2]}
            listed = stranger.get("/api/bookmarks/old-list")
            assert [b["name"] for b in listed.json()] == ["kept"] and listed.headers["X-Can-Edit"] == "false"
            body = {"collection": "old-list", "name": "new", "state": view(dataset)}
            assert_error(stranger.post("/api/bookmarks", json=body), 401, "edit key")
            assert_error(stranger.post("/api/bookmarks", json=body, headers={"X-Edit-Key": "anything"}), 403, "edit key")
            assert admin.get("/api/bookmarks/old-list").headers["X-Can-Edit"] == "true"
            assert admin.post("/api/bookmarks", json=body).status_code == 201
            assert admin.delete("/api/bookmarks/old-list/old-mark").status_code == 204
            assert [b["name"] for b in stranger.get("/api/bookmarks/old-list").json()] == ["new"]
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        # Old rows count towards the budget too.
        assert conn.execute(sa.text("SELECT size FROM views WHERE id = 'old-view'")).scalar_one() == len(old_state)
    engine.dispose()


# ---------- SQLite: WAL, and kill -9 ----------


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_views_written_before_a_kill_9_are_there_after_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    database = f"sqlite:///{data_dir / 'views.sqlite3'}"
    made: dict[str, dict] = {}
    with public_server(data_dir, database) as server:
        dataset = upload(server)
        with client_from(server, TOKEN) as owner:
            for i in range(30):
                state = view(dataset, range(i, i + 50))
                r = owner.post("/api/views", json=state)
                assert r.status_code == 201, r.text
                made[r.json()["id"]] = state
            saved = owner.post("/api/bookmarks", json={"name": "last", "state": view(dataset)}).json()
        assert (data_dir / "views.sqlite3-wal").exists(), "SQLite is not in WAL mode"
        workers = _children(server.process.pid)
        server.process.kill()  # SIGKILL: no shutdown, no checkpoint
        server.process.wait(timeout=30)
        gone_within(workers, 60)  # orphaned workers notice their parent is gone on their own (polling)
        leftover = [p for p in workers if _alive(p)]
        for pid in leftover:
            os.kill(pid, 9)
        assert not leftover, f"worker processes outlived the killed server: {leftover}"
    with sqlite3.connect(data_dir / "views.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with public_server(data_dir, database) as server, client_from(server) as reader:
        for view_id, state in made.items():
            r = reader.get(f"/api/views/{view_id}")
            assert r.status_code == 200, r.text
            assert r.json()["selection"] == state["selection"]
        assert [b["name"] for b in reader.get(f"/api/bookmarks/{saved['collection']}").json()] == ["last"]
