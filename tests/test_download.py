import hashlib
import http.server
import io
import socket
import tarfile
import threading
import zipfile

import pytest

from replearn_core.download import DownloadError, download_file, safe_extract

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
