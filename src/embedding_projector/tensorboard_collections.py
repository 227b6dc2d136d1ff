"""TensorBoard bookmark files <-> bookmark collections: each State becomes one bookmark on a "given" result.

Import stores each state's coordinates as a given result (source `tensorboard:{digest}:{index}:{type}`:
the file's hash, the state's place in it, and TensorBoard's projection type, so an export writes the
coordinates back under the keys they came with) and the whole file as one new collection. Export
reads every bookmark's stored result back into a State.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from embedding_projector.datasets.store import DatasetStore
from embedding_projector.datasets.tensorboard_bookmarks import (
    FILENAME,
    PROJECTION_TYPES,
    TensorBoardState,
    parse_states,
    write_states,
)
from embedding_projector.errors import InputError, NotFound, ProjectorError
from embedding_projector.jobs.runner import JobRunner
from embedding_projector.schemas import CameraState, DatasetInfo, ProjectionState, ViewState
from embedding_projector.view_store import ViewStore

log = logging.getLogger(__name__)

SOURCE_PREFIX = "tensorboard:"


@dataclass(frozen=True)
class ImportedCollection:
    """A collection made from a bookmarks file: its id, edit key and bookmarks (states as JSON text)."""

    collection: str
    edit_key: str | None
    bookmarks: list[dict[str, Any]]


def file_digest(data: bytes) -> str:
    """A short hash of a bookmarks file's bytes (part of its given results' sources)."""
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def view_of(state: TensorBoardState, dataset: str, job: str, source: str, columns: set[str], version: int) -> ViewState:
    """Our view state for a TensorBoard state whose coordinates are stored as given result `job`."""
    camera = None
    if state.camera is not None:
        camera = CameraState(position=state.camera["position"], target=state.camera["target"], zoom=state.camera["zoom"])
    return ViewState(
        dataset=dataset,
        projection=ProjectionState(method="given", job=job, params={"source": source}),
        color_by=state.color_by if state.color_by in columns else None,
        label_by=state.label_by if state.label_by in columns else None,
        selection=state.selected,
        isolated=state.filtered,
        dimensions=state.coords.shape[1],
        camera=camera,
        edit_version=version or None,
    )


def import_file(
    data: bytes,
    dataset: str,
    store: DatasetStore,
    jobs: JobRunner,
    views: ViewStore,
    filename: str = FILENAME,
    collection: str | None = None,
) -> ImportedCollection:
    """Store each state's coordinates as a given result and the states as a new collection (in a thread).

    With `collection`, the collection gets that id and no edit key (a config's bookmarks).
    """
    info = store.get(dataset)
    states = parse_states(data, info.n, filename)
    digest = file_digest(data)
    columns = {c.name for c in info.columns}
    items = []
    for index, state in enumerate(states):
        source = f"{SOURCE_PREFIX}{digest}:{index}:{state.projection}"
        status = jobs.store_given(dataset, info.fingerprint, state.coords, source, state.filtered)
        view = view_of(state, dataset, status.id, source, columns, info.version)
        items.append((state.label, view.model_dump_json(by_alias=True)))
    saved, made, edit_key = views.add_collection(dataset, items, collection)
    return ImportedCollection(made, edit_key, saved)


def _attach(info: DatasetInfo, store: DatasetStore, jobs: JobRunner, views: ViewStore) -> None:
    try:
        import_file(store.tensorboard_bookmarks(info.id), info.id, store, jobs, views, collection=info.bookmarks)
    except sa.exc.IntegrityError:
        pass  # another request or server process made it first
    except ProjectorError as exc:
        log.warning("bookmarks of dataset %s not imported: %s", info.id, exc.message)


def attach_config_bookmarks(store: DatasetStore, jobs: JobRunner, views: ViewStore) -> None:
    """Make the collection of every imported dataset whose config named a bookmarks file, once.

    `import` writes dataset folders without the database, so the collection is made by a server:
    at its start (after --logdir imports), or when the collection is first asked for (attach_named).
    """
    for summary in store.list():
        info = store.get(summary.id)
        if info.bookmarks is not None and not views.has_collection(info.bookmarks):
            _attach(info, store, jobs, views)


def attach_named(collection: str, store: DatasetStore, jobs: JobRunner, views: ViewStore) -> bool:
    """Make `collection` if it is a dataset's config bookmarks not made yet (imported while serving)."""
    for summary in store.list():
        info = store.get(summary.id)
        if info.bookmarks == collection:
            _attach(info, store, jobs, views)
            return views.has_collection(collection)
    return False


def _given_type(source: str, dimensions: int) -> str:
    """The TensorBoard projection a given result came from (its source says so), else custom (2D) or t-SNE (3D)."""
    if source.startswith(SOURCE_PREFIX) and source.rsplit(":", 1)[-1] in PROJECTION_TYPES:
        kind = source.rsplit(":", 1)[-1]
        if not (kind == "custom" and dimensions == 3):
            return kind
    # TensorBoard's custom projection is 2D only; a 3D layout of unknown origin goes under t-SNE's keys.
    return "custom" if dimensions == 2 else "tsne"


def state_of(view: ViewState, name: str, jobs: JobRunner) -> TensorBoardState | None:
    """The TensorBoard state of one of our bookmarks, coordinates read from its result; None without one (in a thread)."""
    projection = view.projection
    if projection is None or projection.job is None:
        return None
    try:
        status = jobs.status(projection.job)
    except NotFound:
        return None  # its dataset's results were deleted
    path, shape = jobs.coords_path(projection.job)
    coords = np.fromfile(path, dtype="<f4").reshape(shape)
    rows = jobs.result_rows(projection.job)
    dimensions = min(view.dimensions, coords.shape[1])
    components = [0, 1, 2][:dimensions]
    if status.method == "pca":
        kind = "pca"
        components = (projection.components or components)[:dimensions]
        coords = coords[:, components]
    else:
        kind = status.method if status.method in PROJECTION_TYPES else _given_type(
            str(status.params.get("source", "")), dimensions
        )
        if kind == "custom":
            dimensions = 2
        coords = coords[:, :dimensions]
    camera = None
    if view.camera is not None:
        camera = {"orthographic": dimensions == 2, "position": list(view.camera.position),
                  "target": list(view.camera.target), "zoom": view.camera.zoom}
    filtered = None if rows is None else rows.tolist()
    selected = view.selection
    if filtered is not None:
        shown = set(filtered)
        selected = [r for r in selected if r in shown]
    return TensorBoardState(
        label=name, projection=kind, coords=np.ascontiguousarray(coords, dtype="<f4"), components=components,
        selected=selected, filtered=filtered, camera=camera, color_by=view.color_by, label_by=view.label_by,
    )


def export_collection(collection: str, dataset: str | None, store: DatasetStore, jobs: JobRunner,
                      views: ViewStore) -> tuple[bytes, str]:
    """A collection's bookmarks of one dataset (default: its first bookmark's) as a TensorBoard file, and that dataset.

    Bookmarks of other datasets, and those without a stored projection, have no place in it and are
    left out; none left is a 404.
    """
    items = views.list_bookmarks(collection)
    if dataset is None and items:
        dataset = items[0]["dataset"]
    states = []
    for item in items:
        if item["dataset"] != dataset:
            continue
        state = state_of(ViewState.model_validate_json(item["state"]), item["name"], jobs)
        if state is not None:
            states.append(state)
    if not states or dataset is None:
        raise NotFound("this collection holds no bookmark with a stored projection of that dataset")
    info = store.get(dataset)
    if any(s.coords.shape[0] != (info.n if s.filtered is None else len(s.filtered)) for s in states):
        raise InputError("a bookmark's projection does not match its dataset's rows")
    return write_states(states, info.dim), dataset
