"""The measured claims table as a file: where it lives, which copy is newest, and how it reads.

Two copies may exist: the one shipped with the code (``assets/claims/latest.json``, written by
``bench/claims.py --publish``) and the one of this data folder (``<data folder>/claims/latest.json``,
written by every ``bench/claims.py`` run). The newest by measurement date is the one shown.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from replearn_core.claims.plan import DEFAULT_BUDGET_S, plan_runs
from replearn_core.claims.spec import Claim
from replearn_core.claims.localise import localised_row, rule_text
from replearn_core.claims.verdicts import NOT_MEASURED, NOT_REPRODUCED, REPRODUCED, REVERSED, numbers_text, term

SHIPPED_TABLE = Path(__file__).resolve().parents[2] / "assets" / "claims" / "latest.json"
BADGES = {REPRODUCED: ("✅", "green"), NOT_REPRODUCED: ("➖", "orange"), REVERSED: ("🔄", "red"),
          NOT_MEASURED: ("❔", "gray")}


def data_table_path() -> Path:
    """This data folder's copy of the latest table."""
    from replearn_core.paths import data_dir

    return data_dir() / "claims" / "latest.json"


def save_table(table: dict, path: str | Path) -> Path:
    """Write a table as JSON (through a temporary file, so a reader never sees half of it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(table, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_table(path: str | Path) -> dict | None:
    """A table file's contents, or None when it is missing or not a table."""
    try:
        table = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(table, dict) or not isinstance(table.get("rows"), list) or not table.get("date"):
        return None
    return table


def latest_table(sources: list[tuple[Path, str]] | None = None) -> dict | None:
    """The newest measured table (by its date) of the data folder's and the shipped copy; None if neither exists.

    sources: [(path, origin name)] to look at instead. The returned dict has ``origin``: which copy it is.
    """
    sources = sources or [(data_table_path(), "data folder"), (SHIPPED_TABLE, "shipped")]
    candidates = []
    for path, origin in sources:
        table = read_table(path)
        if table is not None:
            candidates.append({**table, "origin": f"{origin} ({path})"})
    return max(candidates, key=lambda t: t["date"]) if candidates else None


def badge(verdict: str) -> str:
    """Streamlit markdown of a verdict badge, e.g. ``:green-badge[✅ reproduced]``."""
    icon, colour = BADGES.get(verdict, ("❔", "gray"))
    return f":{colour}-badge[{icon} {verdict}]"


def summary_rows(table: dict) -> list[dict]:
    """The table as plain rows (claim, source, setting, numbers, verdict) for a data frame or the terminal."""
    return [{"claim": r["claim"], "source": r["source"], "setting": r["setting"], "numbers": numbers_text(r),
             "verdict": f"{BADGES.get(r['verdict'], ('❔',))[0]} {r['verdict']}"} for r in table["rows"]]


def markdown_table(table: dict) -> str:
    """The table as Markdown, with its date, device and budget, and each failing row's explanation."""
    lines = [f"Claims measured {table['date']} on {table['device']}: {table['budget_s']:.0f} s per self-supervised "
             f"run, {table['seeds']} seed(s) for runs under a minute, {table['ssl_seeds']} for self-supervised runs"
             + (f"; overrides {table['overrides']}" if table.get("overrides") else ""), "",
             "| claim | source | setting | numbers | verdict |", "|---|---|---|---|---|"]
    for row in summary_rows(table):
        cells = [str(row[k]).replace("|", "/") for k in ("claim", "source", "setting", "numbers", "verdict")]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {r['id']}: {r['why']}" for r in table["rows"] if r.get("why")]
    return "\n".join(lines + ([""] + notes if notes else []))


def claim_runs_text(claim: Claim, budget_s: float = DEFAULT_BUDGET_S, seeds: int = 1) -> list[str]:
    """The runs a claim starts, in words (what its button queues; baselines are computed, not run)."""
    return [run.name + ("" if run.spec.kind != "ssl" else f" ({run.config['time_budget_s']:.0f} s)")
            for run in plan_runs([claim], budget_s, seeds) if run.spec.kind != "baseline"]


def page_items(table: dict | None, budget_s: float = DEFAULT_BUDGET_S, seeds: int = 1,
               lang: str = "en") -> list[dict]:
    """What the Claims page shows per claim: the measured row when the table has one (every row of the table,
    none hidden), else the declared claim; with its verdict badge, explanation, rule and the runs its button
    queues, in ``lang``. ``startable`` is False for a row of an older table whose claim is no longer declared."""
    from replearn_core.claims.catalogue import CLAIMS, CLAIMS_BY_ID
    from replearn_core.i18n import has_key, translate

    rows = {r["id"]: r for r in (table or {}).get("rows", [])}
    ids = list(rows) + [c.id for c in CLAIMS if c.id not in rows]
    items = []
    for claim_id in ids:
        claim, row = CLAIMS_BY_ID.get(claim_id), rows.get(claim_id)
        if row is not None:
            texts = localised_row(row, table, lang)
        else:
            source_key = f"claim.{claim_id}.source"
            texts = {"source": translate(source_key, lang) if has_key(source_key) else claim.source,
                     "rule": rule_text(claim, lang), "setting": None, "numbers": None, "why": None}
        item = {"id": claim_id, "measured": row is not None, "startable": claim is not None,
                "claim": row["claim"] if row else claim.text, "claim_zh": row["claim_zh"] if row else claim.text_zh,
                "source": texts["source"], "rule": texts["rule"], "setting": texts["setting"],
                "numbers": texts["numbers"], "why": texts["why"],
                "verdict": row["verdict"] if row else None, "badge": badge(row["verdict"]) if row else None,
                "runs": [term(name, lang) for name in claim_runs_text(claim, budget_s, seeds)] if claim else []}
        items.append(item)
    return items
