"""Hostile, broken and mismatched checkpoints: refused with a clear CheckpointError, and pickled code never runs.

These are the files a user can hand the lab: the transfer page's encoder upload (``save_upload`` then
``check_encoder``), ``file:PATH`` encoders on the command line, and a run's own checkpoint on disk.
"""

import pickle

import pytest
import torch
from safetensors.torch import save_file

from replearn_core.backbones import build_backbone
from replearn_core.checkpoints import CheckpointError, encoder_tensors, load_run_encoder, read_state_file
from replearn_core.runs.context import RunContext
from replearn_core.transfer.lab import check_encoder, save_upload
from tests.bad_files import NOT_AN_IMAGE


class WritesAMarker:
    """Unpickling this runs code: it writes the marker file (what a malicious checkpoint would do, harmlessly)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('pickled code ran')",)


def _write(kind: str, path, payload) -> None:
    if kind == "torch zip":
        torch.save(payload, path)
    elif kind == "torch legacy":
        torch.save(payload, path, _use_new_zipfile_serialization=False)
    else:  # a bare pickle, whatever the suffix says
        path.write_bytes(pickle.dumps(payload))


def test_the_payload_really_runs_when_unpickled(tmp_path):
    """The control: plain unpickling runs the payload, so the refusals below are refusals, not a dud payload."""
    marker = tmp_path / "marker"
    pickle.loads(pickle.dumps({"x": WritesAMarker(marker)}))
    assert marker.read_text() == "pickled code ran"


@pytest.mark.parametrize("kind, name", [("torch zip", "evil.pt"), ("torch legacy", "evil.pth"),
                                        ("pickle", "evil.ckpt"), ("pickle", "evil.safetensors")])
def test_pickled_code_in_an_uploaded_checkpoint_never_runs(tmp_path, kind, name):
    marker = tmp_path / "marker"
    source = tmp_path / name
    _write(kind, source, {"state_dict": {"x": WritesAMarker(marker)}})
    path = save_upload(name, source.read_bytes())  # what the transfer page's upload widget does first
    with pytest.raises(CheckpointError, match=f"{name}.*(pickled Python objects|not a readable safetensors)"):
        check_encoder(f"file:{path}", "small_cnn")
    assert not marker.exists(), "the pickled code ran"


@pytest.mark.parametrize("name", ["notes.pt", "notes.safetensors"])
def test_a_text_file_uploaded_as_a_checkpoint_is_refused(name):
    path = save_upload(name, NOT_AN_IMAGE)
    with pytest.raises(CheckpointError, match=name):
        check_encoder(f"file:{path}", "small_cnn")


def test_an_upload_that_is_no_checkpoint_by_name_is_refused():
    with pytest.raises(ValueError, match="photo.jpg: expected a .safetensors, .pt, .pth, .bin or .ckpt file"):
        save_upload("photo.jpg", b"\xff\xd8")


def test_a_safetensors_header_that_declares_a_huge_tensor_is_refused_without_allocating_it(tmp_path):
    import json
    import struct

    header = json.dumps({"w": {"dtype": "F32", "shape": [100_000, 100_000],
                               "data_offsets": [0, 40_000_000_000]}}).encode()  # 40 GB declared, 16 bytes there
    path = tmp_path / "bomb.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(16))
    with pytest.raises(CheckpointError, match="bomb.safetensors is not a readable safetensors file"):
        read_state_file(path)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_a_truncated_checkpoint_is_refused_clearly(tmp_path, suffix):
    state = encoder_tensors(build_backbone("small_cnn"))
    whole = tmp_path / f"whole{suffix}"
    save_file(state, str(whole)) if suffix == ".safetensors" else torch.save(state, whole)
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(CheckpointError, match=f"cut{suffix}"):
        check_encoder(f"file:{cut}", "small_cnn")


def test_a_run_whose_checkpoint_file_was_truncated_says_so(store):
    run_id = store.create_run("ssl", {"method": "simclr", "dataset": "shapes", "backbone": "small_cnn"})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    path = ctx.save_tensors("checkpoint_final", encoder_tensors(build_backbone("small_cnn")),
                            meta={"backbone": "small_cnn"})
    ctx.close()
    store.finish(run_id, "finished")
    path.write_bytes(path.read_bytes()[:100])  # a disk that filled up, a copy that broke off
    with pytest.raises(CheckpointError, match="checkpoint_final.safetensors is not a readable safetensors file"):
        load_run_encoder(store, run_id)


def test_a_checkpoint_of_another_architecture_names_the_keys(tmp_path):
    path = tmp_path / "cnn4.safetensors"
    save_file(encoder_tensors(build_backbone("cnn4")), str(path))
    with pytest.raises(CheckpointError, match="cnn4.safetensors as small_cnn: checkpoint does not fit this "
                                              "architecture. Missing keys: .+Unexpected keys: "):
        check_encoder(f"file:{path}", "small_cnn")
