"""Untrusted text stays text in every place the page shows it: point labels, the hover card, search
results, the neighbour list, the legend (values and a column name), the dataset list, the status
line, bookmark names, the share popover and a shared view's search box. Nothing runs."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import open_projector
from tests.browser.share_helpers import fresh_page, wait_ready
from tests.browser.story_data import ORANGE, StoryData
from tests.datagen import metadata_tsv

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
COLUMN = '<b onmouseover="window.__xss=3">kind</b>'
NAME = '<img src=x onerror="window.__xss=4">'  # dataset names may not hold "/"
ROWS = {11: IMG, 15: SCRIPT}  # both in orange's cluster, so among its neighbours

# Markup that would exist only if some text had been parsed as HTML.
INJECTED = """() => document.querySelectorAll(
    'img[src="x"], body script, b, [onerror], [onmouseover]').length"""


def upload_untrusted(live_server, story: StoryData) -> str:
    """The story vectors with markup as labels, as category values, as a column name and as the dataset name."""
    words = list(story.words)
    categories = list(story.categories)
    for row, text in ROWS.items():
        words[row] = text
        categories[row] = text
    rows = [[words[i], categories[i], categories[i]] for i in range(len(words))]
    meta = metadata_tsv(rows, ["word", "category", COLUMN])
    with live_server.client() as client:
        answer = client.post(
            "/api/datasets",
            files={"vectors": ("vectors.tsv", story.vectors_tsv), "metadata": ("metadata.tsv", meta)},
            data={"name": NAME},
        )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def assert_clean(page: Page) -> None:
    assert page.evaluate(INJECTED) == 0, "text became markup"
    assert page.evaluate("window.__xss") is None, "injected code ran"


def test_untrusted_text_is_text_everywhere(browser: Browser, page: Page, live_server, story: StoryData) -> None:
    dataset = upload_untrusted(live_server, story)
    open_projector(page, live_server.url, dataset)
    expect(page.locator("#dataset-select option:checked")).to_have_text(NAME)

    # Search results.
    page.fill("#search-input", "<")
    page.press("#search-input", "Enter")
    matches = page.locator("#match-list li .result-label")
    expect(matches).to_have_count(2)
    assert sorted(matches.all_text_contents()) == sorted([IMG, SCRIPT])

    # The selected point, its neighbours and the point labels.
    page.fill("#search-input", "orange")
    page.press("#search-input", "Enter")
    page.locator("#match-list li").first.click()
    expect(page.locator("#neighbor-list li")).to_have_count(100)
    for row, text in ROWS.items():
        expect(page.locator(f"#neighbor-list li[data-row='{row}'] .result-label")).to_have_text(text)
    labels = page.eval_on_selector_all(".point-label", "els => els.map(e => e.textContent)")
    assert IMG in labels and SCRIPT in labels

    # The hover card.
    for row, text in ROWS.items():
        at = page.evaluate("row => window.__projector.screenPositionOf(row)", row)
        assert at is not None
        page.mouse.move(at["x"], at["y"])
        expect(page.locator("#hover-card")).to_have_text(text)

    # The legend: category values, then a column whose name is markup.
    page.select_option("#color-by", "category")
    values = page.locator("#legend .legend-value").all_text_contents()
    assert IMG in values and SCRIPT in values
    titles = page.eval_on_selector_all("#legend .legend-value", "els => els.map(e => e.title)")
    assert IMG in titles and SCRIPT in titles
    page.select_option("#color-by", COLUMN)
    expect(page.locator("#legend .legend-title")).to_have_text(COLUMN)
    page.select_option("#label-by", COLUMN)
    expect(page.locator("#selected-label")).to_have_text(story.categories[ORANGE])
    expect(page.locator("#label-by option:checked")).to_have_text(COLUMN)
    assert_clean(page)

    # A bookmark named with markup.
    page.click("#bookmark-add")
    page.fill("#bookmark-name", IMG)
    page.press("#bookmark-name", "Enter")
    expect(page.locator("#bookmark-list .bookmark-name")).to_have_text([IMG])
    assert page.get_attribute("#bookmark-list .bookmark-delete", "aria-label") == f"Delete bookmark {IMG}"

    # A search for markup, shared: the popover, the stored view and the colleague's search box.
    page.select_option("#search-by", "word")
    page.fill("#search-input", SCRIPT)
    page.press("#search-input", "Enter")
    expect(page.locator("#match-list li .result-label")).to_have_text([SCRIPT])
    page.wait_for_function("() => location.search.includes('search=')")
    page.click("#share-button")
    page.wait_for_function("() => document.getElementById('share-link').value.includes('/v/')")
    assert_clean(page)
    link = page.input_value("#share-link")
    address = page.url
    with fresh_page(browser) as (other, errors):
        errors.allow(r"status of 404")  # the made-up dataset id below
        other.goto(link)
        wait_ready(other)
        expect(other.locator("#search-input")).to_have_value(SCRIPT)
        expect(other.locator("#match-list li .result-label")).to_have_text([SCRIPT])
        expect(other.locator("#legend .legend-title")).to_have_text(COLUMN)
        expect(other.locator("#bookmark-list li")).to_have_count(0)  # a fresh browser has no list of its own
        assert_clean(other)
        # The address form carries the same text, and a made-up dataset id is only text too.
        other.goto(address)
        wait_ready(other)
        expect(other.locator("#search-input")).to_have_value(SCRIPT)
        expect(other.locator("#bookmark-list .bookmark-name")).to_have_text([IMG])
        assert_clean(other)
        other.goto(f"{live_server.url}/?dataset={quote(IMG)}")
        wait_ready(other)
        expect(other.locator("#status-text")).to_contain_text(f"No dataset “{IMG}”")
        assert_clean(other)
    assert_clean(page)
