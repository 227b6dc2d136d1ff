"""Analyses over a dataset's k-NN graph: job methods like the projections (Params, run), output as named arrays."""
