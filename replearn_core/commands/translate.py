"""``python -m replearn_core translate``: translate image files with a CycleGAN run's generators."""

from __future__ import annotations

import json
from pathlib import Path

HELP = "translate image files with a trained CycleGAN (a run id, or 'bundled' for the shipped fruit model)"


def add_arguments(p) -> None:
    p.add_argument("--run", default="bundled", help="cyclegan run id, or 'bundled' for the model shipped with "
                                                     "replearn (default: bundled)")
    p.add_argument("--direction", choices=("AtoB", "BtoA"), default="AtoB",
                   help="AtoB: domain A to B (apple -> orange); BtoA: the other way (default: AtoB)")
    p.add_argument("--checkpoint", default=None, help="checkpoint name (e.g. checkpoint_step_000400 or "
                                                      "untrained); default: the latest")
    p.add_argument("--out", required=True, help="folder to write the translated images into (created if needed)")
    p.add_argument("--reconstruct", action="store_true", help="also write the round trip back (A -> B -> A)")
    p.add_argument("--json", action="store_true", help="print the written files as one JSON object on the last line")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files of any size (resized to the model's)")


def run(args) -> int:
    from PIL import Image

    from replearn_core.cyclegan.walk import model_info, read_upload, translate

    info = model_info(args.run)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in args.images:
        path = Path(name)
        if not path.is_file():
            raise FileNotFoundError(f"no image file at {path}")
        image = read_upload(path.read_bytes(), info, name=str(path))
        fake, rec = translate(info, image.unsqueeze(0), args.direction, args.checkpoint)
        pairs = [(f"{path.stem}_{args.direction}.png", fake[0])]
        if args.reconstruct:
            pairs.append((f"{path.stem}_{args.direction}_reconstructed.png", rec[0]))
        for file_name, tensor in pairs:
            Image.fromarray(tensor.permute(1, 2, 0).numpy()).save(out / file_name)
            written.append(str(out / file_name))
    checkpoint = info.checkpoint(args.checkpoint).name
    if args.json:
        print(json.dumps({"source": args.run, "checkpoint": checkpoint, "direction": args.direction,
                          "files": written}))
    else:
        print(f"wrote {len(written)} image(s) to {out} with {args.run} ({checkpoint}, {args.direction})")
    return 0
