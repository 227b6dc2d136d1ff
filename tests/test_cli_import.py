"""`embedding-projector import` and `serve --logdir`, run as the user runs them (subprocesses)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.decomposition import PCA

from embedding_projector.datasets.store import DatasetStore
from tests.conftest import run_server
from tests.datagen import vectors_tsv
from tests.tensorboard_states import tb_file
from tests.test_configs import write_logdir
from tests.test_parse_sprite import image_bytes

QUIET = {"PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embedding_projector", *args],
                          capture_output=True, text=True, timeout=120)


def test_serve_logdir_lists_every_embedding_once(tmp_path: Path) -> None:
    logdir = tmp_path / "logs"
    write_logdir(logdir)
    data = tmp_path / "data"
    with run_server(data, env=QUIET, args=["--logdir", str(logdir)]) as server, server.client() as client:
        listed = client.get("/api/datasets").json()
        assert sorted((d["name"], d["n"], d["dim"]) for d in listed) == [
            ("default:00000", 12, 4), ("second:00010", 5, 3)]
        first = next(d for d in listed if d["name"] == "default:00000")
        info = client.get(f"/api/datasets/{first['id']}").json()
        assert info["source"] == "import" and info["sprite"]["per_row"] == 4
        assert info["origin"] == f"config:{logdir / 'projector_config.pbtxt'}#default:00000"
        sprite = client.get(info["sprite"]["url"])
        assert sprite.content == (logdir / "00000/default/sprite.png").read_bytes()
        labels = client.get(f"/api/datasets/{first['id']}/metadata").json()["columns"][0]["values"]
        assert labels[:2] == ["w0", "w1"]
    # A restart (here through the environment variable) imports nothing twice.
    with run_server(data, env={**QUIET, "PROJECTOR_LOGDIR": str(logdir)}) as server, server.client() as client:
        assert sorted(d["id"] for d in client.get("/api/datasets").json()) == sorted(d["id"] for d in listed)
        assert "already imported" in server.log()


def test_serve_logdir_that_is_not_a_folder_is_a_message(tmp_path: Path) -> None:
    out = run("serve", "--logdir", str(tmp_path / "missing"), "--data-dir", str(tmp_path / "data"))
    assert out.returncode == 2 and "logdir" in out.stderr and "Traceback" not in out.stderr


def test_import_json_config(tmp_path: Path) -> None:
    vectors = np.random.default_rng(3).normal(size=(6, 5)).astype(np.float32)
    (tmp_path / "cfg" / "data").mkdir(parents=True)
    (tmp_path / "cfg" / "data" / "v.tsv").write_bytes(vectors_tsv(vectors))
    (tmp_path / "cfg" / "data" / "labels.tsv").write_text("name\tcolour\n" + "".join(f"n{i}\tc{i % 2}\n" for i in range(6)))
    (tmp_path / "cfg" / "data" / "faces.jpg").write_bytes(image_bytes(30, 20, "JPEG"))
    config = {"embeddings": [{
        "tensorName": "Faces", "tensorShape": [6, 5], "tensorPath": "data/v.tsv",
        "metadataPath": "data/labels.tsv", "bookmarksPath": "data/bookmarks.json",
        "sprite": {"imagePath": "data/faces.jpg", "singleImageDim": [10, 10]},
    }]}
    (tmp_path / "cfg" / "projector.json").write_text(json.dumps(config))
    (tmp_path / "cfg" / "data" / "bookmarks.json").write_bytes(tb_file(6)[0])
    data = tmp_path / "data"
    out = run("import", str(tmp_path / "cfg" / "projector.json"), "--data-dir", str(data))
    print(out.stdout, out.stderr)
    assert out.returncode == 0 and out.stderr == ""
    (line,) = out.stdout.splitlines()
    dataset_id, name, shape = line.split("\t")
    assert (name, shape) == ("Faces", "6×5")
    info = DatasetStore(data / "datasets").get(dataset_id)
    assert info.sprite is not None and info.sprite.per_row == 3 and [c.name for c in info.columns] == ["name", "colour"]
    unit = np.load(data / "datasets" / dataset_id / "unit.npy")  # the neighbour index's rows, written at import
    assert np.allclose(unit, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), atol=1e-6)
    again = run("import", str(tmp_path / "cfg" / "projector.json"), "--data-dir", str(data))
    assert again.returncode == 0 and again.stdout.startswith(dataset_id) and "already imported" in again.stdout


def test_bad_configs_exit_non_zero_with_one_line(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    (tmp_path / "syntax").mkdir()
    (tmp_path / "syntax" / "projector_config.pbtxt").write_text('embeddings {\n  tensor_path: "v.tsv"\n')
    (tmp_path / "secret.tsv").write_text("1\t2\n")
    (tmp_path / "evil.json").write_text(json.dumps({"embeddings": [{"tensorName": "x", "tensorPath": "/etc/passwd"}]}))
    (tmp_path / "dotdot").mkdir()
    (tmp_path / "dotdot" / "c.json").write_text(json.dumps({"embeddings": [{"tensorPath": "../secret.tsv"}]}))
    (tmp_path / "broken.json").write_text("{nope")
    cases = {
        str(tmp_path / "syntax"): "projector_config.pbtxt line 1: this block is never closed",
        str(tmp_path / "evil.json"): "evil.json: tensorPath '/etc/passwd' is an absolute path",
        str(tmp_path / "dotdot"): "c.json: tensorPath '../secret.tsv' leads out of the config's folder",
        str(tmp_path / "broken.json"): "broken.json",
        str(tmp_path / "nothing-here.json"): "nothing-here.json",
        str(tmp_path / "empty-dir"): "does not exist",
    }
    for path, words in cases.items():
        out = run("import", path, "--data-dir", data)
        print(out.returncode, out.stderr)
        assert out.returncode == 1 and "Traceback" not in out.stderr
        assert len(out.stderr.splitlines()) == 1 and words in out.stderr
    assert list((tmp_path / "data" / "datasets").iterdir()) == []


def test_import_parquet_and_vectors_with_sprite(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    table = pa.table({"embeddings": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "word": ["a", "b", "c"]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    (tmp_path / "w.parquet").write_bytes(buf.getvalue())
    out = run("import", str(tmp_path / "w.parquet"), "--data-dir", data, "--name", "Tiny words")
    assert out.returncode == 0 and out.stdout.split("\t")[1:] == ["Tiny words", "3×2\n"]

    (tmp_path / "v.tsv").write_bytes(vectors_tsv(np.eye(3, dtype=np.float32)))
    (tmp_path / "m.tsv").write_text("x\ny\nz\n")
    (tmp_path / "s.png").write_bytes(image_bytes(16, 16))
    out = run("import", str(tmp_path / "v.tsv"), "--data-dir", data, "--metadata", str(tmp_path / "m.tsv"),
              "--sprite", str(tmp_path / "s.png"), "--sprite-dim", "8")
    assert out.returncode == 0, out.stderr
    info = DatasetStore(Path(data) / "datasets").get(out.stdout.split("\t")[0])
    assert info.sprite is not None and (info.sprite.per_row, info.n) == (2, 3)

    too_few = run("import", str(tmp_path / "v.tsv"), "--data-dir", data, "--sprite", str(tmp_path / "s.png"),
                  "--sprite-dim", "16")
    assert too_few.returncode == 1 and "s.png holds 1 image of 16×16" in too_few.stderr
    no_sprite = run("import", str(tmp_path / "v.tsv"), "--data-dir", data, "--sprite-dim", "16")
    assert no_sprite.returncode == 2 and "--sprite-dim needs --sprite" in no_sprite.stderr


def test_import_computes_the_first_view_so_a_fresh_server_serves_it_cached(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    vectors = (rng.normal(size=(400, 12)) * np.linspace(5, 0.5, 12) + 3).astype(np.float32)
    np.save(tmp_path / "v.npy", vectors)
    data = tmp_path / "data"
    out = run("import", str(tmp_path / "v.npy"), "--data-dir", str(data))
    assert out.returncode == 0, out.stderr
    dataset = out.stdout.split("\t")[0]
    with run_server(data, env=QUIET) as server, server.client() as client:
        # The page's HTML already names the computed coordinates, before anyone asked for a PCA.
        html = client.get(f"/?dataset={dataset}&dimensions=2").text
        named = [href for href in re.findall(r'rel="preload" as="fetch" crossorigin href="([^"]+)"', html)
                 if href.endswith("/coords")]
        assert len(named) == 1, html
        job = client.post(f"/api/datasets/{dataset}/projections", json={"method": "pca", "params": {"components": 10}})
        assert job.status_code == 200 and job.json()["status"] == "done", job.text
        assert named[0] == f"/api/projections/{job.json()['id']}/coords"
        coords = np.frombuffer(client.get(named[0]).content, dtype="<f4").reshape(400, 10)
    expected = PCA(n_components=10).fit_transform(vectors.astype(np.float64))
    assert np.allclose(np.abs(coords), np.abs(expected), atol=1e-3)
