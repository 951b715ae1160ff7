"""What the lab draws from a run's stored method: reconstructions, samples, latent traversals, puzzles.

A method that lists ``lab_views`` stores its whole state (decoder and heads included, not only the encoder)
after its first epoch and about five times more in a run, as artifacts of kind ``method``. These functions rebuild the
method from the newest one (or from each, to show training progress) and return uint8 (H, W, 3) pictures
laid out with :func:`replearn_core.ssl.artifacts.image_grid`, plus a caption. Held-out images are the dataset's test
split, the same seeded few every time, so that successive pictures of a run compare.

    grid, caption = reconstruction_view(store, run_id)   # st.image(grid.numpy(), caption=caption)
"""

from __future__ import annotations

import torch

from replearn_core.augment import plain
from replearn_core.checkpoints import CheckpointError, read_state_file
from replearn_core.data import load_dataset
from replearn_core.i18n import Message, has_key
from replearn_core.runs.store import RunStore
from replearn_core.ssl.artifacts import image_grid, method_states
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS, build_method
from replearn_core.ssl.methods.base import SSLMethod

VIEW_SEED = 7  # the masks, noise and puzzles of every picture: the same from one refresh to the next


def run_views(store: RunStore, run_id: str) -> tuple[str, ...]:
    """The views the page can draw for a run now: its method's ``lab_views`` once a method is stored."""
    run = store.get_run(run_id)
    cls = METHODS.get((run.config or {}).get("method", "")) if run else None
    if cls is None or not cls.lab_views or not method_states(store, run_id):
        return ()
    return cls.lab_views


def load_run_method(store: RunStore, run_id: str, artifact=None) -> tuple[SSLMethod, dict]:
    """Rebuild a run's method from its newest stored state (or the artifact given), in eval mode on the CPU.
    Returns (method, artifact meta)."""
    states = method_states(store, run_id)
    if artifact is None:
        if not states:
            raise CheckpointError(f"run {run_id} has stored no method yet (after its first epoch it will)")
        artifact = states[-1]
    config = TrainConfig.from_dict(store.get_run(run_id).config).validate(METHODS)
    method = build_method(config)
    method.load_state_dict(read_state_file(artifact.path))
    return method.eval(), artifact.meta


def held_out(config: dict, n: int, size: int | None = None) -> torch.Tensor:
    """n held-out images of a run's dataset, normalised (n, 3, S, S) at the method's view size."""
    cfg = TrainConfig.from_dict(config)
    data = load_dataset(cfg.eval_dataset or cfg.dataset, "test", cfg.image_size).take(n, seed=VIEW_SEED)
    return plain(data.images, out_size=size)


def _hwc(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) in [0, 1] -> (B, H, W, 3) uint8."""
    return (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def _generator() -> torch.Generator:
    return torch.Generator().manual_seed(VIEW_SEED)


def reconstruction_view(store: RunStore, run_id: str, n: int = 8, progress: bool = True
                        ) -> tuple[torch.Tensor, str]:
    """Held-out images through the run's encoder and decoder: the method's input, its reconstruction and
    the original (or target), one row each. With ``progress``, one reconstruction row per stored epoch (the
    same images and masks), oldest at the top, so that the picture shows the reconstructions sharpen."""
    method, meta = load_run_method(store, run_id)
    x = held_out(store.get_run(run_id).config, n, method.view_size)
    rows = method.reconstruct(x, _generator())
    names = list(rows)
    pictures = [_hwc(rows[names[0]])]
    labels = [names[0]]
    if progress and len(method_states(store, run_id)) > 1:
        for artifact in method_states(store, run_id):
            earlier, earlier_meta = load_run_method(store, run_id, artifact)
            pictures.append(_hwc(earlier.reconstruct(x, _generator())["reconstruction"]))
            labels.append(Message("view.row_epoch", epoch=earlier_meta.get("epoch", "?")))
    else:
        pictures.append(_hwc(rows["reconstruction"]))
        labels.append(Message("view.row_reconstruction_epoch", epoch=meta.get("epoch", "?")))
    for name in names[1:]:
        if name != "reconstruction":
            pictures.append(_hwc(rows[name]))
            labels.append(_row_name(name))
    return image_grid(pictures), Message("view.rows", rows=labels)


def _row_name(name: str) -> Message | str:
    """A method's row name ("masked input", "original", ...) in the catalogue's words where it has them."""
    code = "view.row." + name.replace(" ", "_")
    return Message(code) if has_key("msg." + code) else name


def samples_view(store: RunStore, run_id: str, n: int = 16) -> tuple[torch.Tensor, str]:
    """Images decoded from random draws of the prior N(0, I): what the generative model makes up."""
    method, meta = load_run_method(store, run_id)
    images = _hwc(method.sample(n, _generator()))
    half = (n + 1) // 2
    return image_grid([images[:half], images[half:2 * half]]), Message("view.samples", n=n,
                                                                        epoch=meta.get("epoch", "?"))


def traversal_view(store: RunStore, run_id: str, dims: int = 8, steps: int = 7) -> tuple[torch.Tensor, str]:
    """One held-out image's latent traversal: row r moves one latent dimension from −3σ to +3σ."""
    method, meta = load_run_method(store, run_id)
    x = held_out(store.get_run(run_id).config, 64, method.view_size)  # the first is traversed; all rank the dims
    grid, order = method.traverse(x, dims=dims, steps=steps)  # (dims, steps, 3, S, S)
    return image_grid([_hwc(row) for row in grid]), Message(
        "view.traversal", dims="z" + ", z".join(str(d) for d in order), epoch=meta.get("epoch", "?"))


def jigsaw_view(store: RunStore, run_id: str, n: int = 8) -> tuple[torch.Tensor, str]:
    """Shuffled held-out puzzles, the images put back in the order the network predicts, and its guesses."""
    method, meta = load_run_method(store, run_id)
    x = held_out(store.get_run(run_id).config, n, method.view_size)
    solved = method.solve(x, _generator())
    right = (solved["predicted"] == solved["true"]).all(1)
    orders = " ".join(f"{''.join(str(int(i)) for i in p)}{'✓' if ok else '✗'}"
                      for p, ok in zip(solved["predicted"], right))
    caption = Message("view.jigsaw", epoch=meta.get("epoch", "?"), orders=orders, right=int(right.sum()), n=n)
    return image_grid([_hwc(solved["shuffled"]), _hwc(solved["restored"])]), caption


VIEWS = {"reconstruction": reconstruction_view, "samples": samples_view, "traversal": traversal_view,
         "jigsaw": jigsaw_view}
