"""The Python API: `ep.show(vectors, metadata)` uploads to a (local) server and returns a Projector handle."""
