"""DatasetStore: the only writer of dataset folders; lists, describes, creates and deletes datasets."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from embedding_projector.atomic_files import staged_directory
from embedding_projector.datasets.column_summary import column_info
from embedding_projector.datasets.edit_layer import EditLayer
from embedding_projector.datasets.edits import EditLog, EditRequest
from embedding_projector.datasets.given_coords import GivenCoords
from embedding_projector.datasets.matrix_file import RowReader, save_float32
from embedding_projector.datasets.metadata_json import write_metadata_json
from embedding_projector.datasets.parse_metadata import Column, Metadata
from embedding_projector.datasets.parse_sprite import FILE_NAMES, MEDIA_TYPES, SpriteSheet
from embedding_projector.datasets.unit_file import NORMS_FILE, UNIT_FILE, add_unit, open_unit, save_unit
from embedding_projector.errors import Conflict, InputError, NotFound, TooManyRequests, Unprocessable
from embedding_projector.neighbors import NeighborIndex
from embedding_projector.schemas import ColumnInfo, DatasetInfo, DatasetSummary, GivenLayout, SpriteInfo

__all__ = ["DEFAULT_NEIGHBOR_CACHE_BYTES", "DatasetStore", "column_info", "read_column", "slugify", "validate_name"]

DEFAULT_NEIGHBOR_CACHE_BYTES = 4 << 30  # a 1M x 768 float32 index (3.1 GB) fits

VECTORS_FILE = "vectors.npy"
METADATA_FILE = "metadata.json"
INFO_FILE = "dataset.json"
GIVEN_FILE = "given-{index}.npy"  # the given layout DatasetInfo.given[index], float32 (n, 2|3)
TENSORBOARD_BOOKMARKS_FILE = "tensorboard_bookmarks.json"  # the config's bookmarksPath file, as it was

_FORBIDDEN_NAME = re.compile(r"[/\\\x00-\x1f\x7f]|^\.|\.\.")
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")


def validate_name(name: str) -> str:
    """Return the trimmed dataset name, or raise InputError if it is empty, too long or path-like."""
    name = name.strip()
    if not name:
        raise InputError("the dataset name is empty", file="name")
    if len(name) > 100:
        raise InputError("the dataset name is longer than 100 characters", file="name")
    if _FORBIDDEN_NAME.search(name):
        raise InputError(
            f"the dataset name {name!r} must not contain path characters "
            "('/', '\\', '..', a leading '.', or control characters)",
            file="name",
        )
    return name


def slugify(name: str) -> str:
    """A URL-safe id stem from a display name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:40] or "dataset"


def read_column(metadata_path: Path, column: str) -> list:
    """One column's values from a stored metadata.json, or Unprocessable naming the column."""
    with open(metadata_path, "rb") as fh:
        columns = json.load(fh)["columns"]
    for candidate in columns:
        if candidate["name"] == column:
            return candidate["values"]
    names = ", ".join(repr(c["name"]) for c in columns)
    raise Unprocessable(f"the dataset has no metadata column {column!r}; it has {names}")


def _check_given(given: list[GivenCoords], n: int) -> None:
    """InputError unless each given layout has one finite 2-D or 3-D point per row, and no source twice."""
    sources = [g.source for g in given]
    if len(set(sources)) != len(sources):
        raise InputError(f"the given layouts name a source twice ({', '.join(sources)})")
    for layout in given:
        shape = layout.coords.shape
        if len(shape) != 2 or shape[0] != n or shape[1] not in (2, 3):
            raise InputError(f"given layout {layout.source!r} has shape {list(shape)}; it needs {n} rows of 2 or 3")
        if not np.isfinite(layout.coords).all():
            raise InputError(f"given layout {layout.source!r} holds a value that is not a finite number")


def _sprite_info(dataset_id: str, sheet: SpriteSheet) -> SpriteInfo:
    return SpriteInfo(
        url=f"/api/datasets/{dataset_id}/sprite",
        width=sheet.width,
        height=sheet.height,
        cell_width=sheet.cell_width,
        cell_height=sheet.cell_height,
        per_row=sheet.per_row,
    )


class DatasetStore:
    """Datasets on disk under `root`: one folder each, written whole or not at all."""

    def __init__(
        self,
        root: Path,
        neighbor_cache_bytes: int = DEFAULT_NEIGHBOR_CACHE_BYTES,
        *,
        clean_staging: bool = True,
        neighbor_threads: int = 1,
    ) -> None:
        self.root = root
        self.staging = root.parent / ".staging"
        self.root.mkdir(parents=True, exist_ok=True)
        # Leftovers of a crash; a second writer (the import command next to a running server)
        # passes False so that it never removes the server's uploads in progress.
        if clean_staging:
            shutil.rmtree(self.staging, ignore_errors=True)
        self._lock = threading.Lock()
        self._infos: dict[str, DatasetInfo] = {}
        self._indexes: OrderedDict[str, NeighborIndex] = OrderedDict()
        self._index_lock = threading.Lock()
        self._neighbor_cache_bytes = neighbor_cache_bytes
        self._neighbor_threads = neighbor_threads  # NeighborIndex scan_threads: >1 only with a 1-thread BLAS
        # Edits live beside the datasets, never inside a dataset's (immutable) folder.
        self.edits = EditLayer(EditLog(root.parent / "edits"))

    def _folder(self, dataset_id: str) -> Path:
        if not _ID_PATTERN.match(dataset_id):
            raise NotFound(f"no dataset {dataset_id!r}")
        return self.root / dataset_id

    def list(self, *, public_only: bool = False) -> list[DatasetSummary]:
        """All complete datasets (or only the public ones), examples first, then by time of import."""
        infos = [self.get(p.name) for p in self.root.iterdir() if (p / INFO_FILE).is_file()]
        infos = [i for i in infos if i.public or not public_only]
        infos.sort(key=lambda i: (i.source != "example", i.created, i.id))
        return [DatasetSummary(id=i.id, name=i.name, n=i.n, dim=i.dim) for i in infos]

    def count(self) -> int:
        """How many datasets there are."""
        return sum(1 for p in self.root.iterdir() if (p / INFO_FILE).is_file())

    def ensure_room(self, max_datasets: int) -> None:
        """429 when the store already holds `max_datasets` datasets (reads the folder: call it in a thread)."""
        if self.count() >= max_datasets:
            raise TooManyRequests(f"the server already holds {max_datasets} datasets, its limit")

    def exists(self, dataset_id: str) -> bool:
        """Whether a complete dataset with this id is on disk."""
        return _ID_PATTERN.match(dataset_id) is not None and (self.root / dataset_id / INFO_FILE).is_file()

    def get(self, dataset_id: str) -> DatasetInfo:
        """Describe one dataset as edited now (version, columns), or raise NotFound."""
        info = self._original_info(dataset_id)
        # Read from disk every time: another server process on this data folder may have edited it.
        version = self.edits.latest(dataset_id)
        if version == 0:
            return info
        columns = self.edits.columns_at(dataset_id, version, self._folder(dataset_id) / METADATA_FILE)
        return info.model_copy(update={"version": version, "columns": columns})

    def _original_info(self, dataset_id: str) -> DatasetInfo:
        with self._lock:
            cached = self._infos.get(dataset_id)
        if cached is not None and self.exists(dataset_id):
            return cached
        path = self._folder(dataset_id) / INFO_FILE
        try:
            info = DatasetInfo.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            raise NotFound(f"no dataset {dataset_id!r}") from None
        with self._lock:
            self._infos[dataset_id] = info
        return info

    def vectors(self, dataset_id: str) -> np.ndarray:
        """The dataset's float32 matrix, memory-mapped read-only."""
        self.get(dataset_id)
        return np.load(self._folder(dataset_id) / VECTORS_FILE, mmap_mode="r", allow_pickle=False)

    def vectors_path(self, dataset_id: str) -> Path:
        """Where the float32 .npy matrix lives (worker processes map it themselves)."""
        self.get(dataset_id)
        return self._folder(dataset_id) / VECTORS_FILE

    def metadata_path(self, dataset_id: str, version: int | None = None) -> Path:
        """The metadata JSON at edit `version` (None: the latest), served to the page as it is.

        Version 0 is the uploaded metadata.json; a later one is materialised once, on first use.
        """
        self._original_info(dataset_id)
        return self._metadata_at(dataset_id, self.resolve_version(dataset_id, version))

    def _metadata_at(self, dataset_id: str, version: int) -> Path:
        return self.edits.metadata_path(dataset_id, version, self._folder(dataset_id) / METADATA_FILE)

    def resolve_version(self, dataset_id: str, version: int | None) -> int:
        """`version`, or the latest when None; InputError naming `version` when it is not one yet."""
        self._original_info(dataset_id)  # NotFound first; and the id is checked before it names a path
        latest = self.edits.latest(dataset_id)
        if version is None:
            return latest
        if not 0 <= version <= latest:
            raise InputError(
                f"version {version} does not exist: dataset {dataset_id!r} is at edit version {latest}",
                file="version",
            )
        return version

    def columns_at(self, dataset_id: str, version: int | None = None) -> list[ColumnInfo]:
        """The column summaries at edit `version` (None: the latest)."""
        info = self._original_info(dataset_id)
        version = self.resolve_version(dataset_id, version)
        if version == 0:
            return info.columns
        return self.edits.columns_at(dataset_id, version, self._folder(dataset_id) / METADATA_FILE)

    def apply_edit(self, dataset_id: str, request: EditRequest) -> tuple[dict, ColumnInfo]:
        """Append one metadata edit; answer its log entry and the edited column's new summary."""
        info = self._original_info(dataset_id)
        for layout in info.given:
            if request.column in layout.source.split(","):
                raise InputError(
                    f"column {request.column[:60]!r} holds the given layout {layout.source!r}: "
                    "coordinates cannot be edited (they would no longer match the layout)",
                    file="column",
                )
        return self.edits.apply(dataset_id, info.n, request, self._folder(dataset_id) / METADATA_FILE, info.columns)

    def undo_edit(self, dataset_id: str) -> dict:
        """Append an undo of the latest edit not yet undone; 409 when there is none."""
        self._original_info(dataset_id)
        return self.edits.undo(dataset_id, self._folder(dataset_id) / METADATA_FILE)

    def edit_entries(self, dataset_id: str) -> list[dict]:
        """The dataset's edit log, oldest first."""
        self._original_info(dataset_id)
        return self.edits.log.entries(dataset_id)

    def given_coords(self, dataset_id: str, source: str) -> np.ndarray:
        """The float32 coordinates of the dataset's given layout `source`, memory-mapped; 422 if it has none."""
        info = self.get(dataset_id)
        for index, layout in enumerate(info.given):
            if layout.source == source:
                path = self._folder(dataset_id) / GIVEN_FILE.format(index=index)
                return np.load(path, mmap_mode="r", allow_pickle=False)
        known = ", ".join(repr(g.source) for g in info.given) or "none"
        raise Unprocessable(f"dataset {dataset_id!r} has no given layout {source[:80]!r} (its given layouts: {known})")

    def sprite_file(self, dataset_id: str) -> tuple[Path, str]:
        """The dataset's sprite sheet and its media type, or NotFound when it has none."""
        info = self.get(dataset_id)
        folder = self._folder(dataset_id)
        for fmt, name in FILE_NAMES.items():
            if info.sprite is not None and (folder / name).is_file():
                return folder / name, MEDIA_TYPES[fmt]
        raise NotFound(f"dataset {dataset_id!r} has no sprite image")

    def tensorboard_bookmarks(self, dataset_id: str) -> bytes:
        """The TensorBoard bookmarks file a dataset was imported with, or NotFound."""
        self.get(dataset_id)
        try:
            return (self._folder(dataset_id) / TENSORBOARD_BOOKMARKS_FILE).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"dataset {dataset_id!r} came with no bookmarks file") from None

    def find_origin(self, origin: str, digest: str) -> DatasetInfo | None:
        """A dataset already imported from these same files, if any."""
        for summary in self.list():
            info = self.get(summary.id)
            if info.origin == origin and info.origin_digest == digest:
                return info
        return None

    def column_values(self, dataset_id: str, column: str, version: int | None = None) -> list:
        """One metadata column's values at edit `version` (None: latest); 422 when there is no such column."""
        return read_column(self.metadata_path(dataset_id, version), column)

    def neighbor_index(self, dataset_id: str) -> NeighborIndex:
        """The dataset's nearest-neighbour index, opened on first use and kept in an LRU bounded in bytes.

        Indexes are evicted, least recently used first, until what the kept ones hold
        (NeighborIndex.memory_bytes) fits the budget; one larger than the whole budget answers
        the query that opened it and is not kept.
        """
        with self._index_lock:
            index = self._indexes.get(dataset_id)
            if index is not None:
                self._indexes.move_to_end(dataset_id)
                return index
            index = self._open_index(dataset_id)
            self._indexes[dataset_id] = index
            held = sum(i.memory_bytes for i in self._indexes.values())
            while self._indexes and held > self._neighbor_cache_bytes:
                _, dropped = self._indexes.popitem(last=False)
                held -= dropped.memory_bytes
            return index

    def _open_index(self, dataset_id: str) -> NeighborIndex:
        """An index over the dataset's unit.npy, memory-mapped; a dataset made before it had one gets it now.

        The file is added to the (otherwise immutable) folder once, atomically; when the folder
        cannot be written, the index builds its unit rows in memory instead.
        """
        info = self.get(dataset_id)
        vectors = self.vectors(dataset_id)
        folder = self._folder(dataset_id)
        unit = open_unit(folder, info.n, info.dim)
        if unit is None:
            try:
                add_unit(folder, vectors)
            except OSError:
                return NeighborIndex(vectors, scan_threads=self._neighbor_threads)
            unit = open_unit(folder, info.n, info.dim)
        if unit is None:
            return NeighborIndex(vectors, scan_threads=self._neighbor_threads)
        return NeighborIndex(
            vectors, unit=unit[0], norms=unit[1], vectors_file=(folder / VECTORS_FILE, int(vectors.offset)),
            scan_threads=self._neighbor_threads,
        )

    def create(
        self,
        name: str,
        vectors: np.ndarray | RowReader,
        metadata: Metadata | None,
        *,
        source: str = "upload",
        dataset_id: str | None = None,
        metadata_file: str = "metadata",
        sprite: tuple[bytes | Path, SpriteSheet] | None = None,
        origin: str | None = None,
        origin_digest: str | None = None,
        public: bool | None = None,
        given: list[GivenCoords] | None = None,
        coords_only: bool = False,
        bookmarks: tuple[bytes, str] | None = None,
    ) -> DatasetInfo:
        """Write a new dataset folder in one step and describe it; raises InputError on bad shapes.

        `sprite` is the original image file and its checked sheet (parse_sprite), kept as it is.
        `given` are layouts that came with the data (given_coords.py), kept beside the vectors;
        `coords_only` says the vectors are those coordinates (the data had no vectors).
        `bookmarks` is a checked TensorBoard bookmarks file and the id of the collection it becomes
        (tensorboard_collections.attach_config_bookmarks makes it once a server runs).
        """
        given = given or []
        name = validate_name(name)
        n, dim = vectors.shape
        if metadata is not None and metadata.n_rows != n:
            raise InputError(
                f"{metadata_file} has {metadata.n_rows} data rows but the vectors have {n} rows",
                file=metadata_file,
            )
        _check_given(given, n)
        columns = (
            metadata.columns
            if metadata is not None
            else [Column(name="index", type="numeric", values=list(range(n)))]
        )
        # 64 random bits: ids of unlisted (non-public) datasets must not be guessable in practice.
        dataset_id = dataset_id or f"{slugify(name)}-{secrets.token_hex(8)}"
        folder = self._folder(dataset_id)
        if folder.exists():
            raise Conflict(f"a dataset with id {dataset_id!r} already exists")
        self.edits.forget(dataset_id, self.staging)  # a crash's leftover log of a reused id
        with staged_directory(folder, self.staging) as tmp:
            # In blocks: a float32 matrix (or memmap, or RowReader) is written as it is, never copied
            # whole. The neighbour index's unit rows (unit_file.py: so that no server holds a private
            # copy) are written in a second thread: hashing, normalising and the writes release the GIL,
            # and one after the other they took 10.2 s and 6.2 s of a 1M x 768 import.
            with ThreadPoolExecutor(max_workers=1) as pool:
                unit_written = pool.submit(save_unit, tmp / UNIT_FILE, tmp / NORMS_FILE, vectors)
                fingerprint = save_float32(tmp / VECTORS_FILE, vectors)
                unit_written.result()
            info = DatasetInfo(
                id=dataset_id,
                name=name,
                n=n,
                dim=dim,
                columns=[column_info(c) for c in columns],
                source=source,
                created=datetime.now(UTC).isoformat(timespec="milliseconds"),
                fingerprint=fingerprint,
                sprite=None if sprite is None else _sprite_info(dataset_id, sprite[1]),
                origin=origin,
                origin_digest=origin_digest,
                public=public if public is not None else source != "upload",
                given=[GivenLayout(source=g.source, dimensions=g.coords.shape[1]) for g in given],
                coords_only=coords_only,
                bookmarks=None if bookmarks is None else bookmarks[1],
            )
            for index, layout in enumerate(given):
                coords = np.ascontiguousarray(layout.coords, dtype="<f4")
                np.save(tmp / GIVEN_FILE.format(index=index), coords, allow_pickle=False)
            write_metadata_json(tmp / METADATA_FILE, columns)
            if sprite is not None:
                image, sheet = sprite
                target = tmp / FILE_NAMES[sheet.format]
                if isinstance(image, Path):
                    shutil.copyfile(image, target)
                else:
                    target.write_bytes(image)
            if bookmarks is not None:
                (tmp / TENSORBOARD_BOOKMARKS_FILE).write_bytes(bookmarks[0])
            (tmp / INFO_FILE).write_text(info.model_dump_json(indent=1), encoding="utf-8")
        with self._lock:
            self._infos[dataset_id] = info
        return info

    def delete(self, dataset_id: str) -> None:
        """Remove a dataset: renamed out of the listing in one step, then deleted."""
        folder = self._folder(dataset_id)
        if not (folder / INFO_FILE).is_file():
            raise NotFound(f"no dataset {dataset_id!r}")
        self.staging.mkdir(parents=True, exist_ok=True)
        doomed = self.staging / f"deleted-{dataset_id}-{secrets.token_hex(4)}"
        folder.rename(doomed)
        with self._lock:
            self._infos.pop(dataset_id, None)
        with self._index_lock:
            self._indexes.pop(dataset_id, None)
        self.edits.forget(dataset_id, self.staging)
        shutil.rmtree(doomed, ignore_errors=True)
