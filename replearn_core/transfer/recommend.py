"""Which strategy should I use? Answered from the numbers of one comparison, not from folklore.

The seed articles' ``choose_representation_learning`` answers from rules of thumb:
little data → feature extraction, lots of data → full fine-tuning, in between →
layer-wise fine-tuning. :func:`recommend` checks those rules against a table of
results and says, for each label fraction, which strategy won, by how much, and
whether a cheaper strategy was as good (within ``tolerance``).
"""

from __future__ import annotations

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
    Returns {"winners": {fraction: strategy}, "choice": {fraction: strategy}, "lines": [str], "text": str}
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
        line = (f"**{fraction:.0%} of the labels**" + (f" ({n} images)" if n else "") +
                f": {best['strategy']} won with {best['accuracy']:.1%}")
        runner = sorted(candidates, key=lambda r: -r["accuracy"])
        if len(runner) > 1:
            line += f", {best['accuracy'] - runner[1]['accuracy']:+.1%} over {runner[1]['strategy']}"
        if cheapest is not best:
            if cheapest["trainable_params"] < best["trainable_params"]:
                saving = (f"{cheapest['trainable_params']:,} instead of {best['trainable_params']:,} trainable "
                          f"parameters")
            else:
                fast, slow = _two_times(cheapest["train_time_s"], best["train_time_s"])
                saving = f"{fast} s instead of {slow} s of training"
            line += (f"; {cheapest['strategy']} is within {tolerance:.0%} ({cheapest['accuracy']:.1%}) with "
                     f"{saving}, so the page recommends {cheapest['strategy']}")
        scratch = next((r for r in rows if r["fraction"] == fraction and r["strategy"] == "scratch"), None)
        if scratch is not None:
            line += f". Transfer gain over training from scratch: {best['accuracy'] - scratch['accuracy']:+.1%}"
        lines.append(line + ".")
    lines += _check_claims(rows, fractions, winners, tolerance)
    return {"winners": winners, "choice": choice, "lines": lines, "text": "\n".join(f"- {x}" for x in lines)}


def _check_claims(rows, fractions, winners, tolerance) -> list[str]:
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
        holds = max(cheap_small) >= best_small - tolerance
        out.append(f"Claim *feature extraction is the most data-efficient*: "
                   f"{'holds' if holds else 'does not hold'} here at {small:.0%} "
                   f"(best frozen-encoder accuracy {max(cheap_small):.1%} vs the winner's {best_small:.1%}).")
    if acc("full", large) is not None and large in winners:
        holds = acc("full", large) >= acc(winners[large], large) - tolerance
        out.append(f"Claim *full fine-tuning wins on large data*: {'holds' if holds else 'does not hold'} "
                   f"at {large:.0%} (full {acc('full', large):.1%}, winner {winners[large]} "
                   f"{acc(winners[large], large):.1%}).")
    between = []
    for fraction in fractions:
        frozen = [acc(s, fraction) for s in CHEAP if acc(s, fraction) is not None]
        if frozen and acc("full", fraction) is not None and acc("llrd", fraction) is not None:
            low, high = sorted([max(frozen), acc("full", fraction)])
            between.append(low - tolerance <= acc("llrd", fraction) <= high + tolerance)
    if between:
        out.append(f"Claim *layer-wise fine-tuning sits in between* (llrd between feature extraction and full "
                   f"fine-tuning): holds at {sum(between)} of {len(between)} fractions.")
    if acc("scratch", small) is not None and acc("scratch", large) is not None and small in winners \
            and large in winners:
        gain_small = acc(winners[small], small) - acc("scratch", small)
        gain_large = acc(winners[large], large) - acc("scratch", large)
        holds = gain_small > gain_large
        out.append(f"Claim *transfer helps most on small data*: {'holds' if holds else 'does not hold'} "
                   f"(gain over scratch {gain_small:+.1%} at {small:.0%} vs {gain_large:+.1%} at {large:.0%}).")
    return out
