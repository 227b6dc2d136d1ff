"""The wheel is a complete install: built, installed into a fresh venv, served from another folder."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, stop_process
from tests.datagen import clustered, metadata_tsv, vectors_tsv, words

REPO = Path(__file__).resolve().parents[1]
TOKEN = "wheel-token-0123456789abcdef"


def _plain_env() -> dict[str, str]:
    """The environment without anything that would put the source tree on the import path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, "PYTHONNOUSERSITE": "1", "PYTHONUNBUFFERED": "1"}


def _run(cmd: list[str], cwd: Path, timeout: float = 120) -> str:
    out = subprocess.run(cmd, cwd=cwd, env=_plain_env(), capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{cmd} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
    return out.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from the source tree (build requirements come from the registry)."""
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(REPO)],
         cwd=out, timeout=300)
    (built,) = out.glob("embedding_projector-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel; the dependencies come from the running interpreter's
    site-packages through a plain .pth path line (its own .pth files, an editable install among
    them, are not processed), so nothing heavy is downloaded again."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=root.parent)
    python = root / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=root.parent).strip())
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "running-interpreter-deps.pth").write_text("".join(f"{p}\n" for p in deps))
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
         cwd=root.parent)
    return root


def test_the_wheel_carries_the_page_and_the_vendored_modules(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ["templates/index.html", "static/js/main.js", "static/css/app.css",
                 "static/vendor/three/three.module.js", "static/vendor/three/three.core.js",
                 "static/vendor/three/addons/controls/OrbitControls.js", "static/vendor/three/LICENSE",
                 "static/vendor/noble-hashes/sha2.js", "static/vendor/noble-hashes/LICENSE"]:
        assert f"embedding_projector/{path}" in names, path
    assert len([n for n in names if n.startswith("embedding_projector/static/")]) == \
        len([p for p in (REPO / "static").rglob("*") if p.is_file()])
    metadata = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-py3')[0]}.dist-info/METADATA").decode()
    runtime = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert any(line.startswith("Requires-Dist: httpx") for line in runtime), runtime  # `push` needs it


@pytest.fixture
def wheel_server(venv: Path, tmp_path: Path) -> Iterator[str]:
    """The installed `embedding-projector serve`, run with a temp folder as cwd; yields its URL."""
    port = free_port()
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {**_plain_env(), "PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1"}
    process = subprocess.Popen([str(venv / "bin" / "embedding-projector"), "serve", "--port", str(port),
                                "--data-dir", "data", "--no-examples"],
                               cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    log: list[bytes] = []
    listening = threading.Event()

    def copy_log() -> None:
        for line in process.stdout:
            log.append(line)
            if b"Uvicorn running on" in line:
                listening.set()
        listening.set()

    threading.Thread(target=copy_log, daemon=True).start()
    try:
        started = listening.wait(90)
        assert started and process.poll() is None, b"".join(log).decode(errors="replace")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)
    assert (cwd / "data").is_dir()  # --data-dir data is relative to the cwd, not to the install


def test_the_installed_copy_runs_not_the_source_tree(venv: Path, tmp_path: Path) -> None:
    out = _run([str(venv / "bin" / "python"), "-c",
                "import embedding_projector, embedding_projector.app as app; "
                "print(embedding_projector.__file__); print(app.asset_root())"], cwd=tmp_path)
    module, assets = (Path(line) for line in out.splitlines())
    assert module.is_relative_to(venv) and assets.is_relative_to(venv), out
    assert (assets / "static" / "vendor" / "three" / "three.module.js").is_file()


def test_an_installed_wheel_serves_the_page_its_modules_and_the_api(wheel_server: str, venv: Path,
                                                                      tmp_path: Path) -> None:
    with httpx.Client(base_url=wheel_server, timeout=30) as c:
        page = c.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "/static/js/main.js" in page.text
        for module in ["/static/js/main.js", "/static/vendor/three/three.module.js"]:
            got = c.get(module)
            assert got.status_code == 200, module
            assert "javascript" in got.headers["content-type"], got.headers["content-type"]
            assert got.content == (REPO / module.lstrip("/")).read_bytes()
        assert c.get("/api/datasets").json() == []

        # `embedding-projector push` from the same plain install (httpx is a runtime dependency).
        vectors, meta = tmp_path / "vectors.tsv", tmp_path / "metadata.tsv"
        vectors.write_bytes(vectors_tsv(clustered(20, 3)[0]))
        meta.write_bytes(metadata_tsv([[w] for w in words(20)], None))
        link = _run([str(venv / "bin" / "embedding-projector"), "push", str(vectors), str(meta),
                     "--to", wheel_server, "--token", TOKEN, "--name", "From the wheel", "--public"],
                    cwd=tmp_path).strip()
        dataset = link.rsplit("=", 1)[1]
        listed = c.get("/api/datasets").json()
        assert [(d["id"], d["name"], d["n"], d["dim"]) for d in listed] == [(dataset, "From the wheel", 20, 3)]
