"""The published apple↔orange generators: official key layout mapped onto the product's generator, downloaded
from a loopback server standing in for the release, walked like any model; offline and bad files said clearly."""

import functools
import http.server
import pickle
import re
import socket
import threading
import time

import pytest
import torch

from replearn_core.checkpoints import CheckpointError
from replearn_core.cyclegan import published
from replearn_core.cyclegan.models import ResnetGenerator
from replearn_core.cyclegan.walk import list_sources, model_info, translate
from replearn_core.download import DownloadError


def official_state(generator: ResnetGenerator, old_norm_buffers: bool = True) -> dict:
    """The generator's weights under the official release's key names (``model.N`` / ``conv_block``), written
    independently of the module under test; optionally with the instance-norm buffers that files saved by
    torch before 0.4 carry."""
    state = {}
    for key, value in generator.state_dict().items():
        state["model." + key.removeprefix("net.").replace(".body.", ".conv_block.")] = value.clone()
    if old_norm_buffers:
        for i, layer in enumerate(generator.net):
            if isinstance(layer, torch.nn.InstanceNorm2d):
                state[f"model.{i}.running_mean"] = torch.zeros(layer.num_features)
                state[f"model.{i}.running_var"] = torch.ones(layer.num_features)
    return state


def small_generator(seed: int) -> ResnetGenerator:
    torch.manual_seed(seed)
    return ResnetGenerator(8, 2)


def test_the_official_layout_maps_key_by_key_onto_the_product_generator():
    source = small_generator(0)
    mapped = published.official_to_product(official_state(source), source.state_dict())
    assert set(mapped) == set(source.state_dict())
    assert all(torch.equal(mapped[k], v) for k, v in source.state_dict().items())
    assert any(".body.1.weight" in k for k in mapped) and "net.26.weight" in ResnetGenerator(8, 9).state_dict()
    clone = ResnetGenerator(8, 2)
    clone.load_state_dict(mapped)
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    assert torch.allclose(clone.eval()(x), source.eval()(x))


def test_a_file_of_another_architecture_is_refused_naming_the_keys_and_shapes():
    reference = small_generator(0).state_dict()
    wider = official_state(ResnetGenerator(16, 2))
    with pytest.raises(CheckpointError, match=r"shape mismatches .*net\.1\.weight: \(16, 3, 7, 7\) here"):
        published.official_to_product(wider, reference, "wide.pth")
    extra = dict(official_state(small_generator(0)), **{"model.99.weight": torch.zeros(1)})
    with pytest.raises(CheckpointError, match=r"keys that map to no layer \(1\): net\.99\.weight"):
        published.official_to_product(extra, reference)
    fewer = {k: v for k, v in official_state(small_generator(0)).items() if not k.startswith("model.19.")}  # 2 blocks: the output conv is layer 19
    with pytest.raises(CheckpointError, match=r"missing \(2\): net\.19\.bias, net\.19\.weight"):
        published.official_to_product(fewer, reference)


class _Marker:
    def __reduce__(self):
        return (open, ("/tmp/replearn_published_marker", "w"))


@pytest.fixture
def release(tmp_path):
    """A loopback HTTP server serving a folder that stands in for the official release."""
    folder = tmp_path / "release"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}/{{name}}.pth"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def tiny_release(monkeypatch):
    """The release's generator size made small, so the test builds and runs it in moments."""
    monkeypatch.setattr(published, "NGF", 8)
    monkeypatch.setattr(published, "N_BLOCKS", 2)


def test_downloaded_once_with_progress_then_walked_like_any_model(release, tiny_release):
    folder, url = release
    g_ab, g_ba = small_generator(1), small_generator(2)
    torch.save(official_state(g_ab), folder / "apple2orange.pth")
    torch.save(official_state(g_ba, old_norm_buffers=False), folder / "orange2apple.pth")
    assert published.SOURCE not in list_sources()
    with pytest.raises(FileNotFoundError, match="not downloaded yet"):
        model_info(published.SOURCE)

    seen = []
    published.download_published(progress=lambda done, total: seen.append((done, total)), url=url)
    assert seen and seen[-1][0] == seen[-1][1]
    card = published.card_path().read_text()
    assert re.search(r'"apple2orange": "[0-9a-f]{64}"', card)  # the first download's checksum, kept
    assert not list(published.published_dir().glob("*.pth"))  # converted, the pickles gone

    assert published.SOURCE in list_sources()
    info = model_info(published.SOURCE)
    assert info.config.image_size == 256 and info.config.dataset == "apple2orange"
    images = torch.randint(0, 256, (2, 3, 16, 16), dtype=torch.uint8)
    fake, rec = translate(info, images, "AtoB")
    with torch.no_grad():
        expected = g_ab.eval()(images.float() / 127.5 - 1)
    assert fake.shape == images.shape
    assert (fake.float() - ((expected.clamp(-1, 1) + 1) * 127.5)).abs().max() <= 1.0

    (folder / "apple2orange.pth").unlink()  # a second call finds the converted weights and downloads nothing
    published.download_published(url=url)


def test_pickled_code_in_a_downloaded_file_is_refused_and_never_runs(release, tiny_release, tmp_path):
    import pathlib

    folder, url = release
    marker = pathlib.Path("/tmp/replearn_published_marker")
    marker.unlink(missing_ok=True)
    (folder / "apple2orange.pth").write_bytes(pickle.dumps({"model.1.weight": _Marker()}))
    torch.save(official_state(small_generator(2)), folder / "orange2apple.pth")
    with pytest.raises(CheckpointError, match="could not be read as a weights-only torch file"):
        published.download_published(url=url)
    assert not marker.exists()
    assert not published.is_downloaded()


def test_offline_the_download_fails_quickly_and_says_so(tiny_release):
    with socket.socket() as s:  # a port nobody listens on: connection refused, as offline
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    with pytest.raises(DownloadError, match="offline"):
        published.download_published(url=f"http://127.0.0.1:{port}/{{name}}.pth", timeout=5)
    assert time.perf_counter() - started < 10
    assert not published.is_downloaded()


def test_the_page_offers_the_download_and_says_so_offline(monkeypatch, tiny_release):
    """Offline, the page's button gives the engine's message and the page goes on with the bundled model."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    def offline(progress=None, **kwargs):
        raise DownloadError("could not reach the release. This machine seems to be offline. " + published.OFFLINE_HINT)

    monkeypatch.setattr(published, "download_published", offline)
    page = Path(__file__).resolve().parents[2] / "pages" / "5_cyclegan.py"
    at = AppTest.from_file(str(page), default_timeout=120).run()
    assert not at.exception
    button = next(b for b in at.button if "published" in b.label)
    button.click().run()
    assert any("offline" in e.value and "bundled model" in e.value for e in at.error)
    assert not at.exception
