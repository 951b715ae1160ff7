import io
import json

import numpy as np
import pytest
import torch

from replearn_core.backbones import build_backbone
from replearn_core.checkpoints import load_run_encoder
from replearn_core.metric import METRIC_METHODS
from replearn_core.metric.job import parse_config
from replearn_core.options import Option
from replearn_core.metric.search import comparison_table, image_from_bytes, search
from replearn_core.runs import execute_run
from replearn_core.metric.config import MetricConfig

TINY = dict(dataset="digits", epochs=1, batch_size=40, max_train_images=200, eval_images=60, knn_bank_images=100,
            image_size=16)


def _tiny_run(store, method="triplet", **options):
    config = MetricConfig(method=method, options=options, **TINY).to_dict()
    run_id = store.create_run("metric", config)
    return run_id, execute_run(store, run_id)


def test_registry_names_the_four_losses():
    assert set(METRIC_METHODS) == {"triplet", "contrastive", "arcface", "supcon"}
    assert all(m.formula and m.summary for m in METRIC_METHODS.values())


def test_bad_settings_give_clear_messages():
    with pytest.raises(ValueError, match="unknown metric-learning method"):
        parse_config(MetricConfig(method="simclr").to_dict())
    with pytest.raises(ValueError, match="mining"):
        parse_config(MetricConfig(method="triplet", options={"mining": "semi"}).to_dict())
    with pytest.raises(ValueError) as unknown:
        parse_config(MetricConfig(method="triplet", options={"margn": 0.1}).to_dict())
    assert "margn" in str(unknown.value) and "margin" in str(unknown.value)  # names it and what there is
    with pytest.raises(ValueError, match="scale"):  # ArcFace's setting is not the triplet loss's
        parse_config(MetricConfig(method="triplet", options={"scale": 32}).to_dict())


def test_a_stored_config_of_the_shared_self_supervised_form_still_reads():
    """Metric runs stored before MetricConfig kept the self-supervised fields view_size and temperature: they
    still load, and a SupCon run keeps its τ as its option."""
    from replearn_core.ssl.config import TrainConfig

    old = TrainConfig(method="supcon", temperature=0.2, options={"m_per_class": 8}).to_dict()
    config, options = parse_config(old)
    assert options.temperature == 0.2 and options.m_per_class == 8
    assert "temperature" not in config.to_dict() and "view_size" not in config.to_dict()
    config, options = parse_config(TrainConfig(method="triplet", options={"margin": 0.3}).to_dict())
    assert options.margin == 0.3 and not hasattr(options, "temperature")


def test_every_loss_declares_typed_options_with_their_measured_defaults():
    from replearn_core.metric.model import metric_options

    expected = {"triplet": {"margin": 0.2, "mining": "batch_hard", "center": True, "m_per_class": 4},
                "contrastive": {"margin": 0.7, "pairs": "all", "distance": "cosine", "m_per_class": 8},
                "arcface": {"scale": 16.0, "margin": 0.3, "center": False},
                "supcon": {"temperature": 0.1, "augment": True, "embedding_dim": 64}}
    for method, values in expected.items():
        resolved = vars(metric_options(method))
        assert {k: resolved[k] for k in values} == values, method
    typed = metric_options("triplet", {"margin": "0.3", "augment": "false", "m_per_class": "4"})  # text: the CLI
    assert typed.margin == 0.3 and typed.augment is False and typed.m_per_class == 4
    with pytest.raises(ValueError, match="pairs"):
        metric_options("contrastive", {"pairs": "some"})


def test_a_run_reports_retrieval_metrics_and_saves_what_other_pages_use(store):
    run_id, summary = _tiny_run(store, "arcface")
    assert store.get_run(run_id).status == "finished"
    for key in ("precision_at_1", "recall_at_1", "recall_at_5", "recall_at_10", "map_at_r", "knn_acc",
                "images_per_s", "train_time_s"):
        assert 0 <= summary[key] <= (1 if key not in ("images_per_s", "train_time_s") else 1e9), key
    assert summary["recall_at_10"] >= summary["recall_at_5"] >= summary["recall_at_1"] == summary["precision_at_1"]
    backbone, _ = load_run_encoder(store, run_id, "checkpoint_final")
    assert backbone.feature_dim == build_backbone(store.get_run(run_id).config["backbone"]).feature_dim
    emb = store.artifact(run_id, "embeddings")
    from safetensors.torch import load_file
    tensors = load_file(str(emb.path))
    assert tensors["features"].shape == (60, 64) and tensors["labels"].shape == (60,)
    assert "precision_at_1" in store.metrics(run_id) and "loss" in store.metrics(run_id)


def test_search_returns_sorted_neighbours_marked_correct(store):
    run_id, _ = _tiny_run(store, "supcon")
    from replearn_core.metric.search import gallery
    g = gallery(run_id, store)
    query = g.images[0]
    result = search(run_id, query, k=5, store=store, query_label=int(g.labels[0]), exclude_index=0)
    distances = [n.distance for n in result.neighbours]
    assert len(distances) == 5 and distances == sorted(distances)
    assert 0 not in [n.index for n in result.neighbours]
    assert all(n.correct == (n.label == int(g.labels[0])) for n in result.neighbours)
    # the query itself, not excluded, is its own nearest neighbour; an (H, W, 3) image of another size works too
    same = search(run_id, query.permute(1, 2, 0).numpy(), k=1, store=store)
    assert same.neighbours[0].index == 0 and same.neighbours[0].distance < 1e-3
    big = torch.nn.functional.interpolate(query[None].float(), size=40).round().byte()[0].permute(1, 2, 0).numpy()
    assert len(search(run_id, big, k=3, store=store).neighbours) == 3
    with pytest.raises(ValueError):
        search(run_id, query, k=0, store=store)
    rows = comparison_table(store)
    assert rows[0]["run"] == run_id and rows[0]["method"] == "supcon"


def test_uploaded_bytes_decode_or_fail_clearly():
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(buf, format="PNG")
    assert image_from_bytes(buf.getvalue()).shape == (10, 12, 3)
    with pytest.raises(ValueError, match="not an image"):
        image_from_bytes(b"not an image at all")


def test_cli_train_routes_metric_methods_and_prints_retrieval_json(capsys):
    from replearn_core.cli import main
    code = main(["train", "--method", "contrastive", "--dataset", "digits", "--epochs", "1", "--batch-size", "40",
                 "--max-train-images", "200", "--eval-images", "60", "--knn-bank-images", "100", "--image-size", "16",
                 "--json", "--quiet"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["status"] == "finished" and result["method"] == "contrastive"
    assert {"precision_at_1", "recall_at_1", "recall_at_5", "recall_at_10", "map_at_r"} <= set(result)


def test_a_new_loss_is_one_registry_entry(store, monkeypatch):
    """The metric-learning protocol: a loss brings its function; the model and the job ask nothing else of it."""
    from dataclasses import replace

    seen = []

    def spread(model, emb, labels, generator):  # a toy loss: same-class embeddings close, on the unit sphere
        seen.append(emb.shape)
        emb = torch.nn.functional.normalize(emb, dim=1)
        same = (labels[:, None] == labels[None, :]).float()
        return ((emb @ emb.T - same) ** 2).mean(), {"toy_extra": 1.0}

    toy = replace(METRIC_METHODS["supcon"], name="toy", title="Toy", loss=spread,
                  options=METRIC_METHODS["supcon"].options[:4] + (Option("width", 0.5, "Width", "A toy setting.",
                                                                         0.0, 1.0),))
    monkeypatch.setitem(METRIC_METHODS, "toy", toy)
    run_id, summary = _tiny_run(store, "toy", width=0.25)
    assert store.get_run(run_id).status == "finished" and summary["steps"] > 0
    assert seen and seen[0][1] == 64  # the embedding head's output
    with pytest.raises(ValueError, match="width"):  # its declared option is typed and checked like any other
        parse_config(MetricConfig(method="toy", options={"width": 2.0}).to_dict())
    assert store.metrics(run_id)["toy_extra"][1][0] == 1.0


def test_the_train_command_maps_its_flags_onto_a_metric_config():
    """``train --method supcon --temperature 0.2``: τ is SupCon's option; a flag at its self-supervised default
    takes the loss's own value; --temperature for a loss without one is refused, naming it."""
    from replearn_core.commands.train import metric_config
    from replearn_core.ssl.config import TrainConfig

    supcon = metric_config(TrainConfig(method="supcon", temperature=0.2, dataset="digits"))
    assert supcon.options["temperature"] == 0.2 and supcon.dataset == "digits"
    assert supcon.lr == METRIC_METHODS["supcon"].lr and supcon.epochs == METRIC_METHODS["supcon"].epochs
    assert metric_config(TrainConfig(method="supcon")).options["temperature"] == 0.1  # the loss's own
    assert metric_config(TrainConfig(method="triplet", options={"margin": "0.3"})).options["margin"] == 0.3
    with pytest.raises(ValueError, match="temperature"):
        metric_config(TrainConfig(method="triplet", temperature=0.2))
