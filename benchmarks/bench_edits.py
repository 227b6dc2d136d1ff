"""Metadata edits on a 400k-row dataset: tagging, undo and reading a version, beside the baseline of
uploading the dataset again with the changed metadata.tsv (what changing a label takes without an
edit layer), all in one run against the real server.

    python benchmarks/bench_edits.py
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import time

import httpx
import numpy as np

from server_process import BENCH_DATA, bench_server

N, DIM = 400_000, 50
TAGGED = 10_000  # rows per tag (a big box selection)
REPEATS = 5


def dataset_files(seed: int = 0) -> tuple[bytes, bytes]:
    """A seeded 400k x 50 .npy and a two-column metadata.tsv (word, group)."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    np.save(buffer, rng.normal(size=(N, DIM)).astype(np.float32), allow_pickle=False)
    words = [f"w{i:06d}" for i in range(N)]
    groups = rng.integers(0, 20, size=N)
    lines = ["word\tgroup", *(f"{w}\tg{g}" for w, g in zip(words, groups, strict=True))]
    return buffer.getvalue(), ("\n".join(lines) + "\n").encode()


def timed(fn) -> float:
    """Seconds `fn()` took."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    """Print the table."""
    vectors, metadata = dataset_files()
    data_dir = BENCH_DATA / "edits"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = {"PROJECTOR_EXAMPLES": "false", "PROJECTOR_WARMUP": "false",
           "PROJECTOR_MAX_UPLOAD_BYTES": str(1 << 30)}
    load = os.getloadavg()[0]
    with bench_server(data_dir, env, wait_for=None) as url, httpx.Client(base_url=url, timeout=600) as c:
        def upload() -> str:
            files = {"vectors": ("vectors.npy", vectors), "metadata": ("metadata.tsv", metadata)}
            return c.post("/api/datasets", files=files).raise_for_status().json()["id"]

        uploads = []
        for _ in range(2):
            started = time.perf_counter()
            dataset = upload()
            uploads.append(time.perf_counter() - started)
        rng = np.random.default_rng(1)
        tags, reads, undos = [], [], []
        for i in range(REPEATS):
            rows = sorted(rng.choice(N, size=TAGGED, replace=False).tolist())
            body = {"column": "tag", "rows": rows, "value": f"t{i}"}
            tags.append(timed(lambda b=body: c.post(f"/api/datasets/{dataset}/edits", json=b).raise_for_status()))
            reads.append(timed(lambda: c.get(f"/api/datasets/{dataset}/metadata").raise_for_status()))
        original = statistics.median(
            timed(lambda: c.get(f"/api/datasets/{dataset}/metadata?version=0").raise_for_status()) for _ in range(REPEATS)
        )
        for _ in range(2):
            undos.append(timed(lambda: c.post(f"/api/datasets/{dataset}/edits/undo").raise_for_status()))
        old = timed(lambda: c.get(f"/api/datasets/{dataset}/metadata?version=2").raise_for_status())
        tsv = timed(lambda: c.get(f"/api/datasets/{dataset}/metadata.tsv").raise_for_status())
    upload_s = statistics.median(uploads)
    tag_s = statistics.median(tags)
    print(f"# bench_edits: {N:,} rows x {DIM}, tags of {TAGGED:,} rows, load average {load:.2f} at start")
    print("| What | Ours | Baseline | Ratio |")
    print("| --- | --- | --- | --- |")
    print(f"| Change a label for {TAGGED:,} rows | tag (median of {REPEATS}): {tag_s:.2f} s | "
          f"upload the dataset again (median of 2): {upload_s:.2f} s | {upload_s / tag_s:.0f}x faster |")
    print(f"| Undo the last tag | {statistics.median(undos):.2f} s | upload again: {upload_s:.2f} s | "
          f"{upload_s / statistics.median(undos):.0f}x faster |")
    print(f"| Read the metadata just after a tag | {statistics.median(reads):.2f} s | "
          f"the unedited file: {original:.2f} s | {statistics.median(reads) / original:.2f}x the time |")
    print(f"| Read an older version (v2, already materialised) | {old:.2f} s | the unedited file: {original:.2f} s | "
          f"{old / original:.2f}x the time |")
    print(f"| metadata.tsv download with the edits | {tsv:.2f} s | | |")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
