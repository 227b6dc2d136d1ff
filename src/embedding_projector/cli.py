"""The embedding-projector command: serve (the default), import, push, and PATH... (open files)."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from embedding_projector.settings import Settings

if TYPE_CHECKING:
    from embedding_projector.datasets.importer import Imported
    from embedding_projector.errors import ProjectorError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="embedding-projector", description="Explore embeddings in the browser."
    )
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="start the web server (the default command)")
    serve.add_argument("--host", help="address to listen on [PROJECTOR_HOST, default 127.0.0.1]")
    serve.add_argument("-p", "--port", type=int, help="port to listen on, 0 for a free one [PROJECTOR_PORT, default 8000]")
    serve.add_argument("--data-dir", type=Path, help="data folder [PROJECTOR_DATA_DIR, default ./data]")
    serve.add_argument("--workers", type=int, help="projection worker processes [PROJECTOR_WORKERS]")
    serve.add_argument(
        "--no-examples",
        action="store_true",
        help="do not import the bundled example datasets [PROJECTOR_EXAMPLES=false]",
    )
    serve.add_argument(
        "--logdir",
        type=Path,
        help="import the embeddings of this TensorBoard log folder (projector_config.pbtxt) or folder "
        "holding a projector config .json at start, once [PROJECTOR_LOGDIR]",
    )
    imp = sub.add_parser(
        "import",
        help="import datasets into the data folder",
        description="Import a TensorBoard log folder, a projector config .json, a .parquet file, "
        "or a vectors .tsv/.npy file (with --metadata, --sprite and --sprite-dim) as datasets. "
        "Coordinate columns (x, y, z or --coords) become a given layout; a file of coordinates and "
        "metadata without vectors (a metadata .tsv or a Parquet file) imports too.",
    )
    imp.add_argument("path", type=Path, help="log folder, config .json, .parquet, .tsv or .npy")
    imp.add_argument("--data-dir", type=Path, help="data folder [PROJECTOR_DATA_DIR, default ./data]")
    imp.add_argument("--name", help="dataset name (default: the tensor name or the file name)")
    imp.add_argument("--metadata", type=Path, help="metadata .tsv or .csv for a vectors file")
    imp.add_argument("--vector", help="the Parquet column or .npz array that holds the vectors")
    imp.add_argument("--sprite", type=Path, help="sprite sheet (PNG or JPEG) for a vectors file")
    imp.add_argument("--sprite-dim", help="one sprite image's size in pixels: 28 or 28,28")
    imp.add_argument(
        "--coords",
        help="2 or 3 numeric columns that hold precomputed coordinates, shown as the 'Given' layout, "
        "such as umap_x,umap_y (default: columns x, y and z when there are)",
    )
    worker = sub.add_parser(
        "worker",
        help="run projection jobs from the shared queue (PROJECTOR_QUEUE_URL) for every web replica",
        description="Take jobs from the PostgreSQL job queue named by PROJECTOR_QUEUE_URL and run them in "
        "child processes, writing results to the shared data folder (docs/deploy.md).",
    )
    worker.add_argument("--concurrency", type=int, help="jobs run at once [PROJECTOR_WORKERS]")
    worker.add_argument("--data-dir", type=Path, help="the shared data folder [PROJECTOR_DATA_DIR, default ./data]")
    push = sub.add_parser("push", help="upload vectors (and metadata) to a server and print the link")
    push.add_argument("vectors", type=Path, help="vectors.tsv, .npy or .parquet")
    push.add_argument("metadata", type=Path, nargs="?", help="metadata.tsv")
    push.add_argument("--to", required=True, help="the server's base URL, e.g. https://projector.example.org")
    push.add_argument("--token", help="the server's write token [PROJECTOR_TOKEN]")
    push.add_argument("--name", help="dataset name (default: the vectors file's name)")
    push.add_argument("--public", action="store_true", help="list it to everyone on that server")
    return parser


# Files the open form takes without a command word: `embedding-projector data.parquet`.
DATA_SUFFIXES = (".tsv", ".txt", ".csv", ".npy", ".npz", ".parquet", ".pq", ".json", ".pbtxt")
_VALUE_OPTIONS = ("-p", "--port", "--host", "--data-dir", "--workers", "--metadata", "--sprite",
                  "--sprite-dim", "--vector", "--name", "--logdir")


def _open_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="embedding-projector",
        description="Import files as `import` does, serve them, and print each dataset's address.",
    )
    parser.add_argument("paths", type=Path, nargs="+", metavar="PATH",
                        help="vectors .tsv/.npy/.npz/.parquet, a config .json/.pbtxt or a log folder")
    parser.add_argument("--metadata", type=Path, help="metadata .tsv or .csv for a single vectors file")
    parser.add_argument("--sprite", type=Path, help="sprite sheet (PNG or JPEG) for a single vectors file")
    parser.add_argument("--sprite-dim", help="one sprite image's size in pixels: 28 or 28,28")
    parser.add_argument("--vector", help="the Parquet column or .npz array that holds the vectors")
    parser.add_argument("--name", help="dataset name (default: the file name)")
    parser.add_argument("--open", action="store_true", help="open the first dataset in the browser")
    parser.add_argument("--host", help="address to listen on [PROJECTOR_HOST, default 127.0.0.1]")
    parser.add_argument("-p", "--port", type=int, help="port to listen on, 0 for a free one [default 8000]")
    parser.add_argument("--data-dir", type=Path,
                        help="data folder [PROJECTOR_DATA_DIR, default: the per-user data folder]")
    parser.add_argument("--workers", type=int, help="projection worker processes [PROJECTOR_WORKERS]")
    return parser


def _first_positional(words: list[str]) -> str | None:
    """The first word that is not an option or an option's value."""
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in _VALUE_OPTIONS:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def _is_open_form(words: list[str]) -> bool:
    """Whether the words are PATH... (an existing path, or a name ending like a data file)."""
    first = _first_positional(words)
    if first is None or first in _COMMANDS:
        return False
    return Path(first).expanduser().exists() or first.lower().endswith(DATA_SUFFIXES)


def _settings(**overrides: object) -> Settings | None:
    """Settings from the environment plus options; None after printing what is wrong."""
    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            print(f"embedding-projector: {field}: {err['msg']}", file=sys.stderr)
        return None


def serve(args: argparse.Namespace) -> int:
    """Build settings from the environment plus the given options and run uvicorn."""
    settings = _settings(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        workers=args.workers,
        logdir=args.logdir,
        examples=False if args.no_examples else None,
    )
    if settings is None:
        return 2
    return _run_server(settings)


def _run_server(settings: Settings, dataset_ids: Sequence[str] = (), open_browser: bool = False) -> int:
    """Listen, print the address (and each dataset's), and serve until stopped."""
    import uvicorn

    from embedding_projector.app import begin_shutdown, create_app
    from embedding_projector.browser_launch import OpenOnStartServer
    from embedding_projector.uvicorn_server import STOP_GRACE_SECONDS, QuickStopServer

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    try:
        sock = listening_socket(settings.host, settings.port)
    except OSError as exc:
        print(f"embedding-projector: cannot listen on {settings.host}:{settings.port}: {exc.strerror}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    base = base_url(settings.host, port)
    # The first line of output, flushed: a caller that passed --port 0 reads the port from it.
    print(f"Embedding Projector on {base}  (data: {settings.data_dir})", flush=True)
    links = [f"{base}?dataset={dataset_id}" for dataset_id in dataset_ids]
    for link in links:
        print(link, flush=True)
    app = create_app(settings.model_copy(update={"port": port}))
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=STOP_GRACE_SECONDS,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1; public_mode.client_id believes it
        # only from PROJECTOR_TRUSTED_PROXIES.
        proxy_headers=False,
    )
    if open_browser and links:
        server: QuickStopServer = OpenOnStartServer(config, on_exit=lambda: begin_shutdown(app), url=links[0])
    else:
        server = QuickStopServer(config, on_exit=lambda: begin_shutdown(app))
    server.run(sockets=[sock])
    return 0


LISTEN_BACKLOG = 2048  # uvicorn's default backlog


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (port 0: a free one the system picks) and listening, ready for uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets whose proto says TCP, and
    # without it every small response on a kept-alive connection waited ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening now, not once uvicorn has run the app's startup: the address is printed first,
        # and a caller that connects in between would be refused (a CI run's ep.show was).
        # Connections wait in the backlog until uvicorn accepts them.
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def base_url(host: str, port: int) -> str:
    """http://host:port/ for an address to listen on, with an IPv6 host in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def import_command(args: argparse.Namespace) -> int:
    """Import PATH into the data folder; one line per dataset, one line per problem."""
    settings = _settings(data_dir=args.data_dir)
    if settings is None:
        return 2
    outcome = import_paths(settings, [args.path], args)
    if isinstance(outcome, int):
        return outcome
    results, errors = outcome
    for item in results:
        info = item.info
        note = "  (already imported)" if item.existed else ""
        print(f"{info.id}\t{info.name}\t{info.n}×{info.dim}{note}")
    _report(errors)
    return 1 if errors else 0


def open_command(args: argparse.Namespace) -> int:
    """Import each PATH (as `import` does), then serve them and print each dataset's address."""
    from embedding_projector.data_home import user_data_dir

    data_dir = args.data_dir
    if data_dir is None and "PROJECTOR_DATA_DIR" not in os.environ:
        data_dir = user_data_dir()
    settings = _settings(host=args.host, port=args.port, data_dir=data_dir, workers=args.workers,
                         examples=False, logdir=None)
    if settings is None:
        return 2
    outcome = import_paths(settings, args.paths, args)
    if isinstance(outcome, int):
        return outcome
    results, errors = outcome
    if errors:
        _report(errors)
        return 1
    ids = list(dict.fromkeys(item.info.id for item in results))
    return _run_server(settings, ids, open_browser=args.open)


def import_paths(
    settings: Settings, paths: list[Path], args: argparse.Namespace
) -> tuple[list[Imported], list[ProjectorError]] | int:
    """Import each path (a log folder, a config, or a vectors file with args' --metadata, --sprite,
    --sprite-dim, --coords, --vector, --name) and compute each one's first view: (imported, errors), or 2
    after a usage message."""
    from embedding_projector.datasets.given_coords import parse_coords_option
    from embedding_projector.datasets.importer import import_config, import_files, import_folder
    from embedding_projector.datasets.store import DatasetStore
    from embedding_projector.errors import InputError, ProjectorError

    paths = [path.expanduser() for path in paths]
    options = ("metadata", "sprite", "sprite_dim", "coords", "vector")
    loose = any(getattr(args, o, None) is not None for o in options)
    is_config = [path.is_dir() or path.suffix.lower() in (".json", ".pbtxt") for path in paths]
    if loose and (len(paths) > 1 or any(is_config)):
        print("embedding-projector: --metadata, --sprite, --sprite-dim, --coords and --vector go with a "
              "single vectors file, not several files, a log folder or config", file=sys.stderr)
        return 2
    if getattr(args, "sprite_dim", None) is not None and args.sprite is None:
        print("embedding-projector: --sprite-dim needs --sprite", file=sys.stderr)
        return 2
    # Not the only process writing: a running server may be importing uploads next to us.
    store = DatasetStore(settings.data_dir / "datasets", clean_staging=False)
    limit = settings.max_sprite_pixels
    results: list[Imported] = []
    errors: list[ProjectorError] = []
    for path, config in zip(paths, is_config, strict=True):
        try:
            if path.is_dir():
                done, failed = import_folder(store, path, max_sprite_pixels=limit, name=args.name)
            elif config:
                if not path.is_file():
                    raise InputError(f"{path} does not exist", file=path.name)
                done, failed = import_config(store, path, max_sprite_pixels=limit, name=args.name)
            else:
                coords = getattr(args, "coords", None)
                done, failed = [import_files(
                    store, path, metadata=args.metadata, sprite=args.sprite, sprite_dim=args.sprite_dim,
                    name=args.name, max_sprite_pixels=limit,
                    coords=parse_coords_option(coords) if coords is not None else None,
                    vector=args.vector,
                )], []
        except ProjectorError as exc:
            done, failed = [], [exc]
        except OSError as exc:
            failed_path = exc.filename or path
            done, failed = [], [ProjectorError(f"{failed_path}: {exc.strerror or 'cannot be read'}",
                                               file=Path(str(failed_path)).name)]
        results += done
        errors += failed
    # The page's first view (PCA of all rows) is computed now, not when the page first asks for it.
    from embedding_projector.jobs.first_view import precompute_first_view

    for info in {item.info.id: item.info for item in results}.values():
        precompute_first_view(store, settings.data_dir / "results", info)
    return results, errors


def _report(errors: list[ProjectorError]) -> None:
    """One stderr line per problem, naming its file."""
    for error in errors:
        message = _one_line(error.message)
        if error.file and error.file not in message:
            message = f"{error.file}: {message}"
        print(f"embedding-projector: {message}", file=sys.stderr)


def push_command(args: argparse.Namespace) -> int:
    """Upload files to a server; print the dataset's link, or one line saying what went wrong."""
    import os

    from embedding_projector.push import PushError, push

    token = args.token or os.environ.get("PROJECTOR_TOKEN")
    try:
        link = push(args.vectors, args.metadata, args.to, token, name=args.name, public=args.public)
    except PushError as exc:
        print(f"embedding-projector push: {exc}", file=sys.stderr)
        return 1
    print(link)
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    """Entry point of the embedding-projector console script."""
    words = list(sys.argv[1:] if argv is None else argv)
    if _is_open_form(words):
        return open_command(_open_parser().parse_intermixed_args(words))
    if not words or words[0] not in _COMMANDS and words[0] not in ("-h", "--help"):
        words = ["serve", *words]
    args = _parser().parse_args(words)
    return _COMMANDS[args.command](args)


def worker_command(args: argparse.Namespace) -> int:
    """Run a queue worker service until stopped."""
    settings = _settings(data_dir=args.data_dir, workers=args.concurrency)
    if settings is None:
        return 2
    if not settings.queue_url:
        print("embedding-projector worker: set PROJECTOR_QUEUE_URL to the job queue's PostgreSQL URL", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from embedding_projector.jobs.queue_worker import QueueWorker

    print(f"embedding-projector worker: {settings.workers} at once, data folder {settings.data_dir}", flush=True)
    return QueueWorker(settings, settings.workers).run()


_COMMANDS = {"serve": serve, "import": import_command, "push": push_command, "worker": worker_command}


def run() -> None:
    """The console script: main(), then exit with its status."""
    status = main()
    if sys.argv[1:2] in (["import"], ["push"]) or _is_open_form(sys.argv[1:]):
        # One-shot commands end without interpreter teardown: Arrow's native thread pools can abort
        # a process at exit (apache/arrow#34314), which turned a clean status into SIGABRT (-6).
        # The open form reads files in this process too; its server has shut down by now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
