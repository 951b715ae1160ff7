"""Export a finished cyclegan run as the bundled model in ``assets/cyclegan``.

The bundled model lets the walk work right after install. Only the generators
are kept, as float16 safetensors (half the size; translating casts them back to
float32), with a ``card.json`` that says what the model was trained on and for
how long. Reproduce it with::

    python -m replearn_core cyclegan --data fruit --size 64 --ngf 16 --ndf 32 --n-blocks 6 \\
        --epochs 3 --max-train-images none --sample-every 200 --checkpoints 4
    python -m replearn_core.cyclegan.bundle RUN_ID
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from replearn_core.checkpoints import read_state_file
from replearn_core.cyclegan.walk import BUNDLED_DIR
from replearn_core.runs.reference import open_store


def export_bundle(store, run_id: str, target: Path = BUNDLED_DIR) -> dict:
    from safetensors.torch import save_file

    run = store.get_run(run_id)
    if run.kind != "cyclegan" or run.status != "finished":
        raise ValueError(f"run {run_id} is a {run.status} {run.kind} run; export a finished cyclegan run")
    checkpoints = [a for a in store.artifacts(run_id, kind="checkpoint") if a.name != "checkpoint_final"]
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    entries = []
    for a in checkpoints:
        state = {k: v.half().contiguous() for k, v in read_state_file(a.path).items()}
        file = f"{a.name}.safetensors"
        save_file(state, str(target / file), metadata={"step": str(a.step), "precision": "float16"})
        (target / file).chmod(0o644)
        entries.append({"name": a.name, "step": a.step, "epoch": a.meta.get("epoch"), "file": file})
    s, c = run.summary, run.config
    minutes = s["train_time_s"] / 60
    description = (f"Bundled model: trained on the built-in procedurally drawn fruit set ({c['dataset']}, "
                   f"400 apples and 400 oranges at {c['image_size']} px) for {s['steps']} steps "
                   f"({s['epochs_done']} epochs, batch size {c['batch_size']}) in {minutes:.0f} minutes on "
                   f"{run.device}. Generators: ngf={c['ngf']}, {c['n_blocks']} residual blocks, stored as float16.")
    card = {"description": description, "run_id": run_id, "config": c, "device": run.device,
            "steps": s["steps"], "epochs": s["epochs_done"], "train_time_s": round(s["train_time_s"], 1),
            "final_losses": {k: round(s[k], 4) for k in ("loss_G", "loss_D", "loss_cycle", "loss_identity")},
            "images_per_s": round(s["images_per_s"], 2), "checkpoints": entries}
    (target / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main() -> None:

    parser = argparse.ArgumentParser(description="export a finished cyclegan run as the bundled model")
    parser.add_argument("run_id")
    parser.add_argument("--target", default=str(BUNDLED_DIR))
    args = parser.parse_args()
    card = export_bundle(open_store(), args.run_id, Path(args.target))
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
