"""One request to an app built by create_app, answered in-process without its lifespan (no workers)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI


def ask_in_process(app: FastAPI, method: str, path: str) -> httpx.Response:
    """The app's answer to one request; unhandled errors are answered, not re-raised."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://projector.test") as client:
            return await client.request(method, path)

    # In a thread of its own: Playwright's sync API keeps an event loop running in the main thread
    # while the browser tests' session fixtures live, and asyncio.run() refuses to nest in it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, send()).result()
