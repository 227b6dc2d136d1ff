"""ViewStore: shared views and bookmarks in SQL (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from embedding_projector.errors import InsufficientStorage, NotFound, TooLarge

log = logging.getLogger(__name__)

_metadata = sa.MetaData()

views = sa.Table(
    "views",
    _metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("dataset", sa.String(128), nullable=False, index=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=True),  # bytes of the state, for the storage budget
)

collections = sa.Table(
    "bookmark_collections",
    _metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    # SHA-256 of the edit key; NULL for collections made before edit keys (writable with the token).
    sa.Column("edit_key_hash", sa.String(64), nullable=True),
)

bookmarks = sa.Table(
    "bookmarks",
    _metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("collection", sa.String(64), nullable=False, index=True),
    sa.Column("dataset", sa.String(128), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=True),  # bytes of the name and state
)

# One row: the bytes of all stored views and bookmarks. Each write changes it in the write's own
# transaction, with the budget check in the same UPDATE, so the total holds exactly however many
# server processes share the database, without summing every row at each write.
storage = sa.Table(
    "view_storage",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("bytes", sa.BigInteger, nullable=False),
)

# What a notebook's page reports back (POST/PUT/GET /api/live): one row per open page, its latest
# view state (NULL until the page first writes), rewritten in place, never counted in the budget:
# the number of rows is bounded instead (the oldest touched go first).
live_states = sa.Table(
    "live_states",
    _metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("dataset", sa.String(128), nullable=False),
    sa.Column("state", sa.Text, nullable=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=True),
    sa.Column("writes", sa.Integer, nullable=False),
    # updated, else created: what "oldest" means when the bound drops rows.
    sa.Column("touched", sa.DateTime(timezone=True), nullable=False, index=True),
)

MAX_LIVE_STATES = 10_000
# A 1M-row selection and isolate by alias is ~16 MB of JSON; the request body limit binds first.
MAX_LIVE_STATE_BYTES = 32 << 20

# Columns added since the first release: (table, column, DDL type, how to fill old rows).
_ADDED_COLUMNS = (
    (views, "size", "BIGINT", "length(state)"),
    (bookmarks, "size", "BIGINT", "length(state) + length(name)"),
    (collections, "edit_key_hash", "VARCHAR(64)", None),
)


def new_id() -> str:
    """An unguessable id: 128 bits from `secrets`, URL-safe."""
    return secrets.token_urlsafe(16)


def new_edit_key() -> str:
    """A collection's edit key: 192 bits from `secrets`, URL-safe."""
    return secrets.token_urlsafe(24)


def key_hash(key: str) -> str:
    """The stored form of an edit key (a random key needs no slow hash)."""
    return hashlib.sha256(key.encode()).hexdigest()


def default_database_url(data_dir: Path) -> str:
    """SQLite in the data folder."""
    return f"sqlite:///{data_dir / 'views.sqlite3'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL: readers never wait for the writer, and a commit is one append. FULL syncs the WAL at each
    # commit: a link the server has answered must survive a power cut too, not only a killed process;
    # view writes are rare and rate-limited, so the fsync costs nothing that matters.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _migrate(engine: sa.Engine) -> None:
    """Add the columns older databases lack; their rows stay readable."""
    for table, column, ddl_type, fill in _ADDED_COLUMNS:
        if column in {c["name"] for c in sa.inspect(engine).get_columns(table.name)}:
            continue
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {column} {ddl_type}"))
                if fill:
                    conn.execute(sa.text(f"UPDATE {table.name} SET {column} = {fill} WHERE {column} IS NULL"))
        except sa.exc.DBAPIError:
            # Another server process on the same database may have added it first.
            if column not in {c["name"] for c in sa.inspect(engine).get_columns(table.name)}:
                raise
        log.info("added column %s.%s", table.name, column)


def _count_storage(engine: sa.Engine) -> None:
    """Start the stored-bytes total from the rows already there (once per database)."""
    with engine.connect() as conn:
        if conn.execute(sa.select(storage.c.bytes)).first() is not None:
            return
    try:
        with engine.begin() as conn:
            total = sa.func.coalesce(sa.select(sa.func.sum(views.c.size)).scalar_subquery(), 0) + sa.func.coalesce(
                sa.select(sa.func.sum(bookmarks.c.size)).scalar_subquery(), 0
            )
            conn.execute(storage.insert().from_select(["id", "bytes"], sa.select(sa.literal(1), total)))
    except sa.exc.IntegrityError:
        pass  # another server process counted first


class ViewStore:
    """Views (one saved page state each) and bookmark collections (named states, shared by link)."""

    def __init__(self, url: str, storage_bytes: int = 1024**3, max_live_states: int = MAX_LIVE_STATES) -> None:
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            # Several server processes may share one file: wait for a lock rather than fail.
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        self.engine = sa.create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        _metadata.create_all(self.engine)
        _migrate(self.engine)
        _count_storage(self.engine)
        self.storage_bytes = storage_bytes
        self.max_live_states = max_live_states

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def _claim(self, conn: sa.Connection, size: int, what: str) -> None:
        """Count `size` more bytes in this transaction, or InsufficientStorage past the budget."""
        fits = storage.c.bytes + size <= self.storage_bytes
        claimed = conn.execute(storage.update().where(fits).values(bytes=storage.c.bytes + size)).rowcount
        if claimed == 0:
            used = int(conn.execute(sa.select(storage.c.bytes)).scalar_one())
            raise InsufficientStorage(
                f"storage budget used up: {what} of {size:,} bytes does not fit in the "
                f"{self.storage_bytes:,} bytes this server keeps for views and bookmarks "
                f"({max(0, self.storage_bytes - used):,} left)"
            )

    def create_view(self, dataset: str, state_json: str) -> str:
        """Store a view (its state as JSON text) and return its new id; 507 past the budget."""
        view_id = new_id()
        size = len(state_json.encode())
        with self.engine.begin() as conn:
            self._claim(conn, size, "a view")
            conn.execute(
                views.insert().values(
                    id=view_id, dataset=dataset, state=state_json, created=datetime.now(UTC), size=size
                )
            )
        return view_id

    def view_state_json(self, view_id: str) -> str:
        """A stored view's state as JSON text, or NotFound."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(views.c.state).where(views.c.id == view_id)).first()
        if row is None:
            raise NotFound(f"no view {view_id!r}")
        return row.state

    def has_view(self, view_id: str) -> bool:
        """Whether a view with this id exists (without reading its state)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(views.c.id).where(views.c.id == view_id)).first() is not None

    def add_bookmark(
        self, collection: str | None, dataset: str, name: str, state_json: str
    ) -> tuple[dict[str, Any], str | None]:
        """Add a named state to a collection (a new one when `collection` is None).

        Answers the bookmark (its state as JSON text) and, for a new collection, its edit key: the
        only time the key exists outside the caller, as only its hash is stored.
        """
        now = datetime.now(UTC)
        size = len(state_json.encode()) + len(name.encode())
        edit_key = None
        with self.engine.begin() as conn:
            # The write comes first: a SQLite transaction that read first may not be let write.
            self._claim(conn, size, "a bookmark")
            if collection is None:
                # Only the server names collections, so their ids stay unguessable.
                collection, edit_key = new_id(), new_edit_key()
                conn.execute(collections.insert().values(id=collection, created=now, edit_key_hash=key_hash(edit_key)))
            else:
                self._edit_key_hash(conn, collection)  # NotFound for an unknown collection
            bookmark = {"id": new_id(), "collection": collection, "dataset": dataset, "name": name, "created": now}
            conn.execute(bookmarks.insert().values(**bookmark, state=state_json, size=size))
        return {**bookmark, "created": now.isoformat(), "state": state_json}, edit_key

    def add_collection(
        self, dataset: str, items: list[tuple[str, str]], collection: str | None = None
    ) -> tuple[list[dict[str, Any]], str, str | None]:
        """A new collection holding `items` ((name, state JSON) pairs, in order), in one transaction.

        Answers the bookmarks, the collection's id and its edit key (see add_bookmark); 507 when the
        whole set does not fit in the budget, and then nothing is stored. A `collection` id given by
        the server itself (a config's bookmarks) gets no edit key: only the write token changes it.
        """
        now = datetime.now(UTC)
        size = sum(len(state.encode()) + len(name.encode()) for name, state in items)
        edit_key = None if collection is not None else new_edit_key()
        collection = collection or new_id()
        saved = []
        with self.engine.begin() as conn:
            self._claim(conn, size, f"a collection of {len(items)} bookmarks")
            conn.execute(collections.insert().values(
                id=collection, created=now, edit_key_hash=None if edit_key is None else key_hash(edit_key)
            ))
            for name, state_json in items:
                # Microsecond steps keep the file's order under "oldest first".
                created = now + timedelta(microseconds=len(saved))
                bookmark = {"id": new_id(), "collection": collection, "dataset": dataset, "name": name, "created": created}
                conn.execute(bookmarks.insert().values(
                    **bookmark, state=state_json, size=len(state_json.encode()) + len(name.encode())
                ))
                saved.append({**bookmark, "created": created.isoformat(), "state": state_json})
        return saved, collection, edit_key

    def has_collection(self, collection: str) -> bool:
        """Whether a bookmark collection with this id exists."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(collections.c.id).where(collections.c.id == collection)).first() is not None

    def list_bookmarks(self, collection: str) -> list[dict[str, Any]]:
        """A collection's bookmarks, oldest first (states as JSON text), or NotFound."""
        query = sa.select(bookmarks).where(bookmarks.c.collection == collection).order_by(
            bookmarks.c.created, bookmarks.c.id
        )
        with self.engine.connect() as conn:
            self._edit_key_hash(conn, collection)
            rows = conn.execute(query).mappings().all()
        return [
            {**{k: r[k] for k in ("id", "collection", "dataset", "name", "state")}, "created": r["created"].isoformat()}
            for r in rows
        ]

    def edit_key_matches(self, collection: str, edit_key: str | None) -> bool:
        """Whether `edit_key` is the collection's (never for None, nor for collections made before
        edit keys); NotFound for an unknown collection."""
        with self.engine.connect() as conn:
            stored = self._edit_key_hash(conn, collection)
        if edit_key is None or stored is None:
            return False
        return hmac.compare_digest(key_hash(edit_key), stored)

    @staticmethod
    def _edit_key_hash(conn: sa.Connection, collection: str) -> str | None:
        found = conn.execute(
            sa.select(collections.c.edit_key_hash).where(collections.c.id == collection)
        ).first()
        if found is None:
            raise NotFound(f"no bookmark collection {collection!r}")
        return found.edit_key_hash

    def delete_bookmark(self, collection: str, bookmark_id: str) -> None:
        """Remove one bookmark of a collection (its bytes leave the budget), or NotFound."""
        where = (bookmarks.c.collection == collection) & (bookmarks.c.id == bookmark_id)
        with self.engine.begin() as conn:
            deleted = conn.execute(sa.delete(bookmarks).where(where).returning(bookmarks.c.size)).first()
            if deleted is None:
                raise NotFound(f"no bookmark {bookmark_id!r} in that collection")
            if deleted.size:
                conn.execute(storage.update().values(bytes=storage.c.bytes - deleted.size))

    def create_live_state(self, dataset: str) -> str:
        """A new live state of `dataset` (no view yet) and its id; drops the oldest past the bound."""
        live_id = new_id()
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(live_states.insert().values(
                id=live_id, dataset=dataset, state=None, created=now, updated=None, writes=0, touched=now
            ))
            # Everything past the newest `max_live_states` (by last touch) goes, this one never.
            keep = sa.select(live_states.c.id).order_by(live_states.c.touched.desc(), live_states.c.id).limit(
                self.max_live_states
            )
            conn.execute(sa.delete(live_states).where(
                live_states.c.id.not_in(sa.select(keep.subquery().c.id)),
                live_states.c.id != live_id,
            ))
        return live_id

    def live_state_dataset(self, live_id: str) -> str:
        """The dataset a live state belongs to, or NotFound."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(live_states.c.dataset).where(live_states.c.id == live_id)).first()
        if row is None:
            raise NotFound(f"no live state {live_id!r}")
        return row.dataset

    def put_live_state(self, live_id: str, state_json: str) -> None:
        """Replace a live state's view (JSON text) and count the write; NotFound, or TooLarge past the bound."""
        size = len(state_json.encode())
        if size > MAX_LIVE_STATE_BYTES:
            raise TooLarge(f"a live state of {size:,} bytes is over the limit of {MAX_LIVE_STATE_BYTES:,} bytes")
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            changed = conn.execute(live_states.update().where(live_states.c.id == live_id).values(
                state=state_json, updated=now, touched=now, writes=live_states.c.writes + 1
            )).rowcount
        if changed == 0:
            raise NotFound(f"no live state {live_id!r}")

    def live_state(self, live_id: str) -> dict[str, Any]:
        """A live state: its view (JSON text or None), when it was last written (ISO or None), and the
        number of writes; or NotFound."""
        query = sa.select(live_states.c.state, live_states.c.updated, live_states.c.writes).where(
            live_states.c.id == live_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"no live state {live_id!r}")
        return {
            "state": row.state,
            "updated": None if row.updated is None else row.updated.isoformat(),
            "writes": int(row.writes),
        }
