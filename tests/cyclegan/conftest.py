import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    """These small convolutions gain little from a second thread, and lose a lot when the cores are shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
