"""Headers a public page needs, on every response: a strict Content-Security-Policy, nosniff, a
Referrer-Policy and frame-ancestors (who may frame the page)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embedding_projector.api.pages import PAGE_TEMPLATE, page_context

_INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<text>.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
_HAS_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)
# A frame-ancestors value is a list of sources: no directive separator, no header break.
_BAD_SOURCE_LIST = re.compile(r"[;,\x00-\x1f\x7f]")

# No Referer at all: the page links nowhere else, and its links (/v/<id>, ?bookmarks=<id>) are
# capabilities that must not reach third parties. fetch() POSTs still carry a true Origin.
REFERRER_POLICY = "no-referrer"

# Who may frame a server that ep.show() starts for a notebook: the local Jupyter (or VS Code) page on
# any port. Only that local server gets it; a hosted one keeps the 'self' default.
LOCAL_FRAME_ANCESTORS = "'self' http://localhost:* http://127.0.0.1:* https://localhost:* https://127.0.0.1:* vscode-webview:"


def inline_script_hashes(html: str) -> list[str]:
    """CSP sources ('sha256-…') for the inline <script> elements of `html`, over their exact text."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(html):
        if _HAS_SRC.search(match["attrs"]):
            continue
        digest = hashlib.sha256(match["text"].encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return hashes


def page_script_hashes(templates: Jinja2Templates) -> list[str]:
    """The hashes of the page's inline scripts (its import map), from the template as it renders.

    Rendered once with the page's own fixed variables, never from a response: hashing whatever
    inline script a response happens to hold would allow an injected one too.
    """
    html = templates.get_template(PAGE_TEMPLATE).render(page_context())
    return inline_script_hashes(html)


def content_security_policy(frame_ancestors: str, script_hashes: Sequence[str] = ()) -> str:
    """The policy: only this server's scripts (and the hashed import map), styles, images and workers."""
    frame_ancestors = frame_ancestors.strip()
    if not frame_ancestors or _BAD_SOURCE_LIST.search(frame_ancestors):
        raise ValueError(f"frame_ancestors must be a CSP source list, e.g. 'self'; got {frame_ancestors!r}")
    directives = [
        ("default-src", "'self'"),
        ("script-src", " ".join(["'self'", *script_hashes])),
        ("style-src", "'self'"),
        ("img-src", "'self'"),
        ("connect-src", "'self'"),
        ("worker-src", "'self'"),
        ("object-src", "'none'"),
        ("base-uri", "'none'"),
        ("form-action", "'self'"),
        ("frame-ancestors", frame_ancestors),
    ]
    return "; ".join(f"{name} {value}" for name, value in directives)


def security_headers(frame_ancestors: str, script_hashes: Sequence[str] = ()) -> list[tuple[bytes, bytes]]:
    """The raw header pairs every response gets."""
    headers = [
        (b"content-security-policy", content_security_policy(frame_ancestors, script_hashes).encode("latin-1")),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", REFERRER_POLICY.encode("latin-1")),
    ]
    # For browsers that predate frame-ancestors; a wider list has no X-Frame-Options equivalent.
    legacy = {"'self'": b"SAMEORIGIN", "'none'": b"DENY"}.get(frame_ancestors.strip())
    if legacy:
        headers.append((b"x-frame-options", legacy))
    return headers


class SecurityHeaders:
    """ASGI middleware that sets `headers` on every HTTP response, replacing any of the same name."""

    def __init__(self, app: ASGIApp, headers: Sequence[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = list(headers)
        self._names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self._names]
                message["headers"] = kept + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI, frame_ancestors: str, templates: Jinja2Templates) -> None:
    """Wrap the whole app, outside Starlette's error middleware, so even a 500 carries the headers.

    add_middleware() would sit inside ServerErrorMiddleware, which sends its 500 answer straight to
    the server, past every user middleware.
    """
    headers = security_headers(frame_ancestors, page_script_hashes(templates))
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build(), headers)

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
