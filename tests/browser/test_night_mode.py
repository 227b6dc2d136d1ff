"""Night mode: the page and the plot turn dark, the choice survives a reload (and shows from the
first paint), the N key toggles it, and legend and label text keep a WCAG contrast of at least
4.5:1 against their backgrounds in both themes (computed here from the computed styles)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.color_data import (
    CENTRE, ColorData, canvas_image, color_data, contrast_ratio, parse_css_color, text_contrast, upload_color_dataset,
)
from tests.browser.conftest import open_projector

MIN_CONTRAST = 4.5
LEGEND_TEXT = ["#legend .legend-title", "#legend .legend-value", "#legend .legend-count"]


@pytest.fixture
def grid_dataset(live_server, request: pytest.FixtureRequest) -> str:
    return upload_color_dataset(live_server.url, color_data(), request.node.name)


def body_background(page: Page) -> tuple[float, ...]:
    return parse_css_color(page.evaluate("getComputedStyle(document.body).backgroundColor"))[:3]


def plot_background(page: Page) -> tuple[int, int, int]:
    """A canvas pixel at the right edge, middle height: outside the fitted points, under no toolbar."""
    image, _ = canvas_image(page)
    return image.getpixel((image.width - 3, image.height // 2))


def luminance_of(rgb) -> float:
    return contrast_ratio(rgb, (0, 0, 0))  # 1 for black … 21 for white: enough to tell dark from light


def check_readable(page: Page, theme: str) -> None:
    for selector in LEGEND_TEXT:
        ratio = text_contrast(page, selector)
        print(f"{theme}: {selector} contrast {ratio:.2f}")
        assert ratio >= MIN_CONTRAST, (theme, selector, ratio)
    # Point labels are drawn over the plot: their text against the plot's own pixels.
    label = page.locator(".point-label.selected").first
    expect(label).to_be_visible()
    color = parse_css_color(label.evaluate("e => getComputedStyle(e).color"))[:3]
    ratio = contrast_ratio(color, plot_background(page))
    print(f"{theme}: selected label on the plot contrast {ratio:.2f}")
    assert ratio >= MIN_CONTRAST, (theme, ratio)


def select_centre(page: Page) -> None:
    page.fill("#search-input", f"p{CENTRE}")
    expect(page.locator("#match-list li")).to_have_count(1)
    page.locator("#match-list li").first.click()
    expect(page.locator("#selected-label")).to_have_text(f"p{CENTRE}")


def test_night_mode_darkens_page_and_plot_persists_and_stays_readable(page: Page, live_server, grid_dataset: str) -> None:
    open_projector(page, live_server.url, grid_dataset)
    button = page.locator("#night-mode")
    expect(button).to_have_attribute("aria-pressed", "false")
    page.select_option("#color-by", "cat30")
    select_centre(page)
    day_page = body_background(page)
    day_plot = plot_background(page)
    assert luminance_of(day_page) > 10 and luminance_of(day_plot) > 15, (day_page, day_plot)
    check_readable(page, "day")

    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_attribute("data-theme", "night")
    page.wait_for_function("() => getComputedStyle(document.body).backgroundColor !== 'rgb(238, 241, 244)'")
    night_page = body_background(page)
    assert luminance_of(night_page) < 3, night_page
    page.wait_for_function("() => document.querySelector('canvas.scatter-canvas').dataset.background !== '#ffffff'")
    night_plot = plot_background(page)
    assert luminance_of(night_plot) < 3, night_plot
    check_readable(page, "night")

    # Remembered per browser: a reload opens in night mode, already on <html> when the page parses.
    page.reload()
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=90_000)
    expect(button).to_have_attribute("aria-pressed", "true")
    assert luminance_of(body_background(page)) < 3
    assert luminance_of(plot_background(page)) < 3

    # The N key toggles back (not while typing in a field).
    page.focus("#search-input")
    page.keyboard.press("n")
    expect(button).to_have_attribute("aria-pressed", "true")
    page.locator("#search-input").blur()
    page.keyboard.press("n")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(page.locator("html")).not_to_have_attribute("data-theme", "night")
    page.wait_for_function("() => document.querySelector('canvas.scatter-canvas').dataset.background === '#ffffff'")
    assert luminance_of(plot_background(page)) > 15


# Before the page's scripts: remember night mode, and note the theme on <html> when <body> is first
# parsed, which is before the first paint and before any module (deferred) runs.
_THEME_AT_BODY = """
try { localStorage.setItem('projector.theme', 'night'); } catch (e) {}
window.__themeAtBody = null;
new MutationObserver((_, observer) => {
  if (!document.body) return;
  window.__themeAtBody = document.documentElement.dataset.theme || 'day';
  observer.disconnect();
}).observe(document, { childList: true, subtree: true });
"""


def test_the_remembered_theme_is_on_the_page_before_its_modules_run(page: Page, live_server) -> None:
    page.add_init_script(_THEME_AT_BODY)
    page.goto(live_server.url + "/")
    expect(page.locator("#night-mode")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__themeAtBody") == "night"
