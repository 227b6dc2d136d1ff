"""TensorBoard's bookmark files: a JSON `State[]` (vz_projector/data.ts) read into TensorBoardState and written back.

Pure: bytes in, states or InputError out (naming the state's index and the field), and states to
bytes. A state's coordinates are the selected projection's keys of its per-point `projections`
dicts: `pca-{c}` for c in `pcaComponentDimensions`, `tsne-0..2` (`tSNEis3d`), `umap-0..2`
(`umapIs3d`), `linear-x`/`linear-y` for a custom projection (TensorBoard's prefix for it). With
`filteredPoints`, the state's points (projections, selectedPoints) are those rows, in that order.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedding_projector.errors import InputError

FILENAME = "bookmarks.json"
PROJECTION_TYPES = ("pca", "tsne", "umap", "custom")
MAX_LABEL_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass
class TensorBoardState:
    """One bookmark of a TensorBoard file, checked: coordinates are float32, rows are dataset rows."""

    label: str
    projection: str  # one of PROJECTION_TYPES
    coords: np.ndarray  # one row per shown point, 2 or 3 float32 columns
    components: list[int] = field(default_factory=lambda: [0, 1, 2])  # PCA components on x, y, z
    selected: list[int] = field(default_factory=list)  # dataset rows
    filtered: list[int] | None = None  # dataset rows shown, in the order of `coords`
    camera: dict[str, Any] | None = None  # {orthographic, position, target, zoom}
    color_by: str | None = None
    label_by: str | None = None

    @property
    def keys(self) -> list[str]:
        """The `projections` keys that hold this state's coordinates, in x, y, z order."""
        return projection_keys(self.projection, self.coords.shape[1], self.components)


def projection_keys(projection: str, dimensions: int, components: list[int] | None = None) -> list[str]:
    """TensorBoard's names of a projection's coordinates (getProjectionComponents in data.ts)."""
    if projection == "pca":
        return [f"pca-{c}" for c in (components or [0, 1, 2])[:dimensions]]
    if projection == "custom":
        return ["linear-x", "linear-y"][:dimensions]
    return [f"{projection}-{i}" for i in range(dimensions)]


class _StateReader:
    """Checks of one state's fields; every failure names the file, the state and the field."""

    def __init__(self, raw: Any, index: int, filename: str) -> None:
        self.index, self.filename = index, filename
        if not isinstance(raw, dict):
            raise self.fail("", f"is {type(raw).__name__}, not an object")
        self.raw = raw

    def fail(self, name: str, problem: str) -> InputError:
        where = f"state {self.index}" + (f", field {name}" if name else "")
        return InputError(f"{self.filename}: {where} {problem}", file=self.filename, line=None)

    def optional(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = self.raw.get(name, default)
        if value is None:
            return default
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool) and kind in (int, float)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(name, f"must be {names}, not {type(value).__name__}")
        return value

    def rows(self, name: str, limit: int, *, unique: bool) -> list[int] | None:
        values = self.optional(name, list)
        if values is None:
            return None
        seen: set[int] = set()
        for position, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(name, f"[{position}] is {value!r}, not a whole number")
            if not 0 <= value < limit:
                raise self.fail(name, f"[{position}] is {value}, outside the {limit} points")
            if unique and value in seen:
                raise self.fail(name, f"holds {value} twice")
            seen.add(value)
        return values

    def number(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        try:
            return math.isfinite(value)
        except OverflowError:  # an integer past float's range
            return False

    def camera(self) -> dict[str, Any] | None:
        camera = self.optional("cameraDef", dict)
        if camera is None:
            return None
        out: dict[str, Any] = {"orthographic": bool(camera.get("orthographic", False))}
        for part in ("position", "target"):
            value = camera.get(part)
            if not (isinstance(value, list) and len(value) == 3 and all(self.number(v) and abs(v) <= 1e6 for v in value)):
                raise self.fail(f"cameraDef.{part}", "must be 3 finite numbers within ±1e6")
            out[part] = [float(v) for v in value]
        zoom = camera.get("zoom", 1)
        if not (self.number(zoom) and 0 < zoom <= 1e6):
            raise self.fail("cameraDef.zoom", "must be a number above 0 (at most 1e6)")
        out["zoom"] = float(zoom)
        return out


def _coords(reader: _StateReader, points: list[Any], keys: list[str]) -> np.ndarray:
    """The keys' values of every point as float32 (n x len(keys)), or an error naming point and key."""
    columns = []
    for key in keys:
        try:
            column = np.array([p[key] for p in points], dtype=np.float64)
        except (KeyError, TypeError, ValueError, OverflowError):
            column = None
        if column is None or column.ndim != 1 or not np.isfinite(column).all():
            for position, point in enumerate(points):
                if not isinstance(point, dict):
                    raise reader.fail("projections", f"[{position}] is not an object")
                if not reader.number(point.get(key)):
                    raise reader.fail("projections", f"[{position}] has no finite number {key!r}")
            raise reader.fail("projections", f"values of {key!r} are not finite numbers")
        columns.append(column)
    with np.errstate(over="ignore"):  # checked just below
        matrix = np.stack(columns, axis=1).astype("<f4")
    if not np.isfinite(matrix).all():
        raise reader.fail("projections", "holds a value beyond float32's range")
    return matrix


def _label(raw: str, index: int) -> str:
    text = _CONTROL.sub(" ", raw).strip()[:MAX_LABEL_CHARS].strip()
    return text or f"State {index + 1}"


def _read_state(raw: Any, index: int, n: int, filename: str) -> TensorBoardState:
    reader = _StateReader(raw, index, filename)
    # An empty filter means none: some TensorBoard versions default filteredPoints to [].
    filtered = reader.rows("filteredPoints", n, unique=True) or None
    shown = n if filtered is None else len(filtered)
    projection = reader.optional("selectedProjection", str)
    if projection not in PROJECTION_TYPES:
        raise reader.fail("selectedProjection", f"is {projection!r}; expected one of {', '.join(PROJECTION_TYPES)}")
    points = reader.optional("projections", list, [])
    if len(points) != shown:
        whose = "the dataset's" if filtered is None else "filteredPoints'"
        raise reader.fail("projections", f"has {len(points)} points, but {whose} rows are {shown}")
    dims = reader.optional("dataSetDimensions", list)
    if dims is not None and (len(dims) != 2 or dims[0] != shown):
        raise reader.fail("dataSetDimensions", f"is {dims!r}, but the state shows {shown} points")
    components = [0, 1, 2]
    if projection == "pca":
        components = reader.optional("pcaComponentDimensions", list) or []
        if not components:  # data.ts's default is []; the projections panel writes 2 or 3
            third = bool(points) and isinstance(points[0], dict) and "pca-2" in points[0]
            components = [0, 1, 2] if third else [0, 1]
        if not 2 <= len(components) <= 3 or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 99 for c in components):
            raise reader.fail("pcaComponentDimensions", "must be 2 or 3 component numbers from 0 to 99")
        dimensions = len(components)
    elif projection == "custom":
        dimensions = 2
    else:
        flag = "tSNEis3d" if projection == "tsne" else "umapIs3d"
        dimensions = 3 if reader.optional(flag, bool, True) else 2
    keys = projection_keys(projection, dimensions, components)
    coords = _coords(reader, points, keys)
    selected_positions = reader.rows("selectedPoints", shown, unique=False) or []
    # TensorBoard's selection indexes the points shown (the filtered subset): map it to dataset rows.
    selected = list(dict.fromkeys(selected_positions if filtered is None else (filtered[p] for p in selected_positions)))
    return TensorBoardState(
        label=_label(reader.optional("label", str, ""), index),
        projection=projection,
        coords=coords,
        components=list(components),
        selected=selected,
        filtered=filtered,
        camera=reader.camera(),
        color_by=reader.optional("selectedColorOptionName", str) or None,
        label_by=reader.optional("selectedLabelOption", str) or None,
    )


def parse_states(data: bytes, n: int, filename: str = FILENAME) -> list[TensorBoardState]:
    """The states of a TensorBoard bookmarks file for a dataset of `n` rows, or InputError."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "colno", None)
        raise InputError(f"{filename} is not JSON ({exc})", file=filename, line=line, column=column) from None
    if not isinstance(raw, list):
        raise InputError(f"{filename} must be a JSON list of states (TensorBoard's State[])", file=filename)
    if not raw:
        raise InputError(f"{filename} holds no states", file=filename)
    return [_read_state(item, index, n, filename) for index, item in enumerate(raw)]


def state_json(state: TensorBoardState, dim: int) -> dict[str, Any]:
    """One State as TensorBoard writes it (every field of data.ts's State, defaults where we have none)."""
    keys = state.keys
    shown = state.coords.shape[0]
    values = state.coords.astype(np.float64).tolist()  # float32 values, written exactly
    position_of = None if state.filtered is None else {row: i for i, row in enumerate(state.filtered)}
    selected = state.selected if position_of is None else [position_of[r] for r in state.selected if r in position_of]
    is3d = state.coords.shape[1] == 3
    return {
        "label": state.label,
        "isSelected": False,
        "selectedProjection": state.projection,
        "dataSetDimensions": [shown, dim],
        "tSNEIteration": 1 if state.projection == "tsne" else 0,
        "tSNEPerplexity": 0,
        "tSNELearningRate": 0,
        "tSNEis3d": is3d if state.projection == "tsne" else True,
        "umapIs3d": is3d if state.projection == "umap" else True,
        "umapNeighbors": 15,
        "umapMinDist": 0.1,
        "pcaComponentDimensions": state.components[: state.coords.shape[1]] if state.projection == "pca" else [0, 1, 2],
        "projections": [dict(zip(keys, row)) for row in values],
        "filteredPoints": state.filtered,
        "selectedPoints": selected,
        "cameraDef": state.camera or {"orthographic": not is3d, "position": [0, 0, 4], "target": [0, 0, 0], "zoom": 1},
        "selectedColorOptionName": state.color_by or "",
        "forceCategoricalColoring": False,
        "selectedLabelOption": state.label_by or "",
    }


def write_states(states: list[TensorBoardState], dim: int) -> bytes:
    """A TensorBoard bookmarks file (State[]) holding `states`, for a dataset of `dim` dimensions."""
    return json.dumps([state_json(s, dim) for s in states], separators=(",", ":")).encode()
