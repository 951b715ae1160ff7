import pytest
import torch

from replearn_core.transfer.config import TransferConfig


@pytest.fixture
def tiny_data():
    """20 random 16×16 images of 4 classes for training, 12 for evaluation."""
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (32, 3, 16, 16), generator=g, dtype=torch.uint8)
    labels = torch.arange(32) % 4
    return images[:20], labels[:20], images[20:], labels[20:]


@pytest.fixture
def tiny_config():
    return TransferConfig(epochs=2, min_steps=6, batch_size=8, lr=1e-2, augment=True, image_size=16)
