"""PCA projection: agreement with sklearn, variance ratios, deterministic signs, edge cases."""

from __future__ import annotations

import numpy as np
import pydantic
import pytest
from sklearn.decomposition import PCA

from embedding_projector.projections import pca
from embedding_projector.projections.methods import METHODS
from embedding_projector.projections.progress import Progress


def run(vectors: np.ndarray, components: int = 10, **kwargs) -> pca.ProjectionResult:
    return pca.run(vectors, pca.Params(components=components), Progress(), **kwargs)


def assert_matches_sklearn(vectors: np.ndarray, result: pca.ProjectionResult, atol: float) -> None:
    c = result.coords.shape[1]
    ref = PCA(n_components=c, svd_solver="full").fit(vectors.astype(np.float64))
    expected = ref.transform(vectors.astype(np.float64))
    for j in range(c):
        got = result.coords[:, j].astype(np.float64)
        sign = 1.0 if got @ expected[:, j] >= 0 else -1.0
        assert np.allclose(got * sign, expected[:, j], atol=atol), f"component {j}"
    ratios = result.extras["explained_variance"]
    assert np.allclose(ratios, ref.explained_variance_ratio_, atol=atol)


def anisotropic(n: int, d: int, seed: int = 0, offset: float = 0.0) -> np.ndarray:
    """Gaussian data with clearly separated variances per (rotated) direction."""
    rng = np.random.default_rng(seed)
    scales = np.geomspace(10, 0.5, d)
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return ((rng.normal(size=(n, d)) * scales) @ rotation + offset).astype(np.float32)


@pytest.mark.parametrize("solver", ["covariance", "full", "randomized"])
def test_coordinates_match_sklearn_up_to_sign(solver: str) -> None:
    vectors = anisotropic(2000, 30, seed=1)
    result = run(vectors, 8, solver=solver)
    assert result.coords.dtype == np.float32 and result.coords.shape == (2000, 8)
    assert_matches_sklearn(vectors, result, atol=1e-3)


def test_a_large_mean_does_not_spoil_the_covariance() -> None:
    # sklearn's float32 covariance_eigh forms the uncentred Gram matrix and gets this wrong.
    vectors = anisotropic(20_000, 12, seed=2, offset=300.0)
    assert_matches_sklearn(vectors, run(vectors, 5, solver="covariance"), atol=1e-3)


def test_explained_variance_is_descending_and_sums_to_at_most_one() -> None:
    for solver in ("covariance", "full", "randomized"):
        ratios = run(anisotropic(500, 20, seed=3), solver=solver).extras["explained_variance"]
        assert len(ratios) == 10 and all(isinstance(r, float) for r in ratios)
        assert all(a >= b for a, b in zip(ratios, ratios[1:]))
        assert 0 < sum(ratios) <= 1 + 1e-12


def test_first_component_finds_the_dominant_direction() -> None:
    rng = np.random.default_rng(4)
    direction = rng.normal(size=16)
    direction /= np.linalg.norm(direction)
    vectors = (rng.normal(size=(1000, 1)) * 20 * direction + rng.normal(size=(1000, 16))).astype(np.float32)
    result = run(vectors, 3)
    along = vectors.astype(np.float64) @ direction
    corr = np.corrcoef(result.coords[:, 0], along)[0, 1]
    print(f"correlation of PC1 with the planted direction: {corr:.5f}")
    assert abs(corr) > 0.99
    assert result.extras["explained_variance"][0] > 0.9


def test_signs_are_deterministic_largest_loading_positive() -> None:
    vectors = anisotropic(400, 6, seed=5)
    first = run(vectors, 4)
    again = run(vectors.copy(), 4)
    assert np.array_equal(first.coords, again.coords)
    # Flipping the data flips no picture: the orientation rule pins each axis.
    flipped = run(-vectors, 4)
    components = np.linalg.lstsq(vectors - vectors.mean(0), first.coords, rcond=None)[0]
    for j in range(4):
        biggest = np.argmax(np.abs(components[:, j]))
        assert components[biggest, j] > 0
    flipped_components = np.linalg.lstsq(-vectors + vectors.mean(0), flipped.coords, rcond=None)[0]
    assert np.allclose(flipped_components, components, atol=1e-4)


def test_components_clip_to_rows_and_dimensions() -> None:
    assert run(anisotropic(50, 3)).coords.shape == (50, 3)
    assert run(anisotropic(4, 20)).coords.shape == (4, 4)


def test_one_point_sits_at_the_origin() -> None:
    result = run(np.array([[1.0, 2.0, 3.0]], dtype=np.float32))
    assert result.coords.shape == (1, 1) and np.all(result.coords == 0)
    assert result.extras["explained_variance"] == [0.0]


@pytest.mark.parametrize("solver", ["covariance", "full", "randomized"])
def test_two_points_in_one_dimension(solver: str) -> None:
    result = run(np.array([[1.0], [3.0]], dtype=np.float32), solver=solver)
    assert result.coords.shape == (2, 1)
    assert np.allclose(sorted(result.coords[:, 0]), [-1.0, 1.0])
    assert np.allclose(result.extras["explained_variance"], [1.0])


@pytest.mark.parametrize("solver", ["covariance", "full", "randomized"])
def test_constant_data_gives_zeros_not_nans(solver: str) -> None:
    vectors = np.tile(np.array([0.1, -7.3, 1e3, 0.0], dtype=np.float32), (30, 1))
    result = run(vectors, 3, solver=solver)
    assert np.all(result.coords == 0)
    assert result.extras["explained_variance"] == [0.0, 0.0, 0.0]


def test_some_constant_columns_give_zero_variance_components() -> None:
    vectors = anisotropic(100, 3, seed=6)
    vectors = np.concatenate([vectors, np.full((100, 2), 5.0, dtype=np.float32)], axis=1)
    result = run(vectors, 5)
    assert not np.isnan(result.coords).any()
    assert np.allclose(result.extras["explained_variance"][3:], 0.0)
    assert np.allclose(result.coords[:, 3:], 0.0, atol=1e-4)


def test_read_only_memmap_is_left_untouched(tmp_path) -> None:
    vectors = anisotropic(3000, 10, seed=7, offset=2.0)
    path = tmp_path / "v.npy"
    np.save(path, np.asfortranarray(vectors))
    mapped = np.load(path, mmap_mode="r")
    for solver in ("covariance", "full", "randomized"):
        result = run(mapped, 4, solver=solver)
        assert_matches_sklearn(vectors, result, atol=1e-3)
    assert np.array_equal(np.load(path), vectors)


def test_solver_routes() -> None:
    assert pca.choose_solver(400_000, 50) == "covariance"
    assert pca.choose_solver(10, pca.COVARIANCE_MAX_D) == "covariance"
    assert pca.choose_solver(300, pca.COVARIANCE_MAX_D + 1) == "full"
    assert pca.choose_solver(5000, 2048) == "randomized"


def test_high_dimensional_data_takes_the_randomized_route() -> None:
    # Three strong, well separated directions over weak noise, so the randomized SVD pins them.
    rng = np.random.default_rng(8)
    basis, _ = np.linalg.qr(rng.normal(size=(1100, 3)))
    signal = rng.normal(size=(600, 3)) * [30.0, 20.0, 10.0]
    vectors = (signal @ basis.T + rng.normal(size=(600, 1100)) * 0.1).astype(np.float32)
    seen: list[dict] = []
    sink = lambda fraction, info, coords: seen.append(info)  # noqa: E731
    result = pca.run(vectors, pca.Params(components=3), Progress(sink))
    assert seen[0]["solver"] == "randomized"
    assert_matches_sklearn(vectors, result, atol=1e-2)


def test_progress_is_reported_from_start_to_end() -> None:
    fractions: list[float] = []
    pca.run(anisotropic(100, 5), pca.Params(), Progress(lambda f, info, coords: fractions.append(f)))
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)


@pytest.mark.parametrize("bad", [{"components": 0}, {"components": 11}, {"perplexity": 30}])
def test_params_are_validated(bad: dict) -> None:
    with pytest.raises(pydantic.ValidationError):
        pca.Params(**bad)


def test_registered_as_a_method() -> None:
    assert METHODS["pca"] is pca
    assert pca.Params().components == 10
