"""Annotated dependency aliases: handlers receive the lifespan's state objects through these."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from embedding_projector.datasets.store import DatasetStore
from embedding_projector.jobs.runner import JobRunner
from embedding_projector.settings import Settings


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


def get_dataset_store(request: Request) -> DatasetStore:
    """The app's DatasetStore."""
    return request.app.state.datasets


def get_job_runner(request: Request) -> JobRunner:
    """The app's JobRunner."""
    return request.app.state.jobs


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatasetStoreDep = Annotated[DatasetStore, Depends(get_dataset_store)]
JobRunnerDep = Annotated[JobRunner, Depends(get_job_runner)]
