"""ViewStore: shared views and bookmarks in SQL (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from embedding_projector.errors import NotFound

_metadata = sa.MetaData()

views = sa.Table(
    "views",
    _metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("dataset", sa.String(128), nullable=False, index=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)

collections = sa.Table(
    "bookmark_collections",
    _metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
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
)


def new_id() -> str:
    """An unguessable id: 128 bits from `secrets`, URL-safe."""
    return secrets.token_urlsafe(16)


def default_database_url(data_dir: Path) -> str:
    """SQLite in the data folder."""
    return f"sqlite:///{data_dir / 'views.sqlite3'}"


class ViewStore:
    """Views (one saved page state each) and bookmark collections (named states, shared by link)."""

    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            # Several server processes may share one file: wait for a lock rather than fail.
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        self.engine = sa.create_engine(url, **kwargs)
        _metadata.create_all(self.engine)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def create_view(self, dataset: str, state: dict[str, Any]) -> str:
        """Store a view and return its new id."""
        view_id = new_id()
        with self.engine.begin() as conn:
            conn.execute(
                views.insert().values(
                    id=view_id, dataset=dataset, state=json.dumps(state), created=datetime.now(UTC)
                )
            )
        return view_id

    def get_view(self, view_id: str) -> dict[str, Any]:
        """A stored view's state, or NotFound."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(views.c.state).where(views.c.id == view_id)).first()
        if row is None:
            raise NotFound(f"no view {view_id!r}")
        return json.loads(row.state)

    def add_bookmark(self, collection: str | None, dataset: str, name: str, state: dict[str, Any]) -> dict[str, Any]:
        """Add a named state to a collection (a new collection when `collection` is None)."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            if collection is None:
                # Only the server names collections, so their ids stay unguessable.
                collection = new_id()
                conn.execute(collections.insert().values(id=collection, created=now))
            elif not self._collection_exists(conn, collection):
                raise NotFound(f"no bookmark collection {collection!r}")
            bookmark = {"id": new_id(), "collection": collection, "dataset": dataset, "name": name,
                        "created": now}
            conn.execute(bookmarks.insert().values(**bookmark, state=json.dumps(state)))
        return {**bookmark, "created": bookmark["created"].isoformat(), "state": state}

    def list_bookmarks(self, collection: str) -> list[dict[str, Any]]:
        """A collection's bookmarks, oldest first, or NotFound for an unknown collection."""
        query = sa.select(bookmarks).where(bookmarks.c.collection == collection).order_by(
            bookmarks.c.created, bookmarks.c.id
        )
        with self.engine.connect() as conn:
            if not self._collection_exists(conn, collection):
                raise NotFound(f"no bookmark collection {collection!r}")
            rows = conn.execute(query).mappings().all()
        return [
            {**{k: r[k] for k in ("id", "collection", "dataset", "name")},
             "created": r["created"].isoformat(), "state": json.loads(r["state"])}
            for r in rows
        ]

    @staticmethod
    def _collection_exists(conn: sa.Connection, collection: str) -> bool:
        found = conn.execute(sa.select(collections.c.id).where(collections.c.id == collection)).first()
        return found is not None

    def delete_bookmark(self, collection: str, bookmark_id: str) -> None:
        """Remove one bookmark of a collection, or NotFound."""
        with self.engine.begin() as conn:
            result = conn.execute(
                bookmarks.delete().where(
                    (bookmarks.c.collection == collection) & (bookmarks.c.id == bookmark_id)
                )
            )
        if result.rowcount == 0:
            raise NotFound(f"no bookmark {bookmark_id!r} in that collection")
