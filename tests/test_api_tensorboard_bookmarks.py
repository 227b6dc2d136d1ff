"""TensorBoard bookmark files over real HTTP: import to a collection, restore exact coordinates, export, refusals."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from embedding_projector.datasets.importer import import_config
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.datasets.tensorboard_bookmarks import parse_states
from tests.conftest import run_server
from tests.datagen import clustered, metadata_tsv, vectors_tsv, words
from tests.tensorboard_states import tb_file
from tests.test_api_projections import wait_done
from tests.test_request_bodies import open_socket, read_answer, request_head

N = 60


@pytest.fixture(scope="module")
def dataset(live_server) -> str:
    vectors, labels = clustered(N, 6, seed=3)
    meta = metadata_tsv([[w, str(c)] for w, c in zip(words(N), labels)], ["word", "cluster"])
    with live_server.client() as c:
        r = c.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)})
        assert r.status_code == 201, r.text
        return r.json()["id"]


def test_a_tensorboard_file_imports_restores_and_exports(client, dataset) -> None:
    data, raw = tb_file(N)
    r = client.post(f"/api/datasets/{dataset}/bookmarks/tensorboard", content=data,
                    headers={"content-type": "application/json"})
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["edit_key"] and [b["name"] for b in answer["items"]] == [s["label"] for s in raw]

    listed = client.get(f"/api/bookmarks/{answer['collection']}", headers={"X-Edit-Key": answer["edit_key"]})
    assert listed.headers["X-Can-Edit"] == "true"
    items = listed.json()
    assert [b["name"] for b in items] == ["tsne 3d", "umap on a filter", "pca 2d"]

    first, filtered, pca = (b["state"] for b in items)
    assert first["projection"]["method"] == "given" and first["projection"]["params"]["source"].startswith("tensorboard:")
    assert (first["colorBy"], first["labelBy"], first["dimensions"], first["selection"]) == ("cluster", "word", 3, [4, 2])
    assert first["camera"] == {"position": [0.5, -0.25, 3.0], "target": [0.0, 0.1, 0.0], "zoom": 1.25}
    assert filtered["isolated"] == raw[1]["filteredPoints"] and filtered["colorBy"] is None
    assert filtered["selection"] == [raw[1]["filteredPoints"][0], raw[1]["filteredPoints"][3]]
    assert pca["dimensions"] == 2

    # Restoring a bookmark reads its job's coordinates: exactly the file's, as float32.
    for state, tb, keys in ((first, raw[0], ["tsne-0", "tsne-1", "tsne-2"]), (filtered, raw[1], ["umap-0", "umap-1"])):
        coords = client.get(f"/api/projections/{state['projection']['job']}/coords")
        assert coords.status_code == 200
        expected = np.array([[p[k] for k in keys] for p in tb["projections"]], dtype="<f4")
        assert coords.content == expected.tobytes()
    # A given job is a finished job like any other.
    assert wait_done(client, first["projection"]["job"])["status"] == "done"

    exported = client.get(f"/api/bookmarks/{answer['collection']}/tensorboard")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == f'attachment; filename="{dataset}-bookmarks.json"'
    states = json.loads(exported.content)
    assert [s["selectedProjection"] for s in states] == ["tsne", "umap", "pca"]
    assert set(states[0]) == set(raw[0]) - {k for k in raw[0] if k.startswith("custom")}
    assert states[1]["selectedPoints"] == [0, 3] and states[1]["filteredPoints"] == raw[1]["filteredPoints"]
    again, original = parse_states(exported.content, N), parse_states(data, N)
    for a, b in zip(original, again):
        assert (a.label, a.projection, a.selected, a.filtered, a.camera, a.color_by) == (
            b.label, b.projection, b.selected, b.filtered, b.camera, b.color_by if b.color_by == "cluster" else a.color_by)
        assert a.coords.tobytes() == b.coords.tobytes()

    # Importing the same file again makes another collection on the same given results.
    second = client.post(f"/api/datasets/{dataset}/bookmarks/tensorboard", content=data).json()
    assert second["collection"] != answer["collection"]
    assert [b["state"]["projection"]["job"] for b in second["items"]] == [s["projection"]["job"] for s in (first, filtered, pca)]


def test_our_own_bookmarks_export_under_their_method(client, dataset) -> None:
    job = client.post(f"/api/datasets/{dataset}/projections", json={"method": "pca"}).json()["id"]
    assert wait_done(client, job)["status"] == "done"
    state = {"dataset": dataset, "projection": {"method": "pca", "job": job, "components": [2, 0]},
             "dimensions": 2, "selection": [1]}
    saved = client.post("/api/bookmarks", json={"collection": None, "name": "mine", "state": state}).json()
    exported = client.get(f"/api/bookmarks/{saved['collection']}/tensorboard")
    assert exported.status_code == 200, exported.text
    (tb,) = json.loads(exported.content)
    assert tb["selectedProjection"] == "pca" and tb["pcaComponentDimensions"] == [2, 0]
    coords = np.frombuffer(client.get(f"/api/projections/{job}/coords").content, dtype="<f4").reshape(N, -1)
    written = np.array([[p["pca-2"], p["pca-0"]] for p in tb["projections"]], dtype="<f4")
    assert written.tobytes() == np.ascontiguousarray(coords[:, [2, 0]]).tobytes()


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"not json", 400, ["not JSON"]),
        (b"", 400, ["empty"]),
        (json.dumps([{"selectedProjection": "tsne", "projections": [{"tsne-0": 1, "tsne-1": 2}]}]).encode(), 400,
         ["state 0", "projections", f"rows are {N}"]),
    ],
)
def test_bad_files_are_refused_by_state_and_field(client, dataset, body, status, words) -> None:
    r = client.post(f"/api/datasets/{dataset}/bookmarks/tensorboard", params={"filename": "dir/my states.json"},
                    content=body)
    assert r.status_code == status, r.text
    assert r.json()["ok"] is False and all(w in r.json()["error"] for w in words)
    assert r.json()["file"] == "my states.json" and r.json()["error"].startswith("my states.json")


def test_unknown_targets_and_oversized_files(client) -> None:
    assert client.post("/api/datasets/nope/bookmarks/tensorboard", content=b"[]").status_code == 404
    assert client.get("/api/bookmarks/nope/tensorboard").status_code == 404



def test_a_declared_size_over_the_file_limit_is_413_before_the_body(live_server) -> None:
    with open_socket(live_server) as sock:
        started = time.monotonic()
        sock.sendall(request_head("POST", "/api/datasets/any/bookmarks/tensorboard",
                                  {"Content-Type": "application/json", "Content-Length": str(300 << 20)}))
        answer = read_answer(sock, started)
    assert answer.status == 413 and "bookmarks file declares" in answer.body["error"]


def write_config(folder: Path, bookmarks_path: str) -> bytes:
    """A projector_config.pbtxt whose embedding names a TensorBoard bookmarks file."""
    vectors, labels = clustered(30, 4, seed=8)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tensors.tsv").write_bytes(vectors_tsv(vectors))
    (folder / "metadata.tsv").write_bytes(metadata_tsv([[w, str(c)] for w, c in zip(words(30), labels)], ["word", "cluster"]))
    data, _ = tb_file(30, seed=2)
    (folder / "states").mkdir(exist_ok=True)
    (folder / "states" / "bookmarks.json").write_bytes(data)
    (folder / "projector_config.pbtxt").write_text(
        'embeddings {\n  tensor_name: "words"\n  tensor_path: "tensors.tsv"\n  metadata_path: "metadata.tsv"\n'
        f'  bookmarks_path: "{bookmarks_path}"\n}}\n'
    )
    return data


def test_a_configs_bookmarks_path_becomes_the_datasets_collection(tmp_path: Path) -> None:
    data = write_config(tmp_path / "logs", "states/bookmarks.json")
    env = {"PROJECTOR_WARMUP": "false", "PROJECTOR_LOGDIR": str(tmp_path / "logs"), "PROJECTOR_EXAMPLES": "false"}
    with run_server(tmp_path / "data", env) as server, server.client() as c:
        (summary,) = c.get("/api/datasets").json()
        info = c.get(f"/api/datasets/{summary['id']}").json()
        assert info["bookmarks"]
        listed = c.get(f"/api/bookmarks/{info['bookmarks']}")
        assert listed.status_code == 200
        items = listed.json()
        assert [b["name"] for b in items] == ["tsne 3d", "umap on a filter", "pca 2d"]
        coords = c.get(f"/api/projections/{items[0]['state']['projection']['job']}/coords").content
        assert coords == parse_states(data, 30)[0].coords.tobytes()
    # A restart finds the collection made, and makes no second one.
    with run_server(tmp_path / "data", env) as server, server.client() as c:
        again = c.get(f"/api/datasets/{summary['id']}").json()
        assert again["bookmarks"] == info["bookmarks"] and len(c.get(f"/api/bookmarks/{info['bookmarks']}").json()) == 3


@pytest.mark.parametrize(("written", "words"), [
    ("/etc/passwd", "is an absolute path"),
    ("../outside.json", "leads out of the config's folder"),
    ("https://example.com/b.json", "is a URL"),
    ("states/missing.json", "does not exist"),
])
def test_a_hostile_or_missing_bookmarks_path_is_refused_by_name(tmp_path: Path, written: str, words: str) -> None:
    write_config(tmp_path / "logs", written)
    (tmp_path / "outside.json").write_bytes(b"[]")
    store = DatasetStore(tmp_path / "data")
    results, (error,) = import_config(store, tmp_path / "logs" / "projector_config.pbtxt", max_sprite_pixels=1 << 20)
    assert results == [] and store.list() == []
    assert error.status == 400 and f"bookmarks_path {written!r} {words}" in error.message


def test_a_bad_bookmarks_file_in_a_config_is_refused_by_state_and_field(tmp_path: Path) -> None:
    write_config(tmp_path / "logs", "states/bookmarks.json")
    raw = json.loads((tmp_path / "logs" / "states" / "bookmarks.json").read_bytes())
    raw[2]["selectedProjection"] = "lle"
    (tmp_path / "logs" / "states" / "bookmarks.json").write_text(json.dumps(raw))
    store = DatasetStore(tmp_path / "data")
    results, (error,) = import_config(store, tmp_path / "logs" / "projector_config.pbtxt", max_sprite_pixels=1 << 20)
    assert results == [] and "states/bookmarks.json: state 2, field selectedProjection" in error.message
