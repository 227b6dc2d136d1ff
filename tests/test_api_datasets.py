"""/api/datasets over real HTTP: upload, describe, metadata, delete, and every bad input."""

from __future__ import annotations

import io
import json
import pickle

import numpy as np
import pytest

from tests.conftest import LiveServer
from tests.datagen import CATEGORIES, clustered, metadata_tsv, vectors_tsv, words


def upload(client, vectors: tuple[str, bytes], metadata: tuple[str, bytes] | None = None, name: str | None = None):
    """POST /api/datasets with multipart files."""
    files = {"vectors": vectors}
    if metadata is not None:
        files["metadata"] = metadata
    data = {"name": name} if name is not None else {}
    return client.post("/api/datasets", files=files, data=data)


def dataset_dirs(server: LiveServer) -> set[str]:
    """What is on disk under the data folder's datasets/ and staging area."""
    found = {p.name for p in (server.data_dir / "datasets").iterdir()}
    staging = server.data_dir / ".staging"
    if staging.exists():
        found |= {".staging/" + p.name for p in staging.iterdir()}
    return found


def test_upload_tsv_with_metadata(client) -> None:
    vectors, labels = clustered(50, 8)
    meta = [[w, CATEGORIES[c], str(i)] for i, (w, c) in enumerate(zip(words(50), labels))]
    r = upload(client, ("vectors.tsv", vectors_tsv(vectors)),
               ("metadata.tsv", metadata_tsv(meta, ["word", "category", "number"])), name="My words")
    assert r.status_code == 201, r.text
    info = r.json()
    assert (info["name"], info["n"], info["dim"]) == ("My words", 50, 8)
    assert [(c["name"], c["type"]) for c in info["columns"]] == [
        ("word", "text"), ("category", "text"), ("number", "numeric")]
    assert {"id": info["id"], "name": "My words", "n": 50, "dim": 8} in client.get("/api/datasets").json()
    assert client.get(f"/api/datasets/{info['id']}").json()["columns"][1]["distinct"] == 4
    columns = client.get(f"/api/datasets/{info['id']}/metadata").json()["columns"]
    assert columns[0]["values"][7] == "orange"
    assert columns[2]["values"][:3] == [0, 1, 2]
    assert client.delete(f"/api/datasets/{info['id']}").status_code == 204
    assert client.get(f"/api/datasets/{info['id']}").status_code == 404


def test_upload_npy_without_metadata_gets_index_column(client) -> None:
    vectors = np.arange(12, dtype=np.int64).reshape(4, 3)
    buf = io.BytesIO()
    np.save(buf, vectors)
    r = upload(client, ("points.npy", buf.getvalue()))
    assert r.status_code == 201, r.text
    info = r.json()
    assert info["name"] == "points" and (info["n"], info["dim"]) == (4, 3)
    columns = client.get(f"/api/datasets/{info['id']}/metadata").json()["columns"]
    assert columns == [{"name": "index", "type": "numeric", "values": [0, 1, 2, 3]}]


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


GOOD = vectors_tsv(clustered(5, 3)[0])
BAD_INPUTS = {
    "ragged row": (("vectors.tsv", b"1\t2\t3\n4\t5\n"), None, None, 400, ("vectors.tsv", 2, None)),
    "non-numeric cell": (("vectors.tsv", b"1\t2\n3\tabc\n"), None, None, 400, ("vectors.tsv", 2, 2)),
    "NaN cell": (("vectors.tsv", b"1\t2\n3\t4\nnan\t1\n"), None, None, 400, ("vectors.tsv", 3, 1)),
    "inf cell": (("vectors.tsv", b"1\t2\n3\tinf\n"), None, None, 400, ("vectors.tsv", 2, 2)),
    "empty vectors": (("vectors.tsv", b""), None, None, 400, ("vectors.tsv", None, None)),
    "non-UTF-8 vectors": (("vectors.tsv", b"1\t2\n\xff\xfe\t3\n"), None, None, 400, ("vectors.tsv", 2, None)),
    "row count mismatch": (("vectors.tsv", GOOD), ("metadata.tsv", b"a\nb\nc\n"), None, 400,
                           ("metadata.tsv", None, None)),
    "ragged metadata": (("vectors.tsv", GOOD), ("metadata.tsv", b"w\tc\na\tx\nb\n"), None, 400,
                        ("metadata.tsv", 3, None)),
    "non-UTF-8 metadata": (("vectors.tsv", GOOD), ("metadata.tsv", b"a\nb\n\xffc\nd\ne\n"), None, 400,
                           ("metadata.tsv", 3, None)),
    "pickled npy": (("vectors.npy", _npy(np.array([{"a": 1}], dtype=object))), None, None, 400,
                    ("vectors.npy", None, None)),
    "raw pickle named .npy": (("vectors.npy", pickle.dumps([[1.0, 2.0]])), None, None, 400,
                              ("vectors.npy", None, None)),
    "1-D npy": (("vectors.npy", _npy(np.arange(5.0))), None, None, 400, ("vectors.npy", None, None)),
    "name with path characters": (("vectors.tsv", GOOD), None, "../../etc/passwd", 400, ("name", None, None)),
    "name with a slash": (("vectors.tsv", GOOD), None, "a/b", 400, ("name", None, None)),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_and_leaves_nothing(live_server: LiveServer, client, case: str) -> None:
    vectors, metadata, name, status, (file, line, column) = BAD_INPUTS[case]
    before_list = client.get("/api/datasets").json()
    before_disk = dataset_dirs(live_server)
    r = upload(client, vectors, metadata, name)
    body = r.json()
    print(case, "->", body)
    assert r.status_code == status
    assert body["ok"] is False and body["status"] == status
    assert body["file"] == file
    if line is not None:
        assert body["line"] == line
    if column is not None:
        assert body["column"] == column
    assert file in body["error"]
    assert client.get("/api/datasets").json() == before_list
    assert dataset_dirs(live_server) == before_disk


def test_file_over_the_limit_gets_413_naming_it(live_server: LiveServer, client) -> None:
    before, before_disk = client.get("/api/datasets").json(), dataset_dirs(live_server)
    big = b"1\t2\n" * (live_server.max_upload_bytes // 4 + 10)
    r = upload(client, ("huge.tsv", big))
    assert r.status_code == 413
    assert r.json()["file"] == "huge.tsv" and "huge.tsv" in r.json()["error"]
    assert client.get("/api/datasets").json() == before
    assert dataset_dirs(live_server) == before_disk


def test_body_far_over_the_limit_is_refused_before_reading(live_server: LiveServer, client) -> None:
    before = client.get("/api/datasets").json()
    big = b"0" * (live_server.max_upload_bytes * 3 + (2 << 20))
    r = upload(client, ("enormous.tsv", big))
    assert r.status_code == 413
    assert r.json()["ok"] is False and "limit" in r.json()["error"]
    assert client.get("/api/datasets").json() == before


def test_unknown_dataset_is_404(client) -> None:
    for path in ("/api/datasets/nope", "/api/datasets/nope/metadata", "/api/datasets/nope/neighbors?row=0"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.json()["ok"] is False
    assert client.delete("/api/datasets/nope").status_code == 404
    assert client.get("/api/datasets/..%2F..%2Fetc").status_code == 404


def test_metadata_single_column_has_no_header(client) -> None:
    vectors = clustered(3, 2)[0]
    r = upload(client, ("v.tsv", vectors_tsv(vectors)), ("m.tsv", b"alpha\nbeta\ngamma\n"))
    assert r.status_code == 201, r.text
    columns = client.get(f"/api/datasets/{r.json()['id']}/metadata").json()["columns"]
    assert columns == [{"name": "label", "type": "text", "values": ["alpha", "beta", "gamma"]}]
    assert json.loads(json.dumps(columns))  # plain JSON


def _parquet(table) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def test_parquet_upload_brings_vectors_and_metadata(client) -> None:
    import pyarrow as pa

    vectors = clustered(20, 6)[0]
    table = pa.table({
        "word": words(20),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), 6),
        "rank": pa.array(range(1, 21), type=pa.int32()),
    })
    r = upload(client, ("words.parquet", _parquet(table)))
    assert r.status_code == 201, r.text
    info = r.json()
    assert (info["name"], info["n"], info["dim"]) == ("words", 20, 6)
    assert [(c["name"], c["type"]) for c in info["columns"]] == [("word", "text"), ("rank", "numeric")]
    columns = client.get(f"/api/datasets/{info['id']}/metadata").json()["columns"]
    assert columns[0]["values"][7] == "orange" and columns[1]["values"][:3] == [1, 2, 3]


def test_upload_names_the_vector_column_or_npz_array(live_server: LiveServer, client) -> None:
    import pyarrow as pa

    a, b = clustered(12, 3)[0], clustered(12, 5)[0]
    table = pa.table({"word": words(12), "a": list(a), "b": list(b)})  # two vector columns
    before_list, before_disk = client.get("/api/datasets").json(), dataset_dirs(live_server)
    unnamed = upload(client, ("two.parquet", _parquet(table)))
    assert unnamed.status_code == 400 and unnamed.json()["file"] == "two.parquet"
    assert "'a'" in unnamed.json()["error"] and "'b'" in unnamed.json()["error"]
    wrong = client.post("/api/datasets", files={"vectors": ("two.parquet", _parquet(table))},
                        data={"vector_column": "nope"})
    assert wrong.status_code == 400 and "nope" in wrong.json()["error"], wrong.text
    assert client.get("/api/datasets").json() == before_list and dataset_dirs(live_server) == before_disk

    r = client.post("/api/datasets", files={"vectors": ("two.parquet", _parquet(table))}, data={"vector_column": "b"})
    assert r.status_code == 201, r.text
    info = r.json()
    assert (info["n"], info["dim"]) == (12, 5)
    assert [c["name"] for c in info["columns"]] == ["word"]  # a list column is not metadata
    found = client.get(f"/api/datasets/{info['id']}/neighbors", params={"row": 0, "k": 4, "metric": "euclidean"})
    oracle = np.argsort(np.linalg.norm(b - b[0], axis=1))[1:5]
    assert [f["row"] for f in found.json()["neighbors"]] == oracle.tolist()  # b's neighbours, not a's

    buf = io.BytesIO()
    np.savez(buf, labels=np.arange(12), emb=b)
    r = client.post("/api/datasets", files={"vectors": ("arrays.npz", buf.getvalue())}, data={"vector_column": "emb"})
    assert r.status_code == 201, r.text
    assert (r.json()["n"], r.json()["dim"]) == (12, 5)
    hostile = io.BytesIO()
    np.savez(hostile, emb=np.array([{"x": 1}] * 3, dtype=object))  # object arrays need pickle: refused
    r = client.post("/api/datasets", files={"vectors": ("evil.npz", hostile.getvalue())})
    assert r.status_code == 400 and r.json()["file"] == "evil.npz", r.text


def test_csv_metadata_upload(client) -> None:
    vectors = clustered(3, 2)[0]
    csv = b'word,note\nking,"ruler, of men"\nqueen,"says ""hi"""\nprince,\n'
    r = upload(client, ("v.tsv", vectors_tsv(vectors)), ("m.csv", csv))
    assert r.status_code == 201, r.text
    columns = client.get(f"/api/datasets/{r.json()['id']}/metadata").json()["columns"]
    assert [c["name"] for c in columns] == ["word", "note"]
    assert columns[0]["values"] == ["king", "queen", "prince"]
    assert columns[1]["values"][:2] == ["ruler, of men", 'says "hi"']
    short = upload(client, ("v.tsv", vectors_tsv(vectors)), ("m.csv", b"word,note\nking,a\n"))
    assert short.status_code == 400 and short.json()["file"] == "m.csv", short.text


def test_parquet_upload_errors_leave_nothing(live_server: LiveServer, client) -> None:
    import pyarrow as pa

    ragged = _parquet(pa.table({"vector": [[1.0, 2.0], [3.0]], "w": ["a", "b"]}))
    with_meta = _parquet(pa.table({"vector": [[1.0, 2.0], [3.0, 4.0]], "w": ["a", "b"]}))
    before_list, before_disk = client.get("/api/datasets").json(), dataset_dirs(live_server)
    cases = [
        (("r.parquet", ragged), None, "r.parquet", "row 2 has 1 values"),
        (("fake.parquet", b"1\t2\n"), None, "fake.parquet", "not a readable Parquet file"),
        (("m.parquet", with_meta), ("labels.tsv", b"a\nb\n"), "labels.tsv", "already carries metadata"),
    ]
    for vectors, metadata, file, words_in_error in cases:
        r = upload(client, vectors, metadata)
        print(r.json())
        assert r.status_code == 400 and r.json()["file"] == file and words_in_error in r.json()["error"]
    assert client.get("/api/datasets").json() == before_list
    assert dataset_dirs(live_server) == before_disk
