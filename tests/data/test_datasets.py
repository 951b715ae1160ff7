"""The dataset registry and its loaders: built-ins, folder trees, and the offline message."""

from pathlib import Path

import numpy as np
import pytest
import torch

from replearn_core.data import DatasetError, ImageDataset, load_dataset
from replearn_core.data.shapes import CLASS_NAMES, load_shapes, make_shapes
from replearn_core.evaluation import knn_accuracy
from tests.bad_files import NOT_AN_IMAGE, bomb_png, truncated_png


# --- shapes -------------------------------------------------------------------------
def test_shapes_is_deterministic_per_seed():
    a, b, c = make_shapes(40, 32, seed=7), make_shapes(40, 32, seed=7), make_shapes(40, 32, seed=8)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, c.images)


def test_shapes_classes_are_balanced_and_images_uint8():
    data = make_shapes(200, 32, seed=0)
    assert data.images.dtype == torch.uint8 and data.images.shape == (200, 3, 32, 32)
    assert data.labels.dtype == torch.int64
    assert torch.bincount(data.labels, minlength=10).tolist() == [20] * 10
    assert data.class_names == CLASS_NAMES and len(CLASS_NAMES) == 10
    # not a blank canvas: images use a good part of the intensity range
    assert data.images.float().std() > 20


def test_shapes_splits_have_their_sizes_and_come_back_identical_from_the_cache(data_dir):
    train = load_dataset("shapes", "train")
    assert train.images.shape == (5000, 3, 32, 32) and train.images.dtype == torch.uint8
    assert torch.bincount(train.labels).tolist() == [500] * 10
    assert list((data_dir / "cache").glob("shapes_*train_32*"))  # drawn once, then cached
    again = load_shapes("train", 32)
    assert torch.equal(again.images, train.images) and torch.equal(again.labels, train.labels)
    test = load_dataset("shapes", "test")
    assert len(test) == 1000
    assert not torch.equal(test.images[:10], train.images[:10])


def test_raw_pixel_knn_on_shapes_is_poor():
    """Colour and position vary more than shape: pixels alone do not find the class."""
    train, test = load_dataset("shapes", "train"), load_dataset("shapes", "test")
    accuracy = knn_accuracy(train.images.flatten(1).float(), train.labels, test.images.flatten(1).float(),
                            test.labels)
    assert accuracy < 0.35


def test_shapes_at_another_size():
    data = load_dataset("shapes", "test", image_size=16)
    assert data.images.shape == (1000, 3, 16, 16)


# --- digits -------------------------------------------------------------------------
def test_digits_loads_offline_with_a_stratified_split():
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    assert train.images.shape[1:] == (3, 32, 32) and train.images.dtype == torch.uint8
    assert len(train) + len(test) == 1797
    assert set(test.labels.tolist()) == set(range(10))
    # gray images: the three channels are equal
    assert torch.equal(train.images[:, 0], train.images[:, 1])


# --- folder:PATH ----------------------------------------------------------------------
def write_tree(root, classes=("cat", "dog"), per_class=5, size=20):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, name in enumerate(classes):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 255, (size, size + 6, 3), dtype=np.uint8)
            pixels[..., c] = 255  # a class colour, so the labels can be checked
            Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


def test_folder_reads_a_class_per_folder_tree(tmp_path):
    root = write_tree(tmp_path / "pets")
    data = load_dataset(f"folder:{root}", "all", image_size=16)
    assert data.images.shape == (10, 3, 16, 16) and data.images.dtype == torch.uint8
    assert data.class_names == ["cat", "dog"]
    assert torch.bincount(data.labels).tolist() == [5, 5]
    assert (data.images[data.labels == 0, 0] == 255).all()  # cats have a saturated red channel
    assert data.notes == []
    train, test = load_dataset(f"folder:{root}", "train", 16), load_dataset(f"folder:{root}", "test", 16)
    assert len(train) + len(test) == 10 and len(test) == 2  # a fifth of each class held out


def test_folder_uses_train_and_test_subtrees_when_present(tmp_path):
    root = tmp_path / "split"
    write_tree(root / "train", per_class=3)
    write_tree(root / "test", per_class=2)
    assert len(load_dataset(f"folder:{root}", "train", 16)) == 6
    assert len(load_dataset(f"folder:{root}", "test", 16)) == 4


def test_folder_skips_and_counts_a_corrupt_file(tmp_path):
    root = write_tree(tmp_path / "pets")
    (root / "cat" / "broken.jpg").write_bytes(b"this is not a jpeg")
    data = load_dataset(f"folder:{root}", "all", image_size=16)
    assert len(data) == 10
    assert len(data.notes) == 1 and "skipped 1" in data.notes[0] and "broken.jpg" in data.notes[0]


def test_folder_skips_non_images_damaged_files_and_decompression_bombs_naming_each(tmp_path):
    root = write_tree(tmp_path / "pets")
    (root / "cat" / "notes.jpg").write_bytes(NOT_AN_IMAGE)  # a text file named .jpg
    (root / "cat" / "huge.png").write_bytes(bomb_png())  # 60,000 × 60,000 pixels in 778 bytes
    (root / "dog" / "wide.png").write_bytes(bomb_png(10_000, 10_000))  # over the limit, where PIL only warns
    (root / "dog" / "cut.png").write_bytes(truncated_png())
    data = load_dataset(f"folder:{root}", "all", image_size=16)
    assert len(data) == 10  # the good images are all there
    [note] = data.notes
    assert "skipped 4 file(s)" in note
    assert "cat/notes.jpg (not an image)" in note
    assert "cat/huge.png (too large to decode safely, a decompression bomb?" in note
    assert "dog/wide.png (too large" in note and "10000×10000 pixels" in note
    assert "dog/cut.png (damaged" in note


def test_folder_names_the_first_five_skipped_files_and_counts_the_rest(tmp_path):
    root = write_tree(tmp_path / "pets")
    for i in range(8):
        (root / "dog" / f"junk{i}.txt").write_bytes(NOT_AN_IMAGE)
    [note] = load_dataset(f"folder:{root}", "all", image_size=16).notes
    assert "skipped 8 file(s)" in note and "junk4.txt" in note and "junk5.txt" not in note and "and 3 more" in note


@pytest.mark.parametrize("make", ["missing", "empty", "no_images"])
def test_folder_bad_paths_give_a_dataset_error(tmp_path, make):
    root = tmp_path / "bad"
    if make != "missing":
        root.mkdir()
    if make == "no_images":
        (root / "cat").mkdir()
        (root / "cat" / "notes.txt").write_text("no images here")
    with pytest.raises(DatasetError, match="folder"):
        load_dataset(f"folder:{root}", "all")


def test_unknown_dataset_split_and_size_are_dataset_errors():
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("imagenet-22k")
    with pytest.raises(DatasetError, match="split"):
        load_dataset("shapes", "validation")
    with pytest.raises(DatasetError, match="image size"):
        load_dataset("shapes", "train", image_size=4)
    assert issubclass(DatasetError, ValueError)  # the CLI turns it into one `error:` line


def test_image_dataset_checks_its_tensors_and_subsets():
    with pytest.raises(DatasetError):
        ImageDataset("x", torch.zeros(4, 3, 8, 8), torch.zeros(4, dtype=torch.long), ["a"])  # float, not uint8
    with pytest.raises(DatasetError):
        ImageDataset("x", torch.zeros(4, 3, 8, 8, dtype=torch.uint8), torch.zeros(3, dtype=torch.long), ["a"])
    data = make_shapes(30, 16, seed=0)
    taken = data.take(10, seed=3)
    assert len(taken) == 10 and torch.equal(taken.images, data.take(10, seed=3).images)
    assert data.take(100) is data
    assert data.resized(8).images.shape == (30, 3, 8, 8)


def test_two_processes_drawing_a_fresh_folders_shapes_at_once_both_get_the_set(data_dir):
    """The lab page's preview and the warm worker draw the set of a fresh data folder at the same moment."""
    import subprocess
    import sys

    code = ("from replearn_core.data.shapes import load_shapes; d = load_shapes('test', 16); "
            "print(len(d), int(d.images.sum()))")
    root = Path(__file__).resolve().parents[2]
    drawers = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=root) for _ in range(2)]
    outputs = [d.communicate(timeout=300) for d in drawers]
    assert all(d.returncode == 0 for d in drawers), [err for _, err in outputs]
    expected = load_shapes("test", 16)
    assert {out.strip() for out, _ in outputs} == {f"{len(expected)} {int(expected.images.sum())}"}
    assert not list((data_dir / "cache").glob("*.tmp"))


def test_the_dataset_table_is_complete_in_a_fresh_process_whatever_was_imported():
    """A run validated in the web process must find its dataset in the worker: the table may not grow with
    imports (issue 10: importing the adaptation package used to add mnist, usps and svhn)."""
    import json
    import subprocess
    import sys

    def names(imports: str) -> list[str]:
        code = f"{imports}\nimport json\nfrom replearn_core.data import DATASETS\nprint(json.dumps(list(DATASETS)))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    bare = names("")
    assert {"shapes", "digits", "printed-digits", "pen-digits", "mnist", "usps", "svhn", "cifar10", "stl10"} <= set(bare)
    assert names("import replearn_core.adaptation, replearn_core.metric, replearn_core.cyclegan, "
                 "replearn_core.transfer") == bare
