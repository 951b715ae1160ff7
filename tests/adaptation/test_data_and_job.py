import json

import pytest
import torch

from replearn_core.adaptation.job import AdaptConfig, load_domains
from replearn_core.data import DATASETS, DatasetError, load_dataset
from replearn_core.runs import execute_run

TINY = dict(epochs=1, batch_size=32, max_source_images=160, eval_images=40, image_size=16)


def test_printed_digits_is_registered_balanced_and_deterministic():
    assert "printed-digits" in DATASETS and DATASETS["printed-digits"].offline
    test = load_dataset("printed-digits", "test", 16)
    assert test.images.shape == (1000, 3, 16, 16) and test.images.dtype == torch.uint8
    assert torch.bincount(test.labels).tolist() == [100] * 10
    assert test.class_names == load_dataset("digits", "test", 16).class_names
    from replearn_core.data.printed_digits import load_printed_digits
    assert torch.equal(load_printed_digits("test", 16).images, test.images)
    # the images vary: colours and backgrounds differ between images
    assert test.images.float().mean((1, 2, 3)).std() > 10


def test_pen_digits_is_a_balanced_deterministic_dark_on_light_domain():
    assert "pen-digits" in DATASETS and DATASETS["pen-digits"].offline
    test = load_dataset("pen-digits", "test", 16)
    assert test.images.shape == (1000, 3, 16, 16) and test.images.dtype == torch.uint8
    assert torch.bincount(test.labels).tolist() == [100] * 10
    assert test.class_names == load_dataset("digits", "test", 16).class_names
    from replearn_core.data.pen_digits import load_pen_digits
    assert torch.equal(load_pen_digits("test", 16).images, test.images)
    # dark ink on light paper: the corners (paper) are brighter than the darkest pixels (ink) in every image
    grey = test.images.float().mean(1)  # (N, 16, 16)
    corners = torch.stack([grey[:, 0, 0], grey[:, 0, -1], grey[:, -1, 0], grey[:, -1, -1]], 1).mean(1)
    assert (corners > grey.flatten(1).min(1).values + 60).all()
    # the digits differ: the mean image of each class is its own
    means = torch.stack([grey[test.labels == c].mean(0) for c in range(10)])  # (10, 16, 16)
    assert torch.cdist(means.flatten(1), means.flatten(1)).add(torch.eye(10) * 1e9).min() > 50


def test_each_method_has_its_default_alignment_weight_unless_one_is_set():
    from replearn_core.adaptation import ADAPT_METHODS
    assert AdaptConfig().trade_off is None
    assert AdaptConfig().weight("coral") == ADAPT_METHODS["coral"].weight
    assert AdaptConfig().weight("dann") == ADAPT_METHODS["dann"].weight
    assert AdaptConfig(trade_off=2.5).weight("coral") == 2.5
    with pytest.raises(ValueError, match="trade-off"):
        AdaptConfig(trade_off=-1).validate()
    with pytest.raises(ValueError, match="optimizer"):
        AdaptConfig(optimizer="lbfgs").validate()


def test_domains_with_different_classes_are_refused(tmp_path):
    import numpy as np
    from PIL import Image
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(5):
            Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(tmp_path / cls / f"{i}.png")
    with pytest.raises(DatasetError, match="same classes"):
        load_domains(AdaptConfig(source=f"folder:{tmp_path}", target="digits", image_size=16))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="unknown adaptation method"):
        AdaptConfig(method="cycada").validate()
    with pytest.raises(ValueError, match="unknown adaptation setting"):
        AdaptConfig.from_dict({"methd": "dann"})
    assert AdaptConfig(method="all").methods() == ["source_only", "dann", "coral", "mmd"]
    assert AdaptConfig(method="coral").methods() == ["source_only", "coral"]


def test_a_dann_run_reports_before_and_after_and_stores_feature_maps(store):
    run_id = store.create_run("adapt", AdaptConfig(method="dann", **TINY).to_dict())
    summary = execute_run(store, run_id)
    assert store.get_run(run_id).status == "finished"
    assert set(summary["target_acc"]) == {"source_only", "dann"}
    assert 0 <= summary["target_acc_before"] <= 1 and 0 <= summary["target_acc_after"] <= 1
    assert summary["domain_gap_before"] >= 0
    assert 0 <= summary["class_match_before"] <= 1 and 0 <= summary["class_match_after"] <= 1
    metrics = store.metrics(run_id)
    coeff = metrics["grl_coeff/dann"][1]
    assert coeff[0] == 0.0 and all(a <= b for a, b in zip(coeff, coeff[1:]))
    lr = metrics["lr/dann"][1]
    assert all(a > b for a, b in zip(lr, lr[1:]))  # annealed at every step
    assert "target_acc/source_only" in metrics and "alignment/dann" in metrics
    from safetensors.torch import load_file
    fmap = load_file(str(store.artifact(run_id, "map_dann").path))
    assert fmap["coords"].shape == (80, 2)
    assert fmap["domain"].tolist() == [0] * 40 + [1] * 40
    # class match: the share of target images whose nearest source image (cosine) has their class
    assert float(fmap["class_match"][0]) == pytest.approx(summary["class_match_after"], abs=1e-4)
    assert store.artifact(run_id, "map_source_only") is not None
    # the Feature maps page maps the same features again, coloured by domain, with the images under the points
    from replearn_core.projection.maps import map_run

    fm = map_run(store, run_id, method="pca")
    assert fm.coords.shape == (80, 2) and list(fm.groups) == [0] * 40 + [1] * 40
    assert fm.images is not None and fm.images.shape[0] == 80 and str(fm.images.dtype) == "uint8"


def test_coral_and_mmd_ramp_their_alignment_weight_from_zero(store):
    run_id = store.create_run("adapt", AdaptConfig(method="all", control=False, **TINY).to_dict())
    execute_run(store, run_id)
    metrics = store.metrics(run_id)
    for method in ("coral", "mmd"):
        weights = metrics[f"align_weight/{method}"][1]
        assert weights[0] == 0.0 and all(a < b for a, b in zip(weights, weights[1:]))
    assert "align_weight/source_only" not in metrics
    unramped = store.create_run("adapt", AdaptConfig(method="mmd", control=False, ramp=False, trade_off=2.0,
                                                     **TINY).to_dict())
    execute_run(store, unramped)
    assert set(store.metrics(unramped)["align_weight/mmd"][1]) == {2.0}


def test_the_domain_gap_reading_says_how_much_smaller_and_the_class_match():
    from replearn_core.adaptation.lab import domain_gap_reading
    summary = {"method": "mmd", "domain_gap_before": 1.2, "domain_gap_after": 0.3, "target_acc_before": 0.25,
               "target_acc_after": 0.7, "class_match_before": 0.1, "class_match_after": 0.55}
    line = domain_gap_reading(summary)
    assert "4.0× smaller" in line and "0.250 → 0.700" in line and "10%" in line and "55%" in line
    assert "not smaller" in domain_gap_reading(dict(summary, domain_gap_after=1.5))
    assert domain_gap_reading({"method": "mmd", "domain_gap_after": 0.3}) is None  # no control, no reading


def test_cli_adapt_prints_before_and_after_as_json(capsys):
    from replearn_core.cli import main
    code = main(["adapt", "--source", "printed-digits", "--target", "digits", "--method", "coral", "--epochs", "1",
                 "--batch-size", "32", "--max-source-images", "96", "--eval-images", "30", "--image-size", "16",
                 "--json", "--quiet"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["status"] == "finished"
    assert {"target_acc_before", "target_acc_after"} <= set(result)
    assert main(["adapt", "--method", "nope", "--quiet"]) == 2


def test_a_new_method_is_one_registry_entry_with_its_loss(store, monkeypatch):
    """The adaptation protocol: a method brings its alignment loss; the job asks nothing else of it."""
    from dataclasses import replace

    from replearn_core.adaptation import ADAPT_METHODS

    calls = []

    def mean_match(source_f, target_f, discriminator):  # a toy first-moment alignment
        calls.append(discriminator)
        return (source_f.mean(0) - target_f.mean(0)).pow(2).sum()

    toy = replace(ADAPT_METHODS["coral"], name="mean_match", title="Mean matching", weight=3.0, alignment=mean_match)
    monkeypatch.setitem(ADAPT_METHODS, "mean_match", toy)
    run_id = store.create_run("adapt", AdaptConfig(method="mean_match", control=False, **TINY).to_dict())
    summary = execute_run(store, run_id)
    assert store.get_run(run_id).status == "finished" and "mean_match" in summary["target_acc"]
    assert calls and set(calls) == {None}  # not adversarial: no domain classifier made for it
    metrics = store.metrics(run_id)
    assert "alignment/mean_match" in metrics and "grl_coeff/mean_match" not in metrics
    assert max(metrics["align_weight/mean_match"][1]) <= 3.0  # its own default weight, ramped
