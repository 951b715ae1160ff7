"""The untrained encoder's scores at step 0, in two passes: a quick estimate first, the full numbers later.

The kNN chart draws the untrained encoder's accuracy as the line a run has to beat. Scored on the full
evaluation before the first step (5,000 bank images, 1,000 held-out images and two views of 512 of them, a few
seconds on 2 CPU cores) it kept the first loss point waiting. So a run first scores the untrained encoder on a
sample (``SAMPLE_BANK`` bank images, ``SAMPLE_HELD_OUT`` held-out images: about a fifth of the work), logs that
at step 0 and starts training. At the end of the first epoch, before that epoch's own evaluation, a copy of the
initial weights kept for the purpose is scored on the full evaluation, and its numbers replace the estimate at
step 0 (and ``knn_acc_init`` in the summary). ``baseline_images`` at step 0 says how many held-out images the
numbers come from. A run stopped before its first epoch ends keeps the estimate; a run whose evaluation is no
larger than the sample is scored once, in full.

    baseline = UntrainedBaseline(ctx, summary, trainer)
    baseline.start()                                   # the estimate at step 0, before the first step
    trainer.fit(on_epoch=[baseline.on_epoch, ...])     # before the callbacks that evaluate each epoch
"""

from __future__ import annotations

import copy

from replearn_core.data import ImageDataset
from replearn_core.runs.context import RunContext
from replearn_core.training import FitState


class UntrainedBaseline:
    SAMPLE_BANK = 500  # bank images of the quick estimate
    SAMPLE_HELD_OUT = 250  # held-out images of the quick estimate (and its views, and its collapse meter)

    def __init__(self, ctx: RunContext, summary: dict, trainer):
        self.ctx = ctx
        self.summary = summary  # the run's summary: knn_acc_init is written here
        self.trainer = trainer  # the run's ssl.trainer.Trainer, not yet trained
        self.initial = None  # a copy of the untrained method while its full scores are pending

    def start(self) -> None:
        """Score the untrained encoder (on a sample where the evaluation is larger) and log it at step 0."""
        trainer = self.trainer
        self.ctx.progress(0.0, "scoring the untrained encoder")
        bank, held_out = trainer.bank, trainer.evaluation
        if len(bank) > self.SAMPLE_BANK or len(held_out) > self.SAMPLE_HELD_OUT:
            self.initial = copy.deepcopy(trainer.method)
            bank, held_out = bank.take(self.SAMPLE_BANK, seed=3), held_out.take(self.SAMPLE_HELD_OUT, seed=4)
        report = score(trainer, trainer.method, bank, held_out)
        self.summary["knn_acc_init"] = report["knn_acc"]
        self.ctx.log(0, **report, baseline_images=len(held_out))
        self.ctx.flush()
        self.ctx.progress(0.0, "training")

    def on_epoch(self, state: FitState) -> None:
        """The epoch callback: after the first epoch, the full scores of the kept copy replace the estimate."""
        if self.initial is None:
            return
        trainer = self.trainer
        self.ctx.progress(state.step / state.total_steps, "scoring the untrained encoder on every image")
        report = score(trainer, self.initial, trainer.bank, trainer.evaluation)
        self.initial = None
        self.summary["knn_acc_init"] = report["knn_acc"]
        self.ctx.relog(0, **report, baseline_images=len(trainer.evaluation))


def score(trainer, method, bank: ImageDataset, held_out: ImageDataset) -> dict[str, float]:
    """``trainer.evaluate()`` of another copy of the method or on other images; the trainer is left as it was."""
    saved = trainer.method, trainer.bank, trainer.evaluation, trainer.last_eval
    trainer.method, trainer.bank, trainer.evaluation = method, bank, held_out
    try:
        return trainer.evaluate()
    finally:
        trainer.method, trainer.bank, trainer.evaluation, trainer.last_eval = saved
