"""One fixture for test folders whose small models should run on one torch thread.

Import it into a conftest (or a test module) to use it there:
``from tests.threads import one_thread  # noqa: F401``.
"""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: on a shared, busy CPU two threads spin-wait and run many times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
