"""Every page and every lesson in Chinese in a real browser: screenshots in test-artifacts/, and no CJK glyph drawn
as a missing-glyph box ("tofu").

The tofu check draws, on a canvas in the page and with the font the page uses for its title, each CJK character of
the title and a character no font has (U+10FFFD, private use): a character whose pixels equal that missing-glyph
box had no font. Debian's ``fonts-noto-cjk`` provides the glyphs (``make browser`` installs it).
"""

from pathlib import Path

import pytest

from replearn_core.i18n import translate
from replearn_core.lessons import LESSONS, PAGE_FILES
from tests.browser.conftest import CHROMIUM, ROOT, launch_chromium

ARTIFACTS = ROOT / "test-artifacts"
PAGES = [""] + list(PAGE_FILES) + ["lessons"]  # "" is the home page

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

# pixels of text drawn with an element's font, as a data URL; the tofu reference is U+10FFFD
RENDER = """([selector, chars]) => {
  const font = getComputedStyle(document.querySelector(selector)).fontFamily;
  const draw = (ch) => {
    const canvas = document.createElement('canvas'); canvas.width = 64; canvas.height = 64;
    const ctx = canvas.getContext('2d'); ctx.font = `48px ${font}`; ctx.fillStyle = '#000';
    ctx.fillText(ch, 4, 52); return canvas.toDataURL();
  };
  const blank = (() => { const c = document.createElement('canvas'); c.width = 64; c.height = 64;
                         return c.toDataURL(); })();
  return {tofu: draw(String.fromCodePoint(0x10FFFD)), blank, glyphs: chars.map((ch) => [ch, draw(ch)])};
}"""


def missing_glyphs(page, selector: str, chars: list[str]) -> list[str]:
    """Those of ``chars`` that, in the font of the page's ``selector``, render as the missing-glyph box or blank."""
    drawn = page.evaluate(RENDER, [selector, chars])
    return [ch for ch, pixels in drawn["glyphs"] if pixels in (drawn["tofu"], drawn["blank"])]


def tofu_characters(page, selector: str = "h1") -> list[str]:
    """The CJK characters of the element's text that render as the missing-glyph box (or not at all)."""
    text = page.locator(selector).first.inner_text()
    chars = sorted({c for c in text if "\u4e00" <= c <= "\u9fff"})
    assert chars, f"no Chinese in {text!r}"
    return missing_glyphs(page, selector, chars)


def test_every_page_and_lesson_in_chinese_has_real_glyphs(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    visits = [(f"zh_page_{name or 'home'}", f"{app_url}/{name}?lang=zh") for name in PAGES]
    visits += [(f"zh_lesson_{lesson.id}", f"{app_url}/lessons?lesson={lesson.id}&lang=zh") for lesson in LESSONS]
    problems = []
    with sync_playwright() as p:
        browser = launch_chromium(p, tmp_path / "chrome")
        page = browser.new_page()
        for name, url in visits:
            page.goto(url, wait_until="networkidle")
            page.locator("h1").first.wait_for(timeout=120_000)
            page.wait_for_timeout(1500)  # the rest of the page after its title
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            nav = page.locator("[data-testid='stSidebarUserContent']").first.inner_text()
            if translate("nav.lessons", "zh") not in nav:
                problems.append(f"{name}: the navigation is not in Chinese: {nav[:80]!r}")
            if name.startswith("zh_lesson_") or name in ("zh_page_home", "zh_page_lessons", "zh_page_runs"):
                tofu = tofu_characters(page)
                if tofu:
                    problems.append(f"{name}: drawn as missing-glyph boxes: {''.join(tofu)}")
        browser.close()
    assert problems == []


def test_the_tofu_check_sees_a_missing_glyph(app_url, tmp_path):
    """A character no font has (another private-use one) is reported; a Chinese one with a font is not."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p, tmp_path / "chrome")
        page = browser.new_page()
        page.goto(f"{app_url}/?lang=zh", wait_until="networkidle")
        page.locator("h1").first.wait_for(timeout=120_000)
        assert missing_glyphs(page, "h1", ["\U0010FFFC", "表"]) == ["\U0010FFFC"]
        browser.close()


def test_a_lessons_button_opens_its_page_with_its_settings_and_links_back(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p, tmp_path / "chrome")
        page = browser.new_page()
        page.goto(f"{app_url}/lessons?lesson=cyclegan&lang=zh", wait_until="networkidle")
        page.get_by_role("button", name=translate("lessons.open", "zh", page=translate("nav.cyclegan", "zh"))).click()
        page.get_by_text(translate("option.cyclegan.lambda_cycle.label", "zh")).first.wait_for(timeout=120_000)
        page.wait_for_timeout(1500)
        assert "/cyclegan?" in page.url and "lambda_cycle=0" in page.url and "lang=zh" in page.url, page.url
        page.screenshot(path=str(ARTIFACTS / "zh_lesson_cyclegan_opened.png"), full_page=True)
        page.get_by_text(translate("common.back_to_lesson", "zh")).first.click()
        page.get_by_text(translate("lesson.cyclegan.goal", "zh")[:20]).first.wait_for(timeout=120_000)
        assert "/lessons?" in page.url and "lesson=cyclegan" in page.url, page.url
        browser.close()
