"""Walk through a trained CycleGAN: load its generators at any stored checkpoint and translate.

A *source* is ``"bundled"`` (the small model shipped in ``assets/cyclegan``,
so the walk works right after install), ``"published"`` (Zhu et al.'s apple2orange
generators, once downloaded: :mod:`replearn_core.cyclegan.published`) or the id of
a ``cyclegan`` run in the run store. Every source also offers the virtual checkpoint ``untrained`` (step
0: the generators as initialised from the run's seed), so the history slider
starts from noise-like output.

Directions: ``AtoB`` translates with G_AB and reconstructs with G_BA (apple ->
orange -> apple); ``BtoA`` the other way round.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import torch

from replearn_core.checkpoints import CheckpointError, read_state_file
from replearn_core.cyclegan import published
from replearn_core.cyclegan.config import CycleGANConfig
from replearn_core.cyclegan.images import decode_image, to_signed, to_uint8
from replearn_core.cyclegan.models import ResnetGenerator, build_generator
from replearn_core.runs.reference import open_store

BUNDLED = "bundled"
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "assets" / "cyclegan"
UNTRAINED = "untrained"
DIRECTIONS = ("AtoB", "BtoA")


@dataclass
class GeneratorCheckpoint:
    name: str  # artifact or file name; "untrained" for step 0
    step: int  # training step at which it was saved
    path: Path | None  # safetensors file (None for "untrained")
    epoch: int | None = None


@dataclass
class ModelInfo:
    source: str  # "bundled" or a run id
    config: CycleGANConfig
    checkpoints: list[GeneratorCheckpoint]  # oldest first, starting with "untrained"
    description: str  # what it was trained on and for how long, for the page
    card: dict = field(default_factory=dict)

    def checkpoint(self, name: str | None) -> GeneratorCheckpoint:
        """The named checkpoint; None = the latest."""
        if name is None:
            return self.checkpoints[-1]
        for c in self.checkpoints:
            if c.name == name:
                return c
        raise KeyError(f"{self.source} has no checkpoint {name!r}; it has {', '.join(c.name for c in self.checkpoints)}")


def model_info(source: str = BUNDLED, store=None) -> ModelInfo:
    """Describe a source and list its checkpoints. Raises FileNotFoundError/KeyError with a clear message."""
    if source == BUNDLED:
        return _bundled_info()
    if source == published.SOURCE:
        return _published_info()

    store = store or open_store()
    run = store.get_run(source)
    if run.kind != "cyclegan":
        raise KeyError(f"run {source} is a {run.kind} run, not a cyclegan run")
    known = {f for f in CycleGANConfig.__dataclass_fields__}
    config = CycleGANConfig(**{k: v for k, v in run.config.items() if k in known})
    checkpoints = [GeneratorCheckpoint(UNTRAINED, 0, None, 0)]
    for a in store.artifacts(source, kind="checkpoint"):
        if a.name != "checkpoint_final" and a.path.exists():
            checkpoints.append(GeneratorCheckpoint(a.name, int(a.step or 0), a.path, a.meta.get("epoch")))
    checkpoints.sort(key=lambda c: c.step)
    steps = run.summary.get("steps") if run.summary else None
    seconds = run.summary.get("train_time_s") if run.summary else None
    length = f"{steps} steps in {seconds / 60:.1f} min" if steps and seconds else f"{len(checkpoints) - 1} checkpoints"
    description = (f"Run {run.id} ({run.status}): trained on {config.dataset} at {config.image_size} px, "
                   f"{length}, on {run.device or 'an unknown device'}.")
    return ModelInfo(source, config, checkpoints, description)


def _bundled_info() -> ModelInfo:
    card_path = BUNDLED_DIR / "card.json"
    if not card_path.is_file():
        raise FileNotFoundError(f"the bundled CycleGAN model is missing ({card_path}); reinstall replearn or "
                                f"train a run on this page.")
    card = json.loads(card_path.read_text())
    config = CycleGANConfig.from_dict(card["config"])
    checkpoints = [GeneratorCheckpoint(UNTRAINED, 0, None, 0)]
    for c in card["checkpoints"]:
        checkpoints.append(GeneratorCheckpoint(c["name"], int(c["step"]), BUNDLED_DIR / c["file"], c.get("epoch")))
    return ModelInfo(BUNDLED, config, checkpoints, card["description"], card)


def _published_info() -> ModelInfo:
    if not published.is_downloaded():
        raise FileNotFoundError("the published CycleGAN generators are not downloaded yet: download them on this "
                                "page (about 90 MB, once), or use the bundled model offline.")
    card = json.loads(published.card_path().read_text())
    config = CycleGANConfig(dataset="apple2orange", image_size=published.IMAGE_SIZE, ngf=published.NGF,
                            n_blocks=published.N_BLOCKS)
    checkpoints = [GeneratorCheckpoint(UNTRAINED, 0, None, 0),
                   GeneratorCheckpoint("published", 1, published.weights_path())]
    return ModelInfo(published.SOURCE, config, checkpoints, card["description"], card)


@lru_cache(maxsize=16)
def _generators(path: str | None, mtime: float, ngf: int, n_blocks: int, seed: int):
    if path is None:  # step 0: the initialisation the run started from
        g_ab, g_ba = build_generator(ngf, n_blocks, seed=seed), build_generator(ngf, n_blocks, seed=seed + 1)
    else:
        state = read_state_file(path)
        g_ab, g_ba = ResnetGenerator(ngf, n_blocks), ResnetGenerator(ngf, n_blocks)
        for prefix, model in (("G_AB.", g_ab), ("G_BA.", g_ba)):
            part = {k[len(prefix):]: v.float() for k, v in state.items() if k.startswith(prefix)}
            try:
                model.load_state_dict(part)
            except RuntimeError as exc:
                raise CheckpointError(f"{Path(path).name} does not fit a generator with ngf={ngf}, "
                                      f"{n_blocks} blocks: {str(exc)[:300]}") from exc
    return g_ab.eval(), g_ba.eval()


def load_generators(info: ModelInfo, checkpoint: str | None = None) -> tuple[ResnetGenerator, ResnetGenerator]:
    """(G_AB, G_BA) of a checkpoint, in eval mode on the CPU (cached)."""
    c = info.checkpoint(checkpoint)
    mtime = c.path.stat().st_mtime if c.path else 0.0
    return _generators(str(c.path) if c.path else None, mtime, info.config.ngf, info.config.n_blocks,
                       info.config.seed)


_THREADS_LOCK = threading.Lock()


@contextlib.contextmanager
def _one_thread():
    """Translate on one CPU thread: these small convolutions gain little from more, and on a machine whose
    cores are busy (a training run beside the web server) a multi-threaded forward pass waits for every
    core in turn; measured here: 1.4 s instead of 25-50 s for a walk."""
    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


@torch.no_grad()
def translate(info: ModelInfo, images: torch.Tensor, direction: str = "AtoB",
              checkpoint: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (N, 3, S, S) at the model's size -> (translated, reconstructed), both uint8 (N, 3, S, S)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be AtoB or BtoA, got {direction!r}")
    g_ab, g_ba = load_generators(info, checkpoint)
    forward, backward = (g_ab, g_ba) if direction == "AtoB" else (g_ba, g_ab)
    x = to_signed(images)  # (N, 3, S, S) in [-1, 1]
    with _one_thread():
        fake = torch.cat([forward(chunk) for chunk in x.split(16)]) if len(x) else x
        rec = torch.cat([backward(chunk) for chunk in fake.split(16)]) if len(x) else x
    return to_uint8(fake), to_uint8(rec)


@dataclass
class WalkRow:
    real: torch.Tensor  # (3, S, S) uint8
    translated: torch.Tensor
    reconstructed: torch.Tensor


def walk_image(info: ModelInfo, image: torch.Tensor, direction: str, checkpoint: str | None = None) -> WalkRow:
    """One image real -> translated -> reconstructed at one checkpoint."""
    fake, rec = translate(info, image.unsqueeze(0), direction, checkpoint)
    return WalkRow(image, fake[0], rec[0])


def history(info: ModelInfo, image: torch.Tensor, direction: str) -> list[tuple[GeneratorCheckpoint, WalkRow]]:
    """The same image translated by every stored checkpoint, oldest first: how the translation improved."""
    return [(c, walk_image(info, image, direction, c.name)) for c in info.checkpoints]


def test_images(info: ModelInfo, n: int = 8):
    """Held-out images of the model's own dataset at its size; the built-in fruit when that set is unavailable.

    Returns (DomainPair, note) where note says when a fallback was used.
    """
    from replearn_core.cyclegan.data import load_domains
    from replearn_core.data.base import DatasetError

    spec = info.config.dataset
    note = None
    if spec == "apple2orange":  # never start a download from the walk
        from replearn_core.paths import data_dir
        if not (data_dir() / "datasets" / "apple2orange" / "testA").is_dir():
            spec, note = "fruit", "apple2orange is not downloaded here; showing the built-in fruit test images."
    try:
        pair = load_domains(spec, "test", info.config.image_size, limit=n)
    except DatasetError as exc:
        pair = load_domains("fruit", "test", info.config.image_size, limit=n)
        note = f"{exc} Showing the built-in fruit test images instead."
    return pair.take(n), note


def read_upload(data: bytes, info: ModelInfo, name: str = "the file") -> torch.Tensor:
    """An uploaded file of any size -> uint8 (3, S, S) at the model's size; ValueError if it is no image."""
    return decode_image(data, info.config.image_size, name)


def list_sources(store=None, user=None) -> list[str]:
    """The bundled model (if installed) and every cyclegan run with a checkpoint that the user may see (default:
    the local user, every run), newest first."""
    from replearn_core.runs.access import LOCAL, list_runs

    store = store or open_store()
    sources = [BUNDLED] if (BUNDLED_DIR / "card.json").is_file() else []
    if published.is_downloaded():
        sources.append(published.SOURCE)
    for run in list_runs(store, user or LOCAL, kind="cyclegan"):
        if store.artifacts(run.id, kind="checkpoint"):
            sources.append(run.id)
    return sources
