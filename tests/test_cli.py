"""``python -m replearn_core train`` and ``runs``: JSON on the last line, clear one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from replearn_core.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY_FLAGS = ["--epochs", "1", "--max-train-images", "256", "--knn-bank-images", "256", "--eval-images", "64",
              "--batch-size", "64"]


def cli(*args, timeout=300):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "replearn_core", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_train_prints_json_on_the_last_line_and_runs_lists_the_run():
    done = cli("train", "--method", "simclr", "--dataset", "shapes", *TINY_FLAGS, "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "finished"
    for key in ("run_id", "knn_acc", "knn_acc_init", "images_per_s"):
        assert result[key] is not None, key
    assert 0 <= result["knn_acc"] <= 1 and result["images_per_s"] > 0
    assert result["steps"] == 4  # 256 images in batches of 64

    listed = cli("runs", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout.strip().splitlines()[-1])
    assert [r["id"] for r in rows] == [result["run_id"]]
    assert rows[0]["status"] == "finished" and rows[0]["method"] == "simclr"
    table = cli("runs")
    assert result["run_id"] in table.stdout and "simclr" in table.stdout


def test_bad_method_exits_2_with_one_error_line():
    done = cli("train", "--method", "nonsense", "--json")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "nonsense" in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args, words", [
    (["--backbone", "vgg99"], "unknown backbone"),
    (["--lr", "5"], "learning rate"),
    (["--lr", "10"], "learning rate must be in (0, 1]"),  # a loss that would turn NaN within steps
    (["--lr", "0"], "learning rate must be in (0, 1]"),  # nothing would ever change
    (["--batch-size", "1"], "batch size must be between 2 and 4096"),  # one image has no negatives, no batch norm
    (["--option", "stop_gradient"], "KEY=VALUE"),
    (["--recipe", '[{"op": "mixup"}]'], "unknown augmentation"),
    (["--dataset", "folder:/no/such/folder"], "no such folder"),
])
def test_bad_input_is_one_error_line_in_process(args, words, capsys):
    code = main(["train", *TINY_FLAGS, *args, "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("error:") and words in err[-1]


def test_runs_with_no_runs_says_how_to_start_one(capsys):
    assert main(["runs"]) == 0
    assert "no runs yet" in capsys.readouterr().out


# words a sentence cannot end on: a help text that ends on one was cut
_DANGLING = {"a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "from", "with", "and", "or", "but", "as",
             "than", "that", "which", "is", "are", "be", "its", "their", "each", "every", "per", "into", "when"}


def _cut_short(text: str) -> str | None:
    """Why a help text looks cut mid-sentence, or None: unbalanced brackets, or a last word or sign that a
    sentence cannot end on."""
    text = " ".join(text.split())
    if text.count("(") + text.count("[") != text.count(")") + text.count("]"):  # an interval (0, 1] is whole
        return "unbalanced brackets"
    if text.endswith((",", ";", ":", "(", "-", "—", "–", "·", "=")):
        return f"ends on {text[-1]!r}"
    last = text.rstrip(").").split()[-1] if text.rstrip(").").split() else ""
    if last in _DANGLING:  # lower case: "A -> B -> A" ends on a name
        return f"ends on {last!r}"
    return None


def test_cut_short_sees_a_cut_sentence():
    assert _cut_short("None = the method's default_epochs (a finished (default: None)") == "unbalanced brackets"
    assert _cut_short("images per step (each method makes its own views of them); None = the") == "ends on 'the'"
    assert _cut_short("passes over the training images (default: 10)") is None


def test_every_flag_of_every_command_has_whole_help():
    """Every flag says what it is, and no help text is cut mid-sentence (help used to be read out of the
    configuration's source comments, one line of a comment that went on)."""
    from replearn_core.cli import build_parser

    parser, _ = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    problems = []
    for name, command in commands.items():
        for action in command._actions:
            if action.dest == "help":
                continue
            flag = "/".join(action.option_strings) or action.dest
            text = (action.help or "") % {"default": action.default, "prog": command.prog} if action.help else ""
            if not text.strip() or text.strip().strip("-").replace("_", "-") == action.dest.replace("_", "-"):
                problems.append(f"{name} {flag}: no help")
            elif (why := _cut_short(text)) is not None:
                problems.append(f"{name} {flag}: {why}: {text!r}")
        rendered = command.format_help()
        assert rendered.strip(), name
    assert not problems, "\n".join(problems)
