"""Write GloVe as one Parquet file (a vector column and metadata columns) and open it with one command.

    python examples/parquet_one_command.py [FILE] [--rows 20000] [--open] [-p 0] [--host H] [--data-dir D]

FILE (default: glove.parquet in a new temporary folder) gets an `embedding` column of
list<float32> and the columns `word` and `rank`; then this becomes

    embedding-projector FILE --vector embedding [--open] [-p 0]

which imports the file into the per-user data folder (reusing the dataset when the file is
unchanged), serves it and prints the dataset's address.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from glove_words import load_glove

VECTOR_COLUMN = "embedding"


def write_parquet(path: Path, rows: int) -> None:
    """GloVe's first `rows` words: `embedding` (list<float32>), `word` (text) and `rank` (a number)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    vectors, words = load_glove(rows)
    dim = vectors.shape[1]
    # A list column built from the flat matrix and its offsets: no Python list per row.
    embedding = pa.ListArray.from_arrays(pa.array(np.arange(0, (rows + 1) * dim, dim, dtype=np.int32)),
                                         pa.array(vectors.reshape(-1)))
    table = pa.table({VECTOR_COLUMN: embedding, "word": words, "rank": np.arange(1, rows + 1)})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def main() -> None:
    """Write the Parquet file, then become `embedding-projector FILE --vector embedding ...`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, nargs="?", help="the .parquet file to write (default: a temporary one)")
    parser.add_argument("--rows", type=int, default=20_000, help="how many of GloVe's most frequent words (default 20000)")
    parser.add_argument("--open", action="store_true", help="passed on: open the dataset in the browser")
    parser.add_argument("-p", "--port", help="passed on: the port, 0 for a free one")
    parser.add_argument("--host", help="passed on: the address to listen on")
    parser.add_argument("--data-dir", help="passed on: the data folder (default: the per-user one)")
    args = parser.parse_args()
    path = args.file or Path(tempfile.mkdtemp(prefix="glove-parquet-")) / "glove.parquet"
    write_parquet(path, args.rows)
    print(f"wrote {path}", flush=True)

    command = [sys.executable, "-m", "embedding_projector", str(path), "--vector", VECTOR_COLUMN]
    for option, value in (("--port", args.port), ("--host", args.host), ("--data-dir", args.data_dir)):
        if value is not None:
            command += [option, value]
    if args.open:
        command.append("--open")
    # The same as running `embedding-projector FILE ...` in this process: Ctrl-C stops the server.
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main()
