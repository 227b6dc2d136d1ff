"""kill -9 the server in the middle of an upload: after a restart, no partial dataset, no staging or
temp files, and the dataset list as it was."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from tests.conftest import LiveServer, run_server
from tests.datagen import clustered, vectors_tsv
from tests.test_api_datasets import dataset_dirs
from tests.test_request_bodies import (
    multipart_end,
    multipart_start,
    open_socket,
    request_head,
    staging,
    temp_files,
    upload_headers,
    wait_for,
)


def descendants(pid: int) -> set[int]:
    """Every process under `pid` (its workers and their helpers)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except FileNotFoundError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def kill_9(server: LiveServer) -> None:
    """SIGKILL the server; its workers must then leave by themselves (they watch their parent)."""
    workers = descendants(server.process.pid)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)
    try:
        wait_for(lambda: not any(alive(p) for p in workers), "the killed server's workers to exit", 30)
    finally:
        for pid in workers:  # only if the assertion above failed: never leave them running
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def crash_and_restart(root: Path, env: dict[str, str], mid_upload: Callable[[LiveServer], None]) -> None:
    """Start a server with one dataset, crash it during `mid_upload`, restart it and check the state."""
    tmp = Path(env["TMPDIR"])
    with run_server(root / "data", env) as server:
        with server.client() as c:
            made = c.post("/api/datasets", files={"vectors": ("keep.tsv", vectors_tsv(clustered(40, 4)[0]))})
            assert made.status_code == 201, made.text
            before = c.get("/api/datasets").json()
        before_disk = dataset_dirs(server)
        mid_upload(server)
        kill_9(server)
    # Starlette's spooled files have no name, so the kernel freed them with the process.
    assert list(tmp.rglob("*")) == []
    with run_server(root / "data", env) as again:
        with again.client() as c:
            assert c.get("/api/datasets").json() == before
            assert c.get(f"/api/datasets/{made.json()['id']}").status_code == 200
        assert staging(again) == []
        assert dataset_dirs(again) == before_disk
        assert temp_files(again, tmp) == []
        # And it still takes uploads.
        with again.client() as c:
            assert c.post("/api/datasets", files={"vectors": ("v.tsv", vectors_tsv(clustered(20, 3)[0]))}
                          ).status_code == 201


def test_kill_9_while_the_body_streams(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    content = vectors_tsv(clustered(60_000, 8)[0])
    body = multipart_start() + content + multipart_end()
    sockets = []

    def half_sent(server: LiveServer) -> None:
        sock = open_socket(server)
        sockets.append(sock)
        sock.sendall(request_head("POST", "/api/datasets", upload_headers(len(body))))
        sock.sendall(body[: len(body) // 2])
        wait_for(lambda: temp_files(server, tmp) != [], "the upload to reach a temp file")

    try:
        crash_and_restart(tmp_path, {"PROJECTOR_WARMUP": "false", "TMPDIR": str(tmp)}, half_sent)
    finally:
        for sock in sockets:
            sock.close()


def test_kill_9_while_the_upload_is_parsed_and_staged(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    content = b"0.1234\t-0.5678\t0.25\n" * 2_500_000  # 50 MB: long enough to parse to catch it staged
    body = multipart_start() + content + multipart_end()
    sockets = []

    def staged(server: LiveServer) -> None:
        sock = open_socket(server)
        sockets.append(sock)
        sender = threading.Thread(target=lambda: (
            sock.sendall(request_head("POST", "/api/datasets", upload_headers(len(body)))), sock.sendall(body)),
            daemon=True)
        sender.start()
        wait_for(lambda: staging(server) != [], "the upload to reach the staging folder", 120)
        print("staged:", staging(server))
        sender.join(timeout=60)

    env = {"PROJECTOR_WARMUP": "false", "TMPDIR": str(tmp), "PROJECTOR_MAX_UPLOAD_BYTES": str(80 << 20)}
    try:
        crash_and_restart(tmp_path, env, staged)
    finally:
        for sock in sockets:
            sock.close()


def test_staging_leftovers_are_removed_at_start(tmp_path: Path) -> None:
    staging_dir = tmp_path / "data" / ".staging"
    # A spooled upload, a dataset folder being built, a deleted dataset being removed.
    for leftover in ("upload-0123456789abcdef", "points-abc.x1y2z3", "deleted-points-1-ab12"):
        (staging_dir / leftover).mkdir(parents=True)
        (staging_dir / leftover / "vectors.npy").write_bytes(b"half a file")
    with run_server(tmp_path / "data", {"PROJECTOR_WARMUP": "false"}) as server:
        assert staging(server) == []
        with server.client() as c:
            assert c.get("/api/datasets").json() == []
