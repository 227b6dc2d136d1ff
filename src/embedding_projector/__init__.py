"""Embedding Projector: explore embeddings with server-side projections."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# Loaded on first use, so `serve` and the workers never import the client code.
_LAZY = {
    "show": "embedding_projector.python_api.projector",
    "Projector": "embedding_projector.python_api.projector",
    "stop": "embedding_projector.python_api.local_server",
}
__all__ = ["Projector", "__version__", "show", "stop"]


def __getattr__(name: str) -> Any:
    """`ep.show`, `ep.stop`, `ep.Projector`: imported when first asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'embedding_projector' has no attribute {name!r}")
