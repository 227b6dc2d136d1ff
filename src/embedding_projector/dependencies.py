"""Annotated dependency aliases: handlers receive the lifespan's state objects through these."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from embedding_projector.datasets.store import DatasetStore
from embedding_projector.jobs.runner import JobRunner
from embedding_projector.public_mode import JobLimits
from embedding_projector.settings import Settings
from embedding_projector.view_store import ViewStore
from embedding_projector.view_write_limit import ViewWriteLimit


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


def get_dataset_store(request: Request) -> DatasetStore:
    """The app's DatasetStore."""
    return request.app.state.datasets


def get_job_runner(request: Request) -> JobRunner:
    """The app's JobRunner."""
    return request.app.state.jobs


def get_view_store(request: Request) -> ViewStore:
    """The app's ViewStore."""
    return request.app.state.views


def get_job_limits(request: Request) -> JobLimits:
    """The app's per-client job limits."""
    return request.app.state.job_limits


def get_view_write_limit(request: Request) -> ViewWriteLimit:
    """The app's per-client limit on storing views and bookmarks."""
    return request.app.state.view_write_limit


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatasetStoreDep = Annotated[DatasetStore, Depends(get_dataset_store)]
JobRunnerDep = Annotated[JobRunner, Depends(get_job_runner)]
ViewStoreDep = Annotated[ViewStore, Depends(get_view_store)]
JobLimitsDep = Annotated[JobLimits, Depends(get_job_limits)]
ViewWriteLimitDep = Annotated[ViewWriteLimit, Depends(get_view_write_limit)]
