"""The page runs under its Content-Security-Policy, and the browser tests see any violation: inline
script, eval, inline styles and foreign images are refused and reported (the fixtures then fail)."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import CSP_VIOLATION, PageErrors

ATTEMPTS = """() => {
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true';
    document.body.append(script);
    try { setTimeout('window.__evalRan = true', 0); } catch (e) { /* some engines throw instead */ }
    const styled = document.createElement('div');
    styled.setAttribute('style', 'color: red');
    document.body.append(styled);
    const img = document.createElement('img');
    img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
    document.body.append(img);
}"""


def test_the_page_runs_under_its_policy_and_violations_are_reported(
    page: Page, live_server, dataset_id: str, page_errors: PageErrors
) -> None:
    answer = page.goto(live_server.url + f"/?dataset={dataset_id}")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    page.wait_for_function("() => document.body.dataset.state === 'ready'")
    # The import map (allowed by its hash) resolved "three": the scene drew.
    assert page.evaluate("document.querySelector('canvas.scatter-canvas') !== null")
    assert page.evaluate("window.__cspViolations") == []

    page.evaluate(ATTEMPTS)
    page.wait_for_function("() => window.__cspViolations.length >= 4")
    assert sorted(page.evaluate("window.__cspViolations")) == ["img-src", "script-src", "script-src-elem", "style-src-attr"]
    assert page.evaluate("[window.__inlineRan, window.__evalRan]") == [None, None]
    page.wait_for_function("() => new Promise((r) => setTimeout(() => r(true), 50))")  # let the console catch up
    reported = [e for e in page_errors.seen if CSP_VIOLATION in e]
    assert len(reported) == 4, page_errors.seen
    page_errors.allow(".*")  # chromium's own "Refused to ..." console errors are allowed now; ours never are
    assert page_errors.unexpected() == reported
    page_errors.seen.clear()  # they were provoked on purpose
