"""t-SNE projection: cluster separation, one iteration counter across both phases, checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pydantic
import pytest
from sklearn.manifold import trustworthiness
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from embedding_projector.projections import tsne
from embedding_projector.projections.progress import Progress, ProjectionResult
from tests.datagen import clustered, overlapping

ITERATIONS = 455


class Recorder:
    """Collects every progress call: (fraction, info, coords shape or None)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, dict[str, Any], tuple[int, ...] | None]] = []

    def __call__(self, fraction: float, info: dict[str, Any], coords: np.ndarray | None) -> None:
        self.calls.append((fraction, info, None if coords is None else coords.shape))


def knn_accuracy(coords: np.ndarray, labels: np.ndarray) -> float:
    return float(cross_val_score(KNeighborsClassifier(5), coords, labels, cv=5).mean())


@pytest.fixture(scope="module")
def clusters() -> tuple[np.ndarray, np.ndarray]:
    return clustered(n=400, dim=20, clusters=4, seed=1)


@pytest.fixture(scope="module")
def run_2d(clusters) -> tuple[ProjectionResult, Recorder]:
    vectors, _ = clusters
    recorder = Recorder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tsne, "REPORT_INTERVAL", 0.0)  # a report on every iteration, to check them all
        result = tsne.run(vectors, tsne.Params(iterations=ITERATIONS), Progress(recorder))
    return result, recorder


def test_separates_gaussian_clusters(clusters, run_2d) -> None:
    vectors, labels = clusters
    result, _ = run_2d
    assert result.coords.shape == (400, 2) and result.coords.dtype == np.float32
    accuracy = knn_accuracy(result.coords, labels)
    trust = trustworthiness(vectors, result.coords, n_neighbors=10)
    print(f"t-SNE 2-D: k-NN accuracy {accuracy:.3f}, trustworthiness {trust:.3f}")
    assert accuracy >= 0.95
    assert trust > 0.9
    assert result.extras["iterations"] == ITERATIONS
    assert 0 < result.extras["kl_divergence"] < 5


def test_progress_counts_iterations_across_both_phases(run_2d) -> None:
    _, recorder = run_2d
    assert recorder.calls[0][1]["stage"] == "affinities"
    snapshots = [(f, info) for f, info, shape in recorder.calls if shape is not None]
    assert all(shape == (400, 2) for _, _, shape in recorder.calls if shape is not None)
    # The initial layout is sent before the first iteration, right after the affinities.
    assert snapshots[0][1]["iteration"] == 0
    steps = [(f, info) for f, info in snapshots[1:] if info["stage"] == "optimize"]
    iterations = [info["iteration"] for _, info in steps]
    assert iterations == sorted(set(iterations)), "iteration must strictly increase"
    early, _ = tsne.phases(ITERATIONS)
    assert {info["phase"] for _, info in steps if info["iteration"] <= early} == {"early"}
    assert {info["phase"] for _, info in steps if info["iteration"] > early} == {"main"}
    assert iterations == list(range(1, ITERATIONS + 1))
    assert all(info["iterations"] == ITERATIONS for _, info in steps)
    # KL is evaluated every KL_EVERY iterations (each evaluation is costly) and then carried.
    assert all("kl" not in info for _, info in steps[: tsne.KL_EVERY])
    assert all(np.isfinite(info["kl"]) for _, info in steps[tsne.KL_EVERY :])
    fractions = [f for f, _ in snapshots]
    assert fractions == sorted(fractions)
    last_fraction, last = snapshots[-1]
    assert (last_fraction, last["stage"], last["iteration"]) == (1.0, "done", ITERATIONS)
    print(f"{len(steps)} iteration snapshots for {ITERATIONS} iterations")


def test_reports_are_rate_limited_but_cover_the_run(clusters) -> None:
    vectors, _ = clusters
    recorder = Recorder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tsne, "REPORT_INTERVAL", 0.05)
        tsne.run(vectors, tsne.Params(iterations=1000), Progress(recorder))
    steps = [info["iteration"] for _, info, shape in recorder.calls if shape and info["stage"] == "optimize"]
    print(f"{len(steps)} reports for 1000 iterations")
    assert 1 <= len(steps[1:]) < 1000 and steps == sorted(set(steps))


def test_three_dimensions(clusters) -> None:
    vectors, labels = clusters
    result = tsne.run(vectors[:200], tsne.Params(dimensions=3, iterations=250), Progress())
    accuracy = knn_accuracy(result.coords, labels[:200])
    print(f"t-SNE 3-D: k-NN accuracy {accuracy:.3f}")
    assert result.coords.shape == (200, 3)
    assert accuracy >= 0.95


def test_numeric_learning_rate_and_read_only_memmap(tmp_path, clusters) -> None:
    vectors, labels = clusters
    np.save(tmp_path / "v.npy", vectors[:200])
    mapped = np.load(tmp_path / "v.npy", mmap_mode="r")
    params = tsne.Params(learning_rate=200, iterations=100, perplexity=10)
    result = tsne.run(mapped, params, Progress())
    assert result.coords.shape == (200, 2) and np.isfinite(result.coords).all()


def test_phases_split_the_total() -> None:
    assert tsne.phases(750) == (250, 500)
    assert tsne.phases(3000) == (250, 2750)
    assert tsne.phases(50) == (16, 34)


def test_check_fits_messages() -> None:
    assert tsne.check_fits(tsne.Params(), 50) == (
        "perplexity 30 is too large for 50 points: use at most 16"
    )
    assert tsne.check_fits(tsne.Params(perplexity=16), 50) is None
    assert tsne.check_fits(tsne.Params(), 91) is None
    assert tsne.check_fits(tsne.Params(perplexity=2), 6) == (
        "t-SNE needs at least 7 points; this dataset has 6"
    )
    assert tsne.check_fits(tsne.Params(perplexity=2), 3) is not None


def test_run_refuses_a_perplexity_too_large_for_the_data(clusters) -> None:
    vectors, _ = clusters
    message = "perplexity 30 is too large for 40 points: use at most 13"
    with pytest.raises(ValueError, match=message):
        tsne.run(vectors[:40], tsne.Params(), Progress())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dimensions", 4),
        ("perplexity", 1),
        ("perplexity", 101),
        ("learning_rate", 0),
        ("learning_rate", 100_001),
        ("learning_rate", "fast"),
        ("iterations", 49),
        ("iterations", 10_001),
        ("seed", -1),
        ("momentum", 0.5),
    ],
)
def test_params_bounds_name_the_field(field: str, value: object) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        tsne.Params(**{field: value})
    assert all(error["loc"][0] == field for error in info.value.errors())


def test_defaults() -> None:
    params = tsne.Params()
    assert (params.dimensions, params.perplexity, params.learning_rate) == (2, 30, "auto")
    assert (params.iterations, params.seed) == (750, 0)


def test_supervision_raises_the_label_wise_knn_accuracy() -> None:
    # Four classes whose means nearly coincide: the vectors alone barely separate them.
    vectors, classes = overlapping(n=600, dim=20, classes=4, spread=0.4, seed=0)
    labels = [f"class {c}" for c in classes]
    partly = [text if i % 3 else "" for i, text in enumerate(labels)]  # a third unlabelled
    plain = tsne.run(vectors, tsne.Params(iterations=300), Progress())
    params = tsne.Params(iterations=300, supervise_column="class", supervise_factor=0.5)
    recorder = Recorder()
    supervised = tsne.run(vectors, params, Progress(recorder), labels=labels)
    semi = tsne.run(vectors, params, Progress(), labels=partly)
    before, after, half = (knn_accuracy(r.coords, classes) for r in (plain, supervised, semi))
    print(f"t-SNE label-wise 5-NN accuracy: {before:.3f} unsupervised, {after:.3f} supervised, "
          f"{half:.3f} with a third of the labels empty")
    assert after >= before + 0.2
    assert half >= before + 0.1
    assert supervised.extras["supervised"] == {"labelled": 600, "classes": 4}
    assert 0 < supervised.extras["kl_divergence"] < 5
    # Progress and snapshots work as without supervision: one counter up to the total.
    snapshots = [info["iteration"] for _, info, shape in recorder.calls if shape == (600, 2)]
    assert len(snapshots) >= 2 and snapshots[0] == 0 and snapshots[-1] == 300
    assert recorder.calls[0][1]["stage"] == "affinities"


def test_supervision_needs_one_label_per_row(clusters) -> None:
    vectors, _ = clusters
    params = tsne.Params(iterations=50, supervise_column="class")
    with pytest.raises(ValueError, match="3 labels for 400 rows"):
        tsne.run(vectors, params, Progress(), labels=["a", "b", "c"])


def test_affinities_from_the_cached_graph_match_the_library_run() -> None:
    """openTSNE on the knn_graph's neighbours (PrecomputedNeighbors) is as faithful as its own search."""
    from embedding_projector.analysis import knn_graph
    from embedding_projector.analysis.graph_cache import Graph
    from embedding_projector.projections import graph_policy

    vectors, _ = clustered(1500, 30, clusters=10, seed=2)
    params = tsne.Params(perplexity=20, iterations=150, seed=1)
    metric, k, compute_k = tsne.graph_needed(params, len(vectors))
    assert (metric, k, compute_k) == ("euclidean", 60, None)  # below GRAPH_MIN_ROWS: look up only
    assert tsne.graph_needed(params, graph_policy.GRAPH_MIN_ROWS)[2] == 100
    assert tsne.graph_needed(params, graph_policy.GRAPH_MAX_ROWS + 1)[2] is None  # Annoy beats n² · d
    assert tsne.graph_needed(tsne.Params(perplexity=34), 5000) is None  # 102 neighbours: not in a graph
    neighbors, distances = knn_graph.compute(vectors, 100, metric, Progress())
    seen: list[dict] = []
    with_graph = tsne.run(vectors, params, Progress(lambda _f, info, _c: seen.append(info)),
                          graph=Graph("g1", neighbors, distances).first(k))
    library = tsne.run(vectors, params, Progress())
    assert with_graph.extras["neighbors"] == "cached graph" and with_graph.extras["graph"] == "g1"
    assert library.extras["neighbors"] == "openTSNE (exact)"
    assert any(info.get("iteration") for info in seen)  # snapshots still flow
    ours = trustworthiness(vectors, with_graph.coords, n_neighbors=10)
    theirs = trustworthiness(vectors, library.coords, n_neighbors=10)
    print(f"trustworthiness: graph {ours:.4f}, openTSNE's own neighbours {theirs:.4f}")
    assert ours >= theirs - 0.01
    # Supervision reweights the graph's affinities as it does the library's.
    labels = [str(i % 3) for i in range(len(vectors))]
    supervised = tsne.run(vectors, tsne.Params(perplexity=20, iterations=50, supervise_column="c"), Progress(),
                          labels=labels, graph=Graph("g1", neighbors, distances).first(k))
    assert supervised.extras["supervised"]["classes"] == 3 and supervised.extras["neighbors"] == "cached graph"
