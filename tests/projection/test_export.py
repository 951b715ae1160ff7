import numpy as np

from replearn_core.projection import coordinates_csv, projector_tsv, read_coordinates_csv, read_projector_tsv


def test_coordinates_csv_reads_back():
    coords = np.array([[0.5, -1.25], [3.0, 4.0]], dtype=np.float32)
    text = coordinates_csv(coords, np.array([1, 0]), ["cat", "dog, big"], indices=np.array([17, 3]))
    assert text.splitlines()[0] == "index,x,y,label,class_name"
    back = read_coordinates_csv(text)
    np.testing.assert_allclose(back["coords"], coords)
    assert list(back["index"]) == [17, 3] and list(back["label"]) == [1, 0]
    assert list(back["class_name"]) == ["dog, big", "cat"]  # a comma in a name survives


def test_projector_tsv_reads_back():
    feats = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    features_tsv, metadata_tsv = projector_tsv(feats, np.array([0, 1, 1, 0]), ["a\tb", "c"])
    assert "\t" in features_tsv and not features_tsv.startswith("class")
    assert metadata_tsv.splitlines()[0] == "class\tlabel\tindex"  # a header: more than one column
    back, meta = read_projector_tsv(features_tsv, metadata_tsv)
    np.testing.assert_allclose(back, feats, rtol=1e-5)
    assert meta[0] == {"class": "a b", "label": "0", "index": "0"}  # a tab in a class name is replaced
    assert [m["class"] for m in meta] == ["a b", "c", "c", "a b"]
