"""Projections (PCA, t-SNE, UMAP, custom axes) and their shared parts; methods.py is the registry of
every job method. Importing one module here imports no other method (the registry is not loaded).
"""
