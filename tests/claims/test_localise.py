"""The claims table on a Chinese page: every text rebuilt from the row's numbers, comparisons and facts."""

import re

from replearn_core.claims import CLAIMS
from replearn_core.claims.localise import detail, localised_row, rule_text, term
from replearn_core.claims.table import page_items
from replearn_core.i18n import translate

CONTEXT = {"budget_s": 90.0, "dataset": "shapes", "seeds": 3, "ssl_seeds": 1}
ENGLISH_WORD = re.compile(r"\b(?!SimCLR|MoCo|BYOL|SimSiam|Barlow|Twins|MAE|VAE|Jigsaw|ArcFace|SupCon|SE|kNN|MB|"
                          r"shapes|max|SimSiam|Chen|He|l2|CUDA|CPU|torch|choose_representation_learning|"
                          r"transfer_learning|contrastive_learning|self_supervised|epoch|data_size|task_type|"
                          r"computer_vision|Triplet|Siamese|MAP|R|Musgrave|Precision|ArcFace|cnn4|van|Ven|Tolias|split|MNIST|"
                          r"digits)[A-Za-z]{3,}\b")


def test_the_catalogues_english_is_the_claims_own_text():
    """The English of claim.<id>.* is the text declared with the claim: edit one, the test asks for the other."""
    for claim in CLAIMS:
        assert translate(f"claim.{claim.id}.setting", "en") == claim.setting
        assert translate(f"claim.{claim.id}.source", "en") == claim.source
        for verdict, why in claim.why.items():
            assert translate(f"claim.{claim.id}.why.{verdict.replace(' ', '_')}", "en") == why


def test_english_rows_are_the_stored_texts(synthetic_table):
    for row in synthetic_table["rows"]:
        texts = localised_row(row, synthetic_table, "en")
        assert (texts["setting"], texts["why"], texts["rule"]) == (row["setting"], row["why"], row["rule"])


def test_a_chinese_row_has_its_numbers_and_no_english_words(synthetic_table):
    for row in synthetic_table["rows"]:
        texts = localised_row(row, synthetic_table, "zh")
        assert texts["claim"] == row["claim_zh"]
        for field in ("source", "setting", "numbers", "why", "rule"):
            text = texts[field] or ""
            assert ENGLISH_WORD.findall(text) == [], (row["id"], field, text)
        for name, stat in row["numbers"].items():  # every measured number is still there
            if stat["values"]:
                assert f"{stat['mean']:.3f}"[:4] in texts["numbers"] or stat["mean"] > 10


def test_details_and_rules_are_rebuilt_from_the_comparisons(synthetic_table):
    failing = next(r for r in synthetic_table["rows"] if r["why"] and r["verdict"] != "not measured")
    english_detail = detail(failing, "en")
    assert english_detail in failing["why"]  # the same comparisons as the measurement named
    assert "需要领先" in detail(failing, "zh")
    claim = next(c for c in CLAIMS if c.id == failing["id"])
    assert rule_text(claim, "en") == claim.rule_text()
    assert "标准误" in rule_text(claim, "zh")


def test_terms_translate_quantity_names_longest_first():
    assert term("MoCo fine-tuned at 10 %", "zh") == "MoCo 微调,标签比例 10 %"
    assert term("from scratch, under 1,000 labels", "zh") == "从头训练,标签少于 1,000"
    assert term("feature extraction @ 1 %", "zh") == "特征提取 @ 1 %"
    assert term("SimCLR kNN", "en") == "SimCLR kNN"


def test_page_items_are_in_the_pages_language(synthetic_table):
    items = page_items(synthetic_table, 90.0, 1, "zh")
    assert all(ENGLISH_WORD.findall(" ".join(item["runs"])) == [] for item in items)
    assert all("标准误" in item["rule"] for item in items)
