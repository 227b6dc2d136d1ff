"""t-SNE through openTSNE, with one iteration counter across both optimisation phases.

openTSNE's own `fit()` runs the early-exaggeration phase and the main phase as two `optimize()`
calls whose callbacks each count from 1. Here the two phases are run explicitly on the prepared
embedding so that progress reports a single counter (1..iterations) and the phase name.

Choices (measured on GloVe 50-d, 2 cores):
- Affinities use exact neighbours (sklearn brute force, cost ~ n^2 d) while that costs no more
  than for 50k rows of 50-d: 0.4 s on 10k rows against 2.5 s for Annoy (openTSNE's "auto" choice
  from 1,000 rows), and 12 s against 20 s on 50k. That keeps the first picture within a couple of
  seconds on 10k rows. Larger inputs use Annoy.
- The negative gradient uses Barnes-Hut below FFT_MIN_N rows and FFT interpolation from there
  (openTSNE's "auto" switches at 10,000, where Barnes-Hut still takes 20 s against 32 s; at 20k
  they are about even in wall time, at 50k FFT needs a third of Barnes-Hut's CPU time). FFT only
  supports 2-D, so 3-D always uses Barnes-Hut.
- Below THREADED_MIN_N rows one thread is used. openTSNE's OpenMP loops meet at a barrier several
  times per iteration, and with the default (spinning) wait policy on a busy machine a 1,000-row
  run took 6-13 s on two threads against 3 s on one. With OMP_WAIT_POLICY=PASSIVE in the
  worker's environment (read when OpenMP loads) two threads are never slower.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedding_projector.projections.graph_policy import GRAPH_MAX_K, compute_k
from embedding_projector.projections.pca_first import pca_dims_field
from embedding_projector.projections.sampled_fit import fit_progress, place_rest, sample_field, sample_rows
from embedding_projector.projections.progress import Progress, ProjectionResult
from embedding_projector.projections.supervision import MAX_COLUMN_CHARS, label_codes, supervised_affinities
from embedding_projector.projections.tsne_locality import reorder

EXACT_NEIGHBORS_BUDGET = 50_000**2 * 50  # n^2 d
FFT_MIN_N = 20_000
KL_EVERY = 50  # iterations between KL evaluations (openTSNE's default interval)
REPORT_INTERVAL = 0.1  # least seconds between two progress reports with positions
THREADED_MIN_N = 5_000
EARLY_EXAGGERATION_ITERATIONS = 250
MIN_PERPLEXITY = 2


class Params(BaseModel):
    """t-SNE parameters."""

    model_config = ConfigDict(extra="forbid")
    dimensions: Literal[2, 3] = Field(2, description="number of output dimensions (2 or 3)")
    perplexity: float = Field(
        30.0,
        ge=MIN_PERPLEXITY,
        le=100,
        description="effective number of neighbours each point attends to (2 to 100; at most "
        "(n - 1) / 3 for n points)",
    )
    learning_rate: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)] | Literal[
        "auto"
    ] = Field(
        "auto",
        description='gradient step size: "auto" (n / exaggeration, Belkina et al. 2019) or a '
        "number in (0, 100000]",
    )
    iterations: int = Field(
        750,
        ge=50,
        le=10_000,
        description="total optimisation iterations (50 to 10000), including the "
        "early-exaggeration phase (the first min(250, iterations // 3))",
    )
    seed: int = Field(0, ge=0, description="random seed (non-negative)")
    supervise_column: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_COLUMN_CHARS,
        description="metadata column whose labels supervise the layout (TensorBoard's \"Supervise "
        "with\"): label agreement reweights the affinities; empty cells are unlabelled",
    )
    pca_dims: int | None = pca_dims_field()
    sample: int | None = sample_field()
    supervise_factor: float = Field(
        0.5,
        ge=0,
        le=1,
        description="strength of the supervision (0 to 1; TensorBoard's slider / 100): at 1, "
        "neighbours with different labels lose their affinity; used with supervise_column",
    )


def column_read(params: Params) -> str | None:
    """The metadata column a run with `params` reads: the supervising column, or None."""
    return params.supervise_column


def check_fits(params: Params, n: int) -> str | None:
    """Why `params` cannot run on `n` points, or None when they can."""
    n = min(n, params.sample or n)  # a fit on a sample needs as much of the sample
    largest = (n - 1) / 3  # openTSNE needs 3 * perplexity neighbours besides the point itself
    if largest < MIN_PERPLEXITY:
        return f"t-SNE needs at least {3 * MIN_PERPLEXITY + 1} points; this dataset has {n}"
    if params.perplexity > largest:
        return (
            f"perplexity {params.perplexity:g} is too large for {n} points: "
            f"use at most {math.floor(largest)}"
        )
    return None


def neighbours_needed(params: Params, n: int) -> int:
    """How many neighbours openTSNE's affinities take: 3 x perplexity, at most n - 1."""
    return min(n - 1, int(3 * params.perplexity))


def graph_needed(params: Params, n: int) -> tuple[str, int, int | None] | None:
    """The cached euclidean graph this run can use: (metric, k, k to compute when none is cached).

    None when a graph cannot serve (3 x perplexity above 100 neighbours): openTSNE finds them.
    A missing graph is computed only within graph_policy's row range.
    """
    k = neighbours_needed(params, n)
    if k > GRAPH_MAX_K or k < 1 or sample_rows(n, params.sample, params.seed) is not None:
        return None  # (a fit on a sample needs openTSNE's own index, to place the rest)
    return "euclidean", k, compute_k(n)


def graph_affinities(graph: Any, params: Params, threads: int) -> Any:
    """openTSNE's perplexity-based affinities from the cached graph's first 3 x perplexity neighbours."""
    from openTSNE.affinity import PerplexityBasedNN
    from openTSNE.nearest_neighbors import PrecomputedNeighbors

    k = neighbours_needed(params, graph.neighbors.shape[0])
    index = PrecomputedNeighbors(
        np.ascontiguousarray(graph.neighbors[:, :k], dtype=np.int64),
        np.ascontiguousarray(graph.distances[:, :k], dtype=np.float64),
    )
    return PerplexityBasedNN(perplexity=params.perplexity, knn_index=index, n_jobs=threads, verbose=False)


def phases(iterations: int) -> tuple[int, int]:
    """The early-exaggeration and main iteration counts for `iterations` in total."""
    early = min(EARLY_EXAGGERATION_ITERATIONS, iterations // 3)
    return early, iterations - early


def reporting_descent(on_iteration: Callable[[np.ndarray], None]) -> Any:
    """openTSNE's gradient descent, calling `on_iteration(embedding)` after every gradient.

    openTSNE calls its own callbacks only with a freshly evaluated KL divergence, which more than
    doubled an FFT iteration on 100k points (100 ms against 170-260 ms); with a callback on every
    iteration, t-SNE on 400k took 18 minutes. This hook costs nothing, so positions and the
    iteration count are reported as often as wanted while KL is evaluated every KL_EVERY
    iterations. The hook sees the embedding before that iteration's update is applied.
    """
    from openTSNE.tsne import gradient_descent

    class ReportingDescent(gradient_descent):  # the closure keeps the hook in openTSNE's copies
        def __call__(self, embedding: Any, P: Any, n_iter: int, objective_function: Any, **kwargs: Any) -> Any:
            calls = 0

            def objective(*args: Any, **kw: Any) -> Any:
                nonlocal calls
                result = objective_function(*args, **kw)
                calls += 1
                if calls <= n_iter:  # after its loop openTSNE evaluates once more, for the final KL
                    on_iteration(embedding)
                return result

            return super().__call__(embedding, P, n_iter, objective, **kwargs)

    return ReportingDescent()


def run(
    vectors: np.ndarray,
    params: Params,
    progress: Progress,
    *,
    labels: list | None = None,
    n_jobs: int | None = None,
    graph: Any = None,
) -> ProjectionResult:
    """Embed `vectors` (n, d) with t-SNE; snapshots are sent from the iteration callbacks.

    `labels` (one per row: the supervising column's values) make the layout supervised.
    `n_jobs` overrides the number of threads (default: all cores from THREADED_MIN_N rows).
    `graph` (graph_cache.Graph, euclidean, >= 3 x perplexity neighbours) replaces openTSNE's search.
    """
    from openTSNE import TSNE
    from openTSNE.affinity import MultiscaleMixture

    n, d = vectors.shape
    problem = check_fits(params, n)
    if problem:
        raise ValueError(problem)
    everything = np.ascontiguousarray(vectors, dtype=np.float32)
    fit_rows = sample_rows(n, params.sample, params.seed)
    data, whole_progress, all_rows = everything, progress, n
    if fit_rows is not None:
        data, progress, graph = everything[fit_rows], fit_progress(progress), None
        labels = None if labels is None else [labels[i] for i in fit_rows]
        n = fit_rows.size
    threads = n_jobs or (len(os.sched_getaffinity(0)) if n >= THREADED_MIN_N else 1)
    gradient = "bh" if params.dimensions == 3 or n < FFT_MIN_N else "fft"
    early, main = phases(params.iterations)
    total = params.iterations

    progress.update(0.0, stage="affinities", iterations=total)
    tsne = TSNE(
        n_components=params.dimensions,
        perplexity=params.perplexity,
        learning_rate=params.learning_rate,
        random_state=params.seed,
        n_jobs=threads,
        neighbors="exact" if n * n * d <= EXACT_NEIGHBORS_BUDGET else "annoy",
        negative_gradient_method=gradient,
        verbose=False,
    )
    affinities = None
    extras: dict = {"neighbors": f"openTSNE ({tsne.neighbors})"}
    if graph is not None:
        affinities = graph_affinities(graph, params, threads)
        extras["neighbors"] = "computed graph" if getattr(graph, "computed", False) else "cached graph"
        extras["graph"] = graph.job_id
    if labels is not None:
        if len(labels) != n:
            raise ValueError(f"{len(labels)} labels for {n} rows")
        codes = label_codes(labels)
        if affinities is None:
            # The affinities TSNE.prepare_initial would compute, then TensorBoard's label prior on them.
            affinities = MultiscaleMixture(
                data, tsne.perplexity, method=tsne.neighbors, metric=tsne.metric,
                metric_params=tsne.metric_params, n_jobs=tsne.n_jobs, random_state=tsne.random_state,
                verbose=False, knn_kwargs=tsne.knn_kwargs,
            )
        affinities.P = supervised_affinities(affinities.P, codes, params.supervise_factor)
        extras["supervised"] = {"labelled": int((codes >= 0).sum()), "classes": int(codes.max() + 1)}
    embedding = tsne.prepare_initial(data, affinities=affinities)
    progress.snapshot(
        embedding, 0.0, stage="optimize", iteration=0, iterations=total, phase="early"
    )
    # Neighbours near each other in memory (tsne_locality.py); a fit on a sample keeps data order,
    # which openTSNE's transform of the other rows relies on.
    order = reorder(embedding) if fit_rows is None else None
    in_data_order = (lambda c: c) if order is None else order.to_data
    if order is not None:
        extras["row_order"] = "reverse Cuthill-McKee"

    phase, done = "early", 0
    kl: float | None = None
    last_report = time.monotonic()

    def on_iteration(coords: np.ndarray) -> None:
        nonlocal done, last_report
        done += 1
        now = time.monotonic()
        if now - last_report >= REPORT_INTERVAL:
            last_report = now
            info = {"iteration": done, "iterations": total, "phase": phase}
            if kl is not None:
                info["kl"] = kl
            progress.snapshot(in_data_order(coords), done / total, stage="optimize", **info)

    def keep_kl(_iteration: int, error: float, _coords: np.ndarray) -> bool:
        nonlocal kl
        kl = float(error)
        return False  # never stop: a cancelled job's process is killed

    embedding.optimizer = reporting_descent(on_iteration)
    # The two phases exactly as TSNE.fit() runs them, with its defaults for the settings.
    if early:
        embedding = embedding.optimize(
            n_iter=early, exaggeration=tsne.early_exaggeration, momentum=tsne.initial_momentum,
            inplace=True, callbacks=keep_kl, callbacks_every_iters=KL_EVERY,
        )
    phase = "main"
    embedding = embedding.optimize(
        n_iter=main, exaggeration=tsne.exaggeration, momentum=tsne.final_momentum,
        inplace=True, callbacks=keep_kl, callbacks_every_iters=KL_EVERY,
    )
    kl = float(embedding.kl_divergence)
    coords = np.asarray(in_data_order(embedding), dtype=np.float32)
    if fit_rows is not None:
        coords = place_rest(all_rows, fit_rows, coords, lambda rows: embedding.transform(everything[rows]),
                            whole_progress)
        progress = whole_progress
        extras["sample"] = int(fit_rows.size)
    progress.snapshot(
        coords, 1.0, stage="done", iteration=total, iterations=total, kl=kl, phase="main"
    )
    return ProjectionResult(coords=coords, extras={"kl_divergence": kl, "iterations": total, **extras})
