"""Imports: projector configs, log folders and loose files -> datasets, written through DatasetStore.

Each dataset records where it came from (`origin`) and a hash of the files' bytes (`origin_digest`),
so importing the same unchanged files again (a restart of `serve --logdir`) finds the dataset
instead of adding a copy.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from embedding_projector.datasets.configs import (
    PBTXT_NAME,
    EmbeddingSpec,
    find_configs,
    read_config,
    resolve_path,
)
from embedding_projector.datasets.given_coords import assemble
from embedding_projector.datasets.matrix_file import RowReader
from embedding_projector.datasets.parse_metadata import Metadata, parse_metadata
from embedding_projector.datasets.parse_sprite import check_cell_size, parse_sprite, parse_sprite_dim
from embedding_projector.datasets.parse_vectors import parse_data_file, parse_vectors_and_metadata
from embedding_projector.datasets.store import DatasetStore
from embedding_projector.datasets.tensorboard_bookmarks import parse_states
from embedding_projector.errors import InputError, ProjectorError
from embedding_projector.schemas import DatasetInfo

log = logging.getLogger(__name__)

FULL_HASH_BYTES = 64 << 20  # files_digest hashes files up to this size whole
SAMPLES = 16
SAMPLE_BYTES = 1 << 20


@dataclass(frozen=True)
class Imported:
    """One dataset an import produced, or found already imported from the same files."""

    info: DatasetInfo
    existed: bool


def display_name(raw: str) -> str:
    """A dataset name from a tensor or run name: path characters replaced, cut to the name limit."""
    name = re.sub(r"\s*[/\\]+\s*", " › ", raw)
    name = re.sub(r"[\x00-\x1f\x7f]+", " ", name)
    name = re.sub(r"\.{2,}", ".", name).strip().lstrip(". ")
    return name[:100].strip() or "embedding"


def files_digest(*parts: Path | str | None, whole: bool = False) -> str:
    """A hash of these files' bytes and strings, so that an unchanged re-import is recognised.

    A file over FULL_HASH_BYTES is hashed by its size, modification time and SAMPLES slices spread
    over it (unless `whole`): hashing all of a 3 GB file took 4.6 s of a 44 s import, and a file that
    size is not rewritten at the same size within one timestamp tick.
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, Path):
            with part.open("rb") as fh:
                stat = os.fstat(fh.fileno())
                if whole or stat.st_size <= FULL_HASH_BYTES:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
                else:
                    digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
                    for index in range(SAMPLES):
                        fh.seek(max(0, stat.st_size - SAMPLE_BYTES) * index // (SAMPLES - 1))
                        digest.update(fh.read(SAMPLE_BYTES))
        else:
            digest.update(repr(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def _imported_before(store: DatasetStore, origin: str, digest: str, *parts: Path | str | None) -> DatasetInfo | None:
    """The dataset imported from these unchanged files (`digest`: files_digest of `parts`), if any.

    A dataset imported before big files were sampled carries the whole files' digest: when one from
    the same origin exists and the sampled digest finds none, the whole digest is tried too, so a
    restart of `serve --logdir` after an upgrade does not import its big embeddings again.
    """
    found = store.find_origin(origin, digest)
    big = any(isinstance(p, Path) and p.stat().st_size > FULL_HASH_BYTES for p in parts)
    if found is None and big and any(store.get(d.id).origin == origin for d in store.list()):
        found = store.find_origin(origin, files_digest(*parts, whole=True))
    return found


def _field(config: Path, snake: str) -> str:
    """A field's name as the config spells it (camelCase in JSON)."""
    if config.suffix.lower() != ".json":
        return snake
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), snake)


def _read_bytes(path: Path, written: str, shape: tuple[int, ...] | None, config: Path) -> np.ndarray:
    """A .bytes tensor (raw little-endian float32, as projector.tensorflow.org serves them)."""
    if not shape or len(shape) != 2:
        raise InputError(
            f"{config.name}: {written} holds raw float32 bytes, which needs "
            f"{_field(config, 'tensor_shape')} [rows, dimensions]",
            file=config.name,
        )
    n, dim = shape
    size = path.stat().st_size
    if n * dim == 0 or size != n * dim * 4:
        raise InputError(
            f"{written} is {size} bytes, but {_field(config, 'tensor_shape')} {list(shape)} "
            f"needs {n * dim * 4} (4 bytes per float32)",
            file=written,
        )
    matrix = np.fromfile(path, dtype="<f4").reshape(n, dim).astype(np.float32)
    finite = np.isfinite(matrix)
    if not finite.all():
        row, col = (int(v) for v in np.argwhere(~finite)[0])
        raise InputError(
            f"{written} row {row + 1}, value {col + 1} is not finite",
            file=written,
            line=row + 1,
            column=col + 1,
        )
    return matrix


def _import_one(
    store: DatasetStore, config: Path, spec: EmbeddingSpec, label: str, max_sprite_pixels: int
) -> Imported:
    """Resolve, check and import one embedding, unless these very files were imported before."""
    if not spec.tensor_path:
        raise InputError(
            f"{config.name}: embedding {spec.tensor_name!r} comes from a TensorFlow checkpoint, which "
            f"this tool does not read; export it to TSV or .npy ({_field(config, 'tensor_path')})",
            file=config.name,
        )
    tensor = resolve_path(config, spec.tensor_path, _field(config, "tensor_path"))
    meta_file = sprite_file = None
    if spec.metadata_path:
        meta_file = resolve_path(config, spec.metadata_path, _field(config, "metadata_path"))
    if spec.sprite_path:
        sprite_file = resolve_path(config, spec.sprite_path, "sprite." + _field(config, "image_path"))
    bookmarks_file = None
    if spec.bookmarks_path:
        bookmarks_file = resolve_path(config, spec.bookmarks_path, _field(config, "bookmarks_path"))
    cell = None
    if sprite_file is not None:
        dim_field = "sprite." + _field(config, "single_image_dim")
        if not spec.sprite_dim:
            raise InputError(f"{config.name}: {dim_field} is missing for the sprite", file=config.name)
        cell = check_cell_size(list(spec.sprite_dim), f"{config.name}: {dim_field}", file=config.name)

    origin = f"config:{config.resolve()}#{spec.tensor_name or spec.tensor_path}"
    parts = (repr(spec), label, tensor, meta_file, sprite_file, bookmarks_file)
    digest = files_digest(*parts)
    existing = _imported_before(store, origin, digest, *parts)
    if existing is not None:
        return Imported(existing, existed=True)

    if tensor.suffix.lower() == ".bytes":
        vectors, metadata = _read_bytes(tensor, spec.tensor_path, spec.tensor_shape, config), None
    else:
        vectors, metadata = parse_vectors_and_metadata(tensor, spec.tensor_path)
    n, dim = vectors.shape
    if spec.tensor_shape and tuple(spec.tensor_shape) != (n, dim):
        raise InputError(
            f"{config.name}: embedding {spec.tensor_name!r} has {_field(config, 'tensor_shape')} "
            f"{list(spec.tensor_shape)}, but {spec.tensor_path} holds {n}×{dim}",
            file=config.name,
        )
    given: list = []
    if meta_file is not None and spec.metadata_path:
        metadata = parse_metadata(meta_file, spec.metadata_path, expected_rows=n)
        given = assemble(vectors, metadata, spec.metadata_path).given  # x, y (z) columns
    sprite = None
    if sprite_file is not None and cell is not None and spec.sprite_path:
        sheet = parse_sprite(sprite_file, spec.sprite_path, rows=n, cell=cell, max_pixels=max_sprite_pixels)
        sprite = (sprite_file, sheet)
    bookmarks = None
    if bookmarks_file is not None and spec.bookmarks_path:
        data = bookmarks_file.read_bytes()
        parse_states(data, n, spec.bookmarks_path)  # a bad file is refused with the rest, by name
        # The collection's id is fixed now (unguessable, as the server's own ids); a server makes it.
        bookmarks = (data, secrets.token_urlsafe(16))
    info = store.create(
        label,
        vectors,
        metadata,
        source="import",
        metadata_file=spec.metadata_path or spec.tensor_path,
        sprite=sprite,
        origin=origin,
        origin_digest=digest,
        given=given,
        bookmarks=bookmarks,
    )
    return Imported(info, existed=False)


def import_config(
    store: DatasetStore,
    config: Path,
    *,
    max_sprite_pixels: int,
    name: str | None = None,
    run: str | None = None,
) -> tuple[list[Imported], list[ProjectorError]]:
    """Import each embedding of one config; a bad embedding is reported and the others still imported."""
    specs = read_config(config)
    if not specs:
        raise InputError(f"{config.name} lists no embeddings", file=config.name)
    results: list[Imported] = []
    errors: list[ProjectorError] = []
    for spec in specs:
        tensor = spec.tensor_name or PurePosixPath(spec.tensor_path or "embedding").stem
        label = display_name(tensor if run is None else f"{tensor} ({run})")
        if name:
            label = name if len(specs) == 1 else display_name(f"{name} ({tensor})")
        try:
            results.append(_import_one(store, config, spec, label, max_sprite_pixels))
        except ProjectorError as exc:
            errors.append(exc)
        except OSError as exc:
            errors.append(InputError(f"{config.name}: embedding {tensor!r}: {exc}", file=config.name))
    return results, errors


def import_folder(
    store: DatasetStore, logdir: Path, *, max_sprite_pixels: int, name: str | None = None
) -> tuple[list[Imported], list[ProjectorError]]:
    """Import every config found under a log folder; configs in subfolders are named after the run."""
    logdir = logdir.resolve()
    configs = find_configs(logdir)
    if not configs:
        raise InputError(
            f"{logdir} holds no {PBTXT_NAME} and no projector config .json", file=logdir.name
        )
    results: list[Imported] = []
    errors: list[ProjectorError] = []
    for config in configs:
        rel = config.parent.relative_to(logdir).as_posix()
        try:
            done, failed = import_config(
                store, config, max_sprite_pixels=max_sprite_pixels, name=name,
                run=None if rel == "." else rel,
            )
        except ProjectorError as exc:
            errors.append(exc)
            continue
        results += done
        errors += failed
    return results, errors


def import_logdir(store: DatasetStore, logdir: Path, max_sprite_pixels: int = 8192 * 8192) -> list[Imported]:
    """serve --logdir: import what is new under `logdir`, logging problems instead of raising them."""
    try:
        results, errors = import_folder(store, logdir, max_sprite_pixels=max_sprite_pixels)
    except ProjectorError as exc:
        log.warning("--logdir: %s", exc.message)
        return []
    for item in results:
        verb = "already imported" if item.existed else "imported"
        info = item.info
        log.info("--logdir: %s %s (%s, %d×%d)", verb, info.id, info.name, info.n, info.dim)
    for error in errors:
        log.warning("--logdir: not imported: %s", error.message)
    return results


def import_files(
    store: DatasetStore,
    vectors: Path,
    *,
    metadata: Path | None = None,
    sprite: Path | None = None,
    sprite_dim: str | None = None,
    name: str | None = None,
    max_sprite_pixels: int = 8192 * 8192,
    coords: list[str] | None = None,
    vector: str | None = None,
) -> Imported:
    """Import a vectors file (.tsv, .npy, .npz, .parquet) with an optional metadata file and sprite sheet.

    `vector` names the Parquet column or .npz array holding the vectors (--vector).

    Columns x, y (z), or the 2 or 3 columns `coords` names (--coords), become a given layout. A
    Parquet file without vectors, or a metadata .tsv given as `vectors`, is coordinates only.
    """
    for path in (vectors, metadata, sprite):
        if path is not None and not path.is_file():
            problem = "is not a file" if path.exists() else "does not exist"
            raise InputError(f"{path} {problem}", file=path.name)
    cell = parse_sprite_dim(sprite_dim, "--sprite-dim") if sprite is not None else None
    label = name or vectors.stem
    origin = f"file:{vectors.resolve()}"
    parts = (label, vectors, metadata, sprite, repr(cell), repr(coords), *([vector] if vector else []))
    digest = files_digest(*parts)
    existing = _imported_before(store, origin, digest, *parts)
    if existing is not None:
        return Imported(existing, existed=True)
    matrix, meta, coords_file = _read_data(vectors, metadata, vector)
    if metadata is not None:
        if meta is not None:
            raise InputError(
                f"{metadata.name}: {vectors.name} already carries metadata columns; "
                "leave out the metadata file",
                file=metadata.name,
            )
        rows = None if matrix is None else matrix.shape[0]
        meta = parse_metadata(metadata, metadata.name, expected_rows=rows)
    from_tsv = coords_file.lower().endswith((".tsv", ".txt", ".csv")) or metadata is not None
    data = assemble(
        matrix, meta, coords_file, coords, first_line=2 if from_tsv else 1, row_word="line" if from_tsv else "row"
    )
    sheet = None
    if sprite is not None and cell is not None:
        sheet = parse_sprite(
            sprite, sprite.name, rows=data.vectors.shape[0], cell=cell, max_pixels=max_sprite_pixels
        )
    info = store.create(
        label,
        data.vectors,
        meta,
        source="import",
        metadata_file=metadata.name if metadata is not None else vectors.name,
        sprite=None if sheet is None or sprite is None else (sprite, sheet),
        origin=origin,
        origin_digest=digest,
        given=data.given,
        coords_only=data.coords_only,
    )
    return Imported(info, existed=False)


def _read_data(
    vectors: Path, metadata: Path | None, vector: str | None = None
) -> tuple[np.ndarray | RowReader | None, Metadata | None, str]:
    """(vectors or None, metadata or None, the file the coordinates come from) of import_files' inputs.

    A .tsv with a header of names (a metadata file: coordinates only) is told from a vectors .tsv
    by its first line: vectors are numbers only. A .csv is always metadata.
    """
    suffix = vectors.suffix.lower()
    if metadata is None and vector is None and (
        suffix == ".csv" or suffix in (".tsv", ".txt") and _has_name_header(vectors)
    ):
        return None, parse_metadata(vectors, vectors.name), vectors.name
    # in_file: a float32 .npy is read by row slices from its file, never loaded whole.
    matrix, meta = parse_data_file(vectors, vectors.name, vector=vector, in_file=True)
    return matrix, meta, metadata.name if metadata is not None else vectors.name


def _has_name_header(path: Path) -> bool:
    """Whether a TSV's first line holds a TAB-separated field that is not a number (a header row)."""
    with path.open("rb") as fh:
        first = fh.readline(1 << 16).decode("utf-8-sig", "replace").rstrip("\r\n")
    if "\t" not in first:
        return False
    for field in first.split("\t"):
        try:
            float(field)
        except ValueError:
            return True
    return False
