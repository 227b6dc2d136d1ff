"""Generated datasets: small clustered vectors, words and TSV bytes for the tests, and big mixtures
written block by block (the tests write small ones, benchmarks/make_big.py the full size)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

CATEGORIES = ["fruit", "animal", "tool", "colour"]


def clustered(n: int = 300, dim: int = 16, clusters: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters: float32 vectors (n, dim) and each row's cluster index."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, size=(clusters, dim))
    labels = np.arange(n) % clusters
    vectors = centres[labels] + rng.normal(0, 1, size=(n, dim))
    return vectors.astype(np.float32), labels


def overlapping(n: int = 600, dim: int = 20, classes: int = 4, spread: float = 0.4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian classes whose means lie close (std `spread`) next to unit noise: they overlap in the vectors."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, size=(classes, dim))
    labels = np.arange(n) % classes
    vectors = centres[labels] + rng.normal(0, 1, size=(n, dim))
    return vectors.astype(np.float32), labels


def words(n: int) -> list[str]:
    """n distinct words, with 'orange' at row 7 when n > 7."""
    out = [f"word{i}" for i in range(n)]
    if n > 7:
        out[7] = "orange"
    return out


def vectors_tsv(vectors: np.ndarray) -> bytes:
    """TensorBoard's vectors.tsv format."""
    return "".join("\t".join(f"{v:.6f}" for v in row) + "\n" for row in vectors).encode()


def metadata_tsv(rows: list[list[str]], header: list[str] | None) -> bytes:
    """TensorBoard's metadata.tsv format (a header row when there are several columns)."""
    lines = (["\t".join(header)] if header else []) + ["\t".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


# --- Big generated sets (benchmarks/make_big.py writes the full-size ones) ------------------------

BIG_BLOCK_ROWS = 8192
BIG_FORMATS = ("npy", "tsv", "parquet", "metadata")


def mixture_blocks(
    rows: int, dim: int, clusters: int = 200, seed: int = 0, block_rows: int = BIG_BLOCK_ROWS
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """A seeded Gaussian mixture of varying spread, as (float32 vectors, int32 cluster) blocks in row order.

    Each block has its own generator seeded from (seed, block index), so a block costs the same
    whatever the total and the whole matrix is never held.
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim), dtype=np.float32)
    spreads = rng.uniform(0.1, 0.6, clusters).astype(np.float32)
    for index, start in enumerate(range(0, rows, block_rows)):
        count = min(block_rows, rows - start)
        block_rng = np.random.default_rng([seed, index])
        labels = block_rng.integers(0, clusters, count).astype(np.int32)
        noise = block_rng.standard_normal((count, dim), dtype=np.float32)
        noise *= spreads[labels, None]
        noise += centres[labels]
        yield noise, labels


def _texts(labels: np.ndarray, start: int) -> list[str]:
    """The short text column: an item number and its cluster."""
    return [f"item {start + i} of cluster {c}" for i, c in enumerate(labels.tolist())]


def write_big(
    out: Path,
    rows: int,
    dim: int,
    clusters: int = 200,
    seed: int = 0,
    formats: Iterable[str] = ("npy",),
    block_rows: int = BIG_BLOCK_ROWS,
) -> dict[str, Path]:
    """Write big.npy / big.tsv / big.parquet / metadata.tsv of one mixture, block by block; their paths."""
    formats = set(formats)
    unknown = formats - set(BIG_FORMATS)
    if unknown:
        raise ValueError(f"unknown formats {sorted(unknown)}; choose from {BIG_FORMATS}")
    out.mkdir(parents=True, exist_ok=True)
    names = {"npy": "big.npy", "tsv": "big.tsv", "parquet": "big.parquet", "metadata": "metadata.tsv"}
    paths = {fmt: out / names[fmt] for fmt in BIG_FORMATS if fmt in formats}
    with ExitStack() as stack:
        npy = tsv = parquet = meta = None
        if "npy" in paths:
            npy = stack.enter_context(paths["npy"].open("wb"))
            header = {"descr": "<f4", "fortran_order": False, "shape": (rows, dim)}
            np.lib.format.write_array_header_2_0(npy, header)
        if "tsv" in paths:
            options = pa_csv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
            tsv_schema = pa.schema([(f"f{i}", pa.float32()) for i in range(dim)])
            tsv = stack.enter_context(pa_csv.CSVWriter(paths["tsv"], tsv_schema, write_options=options))
        if "parquet" in paths:
            schema = pa.schema(
                [("vector", pa.list_(pa.float32(), dim)), ("cluster", pa.int32()), ("text", pa.string())]
            )
            parquet = stack.enter_context(pq.ParquetWriter(paths["parquet"], schema))
        if "metadata" in paths:
            meta = stack.enter_context(paths["metadata"].open("w", encoding="utf-8", newline="\n"))
            meta.write("cluster\ttext\n")
        start = 0
        for vectors, labels in mixture_blocks(rows, dim, clusters, seed, block_rows):
            if npy is not None:
                vectors.tofile(npy)
            if tsv is not None:
                tsv.write_table(pa.table(list(vectors.T), schema=tsv_schema))
            texts = _texts(labels, start) if parquet is not None or meta is not None else []
            if parquet is not None:
                column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), dim)
                parquet.write_table(
                    pa.table([column, pa.array(labels), pa.array(texts)], schema=parquet.schema)
                )
            if meta is not None:
                meta.writelines(f"{c}\t{t}\n" for c, t in zip(labels.tolist(), texts, strict=True))
            start += len(labels)
    return paths
