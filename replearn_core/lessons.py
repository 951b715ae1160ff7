"""The lessons: one per claim of the course's seed articles, in the articles' order.

A lesson is data, not a page: which page it opens and with which settings (query parameters the page reads,
see ``ui/presets.py``), what the shipped reference results say (read from the reference runs and the
measured claims table, never copied here), and which catalogue keys hold its texts in each language::

    lesson.<id>.title      lesson.<id>.goal         two sentences: what the student will see and why it matters
    lesson.<id>.predict    lesson.<id>.choice.1..3  the question to answer before running, three choices
    lesson.<id>.look       what to look for, pointing at the chart
    lesson.<id>.check      lesson.<id>.answer       the check question and its answer

Every lesson's settings are chosen to fit a class period: at most 5 minutes on 2 CPU cores (``minutes_cpu``),
well under a minute on a GPU. Nothing here imports Streamlit.

>>> [lesson.id for lesson in LESSONS][:3]
['representation', 'simclr', 'augmentations']
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from replearn_core.i18n import translate

# target pages by their URL path; the files are the app's ordinary pages
PAGE_FILES = {
    "ssl_lab": "pages/1_ssl_lab.py",
    "runs": "pages/2_runs.py",
    "feature_maps": "pages/3_feature_maps.py",
    "transfer": "pages/4_transfer.py",
    "cyclegan": "pages/5_cyclegan.py",
    "metric_learning": "pages/6_metric_learning.py",
    "domain_adaptation": "pages/7_domain_adaptation.py",
    "claims": "pages/8_claims.py",
    "incremental": "pages/11_incremental.py",
}
CYCLEGAN_CARD = Path(__file__).resolve().parents[1] / "assets" / "cyclegan" / "card.json"


@dataclass(frozen=True)
class Evidence:
    """One number of the shipped reference results: ``source`` is ``claim:<claim id>`` (a number of the measured
    claims table), ``run:<run id>`` (a summary value of a shipped reference run) or ``cyclegan`` (the bundled
    CycleGAN model's card); ``name`` the number's name there; ``label`` its catalogue key."""
    source: str
    name: str
    label: str


@dataclass(frozen=True)
class Lesson:
    id: str
    page: str  # a key of PAGE_FILES
    settings: dict[str, str]  # the query parameters the lesson's button passes (besides lesson and lang)
    answer: int  # which prediction choice (1-3) the reference results bear out
    evidence: tuple[Evidence, ...] = ()
    own_run: dict[str, str] = field(default_factory=dict)  # run kind/config values that make a run "the student's own"
    own_keys: tuple[str, ...] = ()  # summary values of that run shown beside the reference
    minutes_cpu: float = 3.0  # the expected time of its run on 2 CPU cores with these settings
    answer_measured: bool = True  # the reference numbers show the answer; False: it is the articles' expectation

    @property
    def page_file(self) -> str:
        return PAGE_FILES[self.page]

    def key(self, part: str) -> str:
        return f"lesson.{self.id}.{part}"

    def text(self, part: str, lang: str = "en") -> str:
        return translate(self.key(part), lang)

    def query_params(self, lang: str = "en") -> dict[str, str]:
        """Everything the button puts in the target page's URL: the settings, the lesson, the language."""
        return {**self.settings, "lesson": self.id, "lang": lang}


def _claim(claim_id: str, *names: tuple[str, str]) -> tuple[Evidence, ...]:
    return tuple(Evidence(f"claim:{claim_id}", name, label) for name, label in names)


def _run(run_id: str, *names: tuple[str, str]) -> tuple[Evidence, ...]:
    return tuple(Evidence(f"run:{run_id}", name, label) for name, label in names)


LESSONS: tuple[Lesson, ...] = (
    Lesson("representation", "feature_maps", {"run": "ref-simclr,init:ref-simclr", "projection": "pca"}, 3,
           _claim("ssl_beats_random_and_pixels", ("raw-pixel linear probe", "evidence.raw_pixels"),
                  ("random-init linear probe", "evidence.untrained"),
                  ("SimCLR linear probe", "evidence.simclr_probe")), minutes_cpu=0.5),
    Lesson("simclr", "ssl_lab", {"method": "simclr", "temperature": "0.1"}, 2,
           _run("ref-simclr", ("knn_acc_init", "evidence.knn_untrained"), ("knn_acc", "evidence.knn_trained"),
                ("linear_probe_acc", "evidence.probe")),
           {"kind": "ssl", "method": "simclr"}, ("knn_acc", "linear_probe_acc")),
    Lesson("augmentations", "ssl_lab", {"method": "simclr", "drop": "color_jitter"}, 1,
           _run("ref-simclr", ("knn_acc", "evidence.knn_full_recipe")),
           {"kind": "ssl", "method": "simclr"}, ("knn_acc",), answer_measured=False),
    Lesson("collapse", "ssl_lab", {"method": "simsiam", "stop_gradient": "0"}, 1,
           _claim("simsiam_stop_gradient", ("collapse meter with stop-gradient", "evidence.collapse_with"),
                  ("collapse meter without stop-gradient", "evidence.collapse_without"),
                  ("kNN with stop-gradient", "evidence.knn_with"),
                  ("kNN without stop-gradient", "evidence.knn_without")),
           {"kind": "ssl", "method": "simsiam"}, ("collapse_std", "knn_acc")),
    Lesson("compare_methods", "runs", {"run": "ref-simclr,ref-moco,ref-byol,ref-barlow_twins", "metric": "knn_acc"},
           2, _claim("table31_pretraining_quality", ("SimCLR kNN", "evidence.simclr_knn"),
                     ("MoCo kNN", "evidence.moco_knn"), ("BYOL kNN", "evidence.byol_knn"),
                     ("Barlow Twins kNN", "evidence.barlow_knn")), minutes_cpu=0.2),
    Lesson("generative", "ssl_lab", {"method": "autoencoder"}, 2,
           _run("ref-autoencoder", ("knn_acc", "evidence.autoencoder_knn"),
                ("linear_probe_acc", "evidence.autoencoder_probe"))
           + _run("ref-simclr", ("knn_acc", "evidence.simclr_knn")),
           {"kind": "ssl", "method": "autoencoder"}, ("knn_acc", "linear_probe_acc")),
    Lesson("transfer", "transfer", {"dataset": "digits", "strategies": "linear,full,llrd",
                                    "fractions": "0.01,0.1,1.0"}, 1,
           _claim("table32_data_efficiency", ("feature extraction @ 1 %", "evidence.linear_1"),
                  ("full fine-tuning @ 1 %", "evidence.full_1"), ("layer-wise LR @ 1 %", "evidence.llrd_1"),
                  ("feature extraction @ 10 %", "evidence.linear_10"), ("full fine-tuning @ 10 %", "evidence.full_10"),
                  ("layer-wise LR @ 10 %", "evidence.llrd_10"), ("feature extraction @ 100 %", "evidence.linear_100"),
                  ("full fine-tuning @ 100 %", "evidence.full_100")),
           {"kind": "transfer"}, (), minutes_cpu=4.0),
    Lesson("metric_learning", "metric_learning", {"method": "triplet", "dataset": "digits", "epochs": "5"}, 1,
           (), {"kind": "metric", "method": "triplet"}, (), minutes_cpu=1.5, answer_measured=False),
    Lesson("domain_adaptation", "domain_adaptation", {"method": "dann", "source": "printed-digits",
                                                      "target": "digits"}, 2,
           (), {"kind": "adapt"}, (), minutes_cpu=3.0, answer_measured=False),
    Lesson("forgetting", "incremental", {"scenario": "class", "strategies": "sequential,replay,joint"}, 2,
           _claim("incremental_forgetting", ("sequential average accuracy", "evidence.inc_sequential"),
                  ("replay average accuracy", "evidence.inc_replay"), ("joint average accuracy", "evidence.inc_joint"),
                  ("sequential forgetting", "evidence.inc_forgetting")),
           {"kind": "incremental", "scenario": "class"}, ("acc_class_sequential", "acc_class_replay"),
           minutes_cpu=1.5),
    Lesson("cyclegan", "cyclegan", {"lambda_cycle": "0", "tab": "train", "epochs": "1"}, 3,
           (Evidence("cyclegan", "loss_cycle", "evidence.cycle_loss"),
            Evidence("cyclegan", "steps", "evidence.steps")),
           {"kind": "cyclegan"}, (), minutes_cpu=4.0, answer_measured=False),
    Lesson("choose", "claims", {"claim": "choose_representation_learning"}, 2,
           _claim("choose_representation_learning", ("transfer, under 1,000 labels", "evidence.transfer_small"),
                  ("from scratch, under 1,000 labels", "evidence.scratch_small"),
                  ("best contrastive linear probe", "evidence.best_contrastive"),
                  ("best non-contrastive linear probe", "evidence.best_noncontrastive")), minutes_cpu=0.2),
)
LESSONS_BY_ID = {lesson.id: lesson for lesson in LESSONS}
TEXT_PARTS = ("title", "goal", "predict", "choice.1", "choice.2", "choice.3", "look", "check", "answer")


def lesson_index(lesson_id: str | None) -> int:
    """The position of a lesson id (from ``?lesson=``); 0 for an unknown or missing one."""
    ids = [lesson.id for lesson in LESSONS]
    return ids.index(lesson_id) if lesson_id in ids else 0


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def reference_results(lesson: Lesson, table: dict | None, store=None, card_path: Path = CYCLEGAN_CARD,
                      lang: str = "en", user=None) -> list[tuple[str, str]]:
    """(label, value) for each of the lesson's reference numbers that exists: the measured claims ``table``
    (``replearn_core.claims.table.latest_table()``), the ``store``'s reference runs (read through the access
    gate as ``user``, default the local user), the CycleGAN card.
    A number that is not there is left out (say, a claims table measured before the claim existed)."""
    from replearn_core.runs import access

    rows = {row["id"]: row for row in (table or {}).get("rows", [])}
    card = None
    results = []
    for item in lesson.evidence:
        kind, _, name = item.source.partition(":")
        value = None
        if kind == "claim" and name in rows:
            stat = rows[name].get("numbers", {}).get(item.name)
            value = stat.get("mean") if isinstance(stat, dict) else stat
        elif kind == "run" and store is not None:
            try:
                value = access.get_run(store, user or access.LOCAL, name).summary.get(item.name)
            except Exception:  # noqa: BLE001 - a reference folder that is gone or damaged: the number is missing
                value = None
        elif kind == "cyclegan":
            if card is None:
                try:
                    card = json.loads(Path(card_path).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    card = {}
            value = card.get("final_losses", {}).get(item.name, card.get(item.name))
        if value is not None:
            results.append((translate(item.label, lang), _format(value)))
    return results


def own_results(lesson: Lesson, runs, lang: str = "en") -> tuple[str, list[tuple[str, str]]] | None:
    """The student's newest finished run that matches the lesson (kind and config values), as (run id,
    [(label, value)]); None when there is none. ``runs``: the store's runs, newest first, references left out."""
    if not lesson.own_run:
        return None
    for run in runs:
        if run.reference or run.status != "finished":
            continue
        wanted = dict(lesson.own_run)
        if run.kind != wanted.pop("kind", run.kind):
            continue
        if any(str(run.config.get(k)) != v for k, v in wanted.items()):
            continue
        values = [(translate(f"evidence.own.{key}", lang), _format(run.summary[key]))
                  for key in lesson.own_keys if run.summary.get(key) is not None]
        return run.id, values
    return None


__all__ = ["LESSONS", "LESSONS_BY_ID", "PAGE_FILES", "TEXT_PARTS", "Evidence", "Lesson", "lesson_index",
           "own_results", "reference_results"]
