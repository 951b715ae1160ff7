import os
from pathlib import Path

import pytest
import torch

# numba's compiled code persists between test sessions here (the app keeps it in its data folder)
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[2] / ".pytest_cache" / "numba"))


@pytest.fixture
def make_run(store):
    """Create a run with one small_cnn checkpoint (seeded random weights) on the shapes data set."""
    from replearn_core.backbones import build_backbone
    from replearn_core.checkpoints import encoder_tensors
    from replearn_core.runs.context import RunContext

    def make(seed: int = 1, checkpoints: int = 1, nan: bool = False, status: str = "finished") -> str:
        run_id = store.create_run("ssl", {"method": "simclr", "dataset": "shapes", "backbone": "small_cnn",
                                          "image_size": 32, "knn_bank_images": 500, "eval_images": 200})
        ctx = RunContext(store, run_id, torch.device("cpu"))
        for epoch in range(1, checkpoints + 1):
            torch.manual_seed(seed + epoch)
            tensors = encoder_tensors(build_backbone("small_cnn"))
            if nan:
                tensors = {k: torch.full_like(v, float("nan")) if v.is_floating_point() else v
                           for k, v in tensors.items()}
            ctx.save_tensors(f"checkpoint_epoch_{epoch}", tensors, step=epoch,
                             meta={"backbone": "small_cnn", "epoch": epoch})
        ctx.close()
        if status != "queued":
            store.finish(run_id, status)
        return run_id

    return make
