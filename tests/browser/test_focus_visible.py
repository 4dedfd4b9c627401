"""WCAG 1.4.11 and 2.4.7 as a keyboard user meets them: Tab through every page of the axe crawl
and measure, for every element that takes focus, the contrast of its focus indicator (outline or
box-shadow) against what it is drawn on. axe does not look at focus at all."""

import pytest

from .conftest import log_in
from .test_accessibility import portal_pages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Runs in the page after each Tab: describes the focused element's indicator and the colour
# around it. A ring drawn outside the element (offset ≥ 0) sits on the nearest ancestor with a
# background; an inset ring sits on the element's own background.
MEASURE_FOCUS = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const parse = (value) => {
    const numbers = (value.match(/[\\d.]+/g) || []).map(Number);
    if (numbers.length < 3) return null;
    return {rgb: numbers.slice(0, 3), alpha: numbers.length > 3 ? numbers[3] : 1};
  };
  const opaqueBackground = (start) => {
    for (let node = start; node && node.nodeType === 1; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour.alpha > 0.5) return colour.rgb;
    }
    return [255, 255, 255];
  };
  const style = getComputedStyle(element);
  const rings = [];
  if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) {
    const colour = parse(style.outlineColor);
    if (colour && colour.alpha > 0.5) rings.push({
      colour: colour.rgb,
      around: parseFloat(style.outlineOffset) < 0 ? opaqueBackground(element)
                                                   : opaqueBackground(element.parentElement),
    });
  }
  // box-shadow: "rgb(r, g, b) 0px 0px 0px 3px" — a spread of ≥ 2 px counts as a ring.
  for (const shadow of style.boxShadow === 'none' ? [] : style.boxShadow.split(/,(?![^(]*\\))/)) {
    const colour = parse(shadow);
    const lengths = shadow.replace(/rgba?\\([^)]*\\)/, '').match(/-?[\\d.]+px/g) || [];
    const spread = lengths.length >= 4 ? parseFloat(lengths[3]) : 0;
    if (colour && colour.alpha > 0.5 && spread >= 2 && !shadow.includes('inset')) {
      rings.push({colour: colour.rgb, around: opaqueBackground(element.parentElement)});
    }
  }
  const label = (element.innerText || element.value || element.getAttribute('aria-label')
                 || element.name || element.id || '').trim().slice(0, 40);
  return {tag: element.tagName.toLowerCase(), label, rings,
          key: element.tagName + '|' + (element.id || '') + '|' + label + '|'
               + Math.round(element.getBoundingClientRect().top + window.scrollY)};
}"""


def relative_luminance(rgb) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def weak_focus_stops(page, url: str, limit: int = 400) -> tuple[int, list[str]]:
    """Tabs from the top of the page until focus leaves it or comes round again; returns how many
    stops were measured and those whose best ring has less than 3:1 against its surroundings."""
    page.goto(url)
    page.evaluate("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()")
    seen, weak = set(), []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(MEASURE_FOCUS)
        if stop is None or stop["key"] in seen:
            break
        seen.add(stop["key"])
        best = max((contrast(ring["colour"], ring["around"]) for ring in stop["rings"]), default=0)
        if best < 3:
            weak.append(f"{stop['tag']} «{stop['label']}»: {best:.2f}:1")
    return len(seen), weak


def test_every_focus_stop_of_every_page_has_a_visible_indicator(page, demo):
    log_in(page, "planadmin")
    page.set_viewport_size({"width": 1366, "height": 900})
    failures, stops = {}, 0
    for name, path in portal_pages().items():
        measured, weak = weak_focus_stops(page, page.base + path)
        stops += measured
        assert measured > 3, (name, "the page has hardly any focus stops: did Tab work?")
        if weak:
            failures[name] = weak[:8] + ([f"… {len(weak) - 8} more"] if len(weak) > 8 else [])
    assert not failures, failures
    assert stops > 200


def test_only_boxes_that_scroll_are_tab_stops_and_separators_are_not_read(page, demo):
    log_in(page, "planadmin")
    page.set_viewport_size({"width": 1366, "height": 900})
    idle_stops = {}
    for name, path in portal_pages().items():
        page.goto(page.base + path)
        idle = page.evaluate(
            """() => [...document.querySelectorAll('.table-scroll[tabindex]')]
                 .filter((box) => box.scrollWidth <= box.clientWidth + 1).length"""
        )
        if idle:
            idle_stops[name] = idle
    assert not idle_stops, idle_stops
    # A box that does scroll (the coverage matrix on a phone) stays reachable by keyboard.
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(page.base + "/avsiktsforklaringar/klockaretorpet/tackning/")
    assert page.locator(".table-scroll[tabindex='0']").count() >= 1
    breadcrumbs = page.locator(".breadcrumbs").aria_snapshot()
    assert "›" not in breadcrumbs, breadcrumbs


def test_the_login_page_and_the_header_on_a_phone_have_visible_focus(page, demo):
    # The login page's fields and the header's links on the dark-blue bar, on a phone-width page.
    page.set_viewport_size({"width": 390, "height": 800})
    measured, weak = weak_focus_stops(page, page.base + "/konto/login/")
    assert measured >= 4
    assert not weak, weak
    log_in(page, "redaktor.hyresbostader")
    measured, weak = weak_focus_stops(page, page.base + "/")
    assert measured >= 5
    assert not weak, weak


def test_the_measurement_finds_a_faint_ring(page, demo):
    # Guards the guard: the old yellow ring (1.6:1 on white) must be reported.
    log_in(page, "lasare")
    page.goto(page.base + "/")
    for _ in range(30):  # to the first stop on the white page, past the header's blue
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('main')"):
            break
    # Set through the CSSOM, which the Content-Security-Policy allows (a <style> it would block).
    page.evaluate("document.activeElement.style.outline = '3px solid #ffbf47'")
    stop = page.evaluate(MEASURE_FOCUS)
    ring = stop["rings"][0]
    assert contrast(ring["colour"], ring["around"]) < 3
