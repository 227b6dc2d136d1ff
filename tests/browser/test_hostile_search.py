"""A shared view whose search regex backtracks catastrophically opens to a responsive page: the regex
runs in a Web Worker that is stopped after 500 ms, and a plain substring search of the pattern's
literal text is used instead (issue 10, finding 2)."""

from __future__ import annotations

import random
import re
import string
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import FIRST_VIEW_TIMEOUT_MS

HOSTILE = r"^(\w+)+$x"  # every 30-character word makes a backtracking engine try ~2^30 paths
SLOW_NOTICE = "Pattern too slow; simplified search used"
N_WORDS = 20_000


@pytest.fixture(scope="module")
def long_words() -> list[str]:
    """20k words of 30 word characters each (letters, digits, underscore)."""
    rng = random.Random(10)
    alphabet = string.ascii_lowercase + string.digits + "_"
    return ["".join(rng.choice(alphabet) for _ in range(30)) for _ in range(N_WORDS)]


@pytest.fixture(scope="module")
def long_words_dataset(live_server, long_words: list[str]) -> str:
    """The long words uploaded as a dataset (4-d random vectors)."""
    rng = random.Random(11)
    vectors = "\n".join("\t".join(f"{rng.random():.4f}" for _ in range(4)) for _ in long_words) + "\n"
    metadata = "\n".join(long_words) + "\n"
    with httpx.Client(base_url=live_server.url, timeout=120) as client:
        answer = client.post(
            "/api/datasets",
            files={"vectors": ("v.tsv", vectors.encode()), "metadata": ("m.tsv", metadata.encode())},
            data={"name": "long words"},
        )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def shared_view(live_server, dataset: str, query: str) -> str:
    """Store a view of `dataset` whose search is `query` in regex mode; answer its link."""
    view = {"dataset": dataset, "search": {"query": query, "column": None, "regex": True}}
    answer = httpx.post(f"{live_server.url}/api/views", json=view, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()["url"]


def test_a_hostile_shared_search_opens_to_a_responsive_page(
    page: Page, live_server, long_words_dataset: str, long_words: list[str]
) -> None:
    # The pattern really is catastrophic for a backtracking engine: Python's re needs far more
    # than the page's 500 ms for even one of these words. Its first 22 characters (~2^21 paths) take
    # ~0.2 s here; 20 took 0.045-0.1 s, under the bound on a quiet moment.
    started = time.monotonic()
    assert re.search(r"^(\w+)+$x", long_words[0][:22]) is None
    assert time.monotonic() - started > 0.05

    page.goto(shared_view(live_server, long_words_dataset, HOSTILE))
    message = page.locator("#search-message")
    expect(message).to_have_text(SLOW_NOTICE, timeout=FIRST_VIEW_TIMEOUT_MS)
    expect(page.locator("#search-input")).to_have_value(HOSTILE)

    # The fallback is a case-insensitive substring search of the pattern's literal text ("x").
    with_x = [i for i, w in enumerate(long_words) if "x" in w]
    expect(page.locator("#match-count")).to_have_text(f"{len(with_x)} matches (first 100 shown)")
    assert page.evaluate("window.__projector.store.get().search.matches") == with_x

    # The page answers at once: a script round trip, then a click on a panel control.
    started = time.monotonic()
    assert page.evaluate("1 + 1") == 2
    assert time.monotonic() - started < 2.0
    page.click("#tab-tsne")  # (no Token button here: this server has no write token)
    expect(page.locator("#pane-tsne")).to_be_visible(timeout=2_000)
    page.click("#tab-pca")
    page.uncheck("#search-regex")  # the pattern as plain text: nothing contains it
    expect(message).to_be_hidden(timeout=2_000)
    expect(page.locator("#match-count")).to_have_text("0 matches")

    # A fresh worker serves the next regex, with the real regex semantics.
    page.check("#search-regex")
    expect(message).to_have_text(SLOW_NOTICE)
    page.fill("#search-input", "^ab")
    starts_ab = sum(w.startswith("ab") for w in long_words)
    expect(page.locator("#match-count")).to_have_text(f"{starts_ab} matches" + (" (first 100 shown)" if starts_ab > 100 else ""))
    expect(message).to_be_hidden()


def test_the_custom_tab_counts_a_hostile_pattern_without_freezing(
    page: Page, live_server, long_words_dataset: str
) -> None:
    page.goto(f"{live_server.url}/?dataset={long_words_dataset}")
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=FIRST_VIEW_TIMEOUT_MS)
    page.click("#tab-custom")
    page.check("#custom-regex")
    page.fill("#custom-left", HOSTILE)
    left = page.locator("#custom-left-count")
    expect(left).to_have_text("too slow to count")
    expect(left).to_have_attribute("data-kind", "error")
    started = time.monotonic()
    assert page.evaluate("1 + 1") == 2
    assert time.monotonic() - started < 2.0
    page.fill("#custom-right", "^a")
    expect(page.locator("#custom-right-count")).to_have_text(re.compile(r"^\d+ matches$"))


def test_the_simplified_search_takes_the_patterns_longest_literal_run(page: Page, live_server) -> None:
    page.goto(live_server.url + "/")
    cases = {
        r"^(\w+)+$x": "x",
        r"^word2[0-9]$": "word2",
        r"a\.b": "a.b",
        "cat|dog": "cat",
        "colou?r": "colo",
        r"(?:abc)+\d{2,3}": "abc",
        r"(?<name>abc)\k<name>": "abc",
        r"[xyz]+hello": "hello",
    }
    got = page.evaluate(
        "async (patterns) => { const m = await import('/static/js/search.js'); return patterns.map(m.literalText); }",
        list(cases),
    )
    assert dict(zip(cases, got, strict=True)) == cases
    # Substring searches and invalid patterns answer without the worker; a valid regex needs it.
    immediate = page.evaluate(
        """async () => {
            const m = await import('/static/js/search.js');
            return [m.immediateMatches(['Ab', 'b', null], 'B', false), m.immediateMatches(['a'], '(', true),
                    m.immediateMatches(['a'], '^a', true), m.immediateMatches(['a'], '', true)];
        }"""
    )
    assert immediate[0] == {"rows": [0, 1], "error": None, "notice": None}
    assert immediate[1]["error"].startswith("Invalid regular expression")
    assert immediate[2] is None
    assert immediate[3] == {"rows": [], "error": None, "notice": None}
