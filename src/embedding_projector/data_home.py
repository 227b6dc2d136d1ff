"""The per-user data folder that `embedding-projector PATH` and `ep.show()` use without --data-dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "embedding-projector"


def user_data_dir() -> Path:
    """PROJECTOR_DATA_DIR when set, else the platform's per-user data folder (created)."""
    configured = os.environ.get("PROJECTOR_DATA_DIR")
    path = Path(configured).expanduser() if configured else platformdirs.user_data_path(APP_NAME, appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
    return path
