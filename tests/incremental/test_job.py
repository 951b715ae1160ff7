"""The comparison job end to end on a small split: the matrix fills in cell by cell, the CLI prints it."""

import json

import pytest

from replearn_core.cli import main
from replearn_core.incremental import IncrementalConfig
from replearn_core.incremental.lab import check_comparison, live_matrices, start_comparison
from replearn_core.runs import execute_run

SMALL = dict(n_tasks=2, epochs=1, image_size=8, max_train_images=200, eval_images=100, memory_per_class=5)


def test_a_comparison_fills_every_matrix_and_its_summary(store):
    config = IncrementalConfig(scenario="both", strategies=["sequential", "replay", "joint", "lwf", "ewc"],
                               fisher_images=20, **SMALL)
    run_id = store.create_run("incremental", config.to_dict())
    summary = execute_run(store, run_id)
    assert store.get_run(run_id).status == "finished"
    assert summary["tasks"] == [["0", "1", "2", "3", "4"], ["5", "6", "7", "8", "9"]]
    live = live_matrices(store, run_id)
    for scenario in ("class", "task"):
        for key in config.strategies:
            result = summary["results"][scenario][key]
            matrix = result["matrix"]
            assert [len(row) for row in matrix] == [1, 2]
            assert all(0 <= v <= 1 for row in matrix for v in row)
            assert sum(live[scenario][key], []) == pytest.approx(sum(matrix, []), abs=1e-4)  # the logged cells
            assert summary[f"acc_{scenario}_{key}"] == result["average_accuracy"]
            assert result["forgetting"][1] is None and result["bwt"] == pytest.approx(matrix[1][0] - matrix[0][0],
                                                                                       abs=1e-3)
    assert len(summary["table"]) == 10
    names = {a.name for a in store.artifacts(run_id)}
    assert {"after_task_1", "after_task_2", "map_class_sequential", "map_task_ewc"} <= names


def test_unknown_strategy_fewer_classes_and_a_memory_too_large_are_refused_before_queueing(store, tmp_path):
    with pytest.raises(ValueError, match="unknown incremental-learning strategy 'magic'"):
        start_comparison(IncrementalConfig(strategies=["sequential", "magic"]), store)
    with pytest.raises(ValueError, match="10 class"):
        start_comparison(IncrementalConfig(n_tasks=12), store)
    with pytest.raises(ValueError, match="more than the training images of class"):
        start_comparison(IncrementalConfig(memory_per_class=1000), store)
    assert store.list_runs(kind="incremental") == []
    check_comparison(IncrementalConfig(memory_per_class=1000, strategies=["sequential"]))  # no replay, no memory


def test_the_command_line_runs_a_comparison_and_prints_json(capsys, store):
    code = main(["incremental", "--n-tasks", "2", "--epochs", "1", "--image-size", "8", "--max-train-images", "200",
                 "--eval-images", "60", "--memory-per-class", "4", "--strategies", "sequential,replay", "--json",
                 "--quiet"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    result = json.loads(out[-1])
    assert result["status"] == "finished"
    assert set(result["results"]["class"]) == {"sequential", "replay"}


def test_the_command_line_refuses_an_unknown_strategy_in_one_line(capsys):
    assert main(["incremental", "--strategies", "sequential,magic", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error:") and "magic" in err[-1] and "sequential, joint, replay, lwf, ewc" in err[-1]
