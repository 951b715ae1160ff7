"""Which strategy should I use? Answered from the numbers of one comparison, not from folklore.

The seed articles' ``choose_representation_learning`` answers from rules of thumb:
little data → feature extraction, lots of data → full fine-tuning, in between →
layer-wise fine-tuning. :func:`recommend` checks those rules against a table of
results and says, for each label fraction, which strategy won, by how much, and
whether a cheaper strategy was as good (within ``tolerance``).

Each line is a :class:`~replearn_core.i18n.Message`: English text for the command line and the
run store's ``recommendation``, with its catalogue code kept in ``recommendation_lines`` so that
:func:`recommendation_text` shows it in the page's language.
"""

from __future__ import annotations

from replearn_core.i18n import Message, message_text

TOLERANCE = 0.01  # accuracies this close count as a tie, and the cheaper strategy is preferred
CHEAP = ("linear", "logreg")


def _cost(row: dict) -> tuple:
    return (row["trainable_params"], row["train_time_s"])


def _two_times(a: float, b: float) -> tuple[str, str]:
    """Two durations with one decimal, or as many more (up to 3) as it takes for them not to read the same."""
    for digits in (1, 2, 3):
        if f"{a:.{digits}f}" != f"{b:.{digits}f}":
            break
    return f"{a:.{digits}f}", f"{b:.{digits}f}"


def recommend(rows: list[dict], tolerance: float = TOLERANCE) -> dict:
    """Winners per fraction and a short explanation.

    rows: dicts with strategy, fraction, accuracy, train_time_s, trainable_params (the job's table).
    Returns {"winners": {fraction: strategy}, "choice": {fraction: strategy}, "lines": [Message], "text": str}
    where "choice" is the cheapest strategy within ``tolerance`` of the winner.
    """
    fractions = sorted({r["fraction"] for r in rows})
    winners, choice, lines = {}, {}, []
    for fraction in fractions:
        candidates = [r for r in rows if r["fraction"] == fraction and r["strategy"] != "scratch"]
        if not candidates:
            continue
        best = max(candidates, key=lambda r: (r["accuracy"], [-c for c in _cost(r)]))
        near = [r for r in candidates if r["accuracy"] >= best["accuracy"] - tolerance]
        cheapest = min(near, key=_cost)
        winners[fraction], choice[fraction] = best["strategy"], cheapest["strategy"]
        n = best.get("n_labels")
        runner = sorted(candidates, key=lambda r: -r["accuracy"])
        cheaper = ""
        if cheapest is not best:
            said = {"cheap": cheapest["strategy"], "tolerance": tolerance, "cheap_acc": cheapest["accuracy"]}
            if cheapest["trainable_params"] < best["trainable_params"]:
                cheaper = Message("transfer.rec.cheaper_params", **said, fewer=cheapest["trainable_params"],
                                  more=best["trainable_params"])
            else:
                fast, slow = _two_times(cheapest["train_time_s"], best["train_time_s"])
                cheaper = Message("transfer.rec.cheaper_time", **said, fast=fast, slow=slow)
        scratch = next((r for r in rows if r["fraction"] == fraction and r["strategy"] == "scratch"), None)
        lines.append(Message(
            "transfer.rec.fraction", fraction=fraction, strategy=best["strategy"], acc=best["accuracy"],
            labels=Message("transfer.rec.labels", n=n) if n else "",
            runner=(Message("transfer.rec.runner", margin=best["accuracy"] - runner[1]["accuracy"],
                            other=runner[1]["strategy"]) if len(runner) > 1 else ""),
            cheaper=cheaper,
            gain=(Message("transfer.rec.gain", gain=best["accuracy"] - scratch["accuracy"])
                  if scratch is not None else "")))
    lines += _check_claims(rows, fractions, winners, tolerance)
    return {"winners": winners, "choice": choice, "lines": lines, "text": "\n".join(f"- {x}" for x in lines)}


def recommendation_text(summary: dict, lang: str) -> str:
    """A finished comparison's recommendation (a Markdown list) in ``lang``; a run recorded before the lines kept
    their codes shows its English ``recommendation``."""
    lines = summary.get("recommendation_lines")
    if not lines:
        return summary.get("recommendation", "")
    return "\n".join(f"- {message_text(Message.from_json(line), lang)}" for line in lines)


def _verdict(holds: bool) -> Message:
    return Message("transfer.claim.holds" if holds else "transfer.claim.fails")


def _check_claims(rows, fractions, winners, tolerance) -> list[Message]:
    """Compare the seed articles' rules of thumb with this table."""
    out = []
    if len(fractions) < 2:
        return out
    small, large = fractions[0], fractions[-1]
    by = {(r["strategy"], r["fraction"]): r for r in rows}

    def acc(strategy, fraction):
        row = by.get((strategy, fraction))
        return None if row is None else row["accuracy"]

    cheap_small = [acc(s, small) for s in CHEAP if acc(s, small) is not None]
    if cheap_small and small in winners:
        best_small = acc(winners[small], small)
        out.append(Message("transfer.claim.data_efficient", verdict=_verdict(max(cheap_small) >= best_small - tolerance),
                           fraction=small, frozen=max(cheap_small), winner=best_small))
    if acc("full", large) is not None and large in winners:
        out.append(Message("transfer.claim.full_wins_large",
                           verdict=_verdict(acc("full", large) >= acc(winners[large], large) - tolerance),
                           fraction=large, full=acc("full", large), strategy=winners[large],
                           winner=acc(winners[large], large)))
    between = []
    for fraction in fractions:
        frozen = [acc(s, fraction) for s in CHEAP if acc(s, fraction) is not None]
        if frozen and acc("full", fraction) is not None and acc("llrd", fraction) is not None:
            low, high = sorted([max(frozen), acc("full", fraction)])
            between.append(low - tolerance <= acc("llrd", fraction) <= high + tolerance)
    if between:
        out.append(Message("transfer.claim.llrd_between", k=sum(between), n=len(between)))
    if acc("scratch", small) is not None and acc("scratch", large) is not None and small in winners \
            and large in winners:
        gain_small = acc(winners[small], small) - acc("scratch", small)
        gain_large = acc(winners[large], large) - acc("scratch", large)
        out.append(Message("transfer.claim.small_gain", verdict=_verdict(gain_small > gain_large),
                           gain_small=gain_small, small=small, gain_large=gain_large, large=large))
    return out
