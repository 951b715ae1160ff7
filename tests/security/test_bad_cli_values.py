"""Bad values on the command line are one clear line: each value a student typed that used to end in a
traceback, a run on everything or a message from deep inside PyTorch.

Every attack is a ``python -m replearn_core`` command as a student types it; the answer must be exit status 2,
exactly one ``error:`` line on stderr that names the problem, no traceback, and no run left in the store.
Two go through a process of their own, as a user runs them; the rest call :func:`replearn_core.cli.main`.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from replearn_core.cli import main
from replearn_core.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--epochs", "1", "--max-train-images", "64", "--eval-images", "20", "--knn-bank-images", "64", "--quiet"]


def assert_one_error_line(code: int, stderr: str, *words: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert code == 2, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert RunStore().list_runs() == []  # refused before anything was stored or trained


def refused_in_process(capsys, *argv: str, words: tuple[str, ...] = ()) -> None:
    code = main(list(argv))
    assert_one_error_line(code, capsys.readouterr().err, *words)


def test_an_infinite_weight_decay_is_refused_end_to_end():
    # it trained: every weight became NaN and the effective rank's SVD raised LinAlgError
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "replearn_core", "train", *TINY, "--weight-decay", "inf"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert_one_error_line(done.returncode, done.stderr, "weight_decay", "finite")


def test_a_device_that_does_not_exist_is_refused_end_to_end():
    # torch.device("tpu") raised a RuntimeError listing PyTorch's device types, and the run stayed queued
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "replearn_core", "train", *TINY, "--device", "tpu"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert_one_error_line(done.returncode, done.stderr, "unknown device", "tpu")


def test_checkpoint_every_zero_is_refused(capsys):
    # it trained an epoch, then `epoch % 0` raised ZeroDivisionError
    refused_in_process(capsys, "train", *TINY, "--checkpoint-every", "0", words=("checkpoint_every",))


def test_cuda_on_a_machine_without_a_gpu_says_so(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    refused_in_process(capsys, "train", *TINY, "--device", "cuda", words=("no CUDA device is available here",))
    for command in (["transfer", "--quiet"], ["adapt", "--quiet"], ["cyclegan", "--quiet"]):
        refused_in_process(capsys, *command, "--device", "cuda", words=("no CUDA device",))


@pytest.mark.parametrize("recipe, words", [
    ('[{"p": 1, "strength": 0.5}]', ("needs its op",)),  # KeyError: 'op' printed as "error: op"
    ('{"op": "crop"}', ("recipe",)),  # a row, not a list: TypeError traceback
    ('[{"op": "crop", "p": [1]}]', ("crop", "p must be a number")),  # TypeError traceback
    ('[{"op": "crop", "prob": 0.5}]', ("unknown field", "prob")),  # a typo ignored in silence
    ('[{"op": "blur", "strength": NaN}]', ("finite",)),
    ('[{"op": "crop"', ("--recipe is not valid JSON",)),
])
def test_a_recipe_row_without_its_fields_is_one_line(capsys, recipe, words):
    refused_in_process(capsys, "train", *TINY, "--recipe", recipe, words=words)


def test_a_nan_option_is_refused(capsys):
    # BYOL's momentum=nan passed the 0..1 range check (every comparison with nan is False) and trained
    refused_in_process(capsys, "train", *TINY, "--method", "byol", "--option", "momentum=nan",
                       words=("momentum", "finite"))


@pytest.mark.parametrize("command", [["train", *TINY], ["transfer", "--quiet"]])
def test_max_train_images_zero_is_refused_not_a_run_on_everything(capsys, command):
    refused_in_process(capsys, *command, "--max-train-images", "0", words=("max_train_images",))


def test_non_finite_numbers_are_refused_by_every_command(capsys):
    for argv in (["train", "--lr", "nan"], ["train", "--temperature=-inf"], ["train", "--time-budget-s", "nan"],
                 ["train", "--method", "triplet", "--weight-decay", "inf"],
                 ["transfer", "--fractions", "0.1,inf"], ["transfer", "--lr-decay", "nan"],
                 ["adapt", "--trade-off", "inf"], ["adapt", "--align-after", "nan"],
                 ["cyclegan", "--lambda-cycle", "inf"], ["cyclegan", "--time-budget-s", "inf"],
                 ["project", "--run", "init", "--method", "tsne", "--perplexity", "nan"]):
        refused_in_process(capsys, *argv, words=("finite",))


def test_a_folder_holding_one_image_is_refused_before_training(capsys, tmp_path):
    # the held-out split was empty: "Expected non-zero, positive output size. Got [0, 3, 32, 32]"
    (tmp_path / "cat").mkdir()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(tmp_path / "cat" / "only.png")
    refused_in_process(capsys, "train", *TINY, "--dataset", f"folder:{tmp_path}",
                       words=("only 1 readable image", "at least 2"))


def test_a_hostile_value_cannot_forge_a_second_line(capsys):
    refused_in_process(capsys, "train", *TINY, "--dataset", "shapez\nrun finished\x1b[2K", words=("shapez",))


def test_a_queued_run_asking_for_a_device_the_worker_lacks_fails_and_says_so(store, monkeypatch):
    """From a page the device is only checked by name (the worker may be another machine): a worker without it
    ends the run as failed with the device's message, instead of leaving it queued."""
    import torch

    from replearn_core.runs.jobs import execute_run

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    run_id = store.create_run("ssl", {"method": "simclr", "dataset": "shapes", "device": "cuda"})
    with pytest.raises(ValueError, match="CUDA"):
        execute_run(store, run_id)
    run = store.get_run(run_id)
    assert run.status == "failed" and "CUDA" in str(run.error)
