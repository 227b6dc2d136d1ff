"""job_key: the cache key and job id, a hash of every input that decides a projection's result."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from embedding_projector import __version__

# Bump when a projection's output changes for the same inputs, so old cached results are not reused.
RESULT_FORMAT = 1


def job_key(
    dataset: str,
    fingerprint: str,
    method: str,
    params: dict[str, Any],
    rows: list[int] | None,
    sphereize: bool = False,
    edit_version: int | None = None,
    inputs: dict[str, Any] | None = None,
) -> str:
    """The cache key and job id: a hash of every input that decides the result.

    `edit_version` is the metadata version a job reads a column at; None (no column read) leaves
    the key as it was before edits existed, so older cached results stay valid. `inputs` are a
    method's extra inputs (`extra_inputs` hook); entries named `*_path` say where files live and stay
    out of the key.
    """
    material: dict[str, Any] = {
        "format": RESULT_FORMAT,
        "version": __version__,
        "dataset": dataset,
        "fingerprint": fingerprint,
        "method": method,
        "params": params,
        "rows": rows,
        "sphereize": sphereize,
    }
    if edit_version is not None:
        material["edit_version"] = edit_version
    if inputs:
        material["inputs"] = {name: value for name, value in inputs.items() if not name.endswith("_path")}
    text = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
