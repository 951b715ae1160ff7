"""The claims table in the page's language.

A measured table stores each row's texts in English (the command line and ``docs/claims.md`` read them) plus
what they were made from: the comparisons, the numbers, the measured facts, and the table's budget, dataset
and seeds. A page in another language rebuilds every text from those, with the catalogue's words:

- a claim's source, setting and explanation come from ``claim.<id>.source|setting|why.<verdict>`` (the
  English of these keys is the claim's own text in :mod:`.catalogue`, and a test keeps them equal);
- the names of measured quantities ("MoCo fine-tuned at 10 %", "feature extraction @ 1 %") are made of a few
  terms (``claims.term.*``), replaced longest first, so a new method or fraction needs no new key;
- the comparison details and the verdict rule are rebuilt from the row's comparisons and the claim's rule.

A row of an older table without the facts its explanation names keeps its English explanation.
"""

from __future__ import annotations

from replearn_core.claims.verdicts import NOT_MEASURED, REPRODUCED, Stat, number_format
from replearn_core.i18n import DEFAULT_LANGUAGE, catalogue, has_key, normalise_language, translate

MOST = 3  # comparisons named in an explanation; the rest are counted (as Outcome.detail does)


def _glossary(lang: str) -> list[tuple[str, str]]:
    en, local = catalogue(DEFAULT_LANGUAGE), catalogue(lang)
    pairs = [(en[k], local.get(k, en[k])) for k in en if k.startswith("claims.term.")]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def term(text: str, lang: str) -> str:
    """A quantity's or a run's name in ``lang``, term by term (method names stay as they are)."""
    lang = normalise_language(lang)
    if lang == DEFAULT_LANGUAGE:
        return text
    for english, local in _glossary(lang):
        text = text.replace(english, local)
    return text


def detail(row: dict, lang: str) -> str:
    """The comparisons behind a row's verdict in ``lang``: the unmeasured ones, else the failing ones (all of
    them when the claim was reproduced); at most ``MOST``, then a count."""
    stats = {name: Stat.of(stat.get("values") or []) for name, stat in row.get("numbers", {}).items()}
    comparisons = row.get("comparisons", [])
    if row.get("verdict") == NOT_MEASURED:
        chosen = [c for c in comparisons if c["verdict"] == NOT_MEASURED]
    else:
        chosen = [c for c in comparisons if c["verdict"] != REPRODUCED] or comparisons
    texts = []
    for c in chosen:
        a, b = stats.get(c["higher"], Stat(())), stats.get(c["lower"], Stat(()))
        if c["verdict"] == NOT_MEASURED or c.get("needed") is None:
            text = translate("claims.detail.missing", lang, name=term(c["higher"] if not a.values else c["lower"],
                                                                      lang))
        else:
            spec = number_format(c["higher"])
            text = translate("claims.detail.compare", lang, higher=term(c["higher"], lang), a=a.text(spec),
                             lower=term(c["lower"], lang), b=b.text(spec), needed=format(c["needed"], spec))
        if text not in texts:
            texts.append(text)
    more = [translate("claims.detail.more", lang, n=len(texts) - MOST)] if len(texts) > MOST else []
    return "; ".join(texts[:MOST] + more)


def rule_text(claim, lang: str) -> str:
    """A claim's verdict rule in ``lang`` (:meth:`Claim.rule_text` in English)."""
    parts = getattr(claim.rule, "parts", (claim.rule,))

    def margin(part) -> str:
        if part.relative:
            return translate("claims.rule.relative", lang, percent=f"{part.margin:.0%}")
        return f"{part.margin:g}"

    return translate("claims.rule.text", lang, parts="; ".join(
        translate("claims.rule.part", lang, higher=term(p.higher, lang), lower=term(p.lower, lang),
                  margin=margin(p)) for p in parts))


def numbers_text(row: dict, lang: str) -> str:
    """All of a row's numbers on one line, the quantities named in ``lang``."""
    return " · ".join(f"{term(name, lang)} {Stat.of(stat.get('values') or []).text(number_format(name))}"
                      for name, stat in row.get("numbers", {}).items())


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
        errors = row.get("errors") or []
        out["why"] = translate("claims.detail.not_measured", lang, detail=detail(row, lang),
                               errors=f" ({'; '.join(errors)})" if errors else "")
    elif row.get("why") and has_key(f"{key}.why.{verdict.replace(' ', '_')}"):
        facts = {k: term(str(v), lang) for k, v in (row.get("facts") or {}).items()}
        try:
            out["why"] = translate(f"{key}.why.{verdict.replace(' ', '_')}", lang, detail=detail(row, lang),
                                   **context, **facts)
        except KeyError:  # an older table without the facts this explanation names: its English stays
            pass
    return out
