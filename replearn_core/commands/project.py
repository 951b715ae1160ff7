"""``python -m replearn_core project``: a 2-D map of a run's features, written as CSV, scores as JSON.

    python -m replearn_core project --run RUN_ID --method umap --out map.csv
    python -m replearn_core project --run init:RUN_ID --method tsne --out control.csv   # untrained control
    python -m replearn_core project --run init --backbone small_cnn --dataset shapes --method pca

The last line of stdout is always one JSON object: scores, wall time, points, notes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HELP = "Map a run's features to 2-D with PCA, t-SNE or UMAP; write coordinates as CSV and print the scores."


def projection_knobs() -> dict:
    """{knob name: (its declared option, the projections that have it)} for every knob but the seed."""
    from replearn_core.projection.maps import PROJECTIONS

    knobs: dict = {}
    for name, projection in PROJECTIONS.items():
        for option in projection.options:
            if option.name != "random_state":
                knobs.setdefault(option.name, (option, []))[1].append(name)
    return knobs


def add_arguments(parser) -> None:
    parser.add_argument("--run", required=True,
                        help="a run id; 'init:RUN_ID' for the untrained encoder of that run's backbone; "
                             "'init' for an untrained --backbone on --dataset")
    from replearn_core.projection.maps import PROJECTIONS

    parser.add_argument("--method", default="umap", choices=list(PROJECTIONS), help="projection")
    parser.add_argument("--out", help="write index,x,y,label,class_name rows to this CSV file")
    parser.add_argument("--projector-dir",
                        help="also write features.tsv and metadata.tsv for the TensorFlow Embedding Projector here")
    parser.add_argument("--points", type=int, default=5000, help="at most this many images (≤ 10,000)")
    parser.add_argument("--split", default="test", choices=["test", "all"],
                        help="which images: the test split, or train and test together for more points")
    parser.add_argument("--checkpoint", help="a checkpoint name of the run (default: its latest)")
    for name, (option, methods) in projection_knobs().items():  # one flag per declared knob
        parser.add_argument("--" + name.replace("_", "-"), dest=name, type=option.kind,
                            choices=list(option.choices) or None,
                            help=f"{' and '.join(PROJECTIONS[m].title for m in methods)}: {option.help} "
                                 f"(default {option.default})".replace("%", "%%"))
    parser.add_argument("--seed", type=int, default=0, help="seed of the subsample and of UMAP")
    parser.add_argument("--backbone", help="backbone for --run init (default small_cnn)")
    parser.add_argument("--dataset", help="dataset to encode (default: the run's own)")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")


def validate(args) -> dict:
    """The projection's parameters from the flags, checked against its declared options (range, a finite
    number) as the page's are, and the number of points; a ValueError names what is wrong."""
    from replearn_core.projection.maps import MAX_POINTS, projection_params

    if not 3 <= args.points <= MAX_POINTS:
        raise ValueError(f"--points must be between 3 and {MAX_POINTS:,}, got {args.points}")
    params = {"random_state": args.seed}
    for name, (_, methods) in projection_knobs().items():
        value = getattr(args, name)
        if value is None:
            continue
        if args.method not in methods:
            raise ValueError(f"--{name.replace('_', '-')} applies to {' and '.join(methods)}, not {args.method}")
        params[name] = value
    projection_params(args.method, params)
    return params


def run(args) -> int:
    from replearn_core.projection import coordinates_csv, map_run, projector_tsv

    params = args.config
    from replearn_core.runs.reference import open_store

    store = open_store()
    try:
        fmap = map_run(store, args.run, args.method, params, max_points=args.points, split=args.split,
                       backbone=args.backbone, dataset=args.dataset, checkpoint=args.checkpoint)
    finally:
        store.close()
    written = {}
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(coordinates_csv(fmap.coords, fmap.labels, fmap.class_names, fmap.indices))
        written["csv"] = str(out)
    if args.projector_dir:
        folder = Path(args.projector_dir)
        folder.mkdir(parents=True, exist_ok=True)
        feats, meta = projector_tsv(fmap.features, fmap.labels, fmap.class_names, fmap.indices)
        (folder / "features.tsv").write_text(feats)
        (folder / "metadata.tsv").write_text(meta)
        written["projector"] = [str(folder / "features.tsv"), str(folder / "metadata.tsv")]
    result = dict(fmap.summary(), written=written)
    if not args.json:
        s = fmap.scores
        def pct(v):
            return "n/a" if v is None else f"{v:.3f}"
        print(f"{fmap.method} map of {fmap.source_label} [{fmap.checkpoint}]: {len(fmap.coords)} points "
              f"in {fmap.wall_s:.2f} s" + (" (cached)" if fmap.cached else ""), file=sys.stdout)
        print(f"  on the features of the run's {s.get('heldout_images')} held-out images, bank of "
              f"{s.get('bank_images')} training images: kNN accuracy (k={s.get('knn_k')}) "
              f"{pct(s.get('knn_accuracy'))}, linear probe {pct(s.get('linear_probe_accuracy'))}, "
              f"k-means NMI {pct(s.get('kmeans_nmi'))}")
        print(f"  on the 2-D map: silhouette {pct(s.get('map_silhouette'))}")
        for note in fmap.notes:
            print(f"  note: {note}")
    print(json.dumps(result))
    return 0
