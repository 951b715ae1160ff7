"""What the CycleGAN page asks of the engine, as plain functions returning pictures and figures.

The page gathers widgets and calls these; tests and scripts can call them just the same.
Pictures are (H, W, 3) uint8 numpy arrays, ready to draw. Texts take ``lang`` ("en" or "zh", the catalogue's
``cyclegan.*`` and ``chart.*`` keys); English by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from replearn_core.cyclegan.config import CycleGANConfig
from replearn_core.i18n import translate as tr
from replearn_core.cyclegan.walk import (BUNDLED, GeneratorCheckpoint, ModelInfo, history, model_info, read_upload,
                                         test_images, translate)

LOSS_KEYS = {"loss_G": "generators (total)", "loss_D": "discriminators", "loss_cycle": "cycle |F(G(a))−a|₁",
             "loss_identity": "identity |G(b)−b|₁"}
FORMULA = (r"\mathcal{L} = \underbrace{(D_B(G(a))-1)^2 + (D_A(F(b))-1)^2}_{\text{LSGAN}}"
           r" + \lambda\,\underbrace{(\|F(G(a))-a\|_1 + \|G(F(b))-b\|_1)}_{\text{cycle}}"
           r" + 0.5\lambda\,\underbrace{(\|G(b)-b\|_1 + \|F(a)-a\|_1)}_{\text{identity}}")
PAPER = "Zhu, Park, Isola, Efros. Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial " \
        "Networks. ICCV 2017. https://arxiv.org/abs/1703.10593"


def picture(image: torch.Tensor) -> np.ndarray:
    """uint8 (3, H, W) -> (H, W, 3) numpy for drawing."""
    return image.permute(1, 2, 0).numpy()


def domain_names(dataset: str, lang: str = "en") -> tuple[str, str]:
    """Readable names of domains A and B."""
    if dataset in ("fruit", "apple2orange"):
        return tr("cyclegan.apple", lang), tr("cyclegan.orange", lang)
    return "A", "B"


def checkpoint_label(c: GeneratorCheckpoint, lang: str = "en") -> str:
    if c.step == 0:
        return tr("cyclegan.step_untrained", lang)
    return tr("cyclegan.step_epoch", lang, step=c.step, epoch=c.epoch) if c.epoch else tr("cyclegan.step", lang,
                                                                                         step=c.step)


@dataclass
class WalkRow:
    title: str  # e.g. "apple → orange → apple"
    real: np.ndarray
    translated: np.ndarray
    reconstructed: np.ndarray


@dataclass
class WalkView:
    info: ModelInfo
    checkpoint: GeneratorCheckpoint
    rows: list[WalkRow]  # one per direction
    history: list[tuple[str, np.ndarray]]  # (checkpoint label, translation of the first row's image)
    history_title: str
    note: str | None  # e.g. "showing fruit test images instead"


def walk_view(source: str = BUNDLED, image_index: int = 0, upload: bytes | None = None, upload_name: str = "",
              checkpoint: str | None = None, store=None, lang: str = "en") -> WalkView:
    """Real → translated → reconstructed in both directions, and the first image through every checkpoint.

    With an upload, that image is walked both ways (as if it were an A and as if it were a B);
    otherwise test image number image_index of each domain. Raises ValueError for a file that is no image.
    """
    info = model_info(source, store)
    chosen = info.checkpoint(checkpoint)
    name_a, name_b = domain_names(info.config.dataset, lang)
    note = None
    if upload is not None:
        image = read_upload(upload, info, upload_name or "the uploaded file")
        image_a = image_b = image
    else:
        pair, note = test_images(info, n=max(8, image_index + 1))
        image_a, image_b = pair.a[image_index % len(pair.a)], pair.b[image_index % len(pair.b)]
    rows = []
    for direction, image, (src, dst) in (("AtoB", image_a, (name_a, name_b)), ("BtoA", image_b, (name_b, name_a))):
        fake, rec = translate(info, image.unsqueeze(0), direction, chosen.name)
        rows.append(WalkRow(f"{src} → {dst} → {src}", picture(image), picture(fake[0]), picture(rec[0])))
    steps = [(checkpoint_label(c, lang), picture(row.translated)) for c, row in history(info, image_a, "AtoB")]
    return WalkView(info, chosen, rows, steps, tr("cyclegan.history_title", lang, a=name_a, b=name_b), note)


def gallery(source: str = BUNDLED, checkpoint: str | None = None, n: int = 8, store=None, lang: str = "en") -> dict:
    """The test set translated at one checkpoint: {"A→B title": (reals, translations), "B→A title": ...}."""
    info = model_info(source, store)
    pair, _ = test_images(info, n)
    name_a, name_b = domain_names(info.config.dataset, lang)
    out = {}
    for direction, images, title in (("AtoB", pair.a, f"{name_a} → {name_b}"), ("BtoA", pair.b, f"{name_b} → {name_a}")):
        fake, _ = translate(info, images, direction, checkpoint)
        out[title] = ([picture(x) for x in images], [picture(x) for x in fake])
    return out


def start_run(config: dict, store=None, user=None) -> str:
    """Validate a page's settings and queue a cyclegan run (executed by a worker) as the user's (default: the
    local user); returns its id."""
    from replearn_core.runs.access import LOCAL, submit_as

    cfg = CycleGANConfig.from_dict(config).validate()
    if cfg.dataset.startswith("folder:"):  # a bad folder fails here, with its message, not in the worker
        from replearn_core.cyclegan.data import load_domains
        load_domains(cfg.dataset, "train", cfg.image_size)
    return submit_as(user or LOCAL, "cyclegan", cfg.to_dict(), name=f"cyclegan {cfg.dataset} {cfg.image_size}px",
                     store=store)


def loss_figure(metrics: dict, lang: str = "en") -> go.Figure:
    """The four CycleGAN losses against the step, smoothed (raw values are noisy at batch size 1)."""
    from replearn_core.plots import LAYOUT, ema_smooth

    fig = go.Figure()
    for key, label in LOSS_KEYS.items():
        if key in metrics:
            steps, values = metrics[key]
            fig.add_scatter(x=steps, y=ema_smooth(values, 0.9), mode="lines",
                            name=tr(f"cyclegan.loss.{key}", lang) if lang != "en" else label)
    fig.update_layout(title=tr("chart.cg_losses", lang), xaxis_title=tr("chart.step", lang),
                      yaxis_title=tr("chart.loss", lang), yaxis_type="log", **LAYOUT)
    return fig


def filmstrip(store, run_id: str) -> list[tuple[int, str]]:
    """The run's stored sample strips as (step, PNG path), oldest first."""
    return [(int(a.step or 0), str(a.path)) for a in sorted(store.artifacts(run_id, kind="samples"),
                                                            key=lambda a: a.step or 0) if a.path.exists()]
