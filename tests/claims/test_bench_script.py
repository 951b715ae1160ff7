"""bench/claims.py's command line, without measuring anything (the measurement itself is tested in-process)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args):
    return subprocess.run([sys.executable, str(ROOT / "bench" / "claims.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_list_prints_every_claim_its_rule_and_the_duration():
    done = _bench("--list")
    assert done.returncode == 0, done.stderr
    assert "simsiam_stop_gradient" in done.stdout and "rule: reproduced when" in done.stdout
    assert "claims · SimCLR · seed 0" in done.stdout and "min on 2 CPU cores" in done.stdout


def test_a_smoke_table_is_never_published_and_unknown_claims_are_named():
    refused = _bench("--publish", "--max-train-images", "128")
    assert refused.returncode != 0 and "not to be shipped" in refused.stderr
    unknown = _bench("--claims", "no_such_claim", "--list")
    assert unknown.returncode != 0 and "no_such_claim" in unknown.stderr
