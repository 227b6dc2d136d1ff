"""An analysis job's named result arrays (a k-NN graph's neighbors and distances), as typed bytes.

Included after every other router: its /api/projections/{job_id}/{name} would otherwise shadow
/events, /coords, /snapshot and /export.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from embedding_projector.dependencies import JobRunnerDep
from embedding_projector.errors import NotFound
from embedding_projector.jobs.records import is_array_name

router = APIRouter(tags=["projections"])


@router.get("/api/projections/{job_id}/{name}")
async def result_array(job_id: str, name: str, jobs: JobRunnerDep) -> FileResponse:
    """An analysis's named result array (k-NN graph: `neighbors` int32, `distances` float32).

    Little-endian bytes, row-major, shape in X-Shape (n,k for a graph) and dtype in X-Dtype. Rows
    are the job's rows in its order; a graph's neighbours are positions in them, nearest first.
    """
    if not is_array_name(name):
        raise NotFound(f"no result {name[:40]!r}")
    path, info = await run_in_threadpool(jobs.array_path, job_id, name)
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"X-Shape": ",".join(str(s) for s in info.shape), "X-Dtype": info.dtype, "Cache-Control": "no-cache"},
    )
