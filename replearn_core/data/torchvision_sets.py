"""``cifar10`` and ``stl10`` through torchvision, downloaded into the data folder.

Offline, loading fails within seconds with a message that names the built-in datasets.
"""

from __future__ import annotations

import numpy as np
import torch

from replearn_core.data.base import DatasetError, ImageDataset, resize_uint8
from replearn_core.download import DownloadError, torchvision_dataset
from replearn_core.paths import subdir

OFFLINE_HINT = ("The built-in datasets 'shapes' and 'digits' work offline, and 'folder:PATH' "
                "reads any class-per-folder image tree.")


def load_torchvision(name: str, split: str, image_size: int = 32) -> ImageDataset:
    import torchvision

    root = subdir("downloads", name)
    try:
        if name == "cifar10":
            splits = ["train", "test"] if split == "all" else [split]
            cifar10 = torchvision.datasets.CIFAR10
            parts = [torchvision_dataset(lambda download, s=s: cifar10(str(root), train=(s == "train"),
                                                                      download=download), cifar10.url)
                     for s in splits]
            images = np.concatenate([p.data for p in parts])  # (N, 32, 32, 3)
            labels = np.concatenate([np.asarray(p.targets) for p in parts])
            tensor = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
            classes = list(parts[0].classes)
        elif name == "stl10":
            splits = ["train", "test"] if split == "all" else [split]
            stl10 = torchvision.datasets.STL10
            parts = [torchvision_dataset(lambda download, s=s: stl10(str(root), split=s, download=download), stl10.url)
                     for s in splits]
            tensor = torch.from_numpy(np.concatenate([p.data for p in parts]))  # (N, 3, 96, 96)
            labels = np.concatenate([p.labels for p in parts])
            classes = list(parts[0].classes)
        else:
            raise DatasetError(f"unknown torchvision dataset {name!r}")
    except DatasetError:
        raise
    except DownloadError as exc:  # offline: said within seconds, before torchvision's downloader starts
        raise DatasetError(f"Could not download {name}: {exc} {OFFLINE_HINT}", "download_failed", name=name,
                           detail=str(exc), hint="offline_builtin") from exc
    except Exception as exc:  # noqa: BLE001 - network errors come in many types
        raise DatasetError(f"Could not download or read {name} into {root} ({type(exc).__name__}: {exc}). "
                           f"Are you offline? {OFFLINE_HINT}", "download_failed", name=name,
                           detail=f"{type(exc).__name__}: {exc}", hint="offline_builtin") from exc
    return ImageDataset(name, resize_uint8(tensor, image_size), torch.from_numpy(labels).long(), classes)
