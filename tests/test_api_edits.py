"""Metadata edits over real HTTP: tags and cells, versions read back as they were, undo, views pinned
to a version, downloads with the edits, the refusals, the token, a restart and two servers on one folder."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.conftest import run_server
from tests.datagen import clustered, metadata_tsv, vectors_tsv, words
from tests.test_api_projections import wait_done

N = 40
TOKEN = "edit-token-0123456789"


def upload(client: httpx.Client, **kwargs: object) -> tuple[str, list[str]]:
    vectors, labels = clustered(N, 4, seed=3)
    names = words(N)
    meta = metadata_tsv([[w, str(c)] for w, c in zip(names, labels)], ["word", "cluster"])
    files = {"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)}
    r = client.post("/api/datasets", files=files, **kwargs)
    assert r.status_code == 201, r.text
    return r.json()["id"], names


def column(client: httpx.Client, dataset: str, name: str, version: int | None = None) -> list | None:
    params = {} if version is None else {"version": version}
    r = client.get(f"/api/datasets/{dataset}/metadata", params=params)
    assert r.status_code == 200, r.text
    found = [c for c in r.json()["columns"] if c["name"] == name]
    return found[0]["values"] if found else None


def edit(client: httpx.Client, dataset: str, **body: object) -> httpx.Response:
    return client.post(f"/api/datasets/{dataset}/edits", json=body)


def test_tags_cells_versions_and_undo(client: httpx.Client) -> None:
    dataset, names = upload(client)
    assert client.get(f"/api/datasets/{dataset}/edits").json() == {"version": 0, "entries": []}
    original_cluster = column(client, dataset, "cluster")

    r = edit(client, dataset, column="tag", rows=[1, 2, 3], value="bird")
    assert r.status_code == 201, r.text
    assert r.json() == {"version": 1, "column": {"name": "tag", "type": "text", "distinct": 1, "min": None,
                                                 "max": None}, "value": "bird", "rows": 3, "new_column": True}
    info = client.get(f"/api/datasets/{dataset}").json()
    assert info["version"] == 1 and [c["name"] for c in info["columns"]] == ["word", "cluster", "tag"]
    tag = column(client, dataset, "tag")
    assert [i for i, v in enumerate(tag) if v == "bird"] == [1, 2, 3] and set(tag) == {"bird", ""}

    r = edit(client, dataset, column="tag", rows=[3, 4], value="fish")  # an existing tag column
    assert r.status_code == 201 and r.json()["version"] == 2 and r.json()["column"]["distinct"] == 2
    r = edit(client, dataset, column="cluster", rows=[5], value="7.5", cell=True)  # a numeric cell
    assert r.status_code == 201 and r.json()["value"] == 7.5 and r.json()["column"]["max"] == 7.5
    r = edit(client, dataset, column="word", rows=[0], value="renamed", cell=True)
    assert r.status_code == 201 and r.json()["version"] == 4

    # Every version reads back as it was; 0 is the upload itself.
    assert column(client, dataset, "tag", 0) is None
    assert column(client, dataset, "tag", 1)[3] == "bird"
    assert column(client, dataset, "tag", 2)[3] == "fish"
    assert column(client, dataset, "cluster", 2) == original_cluster
    assert column(client, dataset, "cluster", 3)[5] == 7.5
    assert column(client, dataset, "word")[0] == "renamed" and column(client, dataset, "word", 3)[0] == names[0]
    r = client.get(f"/api/datasets/{dataset}/metadata", params={"version": 2})
    assert r.headers["x-edit-version"] == "2"
    assert client.get(f"/api/datasets/{dataset}/metadata").headers["x-edit-version"] == "4"
    r = client.get(f"/api/datasets/{dataset}/metadata", params={"version": 5})
    assert r.status_code == 400 and r.json()["file"] == "version", r.text

    # Undo is an entry: it reverts the latest edit not yet undone, then the one before.
    r = client.post(f"/api/datasets/{dataset}/edits/undo")
    assert r.status_code == 200, r.text
    assert r.json() == {"version": 5, "undoes": 4, "column": "word", "rows": [0], "values": [names[0]],
                        "column_info": {"name": "word", "type": "text", "distinct": N, "min": None, "max": None}}
    r = client.post(f"/api/datasets/{dataset}/edits/undo")
    assert r.json()["undoes"] == 3 and r.json()["values"] == [original_cluster[5]]
    assert column(client, dataset, "cluster") == original_cluster
    assert client.post(f"/api/datasets/{dataset}/edits/undo").json()["undoes"] == 2
    r = client.post(f"/api/datasets/{dataset}/edits/undo")
    assert r.json()["undoes"] == 1 and r.json()["values"] is None and r.json()["column_info"] is None
    assert column(client, dataset, "tag") is None
    r = client.post(f"/api/datasets/{dataset}/edits/undo")
    assert r.status_code == 409 and "no edit to undo" in r.json()["error"], r.text
    log = client.get(f"/api/datasets/{dataset}/edits").json()
    assert log["version"] == 8
    assert [e["op"] for e in log["entries"]] == ["set"] * 4 + ["undo"] * 4
    assert [e["undoes"] for e in log["entries"][4:]] == [4, 3, 2, 1]
    assert column(client, dataset, "tag", 2)[3] == "fish"  # history stays readable after undo

    # An empty value in a numeric column is a missing number.
    r = edit(client, dataset, column="cluster", rows=[0, 1], value="")
    assert r.status_code == 201 and r.json()["value"] is None and column(client, dataset, "cluster")[:2] == [None, None]


def test_refusals_name_the_field(client: httpx.Client) -> None:
    dataset, _ = upload(client)
    cases = [
        ({"column": "nope", "rows": [1], "value": "a", "cell": True}, 400, "column"),
        ({"column": "word", "rows": [1, 2], "value": "a", "cell": True}, 400, "rows"),
        ({"column": "tag", "rows": [N], "value": "a"}, 400, "rows"),
        ({"column": "tag", "rows": [-1], "value": "a"}, 400, "rows"),
        ({"column": "tag", "rows": [2, 2], "value": "a"}, 400, "rows"),
        ({"column": "tag", "rows": [], "value": "a"}, 400, "rows"),
        ({"column": "tag", "rows": [1], "value": "v" * 1001}, 400, "value"),
        ({"column": "cluster", "rows": [1], "value": "many"}, 400, "value"),
        ({"column": "cluster", "rows": [1], "value": "inf"}, 400, "value"),
        ({"column": "x", "rows": [1], "value": "a"}, 400, "column"),
        ({"column": "Row", "rows": [1], "value": "a"}, 400, "column"),
        ({"column": "pc3", "rows": [1], "value": "a"}, 400, "column"),
        ({"column": "__seq_next__", "rows": [1], "value": "2"}, 400, "column"),
        ({"column": "t" * 101, "rows": [1], "value": "a"}, 400, "column"),
        ({"column": "a\tb", "rows": [1], "value": "a"}, 400, "column"),
        ({"column": " ", "rows": [1], "value": "a"}, 400, "column"),
    ]
    for body, status, field in cases:
        r = edit(client, dataset, **body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["ok"] is False and r.json()["file"] == field, (body, r.text)
    assert edit(client, dataset, column="tag", rows=[1], value="v" * 1000).status_code == 201
    # A million-row `rows` list fits the body limit: it is read and refused for its rows, not its size.
    r = edit(client, dataset, column="tag", rows=list(range(999_999, -1, -1)), value="a")
    assert r.status_code == 400 and r.json()["file"] == "rows", r.text[:300]
    assert edit(client, "no-such-dataset", column="tag", rows=[1], value="a").status_code == 404
    r = client.post("/api/datasets/no-such-dataset/edits/undo")
    assert r.status_code == 404 and r.json()["ok"] is False
    assert client.get(f"/api/datasets/{dataset}/edits").json()["version"] == 1  # nothing half-written


def test_views_pin_their_version_and_downloads_carry_the_edits(client: httpx.Client) -> None:
    dataset, names = upload(client)
    job = client.post(f"/api/datasets/{dataset}/projections", json={"method": "pca"}).json()["id"]
    assert wait_done(client, job)["status"] == "done"
    assert edit(client, dataset, column="kind", rows=[0, 2], value="odd\tone").status_code == 201
    state = {"dataset": dataset, "projection": {"method": "pca", "job": job}, "colorBy": "kind", "editVersion": 1}
    r = client.post("/api/views", json=state)
    assert r.status_code == 201, r.text
    assert client.get(f"/api/views/{r.json()['id']}").json()["editVersion"] == 1
    r = client.post("/api/views", json={**state, "editVersion": 0})  # "kind" did not exist yet at version 0
    assert r.status_code == 400 and r.json()["file"] == "colorBy", r.text
    r = client.post("/api/views", json={**state, "labelBy": "word", "colorBy": None, "editVersion": 2})
    assert r.status_code == 400 and r.json()["file"] == "editVersion", r.text
    r = client.post("/api/bookmarks", json={"name": "b", "state": {**state, "search": {"query": "o", "column": "kind"}}})
    assert r.status_code == 201 and r.json()["state"]["editVersion"] == 1

    # TensorBoard's metadata.tsv: a header (2+ columns), the edits, tabs inside a value as spaces.
    clusters = column(client, dataset, "cluster")
    r = client.get(f"/api/datasets/{dataset}/metadata.tsv")
    assert r.status_code == 200 and r.headers["x-edit-version"] == "1"
    expected = "word\tcluster\tkind\n" + "".join(
        f"{w}\t{int(c)}\t{'odd one' if i in (0, 2) else ''}\n" for i, (w, c) in enumerate(zip(names, clusters))
    )
    assert r.text == expected
    old = client.get(f"/api/datasets/{dataset}/metadata.tsv", params={"version": 0})
    assert old.text.splitlines()[0] == "word\tcluster" and old.headers["x-edit-version"] == "0"
    assert client.get(f"/api/datasets/{dataset}/metadata.tsv", params={"version": 9}).status_code == 400

    r = client.post(f"/api/datasets/{dataset}/export", json={"rows": [2, 1]})
    assert r.text.splitlines() == ["word\tcluster\tkind", f"{names[2]}\t{int(clusters[2])}\todd one",
                                   f"{names[1]}\t{int(clusters[1])}\t"]
    r = client.post(f"/api/datasets/{dataset}/export", params={"version": 0}, json={"rows": [2]})
    assert r.text.splitlines()[0] == "word\tcluster"
    lines = client.get(f"/api/projections/{job}/export").text.splitlines()
    assert lines[0].endswith("\tword\tcluster\tkind") and lines[1].endswith("\todd one")
    lines = client.get(f"/api/projections/{job}/export", params={"version": 0}).text.splitlines()
    assert lines[0].endswith("\tword\tcluster")


def test_custom_axes_read_the_column_at_the_current_version(client: httpx.Client) -> None:
    dataset, _ = upload(client)
    body = {"method": "custom", "params": {"column": "side", "left": "west", "right": "east"}}
    r = client.post(f"/api/datasets/{dataset}/projections", json=body)
    assert r.status_code == 422 and "side" in r.json()["error"]  # no such column yet
    assert edit(client, dataset, column="side", rows=list(range(0, 10)), value="west").status_code == 201
    assert edit(client, dataset, column="side", rows=list(range(10, 20)), value="east").status_code == 201
    first = client.post(f"/api/datasets/{dataset}/projections", json=body).json()
    assert wait_done(client, first["id"])["status"] == "done"
    again = client.post(f"/api/datasets/{dataset}/projections", json=body)
    assert again.status_code == 200 and again.json()["id"] == first["id"]  # cached at the same version
    assert edit(client, dataset, column="side", rows=list(range(20, 30)), value="east").status_code == 201
    later = client.post(f"/api/datasets/{dataset}/projections", json=body).json()
    assert later["id"] != first["id"]  # the edit changed what the patterns match: a new result
    assert wait_done(client, later["id"])["status"] == "done"
    assert client.post(f"/api/datasets/{dataset}/edits/undo").status_code == 200
    # Back at the tags of the first run, but a later version: a new key, never a stale one.
    assert client.post(f"/api/datasets/{dataset}/projections", json=body).json()["id"] not in (first["id"], later["id"])


@pytest.fixture(scope="module")
def shared_folder(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("edits-shared") / "data"


def test_token_restart_and_two_servers_on_one_folder(shared_folder) -> None:
    env = {"PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1"}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with run_server(shared_folder, env) as server, server.client() as c:
        dataset, _ = upload(c, headers=auth)
        r = edit(c, dataset, column="tag", rows=[1], value="a")
        assert r.status_code == 401 and r.json()["ok"] is False
        r = c.post(f"/api/datasets/{dataset}/edits", json={"column": "tag", "rows": [1], "value": "a"},
                   headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 403
        assert c.post(f"/api/datasets/{dataset}/edits/undo").status_code == 401
        r = c.post(f"/api/datasets/{dataset}/edits", json={"column": "tag", "rows": [1], "value": "a"}, headers=auth)
        assert r.status_code == 201 and r.json()["version"] == 1
        assert c.get(f"/api/datasets/{dataset}/metadata").status_code == 200  # reading needs no token

    with run_server(shared_folder, env) as one, run_server(shared_folder, env) as two:
        a, b = one.client(headers=auth), two.client(headers=auth)
        assert column(a, dataset, "tag")[1] == "a"  # survived the restart
        assert edit(b, dataset, column="tag", rows=[2], value="b").json()["version"] == 2
        assert a.get(f"/api/datasets/{dataset}").json()["version"] == 2  # the other server's edit shows
        assert column(a, dataset, "tag")[2] == "b"

        versions: list[int] = []
        lock = threading.Lock()

        def tag_many(client: httpx.Client, start: int) -> None:
            for i in range(6):
                r = edit(client, dataset, column="tag", rows=[start + i], value=f"t{start + i}")
                assert r.status_code == 201, r.text
                with lock:
                    versions.append(r.json()["version"])

        threads = [threading.Thread(target=tag_many, args=(cl, s)) for cl, s in ((a, 10), (b, 20), (a, 30))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(versions) == list(range(3, 21))  # each edit got its own version
        for cl in (a, b):
            tag = column(cl, dataset, "tag")
            assert all(tag[s + i] == f"t{s + i}" for s in (10, 20, 30) for i in range(6))
            assert cl.get(f"/api/datasets/{dataset}/edits").json()["version"] == 20
        assert b.post(f"/api/datasets/{dataset}/edits/undo").json()["undoes"] == 20
        assert a.post(f"/api/datasets/{dataset}/edits/undo").json()["undoes"] == 19
        assert a.delete(f"/api/datasets/{dataset}").status_code == 204
        assert not (shared_folder / "edits" / dataset).exists()  # deleting a dataset removes its log
        a.close()
        b.close()
