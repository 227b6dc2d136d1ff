"""Write a TensorBoard projector log folder from GloVe and serve it: `serve --logdir FOLDER`.

    python examples/tensorboard_logdir.py [FOLDER] [--rows 20000] [-p 0] [--host H] [--data-dir D]

FOLDER (default: a new temporary folder) gets what TensorBoard's projector plugin reads:
projector_config.pbtxt, vectors.tsv (one vector a line, tab-separated) and metadata.tsv (a header
line, then one line per vector). Without --data-dir the server keeps its datasets in the per-user
data folder, as `embedding-projector PATH` and `ep.show()` do; serving the same unchanged folder
again finds the dataset it imported the first time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from glove_words import load_glove

CONFIG = """embeddings {{
  tensor_name: "GloVe 6B 50d ({rows} words)"
  tensor_path: "vectors.tsv"
  metadata_path: "metadata.tsv"
}}
"""


def write_logdir(folder: Path, rows: int) -> None:
    """projector_config.pbtxt, vectors.tsv and metadata.tsv (word, rank) of GloVe's first `rows` words."""
    import numpy as np

    vectors, words = load_glove(rows)
    folder.mkdir(parents=True, exist_ok=True)
    np.savetxt(folder / "vectors.tsv", vectors, fmt="%.9g", delimiter="\t")  # %.9g: float32 exactly
    lines = ["word\trank", *(f"{word}\t{rank}" for rank, word in enumerate(words, start=1))]
    (folder / "metadata.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "projector_config.pbtxt").write_text(CONFIG.format(rows=rows), encoding="utf-8")


def main() -> None:
    """Write the log folder, then become `embedding-projector serve --logdir FOLDER ...`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", help="the log folder to write (default: a new temporary one)")
    parser.add_argument("--rows", type=int, default=20_000, help="how many of GloVe's most frequent words (default 20000)")
    parser.add_argument("-p", "--port", help="passed to serve: the port, 0 for a free one")
    parser.add_argument("--host", help="passed to serve: the address to listen on")
    parser.add_argument("--data-dir", help="passed to serve: the data folder (default: the per-user one)")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="glove-logdir-"))
    write_logdir(folder, args.rows)
    print(f"wrote {folder}/projector_config.pbtxt, vectors.tsv, metadata.tsv", flush=True)

    data_dir = args.data_dir
    if data_dir is None and "PROJECTOR_DATA_DIR" not in os.environ:
        from embedding_projector.data_home import user_data_dir

        data_dir = str(user_data_dir())
    command = [sys.executable, "-m", "embedding_projector", "serve", "--logdir", str(folder), "--no-examples"]
    for option, value in (("--port", args.port), ("--host", args.host), ("--data-dir", data_dir)):
        if value is not None:
            command += [option, value]
    # The same as running `embedding-projector serve ...` in this process: Ctrl-C stops the server.
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main()
