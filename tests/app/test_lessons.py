"""The Lessons page: twelve lessons in the seeds' order; each button opens its page with exactly its settings."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from replearn_core.claims.table import SHIPPED_TABLE, read_table
from replearn_core.i18n import catalogue, translate
from replearn_core.lessons import LESSONS, LESSONS_BY_ID, PAGE_FILES, TEXT_PARTS, reference_results

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_REFERENCE_RUNS = ROOT / "assets" / "reference_runs"


@pytest.fixture
def reference_runs(monkeypatch):
    """The shipped reference runs, as a fresh lab sees them."""
    monkeypatch.setenv("REPLEARN_REFERENCE_RUNS", str(SHIPPED_REFERENCE_RUNS))


def test_twelve_lessons_in_the_order_of_the_seeds_each_with_all_its_texts():
    assert [lesson.id for lesson in LESSONS] == [
        "representation", "simclr", "augmentations", "collapse", "compare_methods", "generative", "transfer",
        "metric_learning", "domain_adaptation", "forgetting", "cyclegan", "choose"]
    for lang in ("en", "zh"):
        missing = [lesson.key(part) for lesson in LESSONS for part in TEXT_PARTS
                   if lesson.key(part) not in catalogue(lang)]
        assert missing == []
    for lesson in LESSONS:
        assert (ROOT / lesson.page_file).exists()
        assert lesson.answer in (1, 2, 3)
        assert lesson.minutes_cpu <= 5  # a class period on 2 CPU cores
        assert not {"lesson", "lang"} & set(lesson.settings)


def test_reference_numbers_are_read_from_the_shipped_table_and_runs(store):
    table = read_table(SHIPPED_TABLE)
    collapse = dict(reference_results(LESSONS_BY_ID["collapse"], table, store))
    row = next(r for r in table["rows"] if r["id"] == "simsiam_stop_gradient")
    expected = row["numbers"]["collapse meter without stop-gradient"]["mean"]
    assert collapse[translate("evidence.collapse_without", "en")] == f"{expected:.3f}"
    assert dict(reference_results(LESSONS_BY_ID["collapse"], None, store)) == {}  # no table: nothing invented
    cyclegan = dict(reference_results(LESSONS_BY_ID["cyclegan"], None, store, lang="zh"))
    assert translate("evidence.cycle_loss", "zh") in cyclegan


def open_lesson(lesson_id: str | None = None, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    if lesson_id:
        at.query_params["lesson"] = lesson_id
    at.switch_page("pages/9_lessons.py").run()
    assert not at.exception, at.exception
    return at


def params(at: AppTest) -> dict:
    return {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in at.query_params}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_each_lessons_button_opens_its_page_with_exactly_its_settings(lesson, reference_runs):
    at = open_lesson(lesson.id)
    assert at.header[0].value.endswith(translate(lesson.key("title"), "en"))
    at.button(key=f"open_{lesson.id}").click().run()
    assert not at.exception, at.exception
    assert params(at) == {**lesson.settings, "lesson": lesson.id, "lang": "en"}
    titles = [t.value for t in at.title]
    assert titles and "Lessons" not in titles[0]  # the target page ran, not the lessons page


def widget(elements, label):
    return next(w for w in elements if w.label == label)


def test_the_pages_show_the_settings_the_lessons_name(reference_runs):
    """The pages this issue converted read their presets; pages 1, 6 and 7 follow when they are converted."""
    at = open_lesson("cyclegan")
    at.button(key="open_cyclegan").click().run()
    assert any(translate("lesson.cyclegan.title", "en") in i.value for i in at.info)  # the lesson says it opened it
    assert widget(at.slider, "Cycle weight λ").value == 0.0
    assert widget(at.slider, "Epochs").value == 1

    at = open_lesson("transfer")
    at.button(key="open_transfer").click().run()
    assert widget(at.multiselect, "Strategies").value == ["linear", "full", "llrd"]
    assert widget(at.multiselect, "Label fractions").value == [0.01, 0.1, 1.0]
    assert widget(at.selectbox, "Target dataset").value == "digits"

    at = open_lesson("choose")
    at.button(key="open_choose").click().run()
    assert any("📍" in m.value and translate("nav.claims", "en") not in m.value for m in at.markdown)

    at = open_lesson("compare_methods")
    at.button(key="open_compare_methods").click().run()
    assert widget(at.selectbox, "Metric to overlay").value == "knn_acc"
    assert len(at.get("plotly_chart")) == 1  # the four reference runs overlaid without picking rows

    at = open_lesson("collapse")
    at.button(key="open_collapse").click().run()
    assert widget(at.selectbox, "Method").value == "simsiam"
    assert widget(at.toggle, "Stop-gradient").value is False

    at = open_lesson("simclr")
    at.button(key="open_simclr").click().run()
    assert widget(at.selectbox, "Method").value == "simclr"
    assert widget(at.slider, "Temperature τ").value == 0.1

    at = open_lesson("domain_adaptation")
    at.button(key="open_domain_adaptation").click().run()
    assert widget(at.selectbox, "Method").value == "dann"
    assert widget(at.selectbox, "Source domain").value == "printed-digits"
    assert widget(at.selectbox, "Target domain").value == "digits"

    at = open_lesson("metric_learning")
    at.button(key="open_metric_learning").click().run()
    assert widget(at.selectbox, "Loss").value == "triplet"
    assert widget(at.selectbox, "Dataset").value == "digits"
    assert widget(at.slider, "Epochs").value == 5

    at = open_lesson("forgetting")
    at.button(key="open_forgetting").click().run()
    assert widget(at.radio, "Scenario").value == "class"
    assert widget(at.multiselect, "Strategies").value == ["sequential", "replay", "joint"]

    at = open_lesson("augmentations")
    at.button(key="open_augmentations").click().run()
    ops = list(at.dataframe[0].value["op"])  # the recipe editor: the default recipe without colour jitter
    assert "crop" in ops and "color_jitter" not in ops


def test_a_teachers_link_opens_the_lesson_in_chinese():
    at = open_lesson("collapse", lang="zh")
    assert at.title[0].value == translate("lessons.title", "zh")
    assert at.header[0].value == "4. " + translate("lesson.collapse.title", "zh")
    assert at.radio(key="predict_collapse").label == translate("lesson.collapse.predict", "zh")
    at.button(key="open_collapse").click().run()
    assert params(at) == {"method": "simsiam", "stop_gradient": "0", "lesson": "collapse", "lang": "zh"}


def test_the_answer_is_revealed_on_click_and_the_prediction_compared():
    at = open_lesson("collapse")
    expander = next(e for e in at.expander if e.label == translate("lessons.reveal", "en"))
    assert expander.markdown[0].value == translate("lesson.collapse.answer", "en")
    at.radio(key="predict_collapse").set_value(1).run()
    assert any(m.value.startswith("✅") for m in at.markdown)


def test_an_unknown_lesson_opens_the_first():
    at = open_lesson("no-such-lesson")
    assert at.selectbox[0].value == LESSONS[0].id
    assert params(at)["lesson"] == LESSONS[0].id
    assert set(PAGE_FILES) >= {lesson.page for lesson in LESSONS}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_lesson_in_chinese_shows_no_catalogue_english(lesson, reference_runs):
    from tests.app.test_i18n import untranslated, visible_strings

    at = AppTest.from_file(str(ROOT / "pages" / "9_lessons.py"), default_timeout=120)
    at.query_params["lesson"] = lesson.id
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception, at.exception
    assert at.header[0].value.endswith(translate(lesson.key("title"), "zh"))
    assert untranslated(visible_strings(at)) == []


def test_a_lesson_without_a_measured_answer_gives_the_articles_expectation():
    at = open_lesson("cyclegan")
    at.radio(key="predict_cyclegan").set_value(3).run()
    expected = translate("lessons.prediction_expected", "en", choice=translate("lesson.cyclegan.choice.3", "en"))
    assert any(m.value == expected for m in at.markdown)
    assert not any(m.value.startswith("✅") for m in at.markdown)
