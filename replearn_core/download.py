"""Downloading files and unpacking archives safely.

``download_file(url, dest, sha256=None, expected_size=None, progress=None)``:

- streams into ``dest.part`` and renames to ``dest`` only when complete, so a
  half-downloaded file is never mistaken for a whole one;
- resumes an interrupted download with an HTTP ``Range: bytes=N-`` request
  (servers that ignore Range answer 200 and the download starts over);
- checks the SHA-256 when one is given. Some publishers (e.g. the CycleGAN
  datasets) give no checksum: with ``sha256=None`` the check is that the byte
  count matches ``expected_size`` (or the server's Content-Length) and the
  caller validates the content (``safe_extract`` refuses a broken archive);
- reports ``progress(done_bytes, total_bytes_or_None)``;
- fails with :class:`DownloadError`, a message that says what to do when offline, within
  ``TIMEOUT_S`` when no answer comes (name resolution included, which urllib's own timeout
  does not cover).

``torchvision_dataset(make, url)`` builds a torchvision dataset from the files already in the data
folder, and only when they are missing checks that ``url`` answers (within ``TIMEOUT_S``) before
letting torchvision download them: its downloader has no timeout and would wait forever offline.

``safe_extract(archive, target)`` unpacks zip and tar archives, refusing any
member whose path would land outside ``target`` (absolute paths, ``..``, links).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import threading
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable

CHUNK = 1 << 16
TIMEOUT_S = 8.0  # no answer (or no bytes) for this long means offline: a user hears so within 10 s
Progress = Callable[[int, "int | None"], None]


class DownloadError(OSError):
    """A download or an unpacking failed; the message says why and what to do."""


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_file(url: str, dest: str | Path, sha256: str | None = None, expected_size: int | None = None,
                  progress: Progress | None = None, timeout: float | None = None) -> Path:
    """Download url to dest (resuming a previous ``dest.part``); returns dest. Skips when dest is already there."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        if sha256 is None or sha256_of(dest) == sha256:
            return dest
        dest.unlink()  # a stale or corrupt copy: fetch it again
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "replearn"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    timeout = TIMEOUT_S if timeout is None else timeout
    try:
        response = _urlopen_within(request, timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the .part file is already complete
            return _finish(part, dest, sha256, expected_size, have)
        raise DownloadError(f"could not download {url}: the server answered {exc.code} {exc.reason}.") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise _offline(url, exc, f": connect it, or download the file by hand and put it at {dest}.") from exc
    with response:
        resumed = have > 0 and response.status == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else expected_size
        if expected_size is not None and total is not None and total != expected_size:
            raise DownloadError(f"{url}: the server offers {total} bytes but {expected_size} were expected.")
        done = have
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while True:
                    block = response.read(CHUNK)
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
        except (urllib.error.URLError, OSError) as exc:
            raise DownloadError(f"the download of {url} broke off after {done} bytes ({exc}); run again to "
                                f"resume from there.") from exc
    return _finish(part, dest, sha256, expected_size or total, done)


def _urlopen_within(request: urllib.request.Request, timeout: float):
    """``urlopen`` that gives up after ``timeout`` seconds even while the host name is being resolved.

    urllib's timeout covers connecting and reading, not the DNS lookup, which can hang for tens of seconds on
    a machine whose network is down. The attempt runs in a daemon thread; one that answers too late is dropped.
    """
    outcome: dict = {}

    def attempt() -> None:
        try:
            outcome["response"] = urllib.request.urlopen(request, timeout=timeout)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


def check_reachable(url: str, timeout: float | None = None) -> None:
    """Raise :class:`DownloadError` within ``timeout`` seconds unless the server of ``url`` answers at all
    (any HTTP status counts: the point is whether this machine is online)."""
    timeout = TIMEOUT_S if timeout is None else timeout
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "replearn"})
    try:
        _urlopen_within(request, timeout).close()
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError) as exc:
        raise _offline(url, exc, ".") from exc


def _offline(url: str, exc: BaseException, what_to_do: str) -> DownloadError:
    return DownloadError(f"could not reach {url} ({getattr(exc, 'reason', exc)}). This machine seems to be "
                         f"offline{what_to_do}")


def torchvision_dataset(make: Callable[[bool], object], url: str, timeout: float | None = None):
    """``make(download)`` builds a torchvision dataset; download only if its files are not there yet, and only
    after :func:`check_reachable` (torchvision's own downloader would wait forever on a dead network)."""
    try:
        return make(False)
    except (RuntimeError, OSError):  # torchvision: "Dataset not found or corrupted", or a missing file
        pass
    check_reachable(url, timeout)
    return make(True)


def _finish(part: Path, dest: Path, sha256: str | None, expected_size: int | None, done: int) -> Path:
    size = part.stat().st_size
    if expected_size is not None and size != expected_size:
        raise DownloadError(f"{dest.name}: got {size} bytes of {expected_size}; run again to resume.")
    if sha256 is not None:
        actual = sha256_of(part)
        if actual != sha256:
            part.unlink()
            raise DownloadError(f"{dest.name}: checksum mismatch (sha256 {actual[:12]}…, expected {sha256[:12]}…); "
                                f"the broken file was deleted, run again to download it afresh.")
    os.replace(part, dest)
    return dest


def _inside(target: Path, name: str) -> Path:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise DownloadError(f"refusing to unpack {name!r}: absolute path")
    resolved = (target / name).resolve()
    if resolved != target and target not in resolved.parents:
        raise DownloadError(f"refusing to unpack {name!r}: it would land outside {target}")
    return resolved


def safe_extract(archive: str | Path, target: str | Path) -> Path:
    """Unpack a zip or tar(.gz/.bz2/.xz) archive into target; refuses members that escape it.

    Every member is checked before anything is written, so a hostile archive
    writes nothing. Links and device files in tar archives are refused.
    """
    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    target = target.resolve()
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                members = zf.infolist()
                for m in members:
                    _inside(target, m.filename)
                    if (m.external_attr >> 16) & 0o170000 == 0o120000:
                        raise DownloadError(f"refusing to unpack {m.filename!r}: symbolic link")
                for m in members:
                    path = _inside(target, m.filename)
                    if m.is_dir():
                        path.mkdir(parents=True, exist_ok=True)
                        continue
                    path.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(m) as src, open(path, "wb") as dst:
                        shutil.copyfileobj(src, dst)
            return target
        if tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                members = tf.getmembers()
                for m in members:
                    _inside(target, m.name)
                    if not (m.isfile() or m.isdir()):
                        raise DownloadError(f"refusing to unpack {m.name!r}: links and special files are not allowed")
                for m in members:
                    path = _inside(target, m.name)
                    if m.isdir():
                        path.mkdir(parents=True, exist_ok=True)
                        continue
                    path.parent.mkdir(parents=True, exist_ok=True)
                    src = tf.extractfile(m)
                    with src, open(path, "wb") as dst:
                        shutil.copyfileobj(src, dst)
            return target
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise DownloadError(f"{archive.name} is damaged ({exc}); delete it and download it again.") from exc
    raise DownloadError(f"{archive.name} is neither a zip nor a tar archive; delete it and download it again.")
