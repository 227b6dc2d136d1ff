"""show() and the Projector handle: the uploaded dataset, its page, server-side projections and neighbours."""

from __future__ import annotations

import html
import json
import os
import webbrowser
from typing import Any
from urllib.parse import quote

import numpy as np

from embedding_projector.python_api.http_client import Client, ProjectorError
from embedding_projector.python_api.inputs import coerce_metadata, coerce_vectors
from embedding_projector.python_api.local_server import local_server
from embedding_projector.python_api.transfer import send_dataset

FRAME_HEIGHT_PX = 600


class Projector:
    """A dataset on a projector server: `url` to share, an inline page in Jupyter, results as numpy arrays."""

    def __init__(self, client: Client, dataset: str, n: int, dim: int, projection: str | None = None,
                 job: str | None = None, live: str | None = None) -> None:
        self._client = client
        self.dataset = dataset
        self.n = n
        self.dim = dim
        self._projection = projection
        self._job = job
        self._live = live

    @property
    def url(self) -> str:
        """The shareable link to the dataset (and the projection it opens on)."""
        url = f"{self._client.base}/?dataset={quote(self.dataset)}"
        if self._projection:
            url += f"&projection={quote(self._projection)}"
            if self._job:
                url += f"&job={quote(self._job)}"
        return url

    @property
    def frame_url(self) -> str:
        """The page this handle frames: `url`, plus the live id the page reports its state to (when the server has one)."""
        return f"{self.url}&live={quote(self._live)}" if self._live else self.url

    def __repr__(self) -> str:
        return f"<Projector {self.n}x{self.dim} at {self.url}>"

    def _repr_html_(self) -> str:
        src = html.escape(self.frame_url, quote=True)
        return (f'<iframe src="{src}" width="100%" height="{FRAME_HEIGHT_PX}" style="border:none;width:100%" '
                f'title="Embedding Projector" allow="clipboard-write"></iframe>')

    def open(self) -> bool:
        """Open the page in the browser."""
        return webbrowser.open(self.frame_url)

    def project(self, method: str = "pca", *, rows: Any = None, progress: bool = True, **params: Any) -> np.ndarray:
        """Run a projection on the server (with a tqdm bar) and return its (n, dims) float32 coordinates."""
        body: dict[str, Any] = {"method": method, "params": params}
        if rows is not None:
            body["rows"] = [int(r) for r in np.asarray(rows).reshape(-1)]
        started = self._client.request("POST", f"/api/datasets/{quote(self.dataset)}/projections", json=body,
                                       expect=(200, 201, 202)).json()
        status = self._follow(started, progress)
        if status["status"] != "done":
            raise ProjectorError(f"the {method} projection {status['status']}: {status.get('error') or 'no reason given'}")
        response = self._client.request("GET", f"/api/projections/{status['id']}/coords")
        shape = tuple(int(s) for s in response.headers["X-Shape"].split(","))
        return np.frombuffer(response.content, dtype="<f4").reshape(shape).copy()

    def _follow(self, status: dict[str, Any], progress: bool) -> dict[str, Any]:
        """Follow a job's event stream to its final status, moving a tqdm bar with its progress."""
        if status["status"] not in ("queued", "running"):
            return status
        try:
            import ipywidgets  # noqa: F401 - tqdm.auto's notebook bar needs it, and warns in the cell without
            from tqdm.auto import tqdm
        except ImportError:
            from tqdm import tqdm

        bar = tqdm(total=1.0, desc=status["method"], disable=not progress,
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}")
        try:
            with self._client.http.stream("GET", f"/api/projections/{status['id']}/events", timeout=None) as events:
                if events.status_code != 200:
                    events.read()
                    raise ProjectorError(self._client.refusal(events, "the job's events"))
                for line in events.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    status = json.loads(line[5:])
                    done = 1.0 if status["status"] == "done" else float(status.get("progress") or 0.0)
                    bar.update(max(0.0, done - bar.n))  # update(), not refresh(): tqdm throttles the redraws
                    if status["status"] not in ("queued", "running"):
                        break
        finally:
            bar.close()
        return status

    def neighbors(self, row_or_vector: Any, k: int = 10, metric: str = "cosine") -> tuple[np.ndarray, np.ndarray]:
        """The k nearest rows to a row (itself excluded) or to a vector: (rows, distances), nearest first."""
        path = f"/api/datasets/{quote(self.dataset)}/neighbors"
        if isinstance(row_or_vector, (int, np.integer)):
            answer = self._client.request("GET", path, params={"row": int(row_or_vector), "k": k, "metric": metric})
        else:
            vector = coerce_vectors(np.asarray(row_or_vector, dtype=np.float64).reshape(1, -1))[0]
            answer = self._client.request("POST", path, json={"vector": vector.tolist(), "k": k, "metric": metric})
        found = answer.json()["neighbors"]
        rows = np.array([f["row"] for f in found], dtype=np.int64)
        return rows, np.array([f["distance"] for f in found], dtype=np.float64)

    def view(self) -> dict[str, Any] | None:
        """The page's current view state (as the page last reported it), or None before it did."""
        if self._live is None:
            raise ProjectorError(f"{self._client.base} has no page-state endpoint (/api/live): the page cannot "
                                 "report its selection or view to Python on this server")
        return self._client.request("GET", f"/api/live/{quote(self._live)}").json().get("view")

    def metadata(self, version: int | None = None) -> Any:
        """The metadata as a pandas DataFrame, with the tags and edits made in the page (`version`: an
        edit version, 0 as uploaded; default the latest, as `view()["editVersion"]` may name)."""
        import pandas as pd

        params = {} if version is None else {"version": int(version)}
        answer = self._client.request("GET", f"/api/datasets/{quote(self.dataset)}/metadata", params=params)
        return pd.DataFrame({c["name"]: c["values"] for c in answer.json()["columns"]})

    @property
    def selection(self) -> np.ndarray:
        """The row indices selected in the page (empty before it reported)."""
        view = self.view()
        return np.array((view or {}).get("selection") or [], dtype=np.int64)


def show(vectors: Any, metadata: Any = None, *, vector: str | None = None, name: str | None = None,
         sprite: Any = None, sprite_dim: int | tuple[int, int] | None = None, projection: str | None = "pca",
         server: str | None = None, token: str | None = None) -> Projector:
    """Upload vectors (float32 bytes) and metadata to a local or hosted server; return the Projector handle."""
    if metadata is None and vector is not None and hasattr(vectors, "columns"):
        metadata = vectors.drop(columns=[vector])  # show(df, vector="emb"): the other columns describe the rows
    matrix = coerce_vectors(vectors, vector)
    table = coerce_metadata(metadata, matrix.shape[0])
    if server is None:
        client = Client(local_server().url, None)
    else:
        client = Client(server, token or os.environ.get("PROJECTOR_TOKEN"))
    data = {"name": name or "from Python"}
    sprite_png = None
    if sprite is not None:
        if sprite_dim is None:
            raise ValueError("a sprite needs sprite_dim= (one image's size in pixels: 28 or (28, 28))")
        sprite_png = _sprite_bytes(sprite)
        data["sprite_dim"] = ",".join(str(v) for v in np.atleast_1d(sprite_dim))
    info = send_dataset(client, matrix, table, data, sprite_png)
    job = None
    if projection:
        started = client.request("POST", f"/api/datasets/{quote(info['id'])}/projections",
                                 json={"method": projection, "params": {}}, expect=(200, 201, 202)).json()
        job = started["id"]
    live = _live_id(client, info["id"])
    return Projector(client, info["id"], int(info["n"]), int(info["dim"]), projection, job, live)


def _live_id(client: Client, dataset: str) -> str | None:
    """A page-state id for the frame; None when the server has no /api/live (the frame is then the plain page)."""
    try:
        response = client.http.post("/api/live", json={"dataset": dataset})
    except Exception:  # noqa: BLE001 - the page still works without it
        return None
    if response.status_code != 201:
        return None
    return response.json().get("id")


def _sprite_bytes(sprite: Any) -> bytes:
    """A PIL image as PNG bytes, or a file's bytes."""
    if hasattr(sprite, "save"):
        import io

        buffer = io.BytesIO()
        sprite.save(buffer, format="PNG")
        return buffer.getvalue()
    with open(sprite, "rb") as handle:
        return handle.read()
