"""TensorBoard's "Custom" projection: axes between the centroids of rows matching metadata patterns.

As in TensorBoard's projector (vz-projector-projections-panel.ts, data.ts):
- a pattern matches a row when it is a case-insensitive substring of the row's value in the
  chosen column, or, in regex mode, when `RegExp(pattern, 'i').test(value)` (here RE2, a
  linear-time engine, case-insensitive: a stranger's pattern can never backtrack for minutes);
- centroids are taken over the whole dataset, even when only some rows are projected (isolated);
- the x direction is centroid(right) - centroid(left), the y direction centroid(up) -
  centroid(down), and an empty up or down pattern uses a standard normal random vector in place
  of its centroid ("0 matches. Using a random vector.") -- here seeded by `seed`;
- the axes are not orthogonalised.

One deliberate difference: TensorBoard's projectLinear takes dot products with the raw direction,
so each axis is scaled by its direction's length. With a random vertical direction (length about
sqrt(2d)) next to two nearby centroids (often length < 1) the y spread would dwarf the x spread.
Here both directions are scaled to unit length, so a coordinate is the signed length of the
vector's component along that axis, in the data's own units on both axes.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import re2
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from embedding_projector.exports import cell_text
from embedding_projector.projections.progress import Progress, ProjectionResult

NEEDS_COLUMN = True  # the worker passes the full dataset, the column's values and the rows
BLOCK_ROWS = 65536
AxisEnd = Literal["left", "right", "up", "down"]
AXIS_ENDS: tuple[AxisEnd, ...] = ("left", "right", "up", "down")
MAX_PATTERN_CHARS = 1000  # longer patterns get a 422; also bounds RE2's compile time and memory
MAX_COLUMN_CHARS = 200
SHOWN_CHARS = 60  # how much of a pattern an error message quotes
# RE2's memory budget per pattern (its default is 8 MB). With 8 MB, `\pL{200}` took 200 ms to
# compile; with 2 MB such a pattern is refused in ~30 ms, and ordinary patterns are unaffected.
RE2_MAX_MEM = 2 << 20

# RE2 parse errors for the Perl syntax it leaves out on purpose (it has no backtracking).
_UNSUPPORTED = (
    ("invalid perl operator: (?=", "lookahead (?=...)"),
    ("invalid perl operator: (?!", "negative lookahead (?!...)"),
    ("invalid perl operator: (?<=", "lookbehind (?<=...)"),
    ("invalid perl operator: (?<!", "negative lookbehind (?<!...)"),
    ("invalid perl operator: (?P", "this named-group syntax (named backreferences (?P=name) included)"),
)


def shown(pattern: str) -> str:
    """A pattern as error messages quote it: repr, cut to SHOWN_CHARS characters."""
    if len(pattern) <= SHOWN_CHARS:
        return repr(pattern)
    return f"{pattern[:SHOWN_CHARS]!r}… ({len(pattern)} characters)"


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # RE2 would print every rejected pattern to stderr
    options.max_mem = RE2_MAX_MEM
    return options


def compile_pattern(pattern: str) -> re2._Regexp:
    """`pattern` compiled by RE2, case-insensitive; ValueError saying why it cannot be."""
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        detail = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        for prefix, feature in _UNSUPPORTED:
            if detail.startswith(prefix):
                raise ValueError(
                    f"RE2, the server's linear-time regex engine, does not support {feature}"
                ) from None
        if detail.startswith("pattern too large"):
            raise ValueError(
                "the pattern is too large for RE2: its compiled form is over RE2's memory limit"
            ) from None
        if detail.startswith("invalid escape sequence: \\") and detail[-1:].isdigit():
            raise ValueError(
                "RE2, the server's linear-time regex engine, does not support backreferences (\\1)"
            ) from None
        raise ValueError(detail if len(detail) <= 2 * SHOWN_CHARS else detail[: 2 * SHOWN_CHARS] + "…") from None


class Params(BaseModel):
    """Custom projection parameters: a metadata column and a pattern for each end of each axis."""

    model_config = ConfigDict(extra="forbid")
    column: str = Field(
        min_length=1, max_length=MAX_COLUMN_CHARS, description="metadata column the patterns are matched in"
    )
    regex: bool = Field(
        False, description="patterns are case-insensitive regular expressions, not substrings"
    )
    left: str = Field(
        "",
        max_length=MAX_PATTERN_CHARS,
        validate_default=True,
        description="rows whose centroid is the left end of the x axis"
    )
    right: str = Field(
        "",
        max_length=MAX_PATTERN_CHARS,
        validate_default=True,
        description="rows whose centroid is the right end of the x axis"
    )
    up: str = Field(
        "", max_length=MAX_PATTERN_CHARS, description="rows whose centroid is the top of the y axis (optional)"
    )
    down: str = Field(
        "", max_length=MAX_PATTERN_CHARS, description="rows whose centroid is the bottom of the y axis (optional)"
    )
    seed: int = Field(
        0, ge=0, description="seed of the random vector used for an empty up or down pattern"
    )

    @field_validator("left", "right", "up", "down")
    @classmethod
    def _valid_pattern(cls, value: str, info: ValidationInfo) -> str:
        name = info.field_name
        if not value and name in ("left", "right"):
            raise ValueError(
                f"{name} is required: the x axis runs from the left matches' centroid "
                "to the right matches' centroid"
            )
        if value and info.data.get("regex"):  # `regex` is declared before the patterns
            try:
                compile_pattern(value)
            except ValueError as exc:
                raise ValueError(f"{name} is not a valid regular expression ({shown(value)}): {exc}") from None
        return value


def match_rows(values: list, pattern: str, regex: bool) -> np.ndarray:
    """Indices (int64) of the rows whose value matches `pattern` (TensorBoard's search rules).

    Linear in the column's size for any pattern (RE2), but seconds on a big column: call it off
    the event loop.
    """
    return _match_texts([cell_text(v) for v in values], pattern, regex)


def _match_texts(texts: list[str], pattern: str, regex: bool) -> np.ndarray:
    if not pattern:
        return np.zeros(0, dtype=np.int64)
    if regex:
        search = compile_pattern(pattern).search
        hits = [i for i, t in enumerate(texts) if search(t)]
    else:
        needle = pattern.lower()
        hits = [i for i, t in enumerate(texts) if needle in t.lower()]
    return np.asarray(hits, dtype=np.int64)


def _all_matches(params: Params, values: list) -> dict[AxisEnd, np.ndarray]:
    texts = [cell_text(v) for v in values]
    return {name: _match_texts(texts, getattr(params, name), params.regex) for name in AXIS_ENDS}


def _problem(params: Params, matches: dict[AxisEnd, np.ndarray]) -> str | None:
    for name in AXIS_ENDS:
        pattern = getattr(params, name)
        if pattern and matches[name].size == 0:
            kind = "regex" if params.regex else "pattern"
            return (
                f"{name.capitalize()} {kind} {shown(pattern)} matches no row of column "
                f"{params.column!r}"
            )
    for a, b, axis in (("left", "right", "x"), ("up", "down", "y")):
        if getattr(params, a) and getattr(params, b) and np.array_equal(matches[a], matches[b]):
            return (
                f"{a.capitalize()} and {b} patterns match the same rows of column "
                f"{params.column!r}, so they give the {axis} axis no direction"
            )
    return None


def check_matches(params: Params, values: list) -> str | None:
    """Why the patterns cannot define the axes on this column's `values`, or None when they can."""
    return _problem(params, _all_matches(params, values))


def _centroid(vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    total = np.zeros(vectors.shape[1], dtype=np.float64)
    for start in range(0, rows.size, BLOCK_ROWS):
        block = np.asarray(vectors[rows[start : start + BLOCK_ROWS]])
        total += block.sum(axis=0, dtype=np.float64)
    return total / rows.size


def _unit(direction: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(direction)
    return direction / norm if norm > 0 else direction


def run(
    vectors: np.ndarray,
    params: Params,
    progress: Progress,
    *,
    column_values: list,
    rows: np.ndarray | None = None,
) -> ProjectionResult:
    """Project `rows` (default: all) of `vectors` onto the pattern axes; centroids use every row."""
    n, d = vectors.shape
    if len(column_values) != n:
        raise ValueError(f"column {params.column!r} has {len(column_values)} values for {n} rows")
    progress.update(0.0, stage="matching")
    matches = _all_matches(params, column_values)
    problem = _problem(params, matches)
    if problem:
        raise ValueError(problem)

    # Both random vectors are always drawn, so `up`'s does not depend on whether `down` is empty.
    drawn = np.random.default_rng(params.seed).standard_normal((2, d))
    random_vectors = {"up": drawn[0], "down": drawn[1]}
    centroids: dict[str, np.ndarray] = {}
    for name in AXIS_ENDS:
        hits = matches[name]
        centroids[name] = _centroid(vectors, hits) if hits.size else random_vectors[name]
    progress.update(0.3, stage="project")

    axes = np.stack(
        [_unit(centroids["right"] - centroids["left"]), _unit(centroids["up"] - centroids["down"])],
        axis=1,
    ).astype(np.float32)
    picked = None if rows is None else np.asarray(rows, dtype=np.int64)
    count = n if picked is None else picked.size
    coords = np.empty((count, 2), dtype=np.float32)
    for start in range(0, count, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, count)
        block = vectors[start:stop] if picked is None else vectors[picked[start:stop]]
        np.matmul(np.asarray(block, dtype=np.float32), axes, out=coords[start:stop])
    progress.update(1.0, stage="done")
    return ProjectionResult(
        coords=coords,
        extras={
            "matches": {name: int(matches[name].size) for name in AXIS_ENDS},
            "random": [name for name in ("up", "down") if matches[name].size == 0],
        },
    )
