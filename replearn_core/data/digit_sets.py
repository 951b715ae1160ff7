"""``mnist``, ``usps`` and ``svhn`` through torchvision, for the classic digit adaptation pairs.

MNIST → USPS and SVHN → MNIST need a network the first time: torchvision downloads
each file into the data folder and checks its MD5 sum; an interrupted or offline
download fails (offline: within seconds) with a message that names the offline pair
(printed-digits → digits).
Grey images are repeated to three channels so every pair shares one encoder.
"""

from __future__ import annotations

import numpy as np
import torch

from replearn_core.data.base import DatasetError, ImageDataset, resize_uint8
from replearn_core.download import DownloadError, torchvision_dataset
from replearn_core.paths import subdir

OFFLINE_HINT = "Offline, adapt the built-in pair instead: --source printed-digits --target digits."
CLASS_NAMES = [str(d) for d in range(10)]


def _to_tensor(data) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(data))
    if x.dim() == 3:  # (N, H, W) grey
        x = x[:, None].repeat(1, 3, 1, 1)
    return x.to(torch.uint8).contiguous()  # (N, 3, H, W)


def load_digit_set(name: str, split: str, image_size: int = 32) -> ImageDataset:
    import torchvision

    root = subdir("downloads", name)
    splits = ["train", "test"] if split == "all" else [split]
    try:
        parts = []
        for s in splits:
            if name == "mnist":
                mnist = torchvision.datasets.MNIST
                ds = torchvision_dataset(lambda download: mnist(str(root), train=(s == "train"), download=download),
                                         mnist.mirrors[0] + mnist.resources[0][0])
                parts.append((_to_tensor(ds.data), torch.as_tensor(ds.targets).long()))
            elif name == "usps":
                usps = torchvision.datasets.USPS
                ds = torchvision_dataset(lambda download: usps(str(root), train=(s == "train"), download=download),
                                         usps.split_list["train" if s == "train" else "test"][0])
                parts.append((_to_tensor(ds.data), torch.as_tensor(ds.targets).long()))
            elif name == "svhn":
                svhn = torchvision.datasets.SVHN
                ds = torchvision_dataset(lambda download: svhn(str(root), split=s, download=download),
                                         svhn.split_list[s][0])
                parts.append((_to_tensor(ds.data), torch.as_tensor(ds.labels).long() % 10))
            else:
                raise DatasetError(f"unknown digit set {name!r}")
    except DatasetError:
        raise
    except DownloadError as exc:  # offline: said within seconds, before torchvision's downloader starts
        raise DatasetError(f"Could not download {name}: {exc} {OFFLINE_HINT}", "download_failed", name=name,
                           detail=str(exc), hint="offline_digits") from exc
    except Exception as exc:  # noqa: BLE001 - network errors come in many types
        raise DatasetError(f"Could not download or read {name} into {root} ({type(exc).__name__}: {exc}). "
                           f"Are you offline? {OFFLINE_HINT}", "download_failed", name=name,
                           detail=f"{type(exc).__name__}: {exc}", hint="offline_digits") from exc
    images = resize_uint8(torch.cat([p[0] for p in parts]), image_size)
    return ImageDataset(name, images, torch.cat([p[1] for p in parts]), list(CLASS_NAMES))
