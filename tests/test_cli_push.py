"""`embedding-projector push` against a real server in public mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port, run_server
from tests.datagen import clustered, metadata_tsv, vectors_tsv, words

TOKEN = "push-token-0123456789abcdef"


def push(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embedding_projector", "push", *args],
                          capture_output=True, text=True, timeout=120)


def test_push_prints_a_link_that_opens_the_dataset(tmp_path: Path) -> None:
    vectors, meta = tmp_path / "vectors.tsv", tmp_path / "metadata.tsv"
    vectors.write_bytes(vectors_tsv(clustered(30, 4)[0]))
    meta.write_bytes(metadata_tsv([[w] for w in words(30)], None))
    env = {"PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_PUBLIC_URL": "https://projector.example.org",
           "PROJECTOR_WARMUP": "false"}
    with run_server(tmp_path / "data", env) as server:
        out = push(str(vectors), str(meta), "--to", server.url, "--token", TOKEN, "--name", "Pushed")
        assert out.returncode == 0, out.stderr
        link = out.stdout.strip()
        assert link.startswith("https://projector.example.org/?dataset=pushed-")
        dataset = link.rsplit("=", 1)[1]
        with server.client(headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            info = c.get(f"/api/datasets/{dataset}").json()
        assert (info["name"], info["n"], info["dim"]) == ("Pushed", 30, 4)

        refused = push(str(vectors), "--to", server.url, "--token", "wrong-token-wrong-token")
        assert refused.returncode == 1
        assert "403" in refused.stderr and "token" in refused.stderr and "Traceback" not in refused.stderr
        missing = push(str(vectors), "--to", server.url)
        assert missing.returncode == 1 and "401" in missing.stderr


def test_push_to_an_unreachable_host_is_a_clear_message(tmp_path: Path) -> None:
    vectors = tmp_path / "v.tsv"
    vectors.write_bytes(b"1\t2\n")
    out = push(str(vectors), "--to", f"http://127.0.0.1:{free_port()}", "--token", TOKEN)
    assert out.returncode == 1
    assert "cannot reach" in out.stderr and "Traceback" not in out.stderr
    gone = push(str(tmp_path / "missing.tsv"), "--to", "http://127.0.0.1:9")
    assert gone.returncode == 1 and "missing.tsv" in gone.stderr
