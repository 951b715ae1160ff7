"""Lessons: one per claim of the course's articles; each opens an ordinary page with its settings filled in."""

import pandas as pd
import streamlit as st

from replearn_core.claims.table import latest_table
from replearn_core.lessons import LESSONS, LESSONS_BY_ID, lesson_index, own_results, reference_results
from replearn_core.runs import access
from ui.classroom import current_user
from ui.common import get_store
from ui.i18n import current_language, t
from ui.presets import LESSON_PARAM
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

lang = current_language()
st.title(t("lessons.title"))
st.caption(t("lessons.caption"))
user = current_user()  # classroom mode: "your results" are the student's own runs
store = get_store()

ids = [lesson.id for lesson in LESSONS]
# format functions get texts made now: Streamlit may call them outside the page's run, where the language is unknown
titles = {i: f"{n + 1}. {t(LESSONS_BY_ID[i].key('title'))}" for n, i in enumerate(ids)}
lesson_id = st.selectbox(t("lessons.pick"), ids, index=lesson_index(st.query_params.get(LESSON_PARAM)),
                         format_func=titles.get,
                         help=t("lessons.pick_help"))
# ?lesson=<id>: a teacher's link opens this lesson; the URL names the lesson chosen, unless it is the default one
in_url = st.query_params.get(LESSON_PARAM)
if in_url != lesson_id and (in_url is not None or lesson_id != ids[0]):
    st.query_params[LESSON_PARAM] = lesson_id
lesson = LESSONS_BY_ID[lesson_id]

st.header(f"{ids.index(lesson.id) + 1}. {t(lesson.key('title'))}")
st.markdown(t(lesson.key("goal")))
st.caption(t("lessons.time", minutes=f"{lesson.minutes_cpu:g}"))

st.subheader(t("lessons.predict_header"))
choices = [t(lesson.key(f"choice.{n}")) for n in (1, 2, 3)]
predicted = st.radio(t(lesson.key("predict")), [1, 2, 3], index=None, format_func=lambda n: choices[n - 1],
                     key=f"predict_{lesson.id}", help=t("lessons.predict_help"))

st.subheader(t("lessons.run_header"))
settings = ", ".join(f"`{k}={v}`" for k, v in lesson.settings.items())
st.markdown(t("lessons.settings", page=t(f"nav.{lesson.page}"), settings=settings))
if st.button(t("lessons.open", page=t(f"nav.{lesson.page}")), type="primary", key=f"open_{lesson.id}",
             help=t("lessons.open_help")):
    st.switch_page(lesson.page_file, query_params=lesson.query_params(lang))

st.subheader(t("lessons.look_header"))
st.markdown(t(lesson.key("look")))

st.subheader(t("lessons.results_header"))
reference, own = st.columns(2)
with reference:
    st.markdown(f"**{t('lessons.reference')}**")
    numbers = reference_results(lesson, latest_table(), store, lang=lang, user=user)
    if numbers:
        st.dataframe(pd.DataFrame(numbers, columns=[t("lessons.col_measure"), t("lessons.col_value")]),
                     hide_index=True, width="stretch")
    else:
        st.info(t("lessons.no_reference"))
with own:
    st.markdown(f"**{t('lessons.own')}**")
    mine = own_results(lesson, access.list_runs(store, user), lang)
    if mine and mine[1]:
        st.caption(t("lessons.own_run", run_id=mine[0]))
        st.dataframe(pd.DataFrame(mine[1], columns=[t("lessons.col_measure"), t("lessons.col_value")]),
                     hide_index=True, width="stretch")
    elif mine:
        st.info(t("lessons.own_on_page", run_id=mine[0], page=t(f"nav.{lesson.page}")))
    else:
        st.info(t("lessons.no_own"))
if predicted is not None:
    if lesson.answer_measured:
        verdict = "lessons.prediction_right" if predicted == lesson.answer else "lessons.prediction_other"
    else:  # no shipped run measures it: the articles' expectation, for the student's own run to test
        verdict = "lessons.prediction_expected"
    st.markdown(t(verdict, choice=choices[lesson.answer - 1]))

st.subheader(t("lessons.check_header"))
st.markdown(t(lesson.key("check")))
with st.expander(t("lessons.reveal")):
    st.markdown(t(lesson.key("answer")))
