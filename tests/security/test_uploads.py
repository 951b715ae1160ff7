"""Uploads, attacked as a student would attack them (issue 29, attacks 5, 6 and 12).

- 5: a 1 MB ``.pt`` whose zip part inflates to 1 GiB, a safetensors header that declares more than the file
  holds, a legacy pickle: each is refused from what it declares, before torch or safetensors reads a byte of it;
- 6: a student named ``.`` or ``..`` (the uploads folder, the data folder), names that would share another's
  folder, and hostile file names of the upload itself;
- 12: a refused upload (a pickle, a bomb) is never kept; uploads count against a quota the teacher sets.
"""

import io
import pickle
import tracemalloc
import zipfile

import pytest
import torch
from safetensors.torch import save_file

from replearn_core.backbones import build_backbone
from replearn_core.checkpoints import CheckpointError, encoder_tensors
from replearn_core.runs import access
from replearn_core.runs.access import AccessDenied, User

ALICE, BOB, TEACHER = User("alice"), User("bob"), User("Ms Li", "teacher")
GIB = 2**30


@pytest.fixture(autouse=True)
def classroom(monkeypatch):
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    monkeypatch.delenv("REPLEARN_UPLOAD_QUOTA_MB", raising=False)


@pytest.fixture
def torch_load_calls(monkeypatch):
    """Every call of torch.load (and of safetensors' load_file), recorded: a refused file must reach neither."""
    import safetensors.torch

    calls = []

    def refuse(*args, **kwargs):
        calls.append(args[0] if args else kwargs)
        raise RuntimeError("the file reached the loader")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(safetensors.torch, "load_file", refuse)
    return calls


def zip_bomb_checkpoint(inflated: int) -> bytes:
    """A real torch checkpoint (``torch.save`` of one small tensor) whose tensor part is replaced by ``inflated``
    bytes of zeros, deflated: about 1 MB of file per GiB of part."""
    saved = io.BytesIO()
    torch.save({"backbone.w": torch.zeros(4)}, saved)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in source.infolist():
            if info.filename.endswith("/data/0"):
                with bomb.open(info.filename, "w") as part:
                    zeros = bytes(2**20)
                    for _ in range(inflated // len(zeros)):
                        part.write(zeros)
            else:
                bomb.writestr(info.filename, source.read(info.filename))
    return out.getvalue()


@pytest.fixture(scope="module")
def gib_bomb() -> bytes:
    return zip_bomb_checkpoint(GIB)


def kept_files(store) -> list[str]:
    """Every file under the uploads folder (anyone's, and files being checked), relative to it."""
    root = store.root / "uploads"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- 5: measured before it is read ------------------------------------------------------------------------
def test_a_1_mb_checkpoint_that_inflates_to_1_gib_is_refused_before_torch_reads_it(store, gib_bomb, torch_load_calls):
    from replearn_core.transfer.lab import check_encoder, save_upload

    assert len(gib_bomb) < 2 * 2**20  # what the student uploads: about 1 MB
    with zipfile.ZipFile(io.BytesIO(gib_bomb)) as z:
        assert max(i.file_size for i in z.infolist()) == GIB  # what it would become in the server's memory
    path = save_upload("encoder.pt", gib_bomb, ALICE, store)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match="encoder.pt is refused: its part .*data/0 would unpack to 1,024.0 MB"):
            check_encoder(f"file:{path}", "small_cnn", store)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert torch_load_calls == [], "torch.load read the zip bomb"
    assert peak < 32 * 2**20, f"checking the file took {peak / 2**20:.0f} MB"


def test_a_part_that_inflates_a_hundred_fold_is_refused_even_under_the_size_limit(tmp_path, torch_load_calls):
    from replearn_core.checkpoints import read_state_file

    path = tmp_path / "small_bomb.pth"
    path.write_bytes(zip_bomb_checkpoint(128 * 2**20))  # 128 MB of zeros in about 130 kB
    with pytest.raises(CheckpointError, match=r"small_bomb.pth is refused: .* would unpack to [\d,]+ times its stored"):
        read_state_file(path)
    assert torch_load_calls == []


def test_a_safetensors_file_that_declares_more_than_it_holds_is_refused_before_safetensors_reads_it(
        tmp_path, torch_load_calls):
    import json
    import struct

    from replearn_core.checkpoints import read_state_file

    header = json.dumps({"backbone.w": {"dtype": "F32", "shape": [2**28], "data_offsets": [0, GIB]}}).encode()
    path = tmp_path / "encoder.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(16))  # 1 GiB declared, 16 bytes there
    with pytest.raises(CheckpointError, match="encoder.safetensors is not a readable safetensors file: tensor "
                                              "backbone.w declares bytes 0 to 1073741824, beyond the 16 bytes"):
        read_state_file(path)
    assert torch_load_calls == []


def test_a_legacy_pickle_checkpoint_is_refused_without_unpickling_it(tmp_path, torch_load_calls):
    from replearn_core.checkpoints import read_state_file

    for name, write in (("old.pth", lambda p: torch.save({"w": torch.zeros(2)}, p, _use_new_zipfile_serialization=False)),
                        ("bare.ckpt", lambda p: p.write_bytes(pickle.dumps({"w": [0.0, 0.0]})))):
        path = tmp_path / name
        write(path)
        with pytest.raises(CheckpointError, match=f"{name} is neither safetensors nor torch's zip format"):
            read_state_file(path)
    assert torch_load_calls == [], "a pickle reached torch.load"


def test_an_honest_torch_checkpoint_still_loads(tmp_path):
    from replearn_core.transfer.lab import check_encoder

    path = tmp_path / "encoder.pt"
    torch.save(encoder_tensors(build_backbone("small_cnn")), path)
    assert check_encoder(f"file:{path}", "small_cnn")["backbone"] == "small_cnn"


# --- 6: names ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [".", "..", "...", " .. ", ". ."])
def test_a_student_named_dot_or_dot_dot_is_refused(name):
    assert not access.valid_name(name)
    with pytest.raises(ValueError):
        User(name)


def test_no_student_name_leads_out_of_their_own_upload_folder_or_into_anothers(store):
    uploads = (store.root / "uploads").resolve()
    folders = {}
    for name in ("alice", "_teacher", "_local", "Ana Li", "Ana_Li", "ana.li.", "-x", "李雷", "J. Smith",
                 "alice@school.org", "alice_school.org"):
        folder = access.upload_dir(store, User(name))
        assert folder.parent == uploads, f"{name!r}'s uploads would land in {folder}"
        folders[name] = folder
    assert len(set(folders.values())) == len(folders), "two students share an upload folder"
    for other in (TEACHER, access.LOCAL):
        assert access.upload_dir(store, other) not in folders.values()


def test_a_hostile_upload_file_name_is_stored_under_a_safe_name_in_the_students_folder(store):
    from replearn_core.transfer.lab import save_upload

    own = access.upload_dir(store, ALICE)
    for i, name in enumerate(["../x.pt", "../../../../etc/cron.d/x.pt", "/tmp/abs.pt", "..\\..\\win.pt",
                              "nul\0byte.pt", "a" * 1000 + ".pt", ".hidden.pt", "<img src=x onerror=alert(1)>.pt",
                              "....pt"]):
        path = save_upload(name, f"weights {i}".encode(), ALICE, store)
        assert path.parent == own and path.is_file(), name
        assert len(path.name) <= 100 and "\0" not in path.name and not path.name.startswith("."), path.name
        assert path.name.endswith(".pt")
        assert access.check_file(store, ALICE, path) == path.resolve()


def test_a_student_cannot_name_a_file_outside_their_uploads(store, tmp_path):
    from replearn_core.transfer.lab import save_upload

    bobs = save_upload("enc.pt", b"bob", BOB, store)
    for path in (bobs, store.root / "runs.sqlite", store.root / "uploads" / "alice" / ".." / "bob" / bobs.name,
                 f"{store.root}/uploads/alice/\0x.pt", store.root / "classroom_limits.json"):
        with pytest.raises(AccessDenied, match="among your uploads"):
            access.check_file(store, ALICE, path)
    with pytest.raises(AccessDenied, match="among your uploads"):
        __import__("replearn_core.uploads").uploads.delete_upload(store, ALICE, f"../bob/{bobs.name}")
    assert bobs.is_file()


# --- 12: refused files are never kept; a quota --------------------------------------------------------------
class WritesAMarker:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('pickled code ran')",)


def test_refused_uploads_leave_nothing_behind(store, tmp_path, gib_bomb):
    from replearn_core.uploads import upload_checkpoint

    marker = tmp_path / "marker"
    evil = io.BytesIO()
    torch.save({"state_dict": {"x": WritesAMarker(marker)}}, evil)
    wrong = io.BytesIO()
    torch.save(encoder_tensors(build_backbone("cnn4")), wrong)
    for name, data in (("evil.pt", evil.getvalue()), ("pickle.ckpt", pickle.dumps({"x": WritesAMarker(marker)})),
                       ("bomb.pt", gib_bomb), ("notes.safetensors", b"Dear class"), ("cnn4.pt", wrong.getvalue())):
        with pytest.raises(CheckpointError, match=name):
            upload_checkpoint(store, ALICE, name, data, "small_cnn")
        assert kept_files(store) == [], f"{name} was kept"
    assert not marker.exists()


def _checkpoint(seed: int) -> bytes:
    torch.manual_seed(seed)
    buffer = io.BytesIO()
    torch.save(encoder_tensors(build_backbone("small_cnn")), buffer)  # about 0.36 MB
    return buffer.getvalue()


def test_uploads_count_against_a_quota_the_teacher_sets(store):
    from replearn_core import uploads

    assert uploads.class_quota_mb(store) == 200  # the default
    with pytest.raises(AccessDenied, match="only the teacher"):
        uploads.save_quota(store, ALICE, 10_000)
    uploads.save_quota(store, TEACHER, 1)
    kept = [uploads.upload_checkpoint(store, ALICE, f"enc{i}.pt", _checkpoint(i), "small_cnn") for i in range(2)]
    with pytest.raises(AccessDenied, match=r"enc2.pt \(0.4 MB\) does not fit in your upload quota: you use 0.7 MB "
                                           r"of 1 MB"):
        uploads.upload_checkpoint(store, ALICE, "enc2.pt", _checkpoint(2), "small_cnn")
    assert len(uploads.list_uploads(store, ALICE)) == 2
    assert uploads.upload_checkpoint(store, ALICE, "enc1.pt", _checkpoint(1), "small_cnn") == kept[1]  # kept once
    uploads.upload_checkpoint(store, BOB, "enc2.pt", _checkpoint(2), "small_cnn")  # a quota per student
    uploads.delete_upload(store, ALICE, kept[0][len("file:"):].rsplit("/", 1)[1])  # the student frees space
    assert uploads.upload_checkpoint(store, ALICE, "enc2.pt", _checkpoint(2), "small_cnn")
    assert uploads.used_bytes(store, ALICE) < 2**20
    use = uploads.class_use(store, TEACHER)
    assert set(use) == {"alice", "bob"} and all(0 < size < 2**20 for size in use.values())
    assert uploads.quota_bytes(store, TEACHER) is None  # the teacher has no quota


def test_the_quota_default_comes_from_the_environment(store, monkeypatch):
    from replearn_core import uploads

    monkeypatch.setenv("REPLEARN_UPLOAD_QUOTA_MB", "0")
    with pytest.raises(AccessDenied, match="you use 0.0 MB of 0 MB"):
        uploads.upload_checkpoint(store, ALICE, "enc.pt", _checkpoint(0), "small_cnn")
    assert kept_files(store) == []


def test_a_disk_that_fills_during_an_upload_gives_the_documented_message_and_keeps_nothing(store, monkeypatch):
    from pathlib import Path

    from replearn_core.i18n import translate
    from replearn_core.storage_errors import StoreUnavailable
    from replearn_core.uploads import upload_checkpoint

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    with pytest.raises(StoreUnavailable) as raised:
        upload_checkpoint(store, ALICE, "enc.pt", _checkpoint(0), "small_cnn")
    assert str(raised.value) == translate("msg.store.full", "en", root=str(store.root))
    assert kept_files(store) == []
