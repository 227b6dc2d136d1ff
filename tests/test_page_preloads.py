"""The page names its first requests for the browser to preload: the dataset's description, and the
first view's PCA once it is computed; an address that opens anything else names none."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import numpy as np

PRELOAD = re.compile(r'<link rel="preload" as="fetch" crossorigin href="([^"]+)">')


def preloads(client, query: str) -> list[str]:
    answer = client.get(f"/{query}")
    assert answer.status_code == 200
    return PRELOAD.findall(answer.text)


def test_the_description_and_a_computed_pca_are_preloaded(client) -> None:
    rng = np.random.default_rng(3)
    buffer = io.BytesIO()
    np.save(buffer, rng.normal(size=(300, 16)).astype(np.float32))
    made = client.post("/api/datasets", files={"vectors": ("v.npy", buffer.getvalue())}, data={"name": "preloads"})
    assert made.status_code == 201, made.text
    dataset = made.json()["id"]
    # Not computed yet: only the description.
    assert preloads(client, f"?dataset={dataset}&dimensions=2") == [f"/api/datasets/{dataset}"]

    job = client.post(f"/api/datasets/{dataset}/projections", json={"method": "pca", "params": {"components": 10}})
    assert job.status_code in (200, 202), job.text
    job_id = job.json()["id"]
    for _ in range(200):
        if client.get(f"/api/projections/{job_id}").json()["status"] == "done":
            break
        time.sleep(0.05)
    named = preloads(client, f"?dataset={dataset}&dimensions=2&colorBy=label")
    assert named == [f"/api/datasets/{dataset}", f"/api/projections/{job_id}/coords"]
    assert client.get(named[1]).status_code == 200  # the page's own fetch of it answers

    # Anything but the plain first view names nothing: its first layout is another one.
    for query in (f"?dataset={dataset}&projection=tsne", f"?dataset={dataset}&projection=pca&sphereize=1",
                  f"?dataset={dataset}&isolated=1,2,3", "?view=abc", f"?dataset={dataset}&compare=x"):
        assert preloads(client, query) == [], query
    assert preloads(client, "?dataset=no-such-dataset") == []


def test_a_large_pca_is_preloaded_by_its_leading_columns() -> None:
    """From LEADING_COLUMNS_ROWS rows the first view's address asks for 3 components (static/js/actions.js
    asks for the same address, so the preload answers it); fewer rows or components ask for all."""
    from embedding_projector.jobs import first_view
    from embedding_projector.jobs.first_view import first_coords_url

    # The page's own constants: a mismatch would preload one address and fetch another.
    page = (Path(__file__).resolve().parents[1] / "static" / "js" / "actions.js").read_text()
    for name in ("LEADING_COLUMNS_ROWS", "LEADING_COLUMNS"):
        (value,) = re.findall(rf"^const {name} = ([0-9_]+);", page, flags=re.M)
        assert int(value.replace("_", "")) == getattr(first_view, name), name
    assert first_coords_url("k", 200_000, 10) == "/api/projections/k/coords?columns=3"
    assert first_coords_url("k", 199_999, 10) == "/api/projections/k/coords"
    assert first_coords_url("k", 1_000_000, 3) == "/api/projections/k/coords"
