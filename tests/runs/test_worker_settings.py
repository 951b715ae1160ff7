"""Worker settings from the environment (replearn_core/runs/worker_settings.py): defaults, and errors that name
the variable."""

import os

import pytest

from replearn_core.runs.worker_settings import WorkerSettings, all_cores, run_threads


def test_defaults_use_every_core_at_a_lower_priority_with_spinning_waits():
    settings = WorkerSettings.from_env({})
    assert settings == WorkerSettings()
    assert run_threads(settings) == all_cores() == len(os.sched_getaffinity(0))
    assert settings.nice == 10 and settings.omp_wait == "active" and settings.warm
    assert settings.idle_s == 1800.0


def test_values_are_read_from_the_environment():
    settings = WorkerSettings.from_env({"REPLEARN_WORKER_THREADS": " 3 ", "REPLEARN_WORKER_NICE": "0",
                                        "REPLEARN_WORKER_OMP_WAIT": "Active", "REPLEARN_WARM_WORKER": "off",
                                        "REPLEARN_WARM_IDLE_S": "2.5"})
    assert settings == WorkerSettings(threads=3, nice=0, omp_wait="active", warm=False, idle_s=2.5)
    assert WorkerSettings.from_env({"REPLEARN_WARM_WORKER": "1"}).warm
    assert WorkerSettings.from_env({"REPLEARN_WORKER_THREADS": ""}).threads == 0  # empty: the default share


def test_runs_sharing_a_device_share_its_cores_unless_the_thread_count_is_set(monkeypatch):
    from replearn_core.runs import processes, worker_settings

    monkeypatch.setattr(worker_settings, "all_cores", lambda: 16)
    for name in ("REPLEARN_CONCURRENCY", "REPLEARN_GPU_MAX_RUNS", "REPLEARN_WORKER_THREADS"):
        monkeypatch.delenv(name, raising=False)
    settings = WorkerSettings.from_env()
    assert processes.runs_at_once("cpu") == 1 and run_threads(settings, processes.runs_at_once("cpu")) == 16
    assert processes.runs_at_once("cuda") == 4 and run_threads(settings, processes.runs_at_once("cuda")) == 4
    monkeypatch.setenv("REPLEARN_GPU_MAX_RUNS", "32")  # never more runs than cores, never fewer than 1 thread
    assert processes.runs_at_once("cuda") == 16 and run_threads(settings, 16) == 1 and run_threads(settings, 64) == 1
    monkeypatch.setenv("REPLEARN_CONCURRENCY", "3")  # a fixed count, on every device
    assert processes.runs_at_once("cpu") == 3 and run_threads(settings, 3) == 5
    assert run_threads(WorkerSettings(threads=7), 3) == 7  # REPLEARN_WORKER_THREADS wins


def test_a_run_process_takes_its_device_share_of_threads(store, monkeypatch):
    import torch

    from replearn_core.runs import worker, worker_settings

    monkeypatch.setattr(worker_settings, "all_cores", lambda: 8)
    monkeypatch.setenv("REPLEARN_CONCURRENCY", "2")
    monkeypatch.delenv("REPLEARN_WORKER_THREADS", raising=False)
    seen = {}
    monkeypatch.setattr("replearn_core.runs.jobs.execute_run",
                        lambda store_, run_id: seen.update(threads=torch.get_num_threads(), run=run_id))
    run_id = store.create_run("ssl", {}, "shared")
    before = torch.get_num_threads()
    try:
        assert worker.execute(run_id) == 0
    finally:
        torch.set_num_threads(before)
    assert seen == {"threads": 4, "run": run_id}


@pytest.mark.parametrize("name, value, says", [
    ("REPLEARN_WORKER_THREADS", "two", "is not a whole number"),
    ("REPLEARN_WORKER_THREADS", "1.5", "is not a whole number"),
    ("REPLEARN_WORKER_THREADS", "-1", "must be between 0 and 1024"),
    ("REPLEARN_WORKER_NICE", "20", "must be between 0 and 19"),
    ("REPLEARN_WORKER_NICE", "-5", "must be between 0 and 19"),
    ("REPLEARN_WORKER_OMP_WAIT", "spin", "must be one of passive, active"),
    ("REPLEARN_WARM_WORKER", "maybe", "must be one of"),
    ("REPLEARN_WARM_IDLE_S", "soon", "is not a number"),
    ("REPLEARN_WARM_IDLE_S", "0.1", "must be between 1.0 and"),
    ("REPLEARN_CONCURRENCY", "many", "is not a whole number"),
    ("REPLEARN_GPU_RUN_MB", "lots", "is not a number"),
    ("REPLEARN_GPU_MAX_RUNS", "0", "must be between 1 and 1024"),
])
def test_a_malformed_value_is_an_error_naming_the_variable(name, value, says):
    with pytest.raises(ValueError, match=f"^{name}=") as error:
        WorkerSettings.from_env({name: value})
    assert says in str(error.value) and value.lower() in str(error.value).lower()  # and the value it got


def test_submit_refuses_a_malformed_setting_before_queuing_anything(store, monkeypatch):
    from replearn_core.runs import submit

    monkeypatch.setenv("REPLEARN_WORKER_THREADS", "lots")
    with pytest.raises(ValueError, match="REPLEARN_WORKER_THREADS"):
        submit("ssl", {}, store=store)
    assert store.list_runs() == []


def test_workers_spin_unless_told_to_wait_passively_or_the_environment_says_otherwise():
    assert WorkerSettings().process_env({})["OMP_WAIT_POLICY"] == "ACTIVE"
    assert WorkerSettings(omp_wait="passive").process_env({})["OMP_WAIT_POLICY"] == "PASSIVE"
    assert WorkerSettings().process_env({"OMP_WAIT_POLICY": "active"})["OMP_WAIT_POLICY"] == "active"


def test_a_worker_environment_finds_the_project_from_any_folder(tmp_path):
    from replearn_core.runs.processes import CODE_ROOT, worker_env

    env = worker_env(tmp_path, WorkerSettings())
    assert env["REPLEARN_DATA"] == str(tmp_path)
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(CODE_ROOT)
    assert (CODE_ROOT / "replearn_core" / "runs" / "worker.py").is_file()


def test_gpu_slots_come_from_free_memory_and_the_per_run_estimate(monkeypatch):
    from replearn_core.runs import processes as worker

    monkeypatch.delenv("REPLEARN_CONCURRENCY", raising=False)
    monkeypatch.setenv("REPLEARN_GPU_RUN_MB", "1000")
    monkeypatch.setenv("REPLEARN_GPU_MAX_RUNS", "8")
    monkeypatch.setattr("replearn_core.runs.worker_settings.all_cores", lambda: 64)
    readings = iter([5000.0, None])
    monkeypatch.setattr(worker, "gpu_free_mb", lambda: next(readings))
    monkeypatch.setattr(worker, "_gpu_reading", {})
    slots = worker.concurrency("cuda")
    assert callable(slots)
    assert slots(2) == 2 + 4  # 90 % of 5000 MiB holds 4 more runs of 1000 MiB beside the 2 running
    assert slots(5) == 6  # the same reading: runs started since fill its slots, they add none
    monkeypatch.setattr(worker, "_gpu_reading", {})
    assert slots(0) == 1  # free memory unreadable: one at a time
    monkeypatch.setattr(worker, "_gpu_reading", {})
    monkeypatch.setattr("replearn_core.runs.worker_settings.all_cores", lambda: 3)
    monkeypatch.setattr(worker, "gpu_free_mb", lambda: 100_000.0)
    assert slots(0) == 3  # at most one run per core
    monkeypatch.setattr(worker, "_gpu_reading", {})
    monkeypatch.delenv("REPLEARN_GPU_MAX_RUNS")
    monkeypatch.setattr("replearn_core.runs.worker_settings.all_cores", lambda: 64)
    assert slots(0) == WorkerSettings().gpu_max_runs == 4  # the GPU's compute is full before its memory


def test_concurrency_is_one_on_a_cpu_and_the_setting_wins_everywhere(monkeypatch):
    from replearn_core.runs import processes as worker

    monkeypatch.delenv("REPLEARN_CONCURRENCY", raising=False)
    assert worker.concurrency("cpu") == 1 and worker.concurrency() == 1
    monkeypatch.setenv("REPLEARN_CONCURRENCY", "3")
    assert worker.concurrency("cuda") == 3 and worker.concurrency("cpu") == 3
    monkeypatch.setenv("REPLEARN_CONCURRENCY", "many")
    with pytest.raises(ValueError, match="^REPLEARN_CONCURRENCY="):
        worker.concurrency("cpu")
