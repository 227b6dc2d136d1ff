"""The embedding-projector command: serve (the default)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import ValidationError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="embedding-projector", description="Explore embeddings in the browser."
    )
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="start the web server (the default command)")
    serve.add_argument("--host", help="address to listen on [PROJECTOR_HOST, default 127.0.0.1]")
    serve.add_argument("--port", type=int, help="port to listen on [PROJECTOR_PORT, default 8000]")
    serve.add_argument("--data-dir", type=Path, help="data folder [PROJECTOR_DATA_DIR, default ./data]")
    serve.add_argument("--workers", type=int, help="projection worker processes [PROJECTOR_WORKERS]")
    serve.add_argument(
        "--no-examples",
        action="store_true",
        help="do not import the bundled example datasets [PROJECTOR_EXAMPLES=false]",
    )
    return parser


def serve(args: argparse.Namespace) -> int:
    """Build settings from the environment plus the given options and run uvicorn."""
    import uvicorn

    from embedding_projector.app import create_app
    from embedding_projector.settings import Settings

    overrides = {
        key: value
        for key, value in {
            "host": args.host,
            "port": args.port,
            "data_dir": args.data_dir,
            "workers": args.workers,
        }.items()
        if value is not None
    }
    if args.no_examples:
        overrides["examples"] = False
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            print(f"embedding-projector: {field}: {err['msg']}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    print(f"Embedding Projector on http://{settings.host}:{settings.port}/  (data: {settings.data_dir})")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the embedding-projector console script."""
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or words[0] not in _COMMANDS and words[0] not in ("-h", "--help"):
        words = ["serve", *words]
    args = _parser().parse_args(words)
    return _COMMANDS[args.command](args)


_COMMANDS = {"serve": serve}
