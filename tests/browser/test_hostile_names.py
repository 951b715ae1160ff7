"""Attack: a student names things so that they are markup, and waits for someone to look. Class sub-folders
named ``<img src=x onerror=…>``, a dataset path holding ``</script><script>…``, run names and warnings that are
Markdown links and images: every page that shows them is rendered in Chromium (the feature map's legend and
tooltip, hovered over its canvas; Runs; Teacher; the metric search; the transfer results) and the test fails if
any of their script runs: a flag set in the page or in any of its frames, or a dialog."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from replearn_core.i18n import translate
from tests.browser.conftest import CHROMIUM, ROOT, AppServer, launch_chromium

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

ARTIFACTS = ROOT / "test-artifacts"
FLAG = "top.__pwned=window.__pwned=1"  # set by any of the payloads that runs, in its frame and the page
CLASS_FOLDERS = [f"<img src=x onerror={FLAG}>", f'"><svg onload={FLAG}>', f"[a](javascript:{FLAG})",
                 f"![b](javascript:{FLAG})"]  # names a folder may have (no '/')
IN_PATHS = [f"</script><script>{FLAG}</script>", f"<iframe srcdoc='<script>{FLAG}</script>'>"]
TEXTS = CLASS_FOLDERS + IN_PATHS + ["\u2028</script><img src=x onerror=" + FLAG + ">"]
TEACHER_PASSWORD = "correct horse battery"


def hostile_folder(root: Path) -> Path:
    """A class-per-folder image tree whose class names are payloads: ten tiny images per class, each class its
    own colour (so a map has something to separate)."""
    folder = root / "uploads-of-a-student"
    for c, name in enumerate(CLASS_FOLDERS):
        (folder / name).mkdir(parents=True)
        for i in range(10):
            pixels = np.full((16, 16, 3), 40 * c + 2 * i, dtype=np.uint8)
            Image.fromarray(pixels).save(folder / name / f"{i}.png")
    return folder


def make_runs(data_dir: Path, folder: Path) -> dict:
    """Finished runs on the hostile folder, written through the run store as a worker would: an SSL run and a
    metric run with an encoder checkpoint (feature maps, metric search), a transfer comparison with its table,
    and a failed run; each with a payload as its name, a warning and (the failed one) its error."""
    from replearn_core.backbones import build_backbone
    from replearn_core.checkpoints import encoder_tensors
    from replearn_core.runs.context import RunContext
    from replearn_core.runs.store import RunStore

    store = RunStore(data_dir)
    dataset = f"folder:{folder}"
    runs = {}
    for kind, config in (
            ("ssl", {"method": "simclr", "dataset": dataset, "backbone": "small_cnn", "image_size": 32}),
            ("metric", {"method": "triplet", "dataset": dataset, "backbone": "small_cnn", "image_size": 32}),
            ("transfer", {"encoder": f"file:{folder}/{IN_PATHS[0]}.pt", "dataset": f"{dataset}/{IN_PATHS[1]}",
                          "backbone": "small_cnn", "strategies": ["linear"], "fractions": [0.5]}),
            ("adapt", {"method": "dann", "source": dataset, "target": f"{dataset}/{IN_PATHS[0]}"})):
        run_id = store.create_run(kind, config, name=TEXTS[len(runs) % len(TEXTS)], owner="alice")
        ctx = RunContext(store, run_id, torch.device("cpu"))
        ctx.log(1, loss=1.0, knn_acc=0.5, **({"acc/linear@0.5": 0.4, "loss/linear@0.5": 1.0} if kind == "transfer" else {}))
        if kind in ("ssl", "metric"):
            torch.manual_seed(0)
            ctx.save_tensors("checkpoint_final", encoder_tensors(build_backbone("small_cnn")), step=1,
                             meta={"backbone": "small_cnn", "epoch": 1})
        ctx.progress(1.0, TEXTS[-1])
        ctx.close()
        for text in TEXTS:
            store.add_warning(run_id, text)
        summary = {}
        if kind == "transfer":
            summary = {"table": [{"strategy": "linear", "fraction": 0.5, "n_labels": 20, "accuracy": 0.4,
                                  "train_time_s": 0.1, "trainable_params": 650, "total_params": 1000}],
                       "encoder": {"encoder": TEXTS[0]}, "recommendation": "- linear"}
        store.finish(run_id, "failed" if kind == "adapt" else "finished", summary=summary,
                     error=" ".join(TEXTS) if kind == "adapt" else None)
        runs[kind] = run_id
    store.close()
    return runs


def scripts_that_ran(page) -> list[str]:
    """The frames (the page and every component's) in which a payload set its flag."""
    ran = []
    for frame in page.frames:
        try:
            if frame.evaluate("() => Boolean(window.__pwned)"):
                ran.append(frame.url[:80])
        except Exception:  # noqa: BLE001 - a frame that went away while we looked
            continue
    return ran


def sign_in_as_teacher(page) -> None:
    """The classroom sign-in form, when the page shows it: the teacher's password."""
    expander = page.get_by_test_id("stExpander").filter(
        has_text=translate("classroom.teacher_title", "en")).locator("summary").first
    try:
        expander.wait_for(timeout=8_000)
    except Exception:  # noqa: BLE001 - no form: this browser is signed in already
        return
    expander.click()
    page.get_by_label(translate("classroom.teacher_name", "en"), exact=True).fill("Ms Li")
    page.get_by_label(translate("classroom.teacher", "en"), exact=True).fill(TEACHER_PASSWORD)
    page.get_by_role("button", name=translate("classroom.sign_in_teacher", "en")).click()
    expander.wait_for(state="detached", timeout=60_000)


def open_page(page, url: str, shows: str) -> None:
    page.goto(url, wait_until="networkidle")
    sign_in_as_teacher(page)
    page.get_by_text(shows).first.wait_for(timeout=120_000)
    page.wait_for_timeout(2_000)  # let every element and component frame draw


def test_hostile_names_run_no_script_on_any_page_that_shows_them(tmp_path, data_dir, monkeypatch):
    from playwright.sync_api import sync_playwright

    from replearn_core.runs.access import hash_password

    runs = make_runs(data_dir, hostile_folder(tmp_path))
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")  # the teacher sees every student's runs, and the Teacher page
    monkeypatch.setenv("REPLEARN_TEACHER_PASSWORD_HASH", hash_password(TEACHER_PASSWORD))
    monkeypatch.setenv("REPLEARN_REFRESH_S", "3600")
    server = AppServer(data_dir)
    url = server.wait()
    ARTIFACTS.mkdir(exist_ok=True)
    dialogs = []
    shown = "onerror=top.__pwned"  # a payload, drawn as text
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p, tmp_path / "chrome")
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            visits = [("runs?run=" + ",".join(runs.values()), shown),
                      (f"ssl_lab?run={runs['ssl']}", shown),
                      ("domain_adaptation", shown),
                      ("transfer", translate("transfer.recommendation", "en")),
                      ("metric_learning", shown),
                      ("teacher", translate("teacher.runs", "en")),
                      (f"feature_maps?run={runs['ssl']}&projection=pca", translate("maps.viewer_hint", "en"))]
            for path, text in visits:
                name = path.split("?")[0]
                try:
                    open_page(page, f"{url}/{path}", text)
                    if name == "feature_maps":  # the legend is drawn; the tooltip when the mouse is over a point
                        frame = next(f for f in page.frames if f.query_selector("#map") is not None)
                        frame.query_selector("#map").scroll_into_view_if_needed()
                        canvas = frame.query_selector("#map").bounding_box()  # in the page's coordinates
                        assert not scripts_that_ran(page), f"the map's legend ran script: {scripts_that_ran(page)}"
                        legend = frame.inner_text("#legend")  # the names, shown as typed
                        assert all(folder in legend for folder in CLASS_FOLDERS), legend
                        named = ""
                        for y in np.linspace(canvas["y"] + 5, canvas["y"] + canvas["height"] - 5, 40):
                            for x in np.linspace(canvas["x"] + 5, canvas["x"] + canvas["width"] - 5, 40):
                                page.mouse.move(x, y)
                                if frame.is_visible("#tip"):
                                    named = frame.inner_text("#lab-name")
                                    break
                            if named:
                                break
                        assert named in CLASS_FOLDERS, f"the tooltip never showed a class name ({named!r})"
                        page.wait_for_timeout(1_000)
                finally:
                    page.screenshot(path=str(ARTIFACTS / f"hostile_{name}.png"), full_page=True)
                assert not scripts_that_ran(page), f"a hostile name ran script on {name}: {scripts_that_ran(page)}"
                assert not dialogs, f"a hostile name opened a dialog on {name}: {dialogs}"
            browser.close()
    finally:
        server.stop()
