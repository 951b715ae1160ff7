"""The claims table in the page's language.

A measured table stores each row's texts in English (the command line and ``docs/claims.md`` read them) plus
what they were made from: the comparisons, the numbers, the measured facts, and the table's budget, dataset
and seeds. A page in another language rebuilds every text from those, with the catalogue's words:

- a claim's source, setting and explanation come from ``claim.<id>.source|setting|why.<verdict>`` (the
  English of these keys is the claim's own text in :mod:`.catalogue`, and a test keeps them equal);
- the names of measured quantities ("MoCo fine-tuned at 10 %", "feature extraction @ 1 %") are made of a few
  terms (``claims.term.*``), replaced longest first, so a new method or fraction needs no new key;
- the comparison details and the verdict rule are rebuilt from the row's comparisons and the claim's rule by
  the code that wrote them in English (:meth:`.Outcome.detail`, :meth:`.Claim.rule_text`), given ``lang``.

A row of an older table without the facts its explanation names keeps its English explanation.
"""

from __future__ import annotations

from replearn_core.claims.verdicts import NOT_MEASURED, Outcome, Stat, not_measured_text, numbers_text, term
from replearn_core.i18n import DEFAULT_LANGUAGE, has_key, normalise_language, translate

MOST = 3  # comparisons named in an explanation; the rest are counted

__all__ = ["detail", "localised_row", "rule_text", "term"]


def detail(row: dict, lang: str) -> str:
    """The comparisons behind a stored row's verdict in ``lang`` (:meth:`Outcome.detail` of the row)."""
    stats = {name: Stat.of(stat.get("values") or []) for name, stat in row.get("numbers", {}).items()}
    return Outcome.from_row(row).detail(stats, MOST, lang)


def rule_text(claim, lang: str) -> str:
    """A claim's verdict rule in ``lang`` (:meth:`Claim.rule_text`)."""
    return claim.rule_text(lang)


def localised_row(row: dict, table: dict, lang: str) -> dict:
    """A measured row's claim, source, setting, numbers, explanation and rule in ``lang``."""
    from replearn_core.claims.catalogue import CLAIMS_BY_ID

    lang = normalise_language(lang)
    claim = CLAIMS_BY_ID.get(row["id"])
    out = {"claim": row["claim"], "source": row["source"], "setting": row["setting"],
           "numbers": numbers_text(row, lang), "why": row.get("why"), "rule": row["rule"]}
    if lang == DEFAULT_LANGUAGE:
        return out
    context = {"budget_s": table["budget_s"], "dataset": table["dataset"], "seeds": table["seeds"],
               "ssl_seeds": table["ssl_seeds"]}
    key = f"claim.{row['id']}"
    out["claim"] = row.get("claim_zh") or row["claim"]
    if has_key(f"{key}.source"):
        out["source"] = translate(f"{key}.source", lang)
    if has_key(f"{key}.setting"):
        out["setting"] = translate(f"{key}.setting", lang, **context)
    if claim is not None:
        out["rule"] = rule_text(claim, lang)
    verdict = row.get("verdict")
    if verdict == NOT_MEASURED:
        out["why"] = not_measured_text(detail(row, lang), row.get("errors") or [], lang)
    elif row.get("why") and has_key(f"{key}.why.{verdict.replace(' ', '_')}"):
        facts = {k: term(str(v), lang) for k, v in (row.get("facts") or {}).items()}
        try:
            out["why"] = translate(f"{key}.why.{verdict.replace(' ', '_')}", lang, detail=detail(row, lang),
                                   **context, **facts)
        except KeyError:  # an older table without the facts this explanation names: its English stays
            pass
    return out
