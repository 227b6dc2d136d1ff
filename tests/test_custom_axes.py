"""Custom (pattern axes) projection: TensorBoard's matching rules, axis directions, random axis."""

from __future__ import annotations

import time

import numpy as np
import pydantic
import pytest

from embedding_projector.projections import custom_axes
from embedding_projector.projections.progress import Progress

D = 12


def axis_data(seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Rows named bad*, good*, high*, low* offset along known directions e0 and e1, plus others."""
    rng = np.random.default_rng(seed)
    groups = {"bad": -6 * np.eye(D)[0], "good": 6 * np.eye(D)[0], "high": 6 * np.eye(D)[1],
              "low": -6 * np.eye(D)[1], "other": np.zeros(D)}
    vectors, words = [], []
    for name, offset in groups.items():
        for i in range(40):
            vectors.append(offset + rng.normal(0, 0.5, D))
            words.append(f"{name}{i}")
    return np.asarray(vectors, dtype=np.float32), words


def run(vectors: np.ndarray, words: list, rows: np.ndarray | None = None, **params: object):
    p = custom_axes.Params(column="word", **{"left": "bad", "right": "good", **params})
    return custom_axes.run(vectors, p, Progress(), column_values=words, rows=rows)


def group(words: list[str], prefix: str) -> np.ndarray:
    return np.array([w.startswith(prefix) for w in words])


def test_left_matches_lie_left_of_right_matches() -> None:
    vectors, words = axis_data()
    result = run(vectors, words)
    x = result.coords[:, 0]
    assert result.coords.shape == (len(words), 2) and result.coords.dtype == np.float32
    gap = x[group(words, "good")].min() - x[group(words, "bad")].max()
    print(f"smallest gap between the right and left groups on x: {gap:.2f}")
    assert gap > 0
    assert result.extras["matches"] == {"left": 40, "right": 40, "up": 0, "down": 0}
    assert result.extras["random"] == ["up", "down"]


def test_coordinates_are_dot_products_with_the_unit_direction() -> None:
    vectors, words = axis_data()
    result = run(vectors, words, up="high", down="low")
    v = vectors.astype(np.float64)
    x_dir = v[group(words, "good")].mean(0) - v[group(words, "bad")].mean(0)
    y_dir = v[group(words, "high")].mean(0) - v[group(words, "low")].mean(0)
    expected = v @ np.stack([x_dir / np.linalg.norm(x_dir), y_dir / np.linalg.norm(y_dir)], 1)
    assert np.allclose(result.coords, expected, atol=1e-4)
    y = result.coords[:, 1]
    assert y[group(words, "high")].min() > y[group(words, "low")].max()
    assert result.extras["random"] == []


def test_empty_up_and_down_give_a_seeded_random_vertical_axis() -> None:
    vectors, words = axis_data()
    a, b, c = run(vectors, words, seed=3), run(vectors, words, seed=3), run(vectors, words, seed=4)
    assert np.array_equal(a.coords, b.coords)
    assert np.array_equal(a.coords[:, 0], c.coords[:, 0])
    assert not np.allclose(a.coords[:, 1], c.coords[:, 1])
    # Unit directions keep both axes in the data's units: comparable spreads.
    ratio = a.coords[:, 1].std() / a.coords[:, 0].std()
    print(f"y/x spread ratio with a random vertical axis: {ratio:.2f}")
    assert 0.05 < ratio < 2


def test_one_empty_vertical_pattern_uses_a_random_vector_for_that_end_only() -> None:
    vectors, words = axis_data()
    result = run(vectors, words, up="high")
    assert result.extras["random"] == ["down"]
    assert result.extras["matches"]["up"] == 40


def test_isolated_rows_use_centroids_of_the_whole_dataset() -> None:
    vectors, words = axis_data()
    full = run(vectors, words, up="high", down="low")
    rows = np.flatnonzero(group(words, "other"))  # none of them matches any pattern
    subset = run(vectors, words, rows=rows, up="high", down="low")
    assert subset.coords.shape == (rows.size, 2)
    assert np.allclose(subset.coords, full.coords[rows])


def test_works_on_a_read_only_memmap(tmp_path) -> None:
    vectors, words = axis_data()
    np.save(tmp_path / "v.npy", vectors)
    mapped = np.load(tmp_path / "v.npy", mmap_mode="r")
    assert np.allclose(run(mapped, words).coords, run(vectors, words).coords)


def test_substring_matching_is_case_insensitive_and_literal() -> None:
    values = ["Best", "bestow", "a.b", "axb", None, 3.0, 12, "WORST"]
    assert custom_axes.match_rows(values, "best", regex=False).tolist() == [0, 1]
    assert custom_axes.match_rows(values, "a.b", regex=False).tolist() == [2]
    assert custom_axes.match_rows(values, "worst", regex=False).tolist() == [7]
    # Numbers compare as TensorBoard prints them (3.0 -> "3"); None is "".
    assert custom_axes.match_rows(values, "3", regex=False).tolist() == [5]
    assert custom_axes.match_rows(values, "", regex=False).tolist() == []


def test_regex_matching_searches_case_insensitively() -> None:
    values = ["Best", "bestow", "a.b", "axb", None, 3.0, 12]
    assert custom_axes.match_rows(values, "^best$", regex=True).tolist() == [0]
    assert custom_axes.match_rows(values, "a.b", regex=True).tolist() == [2, 3]
    assert custom_axes.match_rows(values, "^1", regex=True).tolist() == [6]
    assert custom_axes.match_rows(values, "^$", regex=True).tolist() == [4]


def test_check_matches_names_the_pattern_that_matches_nothing() -> None:
    words = ["best", "good", "bad"]
    params = custom_axes.Params(column="word", left="worst", right="best")
    assert custom_axes.check_matches(params, words) == (
        "Left pattern 'worst' matches no row of column 'word'"
    )
    params = custom_axes.Params(column="word", left="bad", right="best", down="^z", regex=True)
    assert custom_axes.check_matches(params, words) == (
        "Down regex '^z' matches no row of column 'word'"
    )
    params = custom_axes.Params(column="word", left="bad", right="best")
    assert custom_axes.check_matches(params, words) is None


def test_check_matches_rejects_identical_ends() -> None:
    params = custom_axes.Params(column="word", left="best", right="BEST")
    message = custom_axes.check_matches(params, ["best", "bad"])
    assert message is not None and "match the same rows" in message


def test_run_raises_the_same_message_for_an_empty_match() -> None:
    vectors, words = axis_data()
    with pytest.raises(ValueError, match="Right pattern 'nothing' matches no row of column 'word'"):
        run(vectors, words, right="nothing")


@pytest.mark.parametrize("missing", ["left", "right"])
def test_left_and_right_are_required(missing: str) -> None:
    fields = {"column": "word", "left": "a", "right": "b"}
    del fields[missing]
    with pytest.raises(pydantic.ValidationError) as info:
        custom_axes.Params(**fields)
    error = info.value.errors()[0]
    assert error["loc"] == (missing,) and f"{missing} is required" in error["msg"]


def test_invalid_regex_names_the_field() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        custom_axes.Params(column="word", left="a", right="(b", regex=True)
    error = info.value.errors()[0]
    assert error["loc"] == ("right",) and "not a valid regular expression" in error["msg"]
    custom_axes.Params(column="word", left="a", right="(b")  # a literal substring is fine


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        custom_axes.Params(column="word", left="a", right="b", colour="red")
    assert info.value.errors()[0]["loc"] == ("colour",)


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("bad(?=ly)", "does not support lookahead (?=...)"),
        ("bad(?!ly)", "does not support negative lookahead (?!...)"),
        ("(?<=x)bad", "does not support lookbehind (?<=...)"),
        ("(?<!x)bad", "does not support negative lookbehind (?<!...)"),
        (r"(b)\1", r"does not support backreferences (\1)"),
        ("(?P<w>b)(?P=w)", "named backreferences (?P=name)"),
        (r"\pL{200}", "too large for RE2"),
    ],
)
def test_patterns_re2_cannot_run_get_a_reason(pattern: str, why: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        custom_axes.Params(column="word", left="a", right=pattern, regex=True)
    message = info.value.errors()[0]["msg"]
    assert "not a valid regular expression" in message and why in message and "RE2" in message


def test_pattern_errors_never_echo_a_long_pattern() -> None:
    long_invalid = "(" * 900 + "a"
    with pytest.raises(pydantic.ValidationError) as info:
        custom_axes.Params(column="word", left="a", right=long_invalid, regex=True)
    assert len(info.value.errors()[0]["msg"]) < 400
    too_long = "a" * (custom_axes.MAX_PATTERN_CHARS + 1)
    for regex in (True, False):
        with pytest.raises(pydantic.ValidationError) as info:
            custom_axes.Params(column="word", left="a", right=too_long, regex=regex)
        error = info.value.errors()[0]
        assert error["loc"] == ("right",) and str(custom_axes.MAX_PATTERN_CHARS) in error["msg"]
    almost = "z" * custom_axes.MAX_PATTERN_CHARS  # at the cap: accepted, and quoted only in part
    params = custom_axes.Params(column="word", left="a", right=almost, regex=True)
    message = custom_axes.check_matches(params, ["a", "b"])
    assert message is not None and "(1000 characters)" in message and len(message) < 200


def test_catastrophic_backtracking_pattern_runs_in_linear_time() -> None:
    """`^(\\w+)+$x` backtracks exponentially in Python's re; RE2 matches 20k long words at once."""
    values = ["abcdefghijklmnopqrstuvwxy"] * 20_000 + ["the"]
    started = time.monotonic()
    assert custom_axes.match_rows(values, r"^(\w+)+$x", regex=True).size == 0
    assert time.monotonic() - started < 5  # Python's re needs 2^25 steps for each word
    assert custom_axes.match_rows(values, "THE", regex=True).tolist() == [20_000]


def test_regex_mode_is_case_insensitive_like_the_page() -> None:
    values = ["Apple", "BANANA", "cherry", "Äpfel"]
    assert custom_axes.match_rows(values, "^a", regex=True).tolist() == [0]
    assert custom_axes.match_rows(values, "an+a$", regex=True).tolist() == [1]
    assert custom_axes.match_rows(values, "^ä", regex=True).tolist() == [3]
    assert custom_axes.match_rows(values, "(?<w>rr)", regex=True).tolist() == [2]  # JS-style named group
