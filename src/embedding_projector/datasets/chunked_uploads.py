"""Resumable uploads: a file too big for one request arrives in checked chunks and is assembled on disk.

Each upload is two files in its folder: `<id>.part` (the bytes so far) and `<id>.json` (name, declared
size, how many bytes are accepted, and the client's key). A chunk is written at the accepted length;
only once it is complete and its digest matches does the record move on, so an interrupted or refused
chunk leaves nothing behind: the next chunk starts by cutting the part back to the accepted length. A
complete upload is taken whole, by one rename, when a dataset names it, and given back if that form is
refused. A start sent again with the same key (its answer was lost) gets the same upload, and one that
never received a byte expires after minutes, not hours.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePath

from embedding_projector.atomic_files import atomic_write_bytes
from embedding_projector.errors import Conflict, InputError, NotFound, TooLarge, TooManyRequests

_ID = re.compile(r"[A-Za-z0-9_-]{20,64}")
# Room kept free on the disk beside what an upload declares (the dataset is written from it later).
DISK_MARGIN_BYTES = 256 << 20
MAX_FILENAME_CHARS = 255


@dataclass(frozen=True)
class UploadStatus:
    """What the client needs to go on: the declared size and the bytes accepted so far."""

    id: str
    filename: str
    size: int
    received: int
    touched: float
    key: str | None = None

    def public(self) -> dict[str, object]:
        """The status as the API answers it."""
        return {"id": self.id, "filename": self.filename, "size": self.size, "received": self.received}


class ChunkedUploads:
    """The unfinished uploads of one server, in one folder; thread-safe, one chunk per upload at a time."""

    def __init__(self, folder: Path, *, max_bytes: int, max_open: int, expire_seconds: float,
                 unstarted_expire_seconds: float | None = None) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.max_open = max_open
        self.expire_seconds = expire_seconds
        self.unstarted_expire_seconds = min(expire_seconds, unstarted_expire_seconds or expire_seconds)
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        folder.mkdir(parents=True, exist_ok=True)

    def _paths(self, upload_id: str) -> tuple[Path, Path]:
        if not _ID.fullmatch(upload_id):
            raise NotFound(f"no upload {upload_id[:80]!r}")
        return self.folder / f"{upload_id}.part", self.folder / f"{upload_id}.json"

    def _read(self, upload_id: str) -> UploadStatus:
        part, record = self._paths(upload_id)
        try:
            fields = json.loads(record.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFound(f"no upload {upload_id!r} (unknown, finished or expired)") from None
        return UploadStatus(**fields)

    def _write(self, status: UploadStatus) -> None:
        atomic_write_bytes(self._paths(status.id)[1], json.dumps(asdict(status)).encode())

    def start(self, filename: str, size: int, key: str | None = None) -> tuple[UploadStatus, bool]:
        """Open an upload of `size` bytes named `filename`: (status, whether it is new); 413/429 when it cannot.

        With a `key` the client chose, an open upload of the same key, name and size is answered again
        instead: the client sent the start twice because the first answer never reached it.
        """
        name = PurePath(filename.replace("\\", "/")).name[:MAX_FILENAME_CHARS]
        if not name or name in (".", ".."):
            raise InputError("an upload needs a file name", file="filename")
        if size < 1:
            raise InputError(f"{name}: an upload's size must be at least 1 byte, not {size}", file=name)
        if size > self.max_bytes:
            raise TooLarge(f"{name} is {size} bytes, over the chunked upload limit of {self.max_bytes} bytes",
                           file=name)
        with self._lock:
            self._expire()
            again = self._keyed(key, name, size) if key is not None else None
            if again is not None:
                return again, False
            if sum(1 for _ in self.folder.glob("*.json")) >= self.max_open:
                raise TooManyRequests(f"the server already has {self.max_open} unfinished uploads; "
                                      "finish or delete one, or try again later")
            free = shutil.disk_usage(self.folder).free
            if size + DISK_MARGIN_BYTES > free:
                # 413, not 507: the client asks for more than this server can take; it is not failing.
                raise TooLarge(f"{name} is {size} bytes, more than the server's disk has free ({free} bytes)",
                               file=name)
            status = UploadStatus(id=secrets.token_urlsafe(24), filename=name, size=size, received=0,
                                  touched=time.time(), key=key)
            part, _ = self._paths(status.id)
            part.touch(exist_ok=False)
            self._write(status)
            return status, True

    def _keyed(self, key: str, filename: str, size: int) -> UploadStatus | None:
        """The open upload started with `key` (touched again), or None; 409 when it names another file."""
        for record in self.folder.glob("*.json"):
            try:
                status = self._read(record.stem)
            except (NotFound, OSError, ValueError, TypeError):
                continue
            if status.key != key:
                continue
            if (status.filename, status.size) != (filename, size):
                raise Conflict(f"{filename}: the upload key was used for {status.filename} "
                               f"({status.size} bytes); choose a new key for another file", file=filename)
            touched = replace(status, touched=time.time())
            self._write(touched)
            return touched
        return None

    def status(self, upload_id: str) -> UploadStatus:
        """An upload's status; 404 when unknown."""
        return self._read(upload_id)

    def begin_chunk(self, upload_id: str, offset: int, length: int | None) -> UploadStatus:
        """Reserve the upload for one chunk at `offset` (it must be the accepted length); 409 otherwise."""
        with self._lock:
            status = self._read(upload_id)
            if upload_id in self._busy:
                raise Conflict(f"{status.filename}: another chunk of this upload is being written")
            if offset != status.received:
                raise Conflict(f"{status.filename}: the next chunk starts at byte {status.received}, not {offset}",
                               file=status.filename)
            if length is not None and offset + length > status.size:
                raise InputError(f"{status.filename}: a chunk of {length} bytes at {offset} goes past the "
                                 f"declared size of {status.size} bytes", file=status.filename)
            self._busy.add(upload_id)
            # A chunk that began is a sign of life: a slow first chunk must not leave its upload to the
            # short expiry of one that never received a byte, if it drops.
            status = replace(status, touched=time.time())
            self._write(status)
            return status

    def open_part(self, status: UploadStatus):  # noqa: ANN201 - a binary file object
        """The part file, cut back to the accepted bytes and positioned after them, for writing a chunk."""
        part, _ = self._paths(status.id)
        handle = part.open("r+b")
        handle.truncate(status.received)
        handle.seek(status.received)
        return handle

    def finish_chunk(self, status: UploadStatus, written: int, digest: str, expected: str | None) -> UploadStatus:
        """Accept a fully received chunk when its SHA-256 matches; otherwise cut it off (400)."""
        part, _ = self._paths(status.id)
        try:
            if expected is not None and digest != expected.strip().lower():
                with part.open("r+b") as handle:
                    handle.truncate(status.received)
                raise InputError(f"{status.filename}: the chunk at byte {status.received} has SHA-256 {digest}, "
                                 f"not {expected.strip()[:64]} as sent; it was not kept", file=status.filename)
            with self._lock:
                done = replace(status, received=status.received + written, touched=time.time())
                self._write(done)
                return done
        finally:
            self.release(status.id)

    def release(self, upload_id: str) -> None:
        """End a chunk's reservation (also when it failed: the next one cuts the part back)."""
        with self._lock:
            self._busy.discard(upload_id)

    def take(self, upload_id: str, into: Path) -> tuple[Path, str]:
        """Move a complete upload's bytes to a new file in `into` and forget it: (path, file name)."""
        with self._lock:
            status = self._read(upload_id)
            if upload_id in self._busy or status.received != status.size:
                raise Conflict(f"{status.filename}: the upload has {status.received} of its {status.size} bytes; "
                               "send the rest before making a dataset of it", file=status.filename)
            part, record = self._paths(upload_id)
            into.mkdir(parents=True, exist_ok=True)
            target = into / f"upload-{secrets.token_hex(8)}"
            os.replace(part, target)
            record.unlink(missing_ok=True)
            return target, status.filename

    def give_back(self, upload_id: str, path: Path, filename: str) -> None:
        """Put a taken upload's bytes (`path`, in the same file system) back, complete, under its id.

        A form that was refused leaves its uploads for the next try, so a 3 GB file is not sent again
        because its metadata had a wrong row count. (A crash between the two steps leaves a part
        without a record, which _expire removes.)
        """
        with self._lock:
            part, _ = self._paths(upload_id)
            size = path.stat().st_size
            os.replace(path, part)
            self._write(UploadStatus(id=upload_id, filename=filename, size=size, received=size, touched=time.time()))

    def delete(self, upload_id: str) -> None:
        """Abandon an upload; 404 when unknown."""
        with self._lock:
            self._read(upload_id)
            for path in self._paths(upload_id):
                path.unlink(missing_ok=True)
            self._busy.discard(upload_id)

    def _expire(self) -> None:
        """Drop uploads untouched for `expire_seconds` (`unstarted_expire_seconds` while they have no byte),
        and parts whose record is gone (a crash's)."""
        now = time.time()
        for record in self.folder.glob("*.json"):
            try:
                fields = json.loads(record.read_text(encoding="utf-8"))
                touched, received = float(fields["touched"]), int(fields["received"])
            except (OSError, ValueError, KeyError, TypeError):
                touched, received = 0.0, 0
            limit = self.expire_seconds if received > 0 else self.unstarted_expire_seconds
            if now - touched > limit and record.stem not in self._busy:
                record.unlink(missing_ok=True)
                (self.folder / f"{record.stem}.part").unlink(missing_ok=True)
        for part in self.folder.glob("*.part"):
            if not (self.folder / f"{part.stem}.json").exists():
                part.unlink(missing_ok=True)


def sha256_hex(data: bytes | memoryview) -> str:
    """The SHA-256 of some bytes, as hex."""
    return hashlib.sha256(data).hexdigest()
