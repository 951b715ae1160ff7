"""The job behind a domain-adaptation run: the source-only control and the chosen method(s), same budget.

Each method trains a fresh encoder + classifier from the same initialisation on
labelled source batches and unlabelled target batches (target labels only score
the result). The summary gives the target accuracy before adaptation (the
source-only control) and after it, and the run stores, per method, a 2-D map of
source and target features (PCA of both domains together) for the page, with the domain gap (MK-MMD
between the domains' features) and the class match (the share of target images whose nearest source
image, in feature space, has their class): alignment should shrink the first and raise the second.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from replearn_core.adaptation import ADAPT_METHODS
from replearn_core.adaptation.grl import dann_coefficient
from replearn_core.adaptation.mmd import mk_mmd
from replearn_core.adaptation.model import AdaptNet, DomainClassifier
from replearn_core.augment import plain
from replearn_core.backbones import BACKBONES, build_backbone
from replearn_core.data import DatasetError, ImageDataset, load_dataset
from replearn_core.device import prepare_model, to_device_batch
from replearn_core.features import encode_images
from replearn_core.i18n import Message
from replearn_core.options import setting
from replearn_core.runs.config import RunConfig, described
from replearn_core.runs.context import RunContext
from replearn_core.training import FitState, fit, report_steps

MAP_POINTS = 300  # images per domain drawn on the feature map
OPTIMIZERS = ("sgd", "adamw")


@dataclass
class AdaptConfig(RunConfig):
    setting_kind = "adaptation"

    source: str = described("printed-digits", "labelled source domain: a registered dataset or folder:PATH")
    target: str = described("digits", "unlabelled target domain with the same classes (labels only for scoring)")
    method: str = described("dann", 'a key of ADAPT_METHODS, or "all" to compare every method in one run')
    backbone: str = described("small_cnn", "a key of replearn_core.backbones.BACKBONES")
    epochs: int = described(10, "passes over the source training images")
    batch_size: int = described(64, "source images per step (and as many target images)")
    optimizer: str = described("sgd", '"sgd" (momentum 0.9, as in the DANN paper and TLlib) or "adamw"')
    lr: float = described(0.01, "starting learning rate lr0, annealed as lr0 / (1 + 10 p)^0.75 over training "
                          "progress p")
    weight_decay: float = described(1e-3, "weight decay (TLlib's value for these methods)")
    trade_off: float | None = described(None, "weight w of the alignment loss; None = each method's measured "
                                        "default weight")
    ramp: bool = described(True, "scale the alignment by λ(p) = 2/(1+e^(-10p)) - 1 (DANN's reversal schedule) for "
                           "every method")
    align_after: float = described(0.0, "share of the steps trained on source labels only before alignment "
                                   "starts (0 = at once)")
    image_size: int = described(16, "both domains are resized to this many pixels a side (digits has 8×8 to give)")
    max_source_images: int | None = described(None, "use at most this many source training images (None = all)")
    eval_images: int = described(1000, "target (and source) test images scored at each epoch")
    seed: int = described(0, "seeds the initialisation (shared by all methods) and the batch order")
    control: bool = described(True, 'also train the source-only control, for the "before" accuracy and map')
    time_budget_s: float | None = described(None, "stop each method after this much training time; None = all epochs")
    device: str | None = described(None, "cpu, cuda, mps; None = the fastest present")

    def validate(self) -> "AdaptConfig":
        self.check_fields()
        if self.method != "all" and self.method not in ADAPT_METHODS:
            raise ValueError(Message("cfg.unknown_adapt_method", name=self.method, known=", ".join(ADAPT_METHODS)))
        if self.backbone not in BACKBONES:
            raise ValueError(Message("cfg.unknown_backbone", name=self.backbone, known=", ".join(BACKBONES)))
        self.require([(self.epochs >= 1, Message("cfg.epochs_min")),
                      (2 <= self.batch_size <= 4096, Message("cfg.batch_range")),
                      (self.optimizer in OPTIMIZERS, Message("cfg.optimizer", known=", ".join(OPTIMIZERS))),
                      (0 < self.lr <= 1, Message("cfg.lr_range")),
                      (self.weight_decay >= 0, Message("cfg.wd_nonneg")),
                      (self.trade_off is None or self.trade_off >= 0, Message("cfg.trade_off_nonneg")),
                      (0 <= self.align_after < 1, Message("cfg.align_after_range")),
                      (8 <= self.image_size <= 512, Message("cfg.image_size_range")),
                      (self.max_source_images is None or self.max_source_images >= 2,
                       Message("cfg.max_source_min")),
                      (self.eval_images >= 10, Message("cfg.eval_images_min")),
                      (self.time_budget_s is None or self.time_budget_s > 0, Message("cfg.time_budget_positive"))])
        return self

    def weight(self, method: str) -> float:
        """The alignment weight w this run gives a method: trade_off when set, else the method's default."""
        return self.trade_off if self.trade_off is not None else ADAPT_METHODS[method].weight

    def methods(self) -> list[str]:
        """The methods this run trains, the control first."""
        chosen = list(ADAPT_METHODS) if self.method == "all" else [self.method]
        if self.control and "source_only" not in chosen:
            chosen.insert(0, "source_only")
        return chosen


# the run settings the page offers (one control each), their defaults the fields' above (measured,
# docs/domain_adaptation.md); a method's own alignment weight is its option (ADAPT_METHODS[m].options)
SETTINGS = (
    setting(AdaptConfig, "epochs", "Epochs", "Passes over the source images, per method.", low=1, high=60, step=1),
    setting(AdaptConfig, "align_after", "Source-only start",
            "Share of the steps trained on source labels alone before the alignment loss switches on. 0 by "
            "default: the alignment weight already ramps up from 0 as λ(p) = 2/(1+e^(−10p)) − 1.",
            low=0.0, high=0.9, step=0.05),
    setting(AdaptConfig, "lr", "Learning rate",
            "Starting SGD learning rate lr0 (momentum 0.9), annealed as lr0 / (1 + 10 p)^0.75.", low=1e-5, high=1.0,
            format="%.4f"),
    setting(AdaptConfig, "seed", "Seed", "Seeds the shared initialisation and the batches.", low=0, high=10_000),
)


@dataclass
class DomainData:
    source_train: ImageDataset
    target_train: ImageDataset  # labels never used in training
    source_test: ImageDataset
    target_test: ImageDataset


def load_domains(config: AdaptConfig) -> DomainData:
    """Both domains' splits, checked to share their classes."""
    source = load_dataset(config.source, "train", config.image_size)
    target = load_dataset(config.target, "train", config.image_size)
    if list(source.class_names) != list(target.class_names):
        raise DatasetError(f"source {config.source!r} and target {config.target!r} must have the same classes in the "
                           f"same order; got {source.class_names[:10]} and {target.class_names[:10]}")
    if config.max_source_images:
        source = source.take(config.max_source_images, seed=config.seed)
    return DomainData(source, target,
                      load_dataset(config.source, "test", config.image_size).take(config.eval_images, seed=1),
                      load_dataset(config.target, "test", config.image_size).take(config.eval_images, seed=1))


@torch.no_grad()
def predict(net: AdaptNet, images: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(features (N, d), predicted labels (N,)) on the CPU, eval mode."""
    encoder = nn.Sequential(net.backbone, net.bottleneck)  # f = the bottleneck on the backbone, in eval mode
    features = encode_images(encoder, images, device, on_device=True, cpu_bf16=False)  # (N, d)
    return features.cpu(), net.classifier(features).argmax(1).cpu()


def accuracy(net: AdaptNet, data: ImageDataset, device: torch.device) -> float:
    return (predict(net, data.images, device)[1] == data.labels).float().mean().item()


def alignment_loss(method: str, source_f: torch.Tensor, target_f: torch.Tensor,
                   discriminator: DomainClassifier | None) -> torch.Tensor:
    """The method's extra loss on a source and a target feature batch (0 for source only)."""
    align = ADAPT_METHODS[method].alignment
    return source_f.new_zeros(()) if align is None else align(source_f, target_f, discriminator)


def make_optimizer(config: AdaptConfig, params) -> torch.optim.Optimizer:
    """SGD with momentum 0.9 (the DANN paper's and TLlib's choice) or AdamW.

    Measured on printed-digits → digits (docs/domain_adaptation.md): with AdamW at lr 5e-3, DANN's
    source and target accuracies both fall to chance (0.10), with SGD they do not (0.99 and 0.49).
    A likely reason: Adam scales each parameter's step to a set size, so once the label loss is fit
    and its gradient is small, the reversed domain gradient drives full-size steps of the encoder.
    """
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=config.lr, momentum=0.9, weight_decay=config.weight_decay, nesterov=True)


def annealed_lr_factor(progress: float, alpha: float = 10.0, beta: float = 0.75) -> float:
    """The DANN paper's learning-rate annealing lr_p / lr0 = 1 / (1 + α p)^β, p in [0, 1]: 1 → 0.17."""
    return (1.0 + alpha * min(max(progress, 0.0), 1.0)) ** -beta


def train_method(method: str, config: AdaptConfig, data: DomainData, ctx: RunContext, initial_state: dict,
                 progress_range: tuple[float, float]) -> tuple[AdaptNet, dict]:
    """Train one method from the shared initial weights; logs '<key>/<method>' curves."""
    device = ctx.device
    net = AdaptNet(build_backbone(config.backbone), data.source_train.num_classes)
    net.load_state_dict(initial_state)
    net = prepare_model(net, device)
    adversarial = ADAPT_METHODS[method].adversarial
    discriminator = prepare_model(DomainClassifier(net.feature_dim), device) if adversarial else None
    params = list(net.parameters()) + (list(discriminator.parameters()) if discriminator else [])
    optimizer = make_optimizer(config, params)
    batch = min(config.batch_size, len(data.source_train), len(data.target_train))
    steps_per_epoch = max(1, len(data.source_train) // batch)
    total = steps_per_epoch * config.epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: annealed_lr_factor(s / total))
    g = torch.Generator().manual_seed(config.seed + 1)
    source_images = to_device_batch(data.source_train.images, device)
    source_labels = data.source_train.labels.to(device)
    target_images = to_device_batch(data.target_train.images, device)
    lo, hi = progress_range

    def batches(epoch: int):
        perm = torch.randperm(len(source_images), generator=g).to(device)
        for i in range(steps_per_epoch):
            idx = perm[i * batch:(i + 1) * batch]
            tidx = torch.randint(len(target_images), (batch,), generator=g).to(device)
            yield plain(torch.cat([source_images[idx], target_images[tidx]])), source_labels[idx]  # (2B, 3, H, W)

    def step(inputs, state: FitState):
        x, labels = inputs
        # the alignment weight ramps from 0 (DANN's schedule) so that early features, which carry no
        # class information yet, are not aligned at full strength (measured, one seed: MMD 0.57 → 0.68
        # on printed → digits with the ramp; DANN with SGD barely cares)
        align_progress = (state.step / total - config.align_after) / (1 - config.align_after)
        aligning = align_progress >= 0
        coeff = (dann_coefficient(align_progress) if config.ramp else 1.0) if aligning else 0.0
        if discriminator is not None:
            discriminator.reverse.coeff = coeff  # the discriminator learns at full strength, the encoder at λ
        encoder_weight = config.weight(method) * coeff  # how strongly the encoder is pulled to align
        weight = config.weight(method) if discriminator is not None else encoder_weight
        features, logits = net(x)
        classification = F.cross_entropy(logits[:batch].float(), labels)
        align = alignment_loss(method, features[:batch].float(), features[batch:].float(), discriminator)
        loss = classification + (weight * align if aligning else 0.0 * align)
        return loss, {f"classification/{method}": classification, f"alignment/{method}": align,
                      **({f"align_weight/{method}": encoder_weight} if ADAPT_METHODS[method].alignment else {}),
                      **({f"grl_coeff/{method}": coeff} if adversarial else {})}

    def score(state: FitState) -> None:
        ctx.log(state.step, **{f"target_acc/{method}": accuracy(net, data.target_test, device),
                               f"source_acc/{method}": accuracy(net, data.source_test, device), "epoch": state.epoch})
        ctx.flush()

    net.train()
    state = fit(batches, step, optimizer=optimizer, scheduler=scheduler, device=device, epochs=config.epochs,
                total_steps=total, time_budget_s=config.time_budget_s, batch_images=lambda b: len(b[0]),
                on_step=[report_steps(ctx, optimizer, label=f"{method} loss", suffix=f"/{method}", meters=False,
                                      what=f"{method}: ", progress_range=(lo, hi))],
                on_epoch=[score])
    result = {"target_acc": accuracy(net, data.target_test, device),
              "source_acc": accuracy(net, data.source_test, device),
              "steps": state.step, "train_time_s": round(state.train_time_s, 2)}
    if state.stop_reason:
        result["stopped"] = state.stop_reason
    return net, result


def project_2d(features: torch.Tensor) -> torch.Tensor:
    """PCA of the features to 2-D (scikit-learn's)."""
    from sklearn.decomposition import PCA

    return torch.from_numpy(PCA(n_components=2, random_state=0).fit_transform(features.numpy())).float()


def feature_map(net: AdaptNet, data: DomainData, device: torch.device) -> dict[str, torch.Tensor]:
    """2-D coordinates of source and target test features with their domain (0 source, 1 target) and class, and
    the features and uint8 images they come from."""
    src = data.source_test.take(MAP_POINTS, seed=3)
    tgt = data.target_test.take(MAP_POINTS, seed=3)
    fs, _ = predict(net, src.images, device)
    ft, _ = predict(net, tgt.images, device)
    features = torch.cat([fs, ft])  # (Ns + Nt, d)
    # do the domains meet class by class? the share of target images whose nearest source image has their class
    nearest_source = torch.cdist(F.normalize(ft, dim=1), F.normalize(fs, dim=1)).argmin(1)  # (Nt,)
    class_match = (src.labels[nearest_source] == tgt.labels).float().mean()
    return {"coords": project_2d(features), "domain": torch.cat([torch.zeros(len(fs)), torch.ones(len(ft))]).long(),
            "labels": torch.cat([src.labels, tgt.labels]),
            # the features and images themselves, so the Feature maps page can map them again (UMAP, t-SNE)
            "features": features.float().contiguous(), "images": torch.cat([src.images, tgt.images]).contiguous(),
            "domain_gap": mk_mmd(F.normalize(fs, dim=1), F.normalize(ft, dim=1)).reshape(1),
            "class_match": class_match.reshape(1)}


def run_adapt(config_dict: dict, ctx: RunContext) -> dict:
    config = AdaptConfig.from_dict(config_dict).validate()
    ctx.progress(0.0, "loading both domains")
    data = load_domains(config)
    torch.manual_seed(config.seed)
    initial_state = AdaptNet(build_backbone(config.backbone), data.source_train.num_classes).state_dict()
    methods = config.methods()
    results: dict[str, dict] = {}
    for i, method in enumerate(methods):
        net, result = train_method(method, config, data, ctx, initial_state,
                                   (i / len(methods), (i + 1) / len(methods)))
        fmap = feature_map(net, data, ctx.device)
        result["domain_gap"] = round(fmap["domain_gap"].item(), 5)
        result["class_match"] = round(fmap["class_match"].item(), 4)
        ctx.save_tensors(f"map_{method}", fmap, kind="feature_map", meta={"method": method})
        results[method] = result
    chosen = methods[-1] if config.method != "all" else max(
        (m for m in methods if m != "source_only"), key=lambda m: results[m]["target_acc"], default="source_only")
    summary = {
        "source": config.source, "target": config.target, "method": config.method,
        "target_acc_before": results.get("source_only", {}).get("target_acc"),
        "target_acc_after": results[chosen]["target_acc"],
        "domain_gap_before": results.get("source_only", {}).get("domain_gap"),
        "domain_gap_after": results[chosen]["domain_gap"],
        "class_match_before": results.get("source_only", {}).get("class_match"),
        "class_match_after": results[chosen]["class_match"],
        "target_acc": {m: round(r["target_acc"], 4) for m, r in results.items()},
        "source_acc": {m: round(r["source_acc"], 4) for m, r in results.items()},
        "train_time_s": round(sum(r["train_time_s"] for r in results.values()), 2),
        "steps": {m: r["steps"] for m, r in results.items()}, "device": str(ctx.device),
    }
    if config.method == "all":
        summary["best_method"] = chosen
    stopped = {m: r["stopped"] for m, r in results.items() if "stopped" in r}
    if stopped:
        summary["stopped"] = stopped
    return summary
