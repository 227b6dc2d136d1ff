"""Playwright fixtures: one headless Debian chromium per session, a fresh context per test, and a
test failure for any JavaScript error the page reports (unless the test allowed that message) and
for any Content-Security-Policy violation (never allowed)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.story_data import StoryData, story_data

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
FIRST_VIEW_TIMEOUT_MS = 90_000  # the first projection job may wait for fresh workers
CSP_VIOLATION = "CSP violation:"

# Runs before the page's own scripts, outside its CSP (Playwright injects it through the DevTools
# protocol). Violation events bubble from the blocked element to the window.
_REPORT_CSP_VIOLATIONS = f"""
window.__cspViolations = [];
window.addEventListener('securitypolicyviolation', (e) => {{
  console.error(`{CSP_VIOLATION} ${{e.effectiveDirective}} blocked ${{e.blockedURI || '(inline)'}}`
    + ` at ${{e.sourceFile || location.href}}:${{e.lineNumber}}:${{e.columnNumber}} sample=${{JSON.stringify(e.sample)}}`);
  window.__cspViolations.push(e.effectiveDirective);
}}, true);
"""


class PageErrors:
    """Console errors and uncaught exceptions seen by a page; allow() whitelists expected ones."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        """Accept console errors matching `pattern` (a regex), e.g. an expected 400 response."""
        self._allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        """Everything seen that no allow() pattern covers (page errors and CSP violations never are)."""
        return [
            e for e in self.seen
            if e.startswith("pageerror") or CSP_VIOLATION in e or not any(p.search(e) for p in self._allowed)
        ]


def watch_page(page: Page, errors: PageErrors) -> None:
    """Record `page`'s console errors, uncaught exceptions and CSP violations into `errors`."""
    page.add_init_script(_REPORT_CSP_VIOLATIONS)
    page.on("console", lambda m: errors.seen.append(f"console.error: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.seen.append(f"pageerror: {e}"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, rendering WebGL with SwiftShader."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page_errors() -> PageErrors:
    """The current test's page errors; call page_errors.allow(regex) for expected console errors."""
    return PageErrors()


@pytest.fixture
def page(browser: Browser, page_errors: PageErrors) -> Iterator[Page]:
    """A page in a new browser context; the test fails if the page logged an unexpected error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    watch_page(pg, page_errors)
    yield pg
    context.close()
    bad = page_errors.unexpected()
    if bad:
        pytest.fail("the page reported errors:\n" + "\n".join(bad))


@pytest.fixture(scope="session")
def story() -> StoryData:
    """The generated story dataset (vectors, words, categories, TSV bytes)."""
    return story_data()


@pytest.fixture
def dataset_id(live_server, story: StoryData, request: pytest.FixtureRequest) -> str:
    """A fresh copy of the story dataset uploaded over HTTP, named after the test."""
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        answer = client.post(
            "/api/datasets",
            files={
                "vectors": ("vectors.tsv", story.vectors_tsv, "text/tab-separated-values"),
                "metadata": ("metadata.tsv", story.metadata_tsv, "text/tab-separated-values"),
            },
            data={"name": request.node.name[:40]},
        )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def open_projector(page: Page, base_url: str, dataset: str | None = None) -> None:
    """Open the page (optionally on ?dataset=) and wait until the current view is drawn."""
    page.goto(base_url + "/" + (f"?dataset={dataset}" if dataset else ""))
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=FIRST_VIEW_TIMEOUT_MS)
