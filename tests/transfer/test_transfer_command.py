import json

from replearn_core.cli import main


def test_transfer_command_prints_the_table_as_json_on_the_last_line(data_dir, capsys):
    code = main(["transfer", "--encoder", "random", "--dataset", "digits", "--strategies", "linear,full",
                 "--fractions", "0.05,1.0", "--epochs", "1", "--min-steps", "2", "--image-size", "16",
                 "--max-train-images", "100", "--eval-images", "40", "--json", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out.strip().splitlines()[-1])
    assert result["encoder"] == "random" and len(result["table"]) == 4
    assert {r["strategy"] for r in result["table"]} == {"linear", "full"}
    assert result["run_id"]


def test_bad_input_is_one_clear_error_line(data_dir, capsys):
    assert main(["transfer", "--strategies", "linear,magic", "--quiet"]) == 2
    assert "error: unknown strategy 'magic'" in capsys.readouterr().err
    assert main(["transfer", "--fractions", "0.1,lots", "--quiet"]) == 2
    assert "--fractions expects numbers" in capsys.readouterr().err
    assert main(["transfer", "--encoder", "20990101-000000-abcdef", "--quiet"]) == 2
    assert "no run with id" in capsys.readouterr().err
