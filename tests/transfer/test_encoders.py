import functools
import http.server
import threading

import pytest
import torch

from replearn_core.backbones import build_backbone
from replearn_core.checkpoints import CheckpointError, encoder_tensors
from replearn_core.download import DownloadError, sha256_of
from replearn_core.runs.context import RunContext
from replearn_core.transfer import encoders
from replearn_core.transfer.encoders import encoder_runs, load_encoder, torchvision_resnet_to_encoder


def test_random_encoder_is_seeded():
    a, info = load_encoder("random", "small_cnn", seed=3)
    b, _ = load_encoder("random", "small_cnn", seed=3)
    assert info == {"encoder": "random", "backbone": "small_cnn"}
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())


def test_uploaded_safetensors_with_prefix_loads(tmp_path):
    from safetensors.torch import save_file

    source = build_backbone("small_cnn")
    path = tmp_path / "enc.safetensors"
    save_file(encoder_tensors(source), str(path))
    model, info = load_encoder(f"file:{path}", "small_cnn")
    assert info["encoder"] == "file:enc.safetensors"
    assert all(torch.equal(source.state_dict()[k], model.state_dict()[k]) for k in source.state_dict())


def test_checkpoint_for_another_architecture_lists_missing_and_unexpected_keys(tmp_path):
    path = tmp_path / "other.pt"
    torch.save(build_backbone("small_cnn").state_dict(), path)
    with pytest.raises(CheckpointError) as err:
        load_encoder(f"file:{path}", "resnet18_cifar")
    message = str(err.value)
    assert "other.pt as resnet18_cifar" in message
    missing = message.split("Missing keys: ")[1].split(". Unexpected")[0]
    unexpected = message.split("Unexpected keys: ")[1].split(". Shape")[0]
    assert "stages.1.0.bn1.bias" in missing and "in all" in missing  # long lists are cut, with the count
    assert "stages.1.0.weight" in unexpected  # small_cnn's conv where resnet has a block


def test_one_renamed_key_is_named_as_missing_and_unexpected(tmp_path):
    from safetensors.torch import save_file

    state = build_backbone("small_cnn").state_dict()
    state["stages.9.weight"] = state.pop("stages.2.1.bias")
    save_file(state, str(tmp_path / "renamed.safetensors"))
    with pytest.raises(CheckpointError, match=r"Missing keys: stages\.2\.1\.bias\. "
                                              r"Unexpected keys: stages\.9\.weight\."):
        load_encoder(f"file:{tmp_path / 'renamed.safetensors'}", "small_cnn")


def test_a_pickled_object_is_refused_not_executed(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"x": Evil()}, path)
    with pytest.raises(CheckpointError, match="weights-only"):
        load_encoder(f"file:{path}", "small_cnn")


def test_missing_file_and_unknown_run_give_clear_errors(tmp_path, store):
    with pytest.raises(CheckpointError, match="no checkpoint file"):
        load_encoder(f"file:{tmp_path / 'nope.safetensors'}", "small_cnn")
    with pytest.raises(KeyError, match="no run with id"):
        load_encoder("20990101-000000-abcdef", "small_cnn", store=store)


def test_a_finished_run_is_an_encoder_and_is_listed(store):
    source = build_backbone("small_cnn")
    run_id = store.create_run("supervised", {"dataset": "shapes", "backbone": "small_cnn"})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    ctx.save_tensors("checkpoint_final", encoder_tensors(source), meta={"backbone": "small_cnn", "epoch": 1})
    ctx.close()
    store.finish(run_id, "finished")
    model, info = load_encoder(run_id, store=store)
    assert info["kind"] == "supervised" and info["source_dataset"] == "shapes"
    assert all(torch.equal(source.state_dict()[k], model.state_dict()[k]) for k in source.state_dict())
    assert [r.id for r in encoder_runs(store)] == [run_id]


def test_a_run_without_checkpoint_is_refused(store):
    run_id = store.create_run("ssl", {"backbone": "small_cnn"})
    with pytest.raises(CheckpointError, match="no encoder checkpoint"):
        load_encoder(run_id, store=store)


def _torchvision_state():
    import torchvision

    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None).state_dict()


@pytest.fixture
def served(tmp_path):
    """A loopback HTTP server for a folder, standing in for download.pytorch.org."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_imagenet_weights_download_checks_the_hash_and_map_onto_our_resnet(served, data_dir):
    folder, base = served
    state = _torchvision_state()
    tmp = folder / "tmp.pth"
    torch.save(state, tmp)
    name = f"resnet18-{sha256_of(tmp)[:8]}.pth"
    tmp.rename(folder / name)
    model = encoders.imagenet_encoder(url=f"{base}/{name}")
    assert (data_dir / "weights" / name).exists()  # cached in the data folder
    assert torch.equal(model.stem[0].weight, state["conv1.weight"])
    assert torch.equal(model.stages[4][1].bn2.running_var, state["layer4.1.bn2.running_var"])
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 512)


def test_imagenet_weights_with_a_wrong_hash_are_deleted(served, data_dir):
    folder, base = served
    torch.save(_torchvision_state(), folder / "resnet18-00000000.pth")
    with pytest.raises(DownloadError, match="SHA-256"):
        encoders.imagenet_weights_file(url=f"{base}/resnet18-00000000.pth")
    assert not (data_dir / "weights" / "resnet18-00000000.pth").exists()


def test_imagenet_offline_gives_a_clear_message(data_dir):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="not available offline.*offline"):
        encoders.imagenet_weights_file(url=f"http://127.0.0.1:{port}/resnet18-f37072fd.pth")


def test_torchvision_key_mapping_covers_every_key():
    mapped = torchvision_resnet_to_encoder(_torchvision_state())
    expected = build_backbone("resnet18").state_dict()
    assert set(mapped) == set(expected)


def test_an_offline_imagenet_comparison_fails_with_the_message_stored(store, monkeypatch):
    import socket

    from replearn_core.runs.jobs import execute_run
    from replearn_core.transfer.config import TransferConfig

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(encoders, "imagenet_url", lambda: f"http://127.0.0.1:{port}/resnet18-f37072fd.pth")
    run_id = store.create_run("transfer", TransferConfig(encoder="imagenet", strategies=["linear"],
                                                         fractions=[1.0], image_size=16).to_dict())
    with pytest.raises(DownloadError):
        execute_run(store, run_id)
    run = store.get_run(run_id)
    assert run.status == "failed" and "ImageNet weights are not available offline" in run.error
