import json

from PIL import Image

from replearn_core.cli import main


def test_cyclegan_command_prints_one_json_object_last(capsys, tmp_path):
    code = main(["cyclegan", "--data", "fruit", "--size", "64", "--epochs", "1", "--ngf", "4", "--ndf", "4",
                 "--n-blocks", "1", "--max-train-images", "3", "--json", "--quiet"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["status"] == "finished" and result["steps"] == 3
    for key in ("loss_G", "loss_D", "loss_cycle", "loss_identity", "images_per_s"):
        assert result[key] > 0

    image = tmp_path / "apple.jpg"
    Image.new("RGB", (90, 120), (180, 20, 20)).save(image)
    out = tmp_path / "out"
    code = main(["translate", "--run", result["run_id"], "--direction", "AtoB", str(image), "--out", str(out),
                 "--reconstruct", "--json"])
    assert code == 0
    written = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["files"]
    assert len(written) == 2
    with Image.open(written[0]) as translated:
        assert translated.size == (64, 64)


def test_translate_with_the_bundled_model(tmp_path, capsys):
    image = tmp_path / "orange.png"
    Image.new("RGB", (64, 64), (250, 140, 10)).save(image)
    assert main(["translate", "--run", "bundled", "--direction", "BtoA", str(image), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "orange_BtoA.png").is_file()


def test_bad_input_is_one_clear_error(tmp_path, capsys):
    assert main(["cyclegan", "--data", f"folder:{tmp_path}", "--quiet"]) == 2  # bad input: exit 2, one line
    assert "no trainA/ folder" in capsys.readouterr().err
    text = tmp_path / "x.txt"
    text.write_text("no image")
    assert main(["translate", "--run", "bundled", str(text), "--out", str(tmp_path)]) == 2
    assert "is not an image" in capsys.readouterr().err
    assert main(["translate", "--run", "nope", str(text), "--out", str(tmp_path)]) == 2
