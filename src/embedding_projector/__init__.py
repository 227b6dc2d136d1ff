"""Embedding Projector: explore embeddings with server-side projections."""

__version__ = "0.1.0"
