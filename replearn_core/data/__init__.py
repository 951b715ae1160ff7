"""The dataset table.

``load_dataset("shapes", "train")`` returns an :class:`ImageDataset`. :data:`DATASETS` names every
dataset of every capability, the same in every process whatever was imported (a run validated in the
web process must find its dataset in the worker); each loader imports its module only when called.
``folder:PATH`` reads any class-per-folder tree. Splits: ``train``, ``test`` (held out) and ``all``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Callable

import torch

from replearn_core.data.base import DatasetError, ImageDataset, resize_uint8, stratified_split

SPLITS = ("train", "test", "all")


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    loader: Callable[[str, int], ImageDataset]  # (split, image_size) -> ImageDataset
    offline: bool = True  # works with no network
    # the class never depends on the hue (shapes draws its colours at random): training views may turn the
    # hue freely, which stops a network from matching two views by colour alone. Photos keep their hue.
    hue_free: bool = False


def _shapes(split, size):
    from replearn_core.data.shapes import load_shapes
    if split == "all":
        parts = [load_shapes(s, size) for s in ("train", "test")]
        return ImageDataset("shapes", torch.cat([p.images for p in parts]),
                            torch.cat([p.labels for p in parts]), parts[0].class_names)
    return load_shapes(split, size)


def _digits(split, size):
    from replearn_core.data.digits import load_digits_split
    return load_digits_split(split, size)


def _torchvision(name):
    def load(split, size):
        from replearn_core.data.torchvision_sets import load_torchvision
        return load_torchvision(name, split, size)
    return load


def _printed_digits(split, size):
    from replearn_core.data.printed_digits import load_printed_digits
    return load_printed_digits(split, size)


def _pen_digits(split, size):
    from replearn_core.data.pen_digits import load_pen_digits
    return load_pen_digits(split, size)


def _digit_set(name):
    def load(split, size):
        from replearn_core.data.digit_sets import load_digit_set
        return load_digit_set(name, split, size)
    return load


DATASETS: dict[str, DatasetInfo] = {
    "shapes": DatasetInfo("shapes", "10 procedurally drawn shape classes in random colours on plain "
                          "backgrounds (built-in, 5,000 train / 1,000 test).", _shapes, hue_free=True),
    "digits": DatasetInfo("digits", "scikit-learn's 8×8 handwritten digits, upsampled "
                          "(built-in, 1,347 train / 450 test).", _digits),
    "cifar10": DatasetInfo("cifar10", "CIFAR-10 through torchvision (downloads 170 MB once).",
                           _torchvision("cifar10"), offline=False),
    "stl10": DatasetInfo("stl10", "STL-10 labelled splits through torchvision (downloads 2.6 GB once).",
                         _torchvision("stl10"), offline=False),
    "printed-digits": DatasetInfo("printed-digits", "digits 0-9 drawn from fonts with random size, colour, "
                                  "slant and noise (built-in, 3,000 train / 1,000 test); the source domain of "
                                  "printed → handwritten adaptation.", _printed_digits),
    "pen-digits": DatasetInfo("pen-digits", "digits 0-9 drawn as jittered pen strokes, dark ink on light paper "
                              "(built-in, 3,000 train / 1,000 test); a second target domain for printed → "
                              "handwritten adaptation.", _pen_digits),
    "mnist": DatasetInfo("mnist", "MNIST handwritten digits through torchvision (downloads 10 MB once).",
                         _digit_set("mnist"), offline=False),
    "usps": DatasetInfo("usps", "USPS handwritten digits, 16×16, through torchvision (downloads 7 MB once).",
                        _digit_set("usps"), offline=False),
    "svhn": DatasetInfo("svhn", "SVHN street-view house numbers through torchvision (downloads 400 MB once).",
                        _digit_set("svhn"), offline=False),
}


def dataset_names(offline_only: bool = False) -> list[str]:
    return [n for n, info in DATASETS.items() if info.offline or not offline_only]


def hue_free(spec: str) -> bool:
    """Whether a dataset's classes never depend on hue (False for folders and unknown names)."""
    info = DATASETS.get(spec)
    return bool(info and info.hue_free)


def check_dataset_spec(spec: str) -> None:
    """Refuse, before a run is queued, a dataset name that is not registered or a folder that does not exist
    (the worker would fail on it a moment later, out of the user's sight)."""
    from pathlib import Path

    if spec.startswith("folder:"):
        path = spec[len("folder:"):]
        if not Path(path).expanduser().is_dir():
            raise DatasetError(f"{spec}: no such folder. Give a folder with one sub-folder per class.",
                               "folder_missing", path=path)
    elif spec not in DATASETS:
        raise DatasetError(f"unknown dataset {spec!r}. Known: {', '.join(DATASETS)}, or folder:PATH.",
                           "unknown_dataset", name=repr(spec), known=", ".join(DATASETS))


def load_dataset(spec: str, split: str = "train", image_size: int = 32) -> ImageDataset:
    """Load a registered dataset or ``folder:PATH`` split as uint8 tensors, cached in memory."""
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    if not isinstance(image_size, int) or not 8 <= image_size <= 512:
        raise DatasetError(f"image size must be an integer between 8 and 512, got {image_size!r}",
                           "image_size", value=repr(image_size))
    from replearn_core.paths import data_dir

    return _load_cached(spec.strip(), split, image_size, str(data_dir()))


@lru_cache(maxsize=16)
def _load_cached(spec: str, split: str, image_size: int, _data_dir: str) -> ImageDataset:
    """Cached per data folder too: downloads and drawn sets live there."""
    if spec.startswith("folder:"):
        from replearn_core.data.folder import load_folder
        return load_folder(spec[len("folder:"):], split, image_size)
    if spec not in DATASETS:
        raise DatasetError(f"unknown dataset {spec!r}. Known: {', '.join(DATASETS)}, or folder:PATH.",
                           "unknown_dataset", name=repr(spec), known=", ".join(DATASETS))
    return DATASETS[spec].loader(split, image_size)


def load_train_and_eval(spec: str, eval_spec: str | None, image_size: int, max_train_images: int | None,
                        eval_images: int, seed: int) -> tuple[ImageDataset, ImageDataset]:
    """A run's training split (optionally a seeded subset) and its held-out images.

    The held-out images are the dataset's own test split, or all of ``eval_spec`` when given; at most
    ``eval_images`` of them, always the same seeded subset so that runs compare on the same images.
    """
    return (training_images(spec, image_size, max_train_images, seed),
            held_out_images(spec, eval_spec, image_size, eval_images))


def training_images(spec: str, image_size: int, max_train_images: int | None, seed: int) -> ImageDataset:
    """A run's training split: all of ``spec``'s training images, or a seeded subset of ``max_train_images``."""
    train = load_dataset(spec, "train", image_size)
    return train.take(max_train_images, seed=seed) if max_train_images else train


def held_out_images(spec: str, eval_spec: str | None, image_size: int, eval_images: int) -> ImageDataset:
    """A run's held-out images: ``spec``'s test split, or all of ``eval_spec`` when given; at most
    ``eval_images``, always the same seeded subset."""
    evaluation = load_dataset(eval_spec, "all", image_size) if eval_spec else load_dataset(spec, "test", image_size)
    return evaluation.take(eval_images, seed=1)


@dataclass(frozen=True)
class EvaluationImages:
    """The images a run's features are scored on, chosen from its settings: a kNN bank of training images and
    the held-out images. The run configurations that score features (``TrainConfig``, ``MetricConfig``) use
    these names and defaults; the trainers and the feature maps' scores pick the images with :meth:`splits`,
    so a map scores a checkpoint on the images its run scored it on."""

    dataset: str = "shapes"  # a registered dataset or folder:PATH
    eval_dataset: str | None = None  # held-out images; None = the dataset's own test split
    image_size: int = 32  # pixels a side
    max_train_images: int | None = None  # the run's training images: at most this many (None = all)
    eval_images: int = 1000  # held-out images scored
    knn_bank_images: int = 5000  # training images that form the kNN memory bank
    knn_k: int = 20  # neighbours of the kNN classifier
    seed: int = 0  # seeds the subset of training images

    @classmethod
    def of(cls, config) -> "EvaluationImages":
        """The evaluation settings of a run configuration that has these names."""
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)})

    def splits(self) -> tuple[ImageDataset, ImageDataset, ImageDataset]:
        """(training images, kNN bank, held-out images)."""
        train, evaluation = load_train_and_eval(self.dataset, self.eval_dataset, self.image_size,
                                                self.max_train_images, self.eval_images, self.seed)
        return train, train.take(self.knn_bank_images, seed=2), evaluation


__all__ = ["DATASETS", "DatasetError", "DatasetInfo", "EvaluationImages", "ImageDataset", "check_dataset_spec",
           "dataset_names", "held_out_images", "hue_free", "load_dataset", "load_train_and_eval", "resize_uint8",
           "stratified_split", "training_images"]
