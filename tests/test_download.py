import hashlib
import http.server
import io
import socket
import tarfile
import threading
import time
import urllib.request
import zipfile

import pytest

from replearn_core import download
from replearn_core.cyclegan.data import load_domains
from replearn_core.cyclegan.published import download_published
from replearn_core.data import DatasetError, load_dataset
from replearn_core.download import DownloadError, download_file, safe_extract
from replearn_core.transfer.encoders import imagenet_weights_file

PAYLOAD = bytes(range(256)) * 400  # 100 KiB


class _Handler(http.server.BaseHTTPRequestHandler):
    ranges_seen: list = []
    honour_range = True

    def do_GET(self):  # noqa: N802 - the http.server naming
        if self.path != "/file.bin":
            self.send_error(404)
            return
        header = self.headers.get("Range")
        type(self).ranges_seen.append(header)
        start = int(header.split("=")[1].rstrip("-")) if header and self.honour_range else 0
        body = PAYLOAD[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.ranges_seen = []
    _Handler.honour_range = True
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_checks_the_checksum_and_reports_progress(server, tmp_path):
    seen = []
    dest = download_file(f"{server}/file.bin", tmp_path / "f.bin", sha256=hashlib.sha256(PAYLOAD).hexdigest(),
                         progress=lambda done, total: seen.append((done, total)))
    assert dest.read_bytes() == PAYLOAD
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD)) and all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    assert not (tmp_path / "f.bin.part").exists()


def test_an_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:30000])
    dest = download_file(f"{server}/file.bin", tmp_path / "f.bin", expected_size=len(PAYLOAD))
    assert _Handler.ranges_seen == ["bytes=30000-"]
    assert dest.read_bytes() == PAYLOAD


def test_a_server_ignoring_range_restarts_cleanly(server, tmp_path):
    _Handler.honour_range = False
    (tmp_path / "f.bin.part").write_bytes(b"garbage" * 100)
    dest = download_file(f"{server}/file.bin", tmp_path / "f.bin", sha256=hashlib.sha256(PAYLOAD).hexdigest())
    assert dest.read_bytes() == PAYLOAD


def test_checksum_mismatch_deletes_the_broken_file(server, tmp_path):
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_file(f"{server}/file.bin", tmp_path / "f.bin", sha256="0" * 64)
    assert not (tmp_path / "f.bin").exists() and not (tmp_path / "f.bin.part").exists()


def test_size_mismatch_and_http_errors_are_clear(server, tmp_path):
    with pytest.raises(DownloadError, match="expected"):
        download_file(f"{server}/file.bin", tmp_path / "f.bin", expected_size=5)
    with pytest.raises(DownloadError, match="404"):
        download_file(f"{server}/missing", tmp_path / "g.bin")


def test_offline_gives_a_message_that_says_what_to_do(tmp_path):
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="offline") as info:
        download_file(f"http://127.0.0.1:{port}/x.zip", tmp_path / "x.zip", timeout=2)
    assert str(tmp_path / "x.zip") in str(info.value)


def test_a_network_that_never_answers_fails_within_the_timeout(tmp_path):
    with socket.socket() as listener:  # accepts connections (the kernel's backlog) and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        started = time.monotonic()
        with pytest.raises(DownloadError, match="offline"):
            download_file(f"http://127.0.0.1:{listener.getsockname()[1]}/x.zip", tmp_path / "x.zip", timeout=0.5)
    assert time.monotonic() - started < 2


def test_the_default_timeout_answers_an_offline_user_within_10_s():
    assert download.TIMEOUT_S < 10


# every download of the lab: how a user starts it, and the offline alternative its message must name
EVERY_DOWNLOAD = {
    "cifar10": (lambda: load_dataset("cifar10", "train"), "'shapes' and 'digits' work offline"),
    "stl10": (lambda: load_dataset("stl10", "test"), "'shapes' and 'digits' work offline"),
    "mnist": (lambda: load_dataset("mnist", "train"), "--source printed-digits --target digits"),
    "usps": (lambda: load_dataset("usps", "test"), "--source printed-digits --target digits"),
    "svhn": (lambda: load_dataset("svhn", "train"), "--source printed-digits --target digits"),
    "apple2orange": (lambda: load_domains("apple2orange", "train", 64), "built-in 'fruit' set"),
    "imagenet weights": (lambda: imagenet_weights_file(), "from random weights, or from a checkpoint file"),
    "published CycleGAN generators": (lambda: download_published(), "the bundled model"),
}


@pytest.fixture(params=["refused", "never answers"])
def offline(request, monkeypatch):
    """Every HTTP(S) request of this process goes through a proxy that refuses connections, or that accepts them
    and never answers (a network that drops packets; the download timeout is cut to 1 s to keep the test short)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if request.param == "refused":
        listener.close()
    else:
        listener.listen(16)
        monkeypatch.setattr(download, "TIMEOUT_S", 1.0)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(urllib.request, "_opener", None)  # urlopen reads the proxy settings when it builds this
    yield download.TIMEOUT_S
    listener.close()


@pytest.mark.parametrize("what", list(EVERY_DOWNLOAD))
def test_every_download_fails_offline_within_its_timeout_naming_the_offline_alternative(offline, what):
    start, alternative = EVERY_DOWNLOAD[what]
    started = time.monotonic()
    with pytest.raises((DatasetError, DownloadError)) as info:
        start()
    assert time.monotonic() - started < offline + 2
    message = str(info.value)
    assert "offline" in message and alternative in message, message


def test_safe_extract_unpacks_zip_and_tar(tmp_path):
    archive = tmp_path / "ok.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("set/trainA/a.txt", "apple")
    assert (safe_extract(archive, tmp_path / "out") / "set" / "trainA" / "a.txt").read_text() == "apple"
    tar_path = tmp_path / "ok.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tf:
        info = tarfile.TarInfo("set/trainB/b.txt")
        info.size = 6
        tf.addfile(info, io.BytesIO(b"orange"))
    assert (safe_extract(tar_path, tmp_path / "out2") / "set" / "trainB" / "b.txt").read_text() == "orange"


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/evil.txt", "a/../../evil.txt"])
def test_safe_extract_refuses_paths_that_escape_and_writes_nothing(tmp_path, name):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", "ok")
        zf.writestr(name, "evil")
    with pytest.raises(DownloadError, match="refusing"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "fine.txt").exists() and not (tmp_path / "evil.txt").exists()


def test_safe_extract_refuses_tar_links_and_damaged_archives(tmp_path):
    tar_path = tmp_path / "link.tar"
    with tarfile.open(tar_path, "w") as tf:
        link = tarfile.TarInfo("data/passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    with pytest.raises(DownloadError, match="links"):
        safe_extract(tar_path, tmp_path / "out")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DownloadError):
        safe_extract(broken, tmp_path / "out")
