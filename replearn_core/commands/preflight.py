"""Checks a command makes before it stores a run: what a run configuration's ``validate`` cannot see, because
the run may execute elsewhere (a worker, a Ray cluster), but a command that runs it here can.

- the device is on this machine (``--device cuda`` without a GPU is one line now, not a run left queued);
- a dataset name is known and a ``folder:`` dataset exists and holds enough images in each split the run
  reads (a folder of one image is refused by name before any training, not deep inside PyTorch).
"""

from __future__ import annotations


def check_device(name: str | None) -> None:
    from replearn_core.device import pick_device

    pick_device(name)


def check_dataset(spec: str, image_size: int, splits: tuple[str, ...] = ("train", "test")) -> None:
    """Refuse an unknown dataset name, a missing folder, and a folder split too small to use. Only a
    ``folder:`` dataset is read here (it is cached, so the run reads it again for free); registered ones are
    only named, since they may need a download."""
    from replearn_core.data import check_dataset_spec, load_dataset

    check_dataset_spec(spec)
    if spec.startswith("folder:"):
        for split in splits:
            load_dataset(spec, split, image_size)


def parse_json(flag: str, text: str | None):
    """A flag's JSON value, or a ValueError that names the flag (nesting too deep to read counts as invalid)."""
    import json

    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{flag} is not valid JSON: {exc}") from None
