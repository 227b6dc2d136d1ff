"""Exact k nearest neighbours (cosine or euclidean) over one dataset's vectors, numpy only.

A query makes one float32 pass over the unit-normalised rows (the dataset's unit.npy, memory-mapped,
or a copy built here for a bare matrix), block by block (in a few threads in the server), keeping
per block the rows within an error margin of the running k-th best score. The candidates'
distances are then recomputed in float64 from the original vectors and sorted. A bound on the
float32 rounding error proves that no row left out could have been among the k nearest; when the
proof fails (a block crowded with near-ties kept only its best) the affected blocks are scanned
again with a wider net, so the answer is always exact.
"""

from __future__ import annotations

import functools
import operator
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, get_args

import numpy as np

from embedding_projector.errors import InputError

Metric = Literal["cosine", "euclidean"]
METRICS: tuple[str, ...] = get_args(Metric)

# Rows per block of a single query's scan. At 200k x 768, two threads over 16384-row blocks of the
# F-order unit file ran as fast as one 2-thread BLAS product of the whole matrix; 65536-row blocks
# ran ~1.4x slower (each thread's product then streams 256 KB result columns through the cache).
DEFAULT_BLOCK_ROWS = 16384
# Index rows per block of a batched scan: with 512 queries the float32 score matrix is 8 MiB.
SCAN_BLOCK_ROWS = 4096
SEED_ROWS = 1024
# Candidates kept per block beyond k, so float32 rounding near the k-th distance rarely forces
# a second scan.
_EXTRA_CANDIDATES = 16
_U32 = float(np.finfo(np.float32).eps) / 2  # unit roundoff of float32


def unit_rows(block: np.ndarray, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A block of rows as float32 unit vectors, in F order (zero rows stay zero), and their float64 norms.

    The one rounding NeighborIndex's error bounds assume: norms in float64 (no finite vector's
    norm under- or overflows), each row scaled in float64, then rounded once to float32. The
    float64 work runs in the ufuncs' small cast buffers, so a block costs only its float32 result,
    which goes to `out` (float32, the block's shape) when given.
    """
    block = np.asarray(block)
    norms = np.sqrt(np.einsum("ij,ij->i", block, block, dtype=np.float64))
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    unit = np.empty(block.shape, dtype=np.float32, order="F") if out is None else out
    np.multiply(block, inv[:, None], out=unit, dtype=np.float64, casting="same_kind")
    return unit, norms


def unit_block_rows(d: int) -> int:
    """Rows per block of unit_rows() work: about 8 MB of float32 (16 MB of float64 scratch)."""
    return max(1, (8 << 20) // (4 * max(d, 1)))


def build_unit(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """unit_rows() of all of `vectors`, in memory: an F-order float32 (n, d) and float64 (n,) norms."""
    n, d = vectors.shape
    unit = np.empty((n, d), dtype=np.float32, order="F")
    norms = np.empty(n, dtype=np.float64)
    step = unit_block_rows(d)
    for start in range(0, n, step):
        stop = min(start + step, n)
        unit[start:stop], norms[start:stop] = unit_rows(vectors[start:stop])
    return unit, norms


@functools.cache
def _scan_pool(threads: int) -> ThreadPoolExecutor:
    """The threads that scan blocks of a query beside its own thread (made on first use, then shared)."""
    return ThreadPoolExecutor(threads - 1, thread_name_prefix="neighbor-scan")


class NeighborIndex:
    """Exact k-NN over one dataset's vectors; built once per dataset and reused across queries."""

    def __init__(
        self,
        vectors: np.ndarray,
        *,
        block_rows: int = DEFAULT_BLOCK_ROWS,
        unit: np.ndarray | None = None,
        norms: np.ndarray | None = None,
        vectors_file: tuple[str | os.PathLike, int] | None = None,
        scan_threads: int = 1,
    ) -> None:
        """Index `vectors` (n, d): their unit rows and norms as given (unit_file.py's memmaps), else built here.

        `unit` must be unit_rows()'s float32 rows of `vectors` and `norms` its float64 norms: the
        error bounds below assume exactly that rounding. `vectors_file` (path, data offset) says
        `vectors` is that file's C-order '<f4' matrix: the re-rank then reads its rows with
        positioned reads rather than through the mapping, since every page a mapping touches (and
        the kernel's fault-around, up to 64 KB per row read) would stay in the server's RSS.
        `scan_threads` > 1 splits one query's scan over that many threads (a shared pool); give it
        only where BLAS runs one thread (the server), or the threads oversubscribe the cores.
        """
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D, got shape {vectors.shape}")
        if block_rows < 1:
            raise ValueError("block_rows must be at least 1")
        self._vectors = vectors  # kept as given (possibly a read-only memmap); only rows are read
        if vectors_file is not None and (vectors.dtype != np.dtype("<f4") or not vectors.flags.c_contiguous):
            raise ValueError("vectors_file needs a C-order little-endian float32 matrix")
        self._vectors_file = vectors_file
        self._scan_threads = max(1, int(scan_threads))
        self._block_rows = int(block_rows)
        n, d = vectors.shape
        if unit is None or norms is None:
            unit, norms = build_unit(vectors)
        if unit.shape != (n, d) or unit.dtype != np.float32 or np.shape(norms) != (n,):
            raise ValueError(f"unit {unit.shape} {unit.dtype} and norms {np.shape(norms)} do not fit vectors {(n, d)}")
        # Column-major (F order): a matrix-vector product over a row block then streams d
        # contiguous columns; at 200k x 768 with 2 BLAS threads it ran ~1.3x faster than C order.
        self._unit = unit
        norms64 = np.asarray(norms, dtype=np.float64)
        self._norms = norms64.astype(np.float32)
        self._sq_norms = (norms64 * norms64).astype(np.float32)
        starts = range(0, n, self._block_rows)
        self._block_max_norm = (
            np.maximum.reduceat(norms64, np.asarray(starts)) if n else np.zeros(0, dtype=np.float64)
        )
        self._starts = list(starts)
        self._d = d

    @property
    def memory_bytes(self) -> int:
        """Bytes this index keeps: its unit rows (all touched by a scan, memory-mapped or not) and norms."""
        return int(self._unit.nbytes + self._norms.nbytes + self._sq_norms.nbytes + self._block_max_norm.nbytes)

    @property
    def n(self) -> int:
        """Number of rows in the index."""
        return int(self._unit.shape[0])

    def query(self, row: int, k: int, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
        """The k rows nearest to `row` (itself excluded) and their distances, nearest first."""
        row = self._check_row(row)
        try:
            k = operator.index(k)
        except TypeError:
            raise InputError(f"k must be an integer, got {k!r}") from None
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        if metric not in METRICS:
            raise InputError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        k = min(k, self.n - 1)
        if k == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)

        q = self._read_rows(np.array([row]))[0]
        if metric == "cosine" and self._norms[row] == 0:
            # A zero vector is at distance exactly 1 from everything: ties, so the lowest rows.
            rows = np.arange(k + 1, dtype=np.int64)
            rows = rows[rows != row][:k]
            return rows, np.ones(k, dtype=np.float64)
        q_unit = np.ascontiguousarray(self._unit[row])
        return self._search(q, q_unit, float(self._norms[row]), k, metric, np.array([row], dtype=np.int64))

    def query_rows(self, rows: np.ndarray, k: int, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
        """Exact k nearest of each of `rows` (each itself excluded): (m, k) int64 rows, float64 distances.

        The batched form of query(): one float32 matrix product per block of the index, the same
        kind of error bound, and a float64 re-rank. A query the bound cannot settle (near-ties at
        the k-th distance, a zero vector) falls back to query(), so every answer is exact.
        """
        rows = np.asarray(rows, dtype=np.int64)
        if metric not in METRICS:
            raise InputError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        k = min(int(k), self.n - 1)
        m = len(rows)
        if k < 1 or m == 0:
            return np.empty((m, max(k, 0)), dtype=np.int64), np.empty((m, max(k, 0)), dtype=np.float64)
        keep = min(k + _EXTRA_CANDIDATES, self.n - 1)
        q_norm = self._norms[rows].astype(np.float64)
        if metric == "cosine":
            queries = self._unit[rows]  # similarity q.x / |q||x|; distance = 1 - similarity
            offset = np.ones(m)
        else:
            # similarity 2 q.x - |x|^2 = |q|^2 - |x - q|^2, as one product over d + 1 columns
            queries = np.empty((m, self._d + 1), dtype=np.float32)
            np.multiply(self._unit[rows], (2.0 * q_norm)[:, None], out=queries[:, :-1], casting="same_kind")
            queries[:, -1] = -1.0
            offset = q_norm * q_norm
        pool_sim, pool_row = self._scan(queries, rows, keep, metric)
        # Every row left out scored at most the pool's lowest similarity.
        lower = offset - pool_sim.min(axis=1).astype(np.float64)
        dist = self._exact_many(rows, pool_row, metric)
        order = np.lexsort((pool_row, dist), axis=1)[:, :k]
        out_rows = np.take_along_axis(pool_row, order, axis=1).astype(np.int64)
        out_dist = np.take_along_axis(dist, order, axis=1)
        # A row left out is at (squared, for euclidean) distance >= lower - err.
        kth = out_dist[:, k - 1] if metric == "cosine" else out_dist[:, k - 1] ** 2
        err = self._batch_error_bounds(q_norm, metric)
        unsure = np.flatnonzero((lower - err <= kth) | (q_norm == 0))
        for i in unsure:
            out_rows[i], out_dist[i] = self.query(int(rows[i]), k, metric)
        return out_rows, out_dist

    def _scan(self, queries: np.ndarray, rows: np.ndarray, keep: int, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
        """The `keep` highest float32 similarities of each query over all rows but its own, and those rows.

        A running per-query threshold (the lowest similarity in its pool) is compared first, and
        only the few entries above it are merged into the pool: a full partition of every
        (batch x block) score matrix would cost several times the matrix product at d = 50.
        """
        m = len(rows)
        pool_sim = np.full((m, keep), -np.inf, dtype=np.float32)
        pool_row = np.zeros((m, keep), dtype=np.int32)
        step = min(self._block_rows, SCAN_BLOCK_ROWS)
        # A small first block seeds each pool with a full partition; every later block only merges
        # what beats the pool's lowest similarity, about keep x block / rows-seen entries per query.
        seed = min(self.n, max(4 * keep, SEED_ROWS))
        bounds = [(0, seed), *((s, min(s + step, self.n)) for s in range(seed, self.n, step))]
        scratch = np.empty((m, max(seed, step)), dtype=np.float32)
        above_scratch = np.empty((m, step), dtype=bool)
        # The block in C order: a product with it ran 2x faster than with the F-order index.
        block = np.empty((max(seed, step), queries.shape[1]), dtype=np.float32)
        hit_of = np.empty(m, dtype=np.int64)
        for start, stop in bounds:
            width = stop - start
            sims = scratch[:, :width]
            x = block[:width]
            if metric == "cosine":
                x[:] = self._unit[start:stop]
            else:
                np.multiply(self._unit[start:stop], self._norms[start:stop, None], out=x[:, :-1])
                x[:, -1] = self._sq_norms[start:stop]
            np.matmul(queries, x.T, out=sims)
            own = np.flatnonzero((rows >= start) & (rows < stop))
            sims[own, rows[own] - start] = -np.inf
            if start == 0:
                best = np.argpartition(sims, width - keep, axis=1)[:, -keep:]
                pool_sim[:] = np.take_along_axis(sims, best, axis=1)
                pool_row[:] = best
                continue
            above = above_scratch[:, :width]
            np.greater(sims, pool_sim.min(axis=1)[:, None], out=above)
            flat = np.flatnonzero(above)  # 8x faster than a 2-D np.nonzero
            if len(flat) == 0:
                continue
            qi, col = np.divmod(flat, width)
            counts = np.bincount(qi, minlength=m)
            hits = np.flatnonzero(counts)
            c = counts[hits]
            slot = np.arange(len(qi)) - np.repeat(np.cumsum(c) - c, c)
            hit_of[hits] = np.arange(len(hits))
            at = hit_of[qi]
            widest = int(c.max())
            merged_sim = np.full((len(hits), keep + widest), -np.inf, dtype=np.float32)
            merged_row = np.zeros((len(hits), keep + widest), dtype=np.int32)
            merged_sim[:, :keep] = pool_sim[hits]
            merged_row[:, :keep] = pool_row[hits]
            merged_sim[at, keep + slot] = sims[qi, col]
            merged_row[at, keep + slot] = col + start
            best = np.argpartition(merged_sim, widest, axis=1)[:, -keep:]
            pool_sim[hits] = np.take_along_axis(merged_sim, best, axis=1)
            pool_row[hits] = np.take_along_axis(merged_row, best, axis=1)
        return pool_sim, pool_row

    def _exact_many(self, rows: np.ndarray, cand: np.ndarray, metric: Metric) -> np.ndarray:
        """Float64 distances from each query row to its candidates: (m, c)."""
        q = self._read_rows(np.sort(rows))[np.argsort(np.argsort(rows))]
        flat = cand.ravel()
        order = np.argsort(flat, kind="stable")
        x = np.empty((flat.size, self._d), dtype=np.float64)
        x[order] = self._read_rows(flat[order])
        x = x.reshape(cand.shape[0], cand.shape[1], self._d)
        if metric == "euclidean":
            diff = x - q[:, None, :]
            return np.sqrt(np.einsum("mcd,mcd->mc", diff, diff))
        dots = np.einsum("mcd,md->mc", x, q)
        norms = np.sqrt(np.einsum("mcd,mcd->mc", x, x)) * np.sqrt(np.einsum("md,md->m", q, q))[:, None]
        sims = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        return np.clip(1.0 - sims, 0.0, 2.0)

    def _read_rows(self, rows: np.ndarray) -> np.ndarray:
        """Float64 copies of the original `rows` (sorted: in file order), (len(rows), d)."""
        if self._vectors_file is None:
            return np.asarray(self._vectors[rows], dtype=np.float64)
        path, offset = self._vectors_file
        out = np.empty((len(rows), self._d), dtype="<f4")
        row_bytes = 4 * self._d
        fd = os.open(path, os.O_RDONLY)
        try:
            for i, r in enumerate(rows.tolist()):
                if os.preadv(fd, [out[i]], offset + r * row_bytes) != row_bytes:
                    raise OSError(f"{path} ends before row {r}")
        finally:
            os.close(fd)
        return out.astype(np.float64)

    def _batch_error_bounds(self, q_norm: np.ndarray, metric: Metric) -> np.ndarray:
        """Per query, a bound (x2 for safety) on |approximate - exact| of _scan's similarities."""
        if metric == "cosine":
            return np.full(len(q_norm), 2 * _U32 * (2 * self._d + 8))
        # A float32 dot product of length d + 1 errs by at most (d + 1) u sum |a_i b_i|, and
        # sum |a_i b_i| <= 2 |q| |x| + |x|^2; rounding each factor (unit vector, norm, product)
        # to float32 adds 3 u per factor.
        m = float(self._block_max_norm.max()) if len(self._block_max_norm) else 0.0
        return 2 * _U32 * (self._d + 9) * (m * m + 2 * m * q_norm)

    def _check_row(self, row: int) -> int:
        try:
            row = operator.index(row)
        except TypeError:
            raise InputError(f"row must be an integer, got {row!r}") from None
        if not 0 <= row < self.n:
            raise InputError(f"row {row} is out of range: the dataset has {self.n} rows")
        return row

    def _search(
        self, q: np.ndarray, q_unit: np.ndarray, q_norm: float, k: int, metric: Metric, excluded: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact k nearest of q (float64; q_unit its float32 unit vector), the sorted rows `excluded` left out."""
        keep = k + _EXTRA_CANDIDATES
        # Approximate scores s (float32, smaller is nearer) relate to distances as
        # cosine: distance = 1 + s; euclidean: squared distance = s + |q|^2.
        offset = 1.0 if metric == "cosine" else float(q @ q)
        err = self._error_bounds(q_norm, metric)
        # Each block keeps every row within `margin` of the running keep-th best score, not just
        # its keep best: then what it drops scores >= threshold + margin, which the proof below
        # clears without a second scan even when hundreds of rows crowd the k-th distance (as in
        # a dense cluster at d = 768). Past `crowd` such rows a block keeps its keep best only.
        margin = 3.0 * float(err.max())
        crowd = max(8 * keep, 4096)

        lower = np.full(len(self._starts), np.inf)  # lowest score of any row a block dropped

        def scan(blocks: range) -> tuple[list[np.ndarray], list[np.ndarray]]:
            return self._scan_blocks(blocks, q_unit, q_norm, metric, excluded, keep, margin, crowd, lower)

        # Contiguous runs of blocks, one per thread, each with its own running threshold: a
        # thread's threshold is never below the final one, so the proof below holds as it is.
        nb = len(self._starts)
        threads = max(1, min(self._scan_threads, nb))
        runs = [range(nb * t // threads, nb * (t + 1) // threads) for t in range(threads)]
        others = [_scan_pool(threads).submit(scan, r) for r in runs[1:]] if threads > 1 else []
        found = [scan(runs[0])] + [f.result() for f in others]
        cand_rows = [c for rows_, _ in found for c in rows_]
        cand_scores = [c for _, scores_ in found for c in scores_]

        rows = np.concatenate(cand_rows)
        approx = np.concatenate(cand_scores).astype(np.float64) + offset
        rows, dist = self._refine(rows, approx, q, k, err.max(), metric)

        # Every dropped row has approx >= lower - so exact >= lower - err. If that clears the
        # k-th exact distance, nothing dropped can be among the k nearest (ties included).
        kth = dist[k - 1] if metric == "cosine" else dist[k - 1] ** 2
        redo = np.flatnonzero(lower + offset - err <= kth)
        if len(redo):
            extra = [rows]
            for b in redo:
                scores = self._block_scores(b, q_unit, q_norm, metric).astype(np.float64)
                extra.append(np.flatnonzero(scores + offset <= kth + err[b]) + self._starts[b])
            rows = np.setdiff1d(np.unique(np.concatenate(extra)), excluded)
            rows, dist = self._exact(rows, q, metric)
        order = np.lexsort((rows, dist))[:k]
        return rows[order].astype(np.int64), dist[order]

    def _scan_blocks(
        self,
        blocks: range,
        q_unit: np.ndarray,
        q_norm: float,
        metric: Metric,
        excluded: np.ndarray,
        keep: int,
        margin: float,
        crowd: int,
        lower: np.ndarray,
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Candidate rows and float32 scores of `blocks`, scanned in order; sets lower[b] for each block."""
        cand_rows: list[np.ndarray] = []
        cand_scores: list[np.ndarray] = []
        threshold = np.inf
        for b in blocks:
            start = self._starts[b]
            scores = self._block_scores(b, q_unit, q_norm, metric)
            mine = excluded[(excluded >= start) & (excluded < start + len(scores))]
            scores[mine - start] = np.inf
            cut = threshold
            idx = np.flatnonzero(scores < cut + margin)
            if len(idx) > keep:
                # The block's own keep-th best may be below the running one: cut there.
                part_th = float(np.partition(scores[idx], keep - 1)[keep - 1])
                if part_th < cut:
                    cut = part_th
                    idx = idx[scores[idx] < cut + margin]
            if len(idx) > crowd:
                part = np.argpartition(scores[idx], keep)
                lower[b] = scores[idx[part[keep]]]
                idx = idx[part[:keep]]
            elif np.isfinite(cut):
                lower[b] = cut + margin
            cand_rows.append(idx + start)
            cand_scores.append(scores[idx])
            pool = np.concatenate(cand_scores)
            if len(pool) >= keep:
                threshold = float(np.partition(pool, keep - 1)[keep - 1])
        return cand_rows, cand_scores

    def _block_scores(self, b: int, q_unit: np.ndarray, q_norm: float, metric: Metric) -> np.ndarray:
        start = self._starts[b]
        stop = min(start + self._block_rows, self.n)
        sims = self._unit[start:stop] @ q_unit  # a fresh array: safe to modify per query
        if metric == "cosine":
            return np.negative(sims, out=sims)
        # |x-q|^2 - |q|^2 = |x|^2 - 2|x||q| cos(x, q)
        sims *= self._norms[start:stop]
        sims *= np.float32(-2.0 * q_norm)
        sims += self._sq_norms[start:stop]
        return sims

    def _error_bounds(self, q_norm: float, metric: Metric) -> np.ndarray:
        """Per block, a bound (x2 for safety) on |approximate - exact| in distance units."""
        # A float32 dot product of length d errs by at most ~d*u*|a||b| in any summation order;
        # rounding the unit vectors and norms to float32 adds a few u more per factor.
        d = self._d
        if metric == "cosine":
            return np.full(len(self._starts), 2 * _U32 * (2 * d + 8))
        m = self._block_max_norm
        return 2 * _U32 * ((d + 2) * m * m + 2 * (3 * d + 14) * m * q_norm)

    def _refine(
        self,
        rows: np.ndarray,
        approx: np.ndarray,
        q: np.ndarray,
        k: int,
        err: float,
        metric: Metric,
    ) -> tuple[np.ndarray, np.ndarray]:
        # k candidates lie within approx_k + err, so one beyond approx_k + 2 err cannot be in the
        # top k: only the rest need their exact distance.
        if len(approx) > k:
            approx_k = np.partition(approx, k - 1)[k - 1]
            near = approx <= approx_k + 2 * err
            rows = rows[near]
        rows, dist = self._exact(rows, q, metric)
        order = np.lexsort((rows, dist))
        return rows[order], dist[order]

    def _exact(self, rows: np.ndarray, q: np.ndarray, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
        """Float64 distances from q to the given rows (cosine distance, or euclidean distance)."""
        rows = np.sort(rows)  # sorted reads are kinder to a memmap
        x = self._read_rows(rows)
        if metric == "euclidean":
            diff = x - q
            return rows, np.sqrt((diff * diff).sum(axis=1))
        norms = np.sqrt((x * x).sum(axis=1)) * np.sqrt(q @ q)
        dots = (x * q).sum(axis=1)
        sims = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        return rows, np.clip(1.0 - sims, 0.0, 2.0)

    def query_vector(
        self, q: np.ndarray, k: int, metric: Metric, exclude: tuple[int, ...] | list[int] | np.ndarray = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k rows nearest to the vector `q` (d,), rows in `exclude` left out, and their distances.

        The same float32 block scan, error bound and float64 re-rank as query(), so the answer is exact.
        `q` must be finite and of the index's dimension (ValueError otherwise: callers check first).
        """
        q = np.asarray(q, dtype=np.float64)
        if q.shape != (self._d,) or not np.isfinite(q).all():
            raise ValueError(f"q must be {self._d} finite numbers, got shape {q.shape}")
        if metric not in METRICS:
            raise InputError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        excluded = np.unique(np.asarray(list(exclude), dtype=np.int64))
        if len(excluded) and (excluded[0] < 0 or excluded[-1] >= self.n):
            raise InputError(f"an excluded row is out of range: the dataset has {self.n} rows")
        k = min(operator.index(k), self.n - len(excluded))
        if k < 1:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        q_norm = float(np.sqrt(q @ q))
        if metric == "cosine" and q_norm == 0:
            # As in query(): distance exactly 1 from everything, so the lowest rows.
            rows = np.setdiff1d(np.arange(k + len(excluded)), excluded)[:k]
            return rows, np.ones(k, dtype=np.float64)
        q_unit = (q / q_norm if q_norm > 0 else q).astype(np.float32)
        return self._search(q, q_unit, q_norm, k, metric, excluded)
