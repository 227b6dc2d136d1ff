"""One HTTP session with a projector server: its base URL, the token, and errors that say what to do."""

from __future__ import annotations

from typing import Any

import httpx


class ProjectorError(RuntimeError):
    """A call the server refused or could not answer; the message names the server and its reason."""


class Client:
    """httpx calls against `base`, with `Authorization: Bearer` when a token is given."""

    def __init__(self, base: str, token: str | None, timeout: float = 600.0) -> None:
        self.base = base.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.base, headers=headers, timeout=timeout)

    def request(self, method: str, path: str, *, expect: tuple[int, ...] = (200,), **kwargs: Any) -> httpx.Response:
        """Send one request; a status outside `expect` raises ProjectorError with the server's message."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ProjectorError(f"cannot reach {self.base}: {exc}") from None
        if response.status_code not in expect:
            raise ProjectorError(self.refusal(response, f"{method} {path}"))
        return response

    def refusal(self, response: httpx.Response, what: str) -> str:
        """The error line for an answer: the server's own `error` when it sent one."""
        try:
            reason = response.json().get("error")
        except ValueError:
            reason = None
        if reason is None:
            reason = "no JSON error body: is it an Embedding Projector?"
        hint = "; pass token= or set PROJECTOR_TOKEN" if response.status_code in (401, 403) else ""
        return f"{self.base} refused {what} ({response.status_code}): {reason}{hint}"
