"""Write a matrix as a float32 .npy in blocks of rows, hashing the bytes as they go: never a full copy."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

_BLOCK_BYTES = 8 << 20


def save_float32(path: Path, matrix: np.ndarray) -> str:
    """Write `matrix` (any real 2-D array, a memmap too) to `path` as C-order '<f4' .npy; its blake2b-128 hex.

    The digest is that of the C-order float32 bytes, as hashlib.blake2b(matrix.data) of a contiguous copy.
    """
    n, dim = matrix.shape
    header = np.lib.format.header_data_from_array_1_0(np.empty((0, dim), dtype="<f4"))
    header["shape"] = (n, dim)
    digest = hashlib.blake2b(digest_size=16)
    step = max(1, _BLOCK_BYTES // (4 * max(dim, 1)))
    with path.open("wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        for start in range(0, n, step):
            # A no-op for rows of a float32 C-contiguous matrix; otherwise one block's copy.
            block = np.ascontiguousarray(matrix[start : start + step], dtype="<f4")
            digest.update(block.data)
            fh.write(block.data)
    return digest.hexdigest()
