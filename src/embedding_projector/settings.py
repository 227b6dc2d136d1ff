"""Server settings: one documented table, each field settable as a PROJECTOR_* environment variable."""

from __future__ import annotations

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
    port: int = Field(8000, ge=1, le=65535, description="Port the server listens on.")
    data_dir: Path = Field(
        Path("data"), description="Folder holding datasets, cached projection results and views."
    )
    examples: bool = Field(
        True, description="Import the bundled example datasets (GloVe 10k and 400k) on first start."
    )
    max_upload_bytes: int = Field(
        1024**3,
        ge=1024,
        description="Largest single uploaded file, in bytes; a larger one gets a 413 naming the file.",
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
        4, ge=1, le=64, description="Datasets whose nearest-neighbour index is kept in memory."
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()
