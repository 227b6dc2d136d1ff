"""The edit log and layer without a server: versions materialise as a plain replay says they should,
whatever mix of tags, undos and cached versions; concurrent writers get distinct versions."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest

from embedding_projector.datasets.edit_layer import EditLayer
from embedding_projector.datasets.edits import EditLog, EditRequest
from embedding_projector.errors import Conflict
from embedding_projector.schemas import ColumnInfo

N = 12


def original(tmp_path: Path) -> tuple[Path, list[ColumnInfo]]:
    path = tmp_path / "metadata.json"
    body = {"columns": [{"name": "word", "type": "text", "values": [f"w{i}" for i in range(N)]},
                        {"name": "size", "type": "numeric", "values": [float(i) for i in range(N)]}]}
    path.write_text(json.dumps(body))
    infos = [ColumnInfo(name="word", type="text", distinct=N), ColumnInfo(name="size", type="numeric", distinct=N,
                                                                          min=0, max=N - 1)]
    return path, infos


def replay(base: dict, history: list[tuple]) -> dict:
    """The metadata after `history` by brute force: keep a stack of edits, undo pops, apply the rest."""
    stack = []
    for step in history:
        if step[0] == "undo":
            stack.pop()
        else:
            stack.append(step)
    columns = [dict(c, values=list(c["values"])) for c in base["columns"]]
    for _, column, rows, value in stack:
        target = next((c for c in columns if c["name"] == column), None)
        if target is None:
            target = {"name": column, "type": "text", "values": [""] * N}
            columns.append(target)
        for r in rows:
            target["values"][r] = value
    return {"columns": columns}


def test_every_version_reads_as_a_plain_replay(tmp_path: Path) -> None:
    path, infos = original(tmp_path)
    base = json.loads(path.read_text())
    layer = EditLayer(EditLog(tmp_path / "edits"))
    rng = random.Random(5)
    history: list[tuple] = []
    depth = 0
    for _ in range(40):
        if depth and rng.random() < 0.35:
            layer.undo("d", path)
            history.append(("undo",))
            depth -= 1
        else:
            column = rng.choice(["word", "tag", "kind"])
            rows = rng.sample(range(N), rng.randint(1, 4))
            value = rng.choice(["a", "b", ""])
            layer.apply("d", N, EditRequest(column=column, rows=rows, value=value), path, infos)
            history.append(("set", column, rows, value))
            depth += 1
        # Read some versions early (cached), so later ones build on cached and uncached states alike.
        if rng.random() < 0.3:
            v = rng.randint(1, len(history))
            assert json.loads(layer.metadata_path("d", v, path).read_text()) == replay(base, history[:v])
    for v in range(len(history), -1, -1):
        got = json.loads(layer.metadata_path("d", v, path).read_text())
        assert got == replay(base, history[:v]), f"version {v}"
    while depth:
        layer.undo("d", path)
        depth -= 1
    with pytest.raises(Conflict):
        layer.undo("d", path)
    assert json.loads(layer.metadata_path("d", layer.latest("d"), path).read_text()) == base


def test_concurrent_writers_get_distinct_versions(tmp_path: Path) -> None:
    path, infos = original(tmp_path)
    # Two layers over one folder, as two server processes have: nothing shared in memory.
    layers = [EditLayer(EditLog(tmp_path / "edits")) for _ in range(2)]
    versions: list[int] = []
    lock = threading.Lock()

    def write(k: int) -> None:
        for i in range(8):
            entry, _ = layers[k % 2].apply("d", N, EditRequest(column=f"c{k}", rows=[i], value=str(k)), path, infos)
            with lock:
                versions.append(entry["version"])

    threads = [threading.Thread(target=write, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(versions) == list(range(1, 49))
    final = json.loads(layers[0].metadata_path("d", 48, path).read_text())
    for k in range(6):
        assert next(c for c in final["columns"] if c["name"] == f"c{k}")["values"][:8] == [str(k)] * 8
