"""A big metadata.tsv parsed: our block-by-block parse beside whole-file readers, in one run.

Each reader runs in a fresh interpreter that reports its own peak RSS (VmHWM) and time, less the
same interpreter's peak after the imports alone:
- ours: parse_metadata (8 MB blocks, then typed columns) and metadata.json written as the store does;
- before: the whole-file parse_metadata of commit 63726c4 (git show) and metadata.json as one
  json.dumps, as the store wrote it then;
- whole text: the file's bytes read and decoded to one str and split into lines, the least any
  whole-file parse holds before it has a single cell;
- pyarrow: pyarrow.csv.read_csv of the whole file (TAB-separated, no quoting) to a table, then the
  table's columns as Python lists, as the store needs them.

    .venv/bin/python benchmarks/bench_metadata.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEFORE = "63726c4"  # the last commit with the whole-file parse
WORDS = ("alpha", "beta", "gamma", "delta", "river", "stone", "cloud", "green", "quick", "brown")

PRELUDE = """
import sys, time
from pathlib import Path
def hwm():
    return int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]) / 1024
"""
READERS = {
    "ours (blocks, then metadata.json)": """
from embedding_projector.datasets.parse_metadata import parse_metadata
from embedding_projector.datasets.metadata_json import write_metadata_json
base = hwm(); t = time.perf_counter()
meta = parse_metadata(Path(sys.argv[1]), 'metadata.tsv')
write_metadata_json(Path(sys.argv[2]), meta.columns)
""",
    "before: whole-file parse, one json.dumps (63726c4)": """
import importlib.util, json
spec = importlib.util.spec_from_file_location('old_parse', sys.argv[3])
old = sys.modules['old_parse'] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(old)
base = hwm(); t = time.perf_counter()
meta = old.parse_metadata(Path(sys.argv[1]), 'metadata.tsv')
body = {'columns': [{'name': c.name, 'type': c.type, 'values': c.values} for c in meta.columns]}
Path(sys.argv[2]).write_text(json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(',', ':')), encoding='utf-8')
""",
    "whole text: bytes, str and lines only": """
base = hwm(); t = time.perf_counter()
lines = Path(sys.argv[1]).read_bytes().decode('utf-8').split('\\n')
""",
    "pyarrow read_csv, then columns as lists": """
import pyarrow.csv as pa_csv
base = hwm(); t = time.perf_counter()
table = pa_csv.read_csv(sys.argv[1], parse_options=pa_csv.ParseOptions(delimiter='\\t', quote_char=False))
columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
""",
}
EPILOGUE = "print(time.perf_counter() - t, hwm() - base)\n"


def write_metadata(path: Path, rows: int) -> None:
    """cluster, score and a ~150-character text per row (some of it not ASCII)."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("cluster\tscore\ttext\n")
        for i in range(rows):
            words = " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(24))
            out.write(f"{i % 200}\t{(i % 997) / 997:.4f}\t{words} é{i}\n")


def main() -> None:
    """Write the file, run each reader in its own process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-metadata-") as tmp:
        path = Path(tmp) / "metadata.tsv"
        write_metadata(path, args.rows)
        old = Path(tmp) / "old_parse.py"
        old.write_bytes(subprocess.run(["git", "show", f"{BEFORE}:src/embedding_projector/datasets/parse_metadata.py"],
                                       capture_output=True, check=True, cwd=REPO).stdout)
        size_mb = path.stat().st_size / 2**20
        print(f"metadata.tsv: {args.rows:,} rows, {size_mb:,.0f} MB, {os.cpu_count()} cores\n")
        print("| reader | time (s) | peak RSS over imports (MB) | × the file | load (1 min) |")
        print("| --- | ---: | ---: | ---: | --- |")
        for name, body in READERS.items():
            out = subprocess.run([sys.executable, "-c", PRELUDE + body + EPILOGUE, str(path), str(Path(tmp) / "m.json"), str(old)],
                                 capture_output=True, text=True, check=True, cwd=REPO)
            seconds, peak = map(float, out.stdout.split())
            print(f"| {name} | {seconds:.1f} | {peak:,.0f} | {peak / size_mb:.1f}× | {os.getloadavg()[0]:.2f} |")


if __name__ == "__main__":
    main()
