import numpy as np
import pytest
import torch
from PIL import Image

from replearn_core.cyclegan.data import load_domains
from replearn_core.cyclegan.fruit import make_fruit
from replearn_core.data.base import DatasetError

from tests.conftest import SHARED_DATA


def _folder(root, domains=("trainA", "trainB", "testA", "testB"), n=3, size=40):
    for d in domains:
        (root / d).mkdir(parents=True)
        for i in range(n):
            colour = (200, 40, 40) if d.endswith("A") else (240, 150, 20)
            Image.new("RGB", (size + i, size), colour).save(root / d / f"{i}.png")
    return root


def test_fruit_is_seeded_uint8_and_differs_between_domains():
    apples, again = make_fruit("apple", 6, 64, seed=1), make_fruit("apple", 6, 64, seed=1)
    oranges = make_fruit("orange", 6, 64, seed=1)
    assert apples.shape == (6, 3, 64, 64) and apples.dtype == torch.uint8
    assert torch.equal(apples, again)
    # apples are redder than oranges, oranges greener (more yellow) than apples in the centre
    centre = (slice(None), slice(None), slice(24, 40), slice(24, 40))
    ratio = lambda x: (x[centre][:, 1].float().mean() / x[centre][:, 0].float().mean()).item()  # noqa: E731
    assert ratio(oranges) > ratio(apples) + 0.15


def test_fruit_splits_load_at_each_size():
    pair = load_domains("fruit", "test", 128)
    assert pair.a.shape[1:] == (3, 128, 128) and len(pair.a) == len(pair.b) > 8


def test_folder_pair_reads_any_size_and_both_splits(tmp_path):
    root = _folder(tmp_path / "pair")
    train = load_domains(f"folder:{root}", "train", 64)
    test = load_domains(f"folder:{root}", "test", 64)
    assert train.a.shape == (3, 3, 64, 64) and test.b.shape == (3, 3, 64, 64)
    assert train.a[:, 0].float().mean() > train.a[:, 1].float().mean()  # domain A is the red one


def test_missing_trainB_gets_a_clear_message(tmp_path):
    root = _folder(tmp_path / "half", domains=("trainA",))
    with pytest.raises(DatasetError, match="no trainB/ folder"):
        load_domains(f"folder:{root}", "train", 64)


def test_empty_folder_gets_a_clear_message(tmp_path):
    root = _folder(tmp_path / "empty", domains=("trainA",))
    (root / "trainB").mkdir()
    with pytest.raises(DatasetError, match="trainB is empty"):
        load_domains(f"folder:{root}", "train", 64)


def test_unreadable_files_are_skipped_and_reported(tmp_path):
    root = _folder(tmp_path / "junk", domains=("trainA", "trainB"), n=12)
    (root / "trainA" / "notes.txt").write_text("not an image")
    train = load_domains(f"folder:{root}", "train", 64)
    test = load_domains(f"folder:{root}", "test", 64)
    assert any("skipped 1" in n for n in train.notes)
    assert len(train.a) + len(test.a) == 12  # without testA/testB a tenth is held out
    assert len(test.a) == 1


def test_unknown_spec_and_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match="unknown CycleGAN dataset"):
        load_domains("pears", "train", 64)
    with pytest.raises(DatasetError, match="no such folder"):
        load_domains(f"folder:{tmp_path / 'nothing'}", "train", 64)


@pytest.mark.skipif(not (SHARED_DATA / "apples-oranges" / "testA").is_dir(), reason="shared photos absent")
def test_real_apples_oranges_photos_load():
    pair = load_domains(f"folder:{SHARED_DATA / 'apples-oranges'}", "test", 64)
    assert len(pair.a) > 40 and len(pair.b) > 40 and pair.a.shape[1:] == (3, 64, 64)
    assert np.isfinite(pair.a.float().mean().item())


def test_apple2orange_downloads_unpacks_and_loads_offline_fixture(tmp_path, monkeypatch, data_dir):
    """The official set's path, against a loopback server serving a zip in the official layout."""
    import http.server
    import threading
    import zipfile

    import replearn_core.cyclegan.data as data

    archive = tmp_path / "apple2orange.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for domain in ("trainA", "trainB", "testA", "testB"):
            for i in range(2):
                buffer = __import__("io").BytesIO()
                Image.new("RGB", (256, 256), (200, 30, 30) if domain.endswith("A") else (240, 150, 20)).save(
                    buffer, format="JPEG")
                zf.writestr(f"apple2orange/{domain}/{i}.jpg", buffer.getvalue())
    body = archive.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(data, "APPLE2ORANGE_URL", f"http://127.0.0.1:{httpd.server_address[1]}/a.zip")
        seen = []
        pair = load_domains("apple2orange", "train", 64, progress=lambda done, total: seen.append(done))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert pair.name == "apple2orange" and pair.a.shape == (2, 3, 64, 64) and seen[-1] == len(body)
    assert (data_dir / "datasets" / "apple2orange" / "testB").is_dir()
    assert load_domains("apple2orange", "test", 64).b.shape == (2, 3, 64, 64)  # cached: no server needed now


def test_apple2orange_offline_says_so(monkeypatch):
    import replearn_core.cyclegan.data as data

    monkeypatch.setattr(data, "APPLE2ORANGE_URL", "http://127.0.0.1:9/apple2orange.zip")
    with pytest.raises(DatasetError, match="offline.*fruit"):
        load_domains("apple2orange", "train", 64)
