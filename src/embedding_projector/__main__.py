"""python -m embedding_projector."""

from embedding_projector.cli import run

run()
