import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Every test gets its own empty data folder, so no test sees another's runs (nor the shipped reference runs,
    unless it points REPLEARN_REFERENCE_RUNS at some).

    Runs submitted by tests get a process of their own, as with REPLEARN_WARM_WORKER=0: a warm worker would
    outlive the test. The warm worker's tests turn it on (tests/runs/test_warm_worker.py); whatever a test
    started, no warm worker of its data folder survives it, and one left behind by mistake exits within a
    minute."""
    folder = tmp_path / "replearn_data"
    monkeypatch.setenv("REPLEARN_DATA", str(folder))
    monkeypatch.setenv("REPLEARN_REFERENCE_RUNS", str(tmp_path / "no_reference_runs"))
    monkeypatch.setenv("REPLEARN_DEVICE", "cpu")
    monkeypatch.setenv("REPLEARN_WARM_WORKER", "0")
    monkeypatch.setenv("REPLEARN_WARM_IDLE_S", "60")
    monkeypatch.setenv("REPLEARN_COMPILE_MAPS", "0")  # a warm worker on each fresh folder would compile the maps' code
    yield folder
    from replearn_core.runs.warm import stop_warm_workers

    stop_warm_workers(folder)


@pytest.fixture
def store(data_dir):
    from replearn_core.runs.store import RunStore

    s = RunStore(data_dir)
    yield s
    s.close()
