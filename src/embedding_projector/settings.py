"""Server settings: one documented table, each field settable as a PROJECTOR_* environment variable."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))


class Settings(BaseSettings):
    """Everything the server can be told; README's settings table is generated from these fields."""

    model_config = SettingsConfigDict(env_prefix="PROJECTOR_", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the server listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port the server listens on; 0 picks a free one.")
    data_dir: Path = Field(
        Path("data"), description="Folder holding datasets, cached projection results and views."
    )
    examples: bool = Field(
        True, description="Import the bundled example datasets (GloVe 10k and 400k, Digits with images) on first start."
    )
    max_upload_bytes: int = Field(
        1024**3,
        ge=1024,
        description="Largest single uploaded file, in bytes; a larger one gets a 413 naming the file.",
    )
    upload_chunk_bytes: int = Field(
        32 << 20,
        ge=1024,
        le=1024**3,
        description="Largest chunk of a resumable upload (/api/uploads), in bytes; the page sends files "
        "larger than this in chunks of this size.",
    )
    max_chunked_upload_bytes: int = Field(
        256 * 1024**3,
        ge=1024,
        description="Largest file a resumable upload may declare, in bytes (it must also fit on the disk).",
    )
    max_open_uploads: int = Field(
        16, ge=1, le=10_000, description="Unfinished resumable uploads kept at once; more get a 429."
    )
    upload_expire_seconds: float = Field(
        24 * 3600.0, gt=0, description="An unfinished resumable upload untouched this long is deleted."
    )
    upload_unstarted_expire_seconds: float = Field(
        600.0, gt=0, description="A resumable upload that has not received a byte is deleted after this long "
        "untouched (a start whose answer was lost); at most upload_expire_seconds.",
    )
    workers: int = Field(
        default_factory=_default_workers,
        ge=1,
        le=64,
        description="Worker processes for projection jobs (also the number of jobs running at once).",
    )
    warmup: bool = Field(
        True,
        description="Compile UMAP's and t-SNE's numba code in each worker at start, off the request path.",
    )
    neighbor_cache: int = Field(
        4 << 30,
        ge=0,
        description="Bytes of nearest-neighbour indexes kept open (each counts its unit-vector file, "
        "4 x rows x dimension bytes, all of which a query reads); the least recently used go first. "
        "It used to be a count of datasets: a small number now keeps none (each query reopens the file).",
    )
    max_sprite_pixels: int = Field(
        8192 * 8192,
        ge=1,
        le=1 << 30,
        description="Largest sprite sheet in pixels (width × height); a larger one gets a 413 naming the file.",
    )
    logdir: Path | None = Field(
        None,
        description="A TensorBoard log folder (projector_config.pbtxt) or a folder holding a projector "
        "config .json: its embeddings are imported at start, once.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database for shared views and bookmarks, e.g. "
        "postgresql+psycopg://user:pass@host/db; default: SQLite in the data folder.",
    )
    queue_url: str | None = Field(
        None,
        description="SQLAlchemy URL of a PostgreSQL database holding a shared job queue, e.g. "
        "postgresql+psycopg://user:pass@host/db: web replicas then run no job themselves and "
        "`embedding-projector worker` services on any machine run them (docs/deploy.md); default: "
        "jobs run in this server's own worker processes.",
    )
    queue_heartbeat_seconds: float = Field(
        10.0, gt=0, le=600, description="How often a queue worker service reports that it is alive."
    )
    queue_stalled_seconds: float = Field(
        30.0, gt=0, le=3600,
        description="A queue worker silent this long is taken for dead: its job is retried once on "
        "another worker, then failed.",
    )
    public_url: str | None = Field(
        None, description="Base of the links the server makes (Share, push), e.g. https://projector.example.org."
    )
    write_token: str | None = Field(
        None,
        description="When set, uploads, deletes, pushes and projections of non-public datasets need "
        "this token (Authorization: Bearer <token>); viewing shared views never does.",
    )
    max_datasets: int = Field(1000, ge=1, description="Most datasets the server holds; more uploads get a 429.")
    max_jobs_per_client: int = Field(
        4, ge=1, le=1000, description="Projection jobs one client may have queued or running at once (429 past it)."
    )
    job_starts_per_minute: int = Field(
        30, ge=1, le=100_000, description="Projection starts one client may make per minute (429 past it)."
    )

    max_json_bytes: int = Field(
        8 * 1024**2,
        ge=1024,
        le=1024**3,
        description="Largest JSON request body, in bytes (enough for a 1M-row `rows` list); a larger one "
        "gets a 413 as it streams in.",
    )
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="An upload or JSON body that sends no byte for this many seconds is dropped, and its "
        "temp files deleted.",
    )
    view_writes_per_minute: int = Field(
        30, ge=1, le=100_000, description="Views and bookmarks one client may store per minute (429 past it)."
    )
    max_live_states: int = Field(
        10_000, ge=1, le=10_000_000,
        description="Live page states (a notebook's page reporting back) kept at once; the oldest go first.",
    )
    view_storage_bytes: int = Field(
        1024**3,
        ge=1024,
        description="Total bytes of stored views and bookmarks; past it, new ones get a 507.",
    )
    max_job_seconds: float = Field(
        900.0,
        gt=0,
        description="Longest a projection job of a client without the write token may run before it is "
        "stopped (failed: over the time limit); the token holder is uncapped.",
    )
    max_tsne_iterations: int = Field(
        2000, ge=50, le=10_000, description="Most t-SNE iterations a client without the write token may ask for."
    )
    max_tsne_perplexity: float = Field(
        100.0, gt=0, le=1000, description="Largest t-SNE perplexity a client without the write token may ask for."
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated proxy addresses (or CIDR networks) whose X-Forwarded-For is believed "
        "for per-client limits; default none: the connecting address is the client.",
    )
    frame_ancestors: str = Field(
        "'self'",
        description="The Content-Security-Policy frame-ancestors value: who may embed the page in a frame.",
    )
    exit_with_parent: bool = Field(
        False,
        description="Stop the server when the process that started it ends (set by `ep.show()`'s local server).",
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("write_token")
    @classmethod
    def _strong_token(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("must be at least 16 characters (python -c 'import secrets; print(secrets.token_urlsafe())')")
        return value or None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"{part.strip()!r} is not an IP address or CIDR network") from None
        return value

    @field_validator("logdir", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("logdir")
    @classmethod
    def _existing_folder(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        value = value.expanduser().resolve()
        if not value.is_dir():
            raise ValueError(f"{value} is not a folder")
        return value
