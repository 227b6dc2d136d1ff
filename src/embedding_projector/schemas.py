"""The pydantic API contract shared by the routers, the store and the job runner."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

JobState = Literal["queued", "running", "done", "failed", "cancelled"]


class ColumnInfo(BaseModel):
    """One metadata column as the page needs to know it before loading values."""

    name: str
    type: Literal["numeric", "text"]
    distinct: int = Field(description="number of distinct non-empty values")
    min: float | None = None
    max: float | None = None


class DatasetSummary(BaseModel):
    """A dataset as listed by GET /api/datasets."""

    id: str
    name: str
    n: int
    dim: int


class SpriteInfo(BaseModel):
    """A dataset's sprite sheet: point i's image is at column i % per_row, row i // per_row."""

    url: str = Field(description="GET this for the PNG or JPEG image")
    width: int = Field(description="sheet width in pixels")
    height: int = Field(description="sheet height in pixels")
    cell_width: int = Field(description="one image's width in pixels")
    cell_height: int = Field(description="one image's height in pixels")
    per_row: int = Field(description="images per row of the sheet")


class GivenLayout(BaseModel):
    """Coordinates that came with the data (x/y/z columns): shown by the "Given" tab, never recomputed."""

    source: str = Field(description="the `source` parameter of the given projection, such as 'x,y,z'")
    dimensions: Literal[2, 3]


class DatasetInfo(DatasetSummary):
    """A dataset's full description (GET /api/datasets/{id})."""

    columns: list[ColumnInfo]
    source: str = Field("upload", description="where it came from: upload, example, import")
    created: str = Field(description="ISO 8601 time of import")
    fingerprint: str = Field(description="content hash of the vectors; part of projection cache keys")
    public: bool = Field(False, description="listed to everyone and projectable without the write token")
    url: str | None = Field(None, description="link that opens the dataset (in the upload answer)")
    sprite: SpriteInfo | None = Field(None, description="the sprite sheet, when the dataset has images")
    origin: str | None = Field(
        None, description="the imported files, such as logdir:/abs/projector_config.pbtxt#tensor"
    )
    origin_digest: str | None = Field(
        None, description="hash of the imported files' bytes; unchanged files are not imported twice"
    )
    version: int = Field(0, description="the latest edit version of its metadata (0: never edited)")
    given: list[GivenLayout] = Field(
        default_factory=list, description="precomputed layouts that came with the data"
    )
    coords_only: bool = Field(
        False, description="the data had coordinates and no vectors: neighbours are in the given space"
    )
    bookmarks: str | None = Field(
        None, description="the bookmark collection made from its config's bookmarksPath (TensorBoard's bookmarks file)"
    )


class Neighbor(BaseModel):
    """One neighbour of a row."""

    row: int
    distance: float


class NeighborsResponse(BaseModel):
    """GET /api/datasets/{id}/neighbors."""

    row: int
    metric: Literal["cosine", "euclidean"]
    neighbors: list[Neighbor]


class ProjectionRequest(BaseModel):
    """POST /api/datasets/{id}/projections: a method, its parameters and optionally a row subset."""

    model_config = ConfigDict(extra="forbid")

    method: str = Field(description="pca")
    params: dict[str, Any] = Field(default_factory=dict)
    rows: list[int] | None = Field(None, description="project only these rows (isolate); null = all")
    sphereize: bool = Field(
        False, description="centre the vectors on the rows' mean and scale each to unit norm first"
    )


class ResultArray(BaseModel):
    """One named result array of a finished job (an analysis): little-endian bytes at /api/projections/{id}/{name}."""

    dtype: Literal["int32", "float32"]
    shape: list[int]


class JobStatus(BaseModel):
    """A projection job as GET /api/projections/{id} reports it."""

    id: str
    dataset: str
    method: str
    params: dict[str, Any]
    rows: int | None = Field(None, description="size of the row subset, or null for all rows")
    sphereize: bool = Field(False, description="the vectors were centred and scaled to unit norm")
    status: JobState
    progress: float = 0.0
    shape: list[int] | None = None
    error: str | None = None
    elapsed: float | None = Field(None, description="seconds since the job started running")
    queue_position: int | None = Field(None, description="1 = next to run, while queued")
    worker: int | None = Field(None, description="pid of the worker process running the job")
    snapshot: int = Field(0, description="sequence number of the latest intermediate coordinates")
    info: dict[str, Any] = Field(default_factory=dict, description="latest progress facts")
    extras: dict[str, Any] = Field(default_factory=dict, description="method extras")
    arrays: dict[str, ResultArray] = Field(
        default_factory=dict, description="an analysis's named result arrays (k-NN graph: neighbors, distances)"
    )


class JobStarted(JobStatus):
    """POST .../projections: the job's status plus this client's key for cancelling it."""

    cancel_key: str | None = Field(
        None, description="send as X-Cancel-Key with DELETE to cancel; only this answer carries it"
    )


# Bounds of a stored view: each value of a shared state is small, so a view's size is its row lists.
MAX_VIEW_ROWS = 1_000_000
MAX_NAME_CHARS = 1000  # a column name (colorBy, labelBy, search column)
MAX_PARAMS = 16
MAX_PARAM_KEY_CHARS = 64
MAX_PARAM_TEXT_CHARS = 4096  # a custom projection's pattern is the longest parameter
MAX_CAMERA = 1e6

ColumnName = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS)]
CameraNumber = Annotated[float, Field(ge=-MAX_CAMERA, le=MAX_CAMERA, allow_inf_nan=False)]
ParamKey = Annotated[str, Field(min_length=1, max_length=MAX_PARAM_KEY_CHARS)]
ParamValue = StrictBool | StrictInt | Annotated[float, Field(allow_inf_nan=False)] | Annotated[
    str, Field(max_length=MAX_PARAM_TEXT_CHARS)
] | None


class CameraState(BaseModel):
    """Where the camera stands and looks (world coordinates of the normalised view) and its zoom."""

    model_config = ConfigDict(extra="forbid")

    position: tuple[CameraNumber, CameraNumber, CameraNumber]
    target: tuple[CameraNumber, CameraNumber, CameraNumber]
    zoom: float = Field(1.0, gt=0, le=MAX_CAMERA, allow_inf_nan=False)


class ProjectionState(BaseModel):
    """The projection shown: method and parameters, plus the stored result it refers to."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["pca", "tsne", "umap", "custom", "given"]
    params: dict[ParamKey, ParamValue] = Field(
        default_factory=dict, max_length=MAX_PARAMS, description="the run's parameters: numbers, booleans, short text"
    )
    job: str | None = Field(
        None, max_length=64, description="id of the stored result; opening a view never recomputes it"
    )
    components: list[Annotated[int, Field(ge=0, le=99)]] | None = Field(
        None, max_length=3, description="PCA components on x, y, z"
    )
    sphereize: bool = False


class SearchState(BaseModel):
    """The Inspector's search box."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field("", max_length=1000)
    column: ColumnName | None = None
    regex: bool = False


class CompareState(BaseModel):
    """A comparison with another dataset shown beside the map (issue 13): which dataset, key column and k."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(max_length=128)
    key: ColumnName | None = None
    k: int = Field(10, ge=1, le=100)
class ClustersState(BaseModel):
    """The clusters a view shows: a finished `clusters` job of its dataset (its "cluster" column)."""

    model_config = ConfigDict(extra="forbid")

    job: str = Field(pattern=r"^[0-9a-f]{32}$", description="id of the finished clusters job")


class ViewState(BaseModel):
    """Everything a shared link restores; the same field names as the page's store and URL."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    dataset: str = Field(max_length=128)
    projection: ProjectionState | None = None
    color_by: ColumnName | None = Field(None, alias="colorBy")
    label_by: ColumnName | None = Field(None, alias="labelBy")
    selection: list[int] = Field(
        default_factory=list, max_length=MAX_VIEW_ROWS, description="selected rows: unique, in range"
    )
    isolated: list[int] | None = Field(
        None, max_length=MAX_VIEW_ROWS, description="the rows shown (isolate): unique, in range"
    )
    search: SearchState | None = None
    neighbors: int = Field(100, ge=1, le=10_000)
    metric: Literal["cosine", "euclidean"] = "cosine"
    dimensions: Literal[2, 3] = 3
    camera: CameraState | None = None
    edit_version: int | None = Field(
        None, ge=0, alias="editVersion", description="the metadata edit version the view was made at"
    )
    compare: CompareState | None = Field(None, description="the other embedding shown beside the map")
    clusters: ClustersState | None = Field(None, description="the clusters shown (a finished clusters job)")


class ViewCreated(BaseModel):
    """POST /api/views: the new view's id and the link that opens it."""

    id: str
    url: str


class LiveStateRequest(BaseModel):
    """POST /api/live: the dataset whose page will report its state."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(max_length=128)


class LiveStateCreated(BaseModel):
    """POST /api/live: the live state's id (the capability to write and read it)."""

    id: str


class LiveStateRead(BaseModel):
    """GET /api/live/{id}: the page's latest view (null before it wrote), when, and how many writes."""

    view: ViewState | None
    updated: str | None
    writes: int


class BookmarkRequest(BaseModel):
    """POST /api/bookmarks: a named state, added to `collection` (a new one when null)."""

    model_config = ConfigDict(extra="forbid")

    collection: str | None = Field(
        None, max_length=64, description="an existing collection (needs its edit key or the token), or null"
    )
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$", description="one line of text")
    state: ViewState


class Bookmark(BaseModel):
    """One saved state in a bookmark collection."""

    id: str
    collection: str
    dataset: str
    name: str
    created: str
    state: ViewState


class BookmarkSaved(Bookmark):
    """POST /api/bookmarks: the saved bookmark, plus the edit key when it started a new collection."""

    edit_key: str | None = Field(
        None,
        description="only in the answer that created the collection: send it as X-Edit-Key to add to "
        "or delete from the collection (the shared link alone only reads)",
    )


class SelectionExport(BaseModel):
    """POST /api/datasets/{id}/export: the metadata of these rows, in this order."""

    model_config = ConfigDict(extra="forbid")

    rows: list[int] = Field(description="dataset row indices: non-empty, unique, in range")
    format: Literal["tsv", "csv"] = "tsv"


class EditBody(BaseModel):
    """POST /api/datasets/{id}/edits: set `value` in `column` at `rows` (a tag, or one cell)."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(
        description="an existing column, or a new name (a text column, '' in the other rows); "
        "at most 100 characters, not reserved (row, x, y, z, pc1.., dim1.., '__' names)"
    )
    rows: list[int] = Field(description="dataset rows: non-empty, unique, in range")
    value: str = Field(
        description="at most 1,000 characters; for a numeric column a number, or '' for empty"
    )
    cell: bool = Field(
        False, description="a single-cell edit: exactly one row, of a column that already exists"
    )


class EditResult(BaseModel):
    """The answer to an edit: the new version and what the page must change to show it."""

    version: int = Field(description="the dataset's edit version after this edit")
    column: ColumnInfo = Field(description="the edited column's summary after the edit")
    value: str | float | None = Field(description="the value as stored (a number for a numeric column)")
    rows: int = Field(description="how many rows the edit set")
    new_column: bool = Field(description="the edit created the column")


class UndoResult(BaseModel):
    """The answer to an undo: the new version and the undone edit's rows with their values now."""

    version: int
    undoes: int = Field(description="the version of the edit reverted")
    column: str = Field(description="the column the undone edit changed")
    rows: list[int] = Field(description="the rows it changed")
    values: list[str | float | None] | None = Field(
        description="those rows' values now, in the same order; null when the undo removed the column"
    )
    column_info: ColumnInfo | None = Field(description="the column's summary now; null when removed")


class EditEntry(BaseModel):
    """One entry of a dataset's edit log."""

    version: int
    op: Literal["set", "undo"]
    created: str
    column: str | None = None
    rows: list[int] | None = None
    value: str | float | None = None
    new_column: bool | None = None
    undoes: int | None = None


class EditLogAnswer(BaseModel):
    """GET /api/datasets/{id}/edits: the whole log, oldest first."""

    version: int
    entries: list[EditEntry]


class NeighborQueryRequest(BaseModel):
    """POST /api/datasets/{id}/neighbors: exactly one of a vector, an expression or rows (their centroid)."""

    model_config = ConfigDict(extra="forbid")

    vector: list[float | None] | None = None  # null (a browser's Infinity) gets our own 422
    expression: str | None = None
    rows: list[Annotated[int, Field(ge=0, lt=2**31)]] | None = None
    k: int = Field(10, ge=1, le=10_000)
    metric: Literal["cosine", "euclidean"] = "cosine"
    column: str | None = Field(None, description="label column an expression's terms are looked up in")


class QueryTerm(BaseModel):
    """One resolved term of an expression."""

    term: str
    row: int
    sign: Literal[1, -1]


class NeighborQueryResponse(BaseModel):
    """The k nearest rows to a query vector, nearest first, and the expression's resolved terms."""

    query: Literal["vector", "expression", "rows"]
    metric: Literal["cosine", "euclidean"]
    k: int
    column: str | None = None
    terms: list[QueryTerm] = []
    neighbors: list[Neighbor]
