"""Write a seeded Gaussian mixture (big.npy, and optionally big.tsv, big.parquet, metadata.tsv) block by block.

    python benchmarks/make_big.py --rows 1000000 --dim 768 --clusters 200 --seed 0 --out DIR \
        --formats npy,tsv,parquet,metadata

The generator is tests/datagen.py's write_big, so the tests' small sets are the same mixture.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.datagen import BIG_FORMATS, write_big  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    """Parse the options, write the files, print their sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--formats", default="npy", help=f"comma-separated, of {','.join(BIG_FORMATS)}")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = write_big(args.out, args.rows, args.dim, args.clusters, args.seed, args.formats.split(","))
    for path in paths.values():
        print(f"{path}  {path.stat().st_size / (1 << 20):,.0f} MB")
    print(f"{args.rows:,} × {args.dim} in {args.clusters} clusters, seed {args.seed}: "
          f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
