"""UMAP projection: cluster separation, per-epoch progress from the tqdm hook, quiet output, checks.

umap-learn's first call in a process compiles for ~40 s; the module-scoped run pays it once.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pydantic
import pytest
from sklearn.manifold import trustworthiness
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from embedding_projector.projections import umap_
from embedding_projector.projections.progress import Progress, ProjectionResult
from tests.datagen import clustered, overlapping


def knn_accuracy(coords: np.ndarray, labels: np.ndarray) -> float:
    return float(cross_val_score(KNeighborsClassifier(5), coords, labels, cv=5).mean())


@pytest.fixture(scope="module")
def clusters() -> tuple[np.ndarray, np.ndarray]:
    return clustered(n=400, dim=20, clusters=4, seed=2)


Snapshot = tuple[float, int, np.ndarray]  # (time, epoch, coordinates)
# Snapshots at most this often in the module's run: at the product's 0.1 s, 500 epochs of 400 points
# on an idle machine left one moving snapshot (epochs 0, 1, 262); this rate leaves several.
TEST_INTERVAL = 0.01


@pytest.fixture(scope="module")
def run_2d(clusters) -> tuple[ProjectionResult, list[tuple[float, dict[str, Any]]], list[Snapshot]]:
    vectors, _ = clusters
    calls: list[tuple[float, dict[str, Any]]] = []
    snapshots: list[Snapshot] = []

    def sink(fraction: float, info: dict[str, Any], coords: np.ndarray | None) -> None:
        calls.append((fraction, info))
        if coords is not None:  # the optimiser's own array: it keeps moving after this call
            snapshots.append((time.monotonic(), info["epoch"], coords.copy()))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(umap_, "REPORT_INTERVAL", TEST_INTERVAL)
        result = umap_.run(vectors, umap_.Params(), Progress(sink))
    return result, calls, snapshots


def test_separates_gaussian_clusters(clusters, run_2d) -> None:
    vectors, labels = clusters
    result, _, _ = run_2d
    assert result.coords.shape == (400, 2) and result.coords.dtype == np.float32
    accuracy = knn_accuracy(result.coords, labels)
    trust = trustworthiness(vectors, result.coords, n_neighbors=10)
    print(f"UMAP 2-D: k-NN accuracy {accuracy:.3f}, trustworthiness {trust:.3f}")
    assert accuracy >= 0.95
    assert trust > 0.9
    assert result.extras["epochs"] == 500  # umap-learn's default up to 10,000 rows


def test_progress_reports_the_neighbour_stage_then_every_epoch(run_2d) -> None:
    result, calls, _ = run_2d
    assert calls[0] == (0.0, {"stage": "neighbors"})
    epochs = [info["epoch"] for _, info in calls if info["stage"] == "embedding"]
    assert epochs == list(range(0, result.extras["epochs"] + 1))
    assert all(info["epochs"] == 500 for _, info in calls if "epochs" in info)
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert calls[-1][1]["stage"] == "done"


def test_snapshots_show_the_layout_moving_at_a_limited_rate(run_2d) -> None:
    result, _, snapshots = run_2d
    epochs = [epoch for _, epoch, _ in snapshots]
    print(f"{len(snapshots)} snapshots at epochs {epochs}")
    assert len(snapshots) >= 2
    assert epochs == sorted(epochs) and epochs[0] == 0  # the first one is the initial layout
    assert all(coords.shape == (400, 2) and coords.dtype == np.float32 for _, _, coords in snapshots)
    # Each one a different layout: the points move (umap-learn's first epoch moves none of them).
    moving = [coords.tobytes() for _, epoch, coords in snapshots if epoch >= 2]
    assert len(moving) >= 2 and len(set(moving)) == len(moving)
    # Limited: no more snapshots than the run's length allows at one per interval (unlimited, every
    # one of the 500 epochs would bring one). Counted, not gap by gap: the sink reads its clock a
    # moment after the limit reads its own, by a delay that varies on a busy machine.
    times = [t for t, _, _ in snapshots]
    assert len(snapshots) <= (times[-1] - times[0]) / TEST_INTERVAL + 2, (len(snapshots), times[-1] - times[0])
    # The last snapshot is close to the result (same scale): the page glides into the final layout.
    last = snapshots[-1][2]
    spread = float(np.ptp(result.coords, axis=0).max())
    assert float(np.abs(last - result.coords).max()) < spread


def test_prints_and_warns_nothing(clusters, capfd) -> None:
    vectors, _ = clusters
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # A seed makes umap-learn warn that it overrides n_jobs.
        umap_.run(vectors[:100], umap_.Params(n_neighbors=5, seed=0), Progress(), n_epochs=20)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert [str(w.message) for w in caught] == []


def test_three_dimensions_euclidean_with_a_seed_is_reproducible(clusters) -> None:
    vectors, labels = clusters
    params = umap_.Params(dimensions=3, metric="euclidean", seed=7, min_dist=0.5)
    first = umap_.run(vectors, params, Progress(), n_epochs=100)
    second = umap_.run(vectors, params, Progress(), n_epochs=100)
    accuracy = knn_accuracy(first.coords, labels)
    print(f"UMAP 3-D euclidean: k-NN accuracy {accuracy:.3f}")
    assert first.coords.shape == (400, 3)
    assert accuracy >= 0.95
    assert np.array_equal(first.coords, second.coords)
    assert first.extras["epochs"] == 100


def test_read_only_memmap_input(tmp_path, clusters) -> None:
    vectors, _ = clusters
    np.save(tmp_path / "v.npy", vectors[:150])
    mapped = np.load(tmp_path / "v.npy", mmap_mode="r")
    result = umap_.run(mapped, umap_.Params(n_neighbors=10), Progress(), n_epochs=20)
    assert result.coords.shape == (150, 2) and np.isfinite(result.coords).all()


def test_epoch_stream_parses_tqdm_bars() -> None:
    seen: list[dict[str, Any]] = []
    stream = umap_.EpochStream(Progress(lambda fraction, info, coords: seen.append(info)))
    for text in ["\r0/200", "\r1/200", "\r1/200", "", "\r\x1b[A", "\r200/200", "\n"]:
        stream.write(text)
    stream.flush()
    assert [info["epoch"] for info in seen] == [0, 1, 200]
    assert stream.epochs == 200


def test_check_fits_messages() -> None:
    assert umap_.check_fits(umap_.Params(), 15) == (
        "n_neighbors 15 is too large for 15 points: use at most 14"
    )
    assert umap_.check_fits(umap_.Params(), 16) is None
    assert umap_.check_fits(umap_.Params(n_neighbors=2), 3) == (
        "UMAP in 2-D needs at least 4 points; this dataset has 3"
    )
    assert umap_.check_fits(umap_.Params(n_neighbors=2), 4) is None
    assert umap_.check_fits(umap_.Params(n_neighbors=2, dimensions=3), 4) is not None


def test_run_refuses_too_many_neighbours(clusters) -> None:
    vectors, _ = clusters
    with pytest.raises(ValueError, match="n_neighbors 15 is too large for 10 points"):
        umap_.run(vectors[:10], umap_.Params(), Progress())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dimensions", 1),
        ("n_neighbors", 1),
        ("n_neighbors", 201),
        ("min_dist", -0.1),
        ("min_dist", 1.5),
        ("metric", "manhattan"),
        ("seed", -1),
        ("n_epochs", 10),
    ],
)
def test_params_bounds_name_the_field(field: str, value: object) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        umap_.Params(**{field: value})
    assert all(error["loc"][0] == field for error in info.value.errors())


def test_seed_description_mentions_single_threading() -> None:
    description = umap_.Params.model_fields["seed"].description or ""
    assert "single-threaded" in description


def test_supervision_raises_the_label_wise_knn_accuracy() -> None:
    # Four classes whose means nearly coincide: the vectors alone barely separate them.
    vectors, classes = overlapping(n=600, dim=20, classes=4, spread=0.4, seed=0)
    labels = [f"class {c}" for c in classes]
    partly = [text if i % 3 else "" for i, text in enumerate(labels)]  # a third unlabelled
    plain = umap_.run(vectors, umap_.Params(seed=0), Progress())
    params = umap_.Params(seed=0, supervise_column="class", target_weight=0.5)
    supervised = umap_.run(vectors, params, Progress(), labels=labels)
    semi = umap_.run(vectors, params, Progress(), labels=partly)
    before, after, half = (knn_accuracy(r.coords, classes) for r in (plain, supervised, semi))
    print(f"UMAP label-wise 5-NN accuracy: {before:.3f} unsupervised, {after:.3f} supervised, "
          f"{half:.3f} with a third of the labels empty")
    assert after >= before + 0.2
    assert half >= before + 0.1
    assert supervised.extras["supervised"] == {"labelled": 600, "classes": 4}
    assert semi.extras["supervised"] == {"labelled": 400, "classes": 4}
    assert "supervised" not in plain.extras


def test_a_cached_graph_replaces_the_neighbour_search() -> None:
    """umap-learn on the knn_graph (precomputed_knn, each row first) is as faithful as its own search."""
    from embedding_projector.analysis import knn_graph
    from embedding_projector.analysis.graph_cache import Graph
    from embedding_projector.projections import graph_policy

    vectors, _ = clustered(1200, 30, clusters=10, seed=2)
    params = umap_.Params(n_neighbors=15)
    assert umap_.graph_needed(params, len(vectors)) == ("cosine", 14, None)
    assert umap_.graph_needed(params, graph_policy.GRAPH_MIN_ROWS) == ("cosine", 14, 100)
    # Past GRAPH_MAX_ROWS the exact graph (n² · d) costs more than umap-learn's NN-descent: look up only.
    assert umap_.graph_needed(params, graph_policy.GRAPH_MAX_ROWS + 1) == ("cosine", 14, None)
    assert umap_.graph_needed(umap_.Params(n_neighbors=102), 5000) is None
    neighbors, distances = knn_graph.compute(vectors, 100, "cosine", Progress())
    graph = Graph("g2", neighbors, distances, computed=True).first(14)
    knn = umap_.precomputed_knn(graph, 15)
    assert (knn[0][:, 0] == np.arange(len(vectors))).all() and (knn[1][:, 0] == 0).all()
    with_graph = umap_.run(vectors, params, Progress(), graph=graph, n_epochs=60)
    library = umap_.run(vectors, params, Progress(), n_epochs=60)
    assert with_graph.extras["neighbors"] == "computed graph" and with_graph.extras["graph"] == "g2"
    assert library.extras["neighbors"] == "umap-learn"
    ours = trustworthiness(vectors, with_graph.coords, n_neighbors=10)
    theirs = trustworthiness(vectors, library.coords, n_neighbors=10)
    print(f"trustworthiness: graph {ours:.4f}, umap-learn's own neighbours {theirs:.4f}")
    assert ours >= theirs - 0.01
