"""Verdict rules: does a measured difference say what an article claimed, the opposite, or neither?

Every claim reduces to comparisons "A is higher than B" between measured quantities (accuracies,
seconds per epoch, megabytes), each a list of values over seeds. One comparison:

    diff   = mean(A) − mean(B)
    needed = max(margin, 2 · SE),   SE = sqrt(std(A)²/n_A + std(B)²/n_B)
    reproduced if diff ≥ needed;  reversed if diff ≤ −needed;  otherwise not reproduced.

The margin is absolute (accuracy points: 0.02 = two points) or relative to the larger of the two means
(costs: 0.10 = ten per cent). With one seed SE is 0 and the margin alone decides; with more seeds a
difference also has to stand out of the seed-to-seed noise. A rule of several comparisons
(:class:`AllOf`) is reproduced when every one is, reversed when every one is reversed, and not
reproduced otherwise. A quantity that could not be measured (a failed run) makes the verdict
"not measured": no number is invented for it.

Pure functions of numbers: the claims' tests feed them synthetic values.

>>> rule = Exceeds("SimCLR linear probe", "random-init linear probe", margin=0.05)
>>> rule.judge({"SimCLR linear probe": Stat.of([0.71]), "random-init linear probe": Stat.of([0.32])}).verdict
'reproduced'
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from itertools import combinations

from replearn_core.i18n import DEFAULT_LANGUAGE, catalogue, normalise_language, translate

REPRODUCED, NOT_REPRODUCED, REVERSED, NOT_MEASURED = "reproduced", "not reproduced", "reversed", "not measured"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, REVERSED, NOT_MEASURED)


def number_format(name: str) -> str:
    """How many digits a quantity deserves, by its name: megabytes whole, seconds two, accuracies three."""
    if name.endswith("MB"):
        return ".0f"
    if name.endswith(" s") or " s " in name:
        return ".2f"
    return ".3f"


def _glossary(lang: str) -> list[tuple[str, str]]:
    en, local = catalogue(DEFAULT_LANGUAGE), catalogue(lang)
    pairs = [(en[k], local.get(k, en[k])) for k in en if k.startswith("claims.term.")]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def term(text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A quantity's or a run's name in ``lang``, term by term (``claims.term.*``, longest first; method names
    stay as they are), so that a new method or label fraction needs no new catalogue key."""
    lang = normalise_language(lang)
    if lang == DEFAULT_LANGUAGE:
        return text
    for english, local in _glossary(lang):
        text = text.replace(english, local)
    return text


@dataclass(frozen=True)
class Stat:
    """One measured quantity over seeds: its values, mean and sample standard deviation (0 for one value)."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values) -> "Stat":
        return cls(tuple(float(v) for v in values if v is not None and not math.isnan(float(v))))

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values) if self.values else float("nan")

    @property
    def std(self) -> float:
        return statistics.stdev(self.values) if self.n > 1 else 0.0

    def text(self, spec: str = ".3f") -> str:
        """``0.712 ± 0.011`` (or ``0.712`` for one value, ``—`` for none)."""
        if not self.values:
            return "—"
        return format(self.mean, spec) + (f" ± {format(self.std, spec)}" if self.n > 1 else "")

    def to_dict(self) -> dict:
        return {"mean": None if not self.values else self.mean, "std": self.std if self.values else None,
                "n": self.n, "values": list(self.values)}


@dataclass(frozen=True)
class Comparison:
    """The outcome of one "A is higher than B" comparison."""

    higher: str
    lower: str
    diff: float | None  # mean(higher) − mean(lower); None when one side was not measured
    needed: float | None
    verdict: str

    def text(self, stats: dict[str, Stat], lang: str = DEFAULT_LANGUAGE) -> str:
        """``MoCo kNN 0.612 vs SimCLR kNN 0.640, a lead of 0.020 needed``, in ``lang``."""
        a, b = stats.get(self.higher, Stat(())), stats.get(self.lower, Stat(()))
        if self.verdict == NOT_MEASURED or self.needed is None:
            return translate("claims.detail.missing", lang, name=term(self.higher if not a.values else self.lower, lang))
        spec = number_format(self.higher)
        return translate("claims.detail.compare", lang, higher=term(self.higher, lang), a=a.text(spec),
                         lower=term(self.lower, lang), b=b.text(spec), needed=format(self.needed, spec))

    @classmethod
    def from_dict(cls, d: dict) -> "Comparison":
        return cls(d["higher"], d["lower"], d.get("diff"), d.get("needed"), d["verdict"])

    def to_dict(self) -> dict:
        return {"higher": self.higher, "lower": self.lower, "diff": self.diff, "needed": self.needed,
                "verdict": self.verdict}


@dataclass(frozen=True)
class Outcome:
    """A rule's verdict and the comparisons behind it."""

    verdict: str
    comparisons: tuple[Comparison, ...]

    def against(self) -> tuple[Comparison, ...]:
        """The comparisons behind the verdict: the unmeasured ones when something is missing, else those that
        kept the claim from being reproduced (all of them when it was)."""
        if self.verdict == NOT_MEASURED:
            return tuple(c for c in self.comparisons if c.verdict == NOT_MEASURED)
        failing = tuple(c for c in self.comparisons if c.verdict != REPRODUCED)
        return failing or self.comparisons

    def detail(self, stats: dict[str, Stat], most: int = 3, lang: str = DEFAULT_LANGUAGE) -> str:
        """The comparisons behind the verdict in words (in ``lang``), joined by semicolons; at most ``most`` of
        them, then a count."""
        texts = list(dict.fromkeys(c.text(stats, lang) for c in self.against()))
        more = [translate("claims.detail.more", lang, n=len(texts) - most)] if len(texts) > most else []
        return "; ".join(texts[:most] + more)

    @classmethod
    def from_row(cls, row: dict) -> "Outcome":
        """The outcome a stored table row was judged with (its verdict and comparisons)."""
        return cls(row.get("verdict", NOT_MEASURED), tuple(Comparison.from_dict(c) for c in row.get("comparisons", [])))



def not_measured_text(detail: str, errors: list[str], lang: str = DEFAULT_LANGUAGE) -> str:
    """The explanation of a row that could not be judged: what is missing, and the runs' errors."""
    return translate("claims.detail.not_measured", lang, detail=detail,
                     errors=f" ({'; '.join(errors)})" if errors else "")

@dataclass(frozen=True)
class Exceeds:
    """The claim "``higher`` is larger than ``lower``", with the margin a difference must clear."""

    higher: str
    lower: str
    margin: float = 0.02  # absolute, or a fraction of the larger mean when relative
    relative: bool = False

    def quantities(self) -> list[str]:
        return [self.higher, self.lower]

    def judge(self, stats: dict[str, Stat]) -> Outcome:
        a, b = stats.get(self.higher, Stat(())), stats.get(self.lower, Stat(()))
        if not a.values or not b.values:
            return Outcome(NOT_MEASURED, (Comparison(self.higher, self.lower, None, None, NOT_MEASURED),))
        diff = a.mean - b.mean
        margin = self.margin * max(abs(a.mean), abs(b.mean)) if self.relative else self.margin
        se = math.sqrt(a.std ** 2 / a.n + b.std ** 2 / b.n)
        needed = max(margin, 2 * se)
        slack = 1e-9 * max(1.0, needed)  # a difference of exactly the margin counts despite rounding (0.45 − 0.40)
        verdict = REPRODUCED if diff >= needed - slack else REVERSED if diff <= -needed + slack else NOT_REPRODUCED
        return Outcome(verdict, (Comparison(self.higher, self.lower, diff, needed, verdict),))

    def describe(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """``A − B ≥ max(0.02, 2 SE)``, in ``lang``."""
        margin = (translate("claims.rule.relative", lang, percent=f"{self.margin:.0%}") if self.relative
                  else f"{self.margin:g}")
        return translate("claims.rule.part", lang, higher=term(self.higher, lang), lower=term(self.lower, lang),
                         margin=margin)


@dataclass(frozen=True)
class AllOf:
    """Several comparisons that must all hold: reproduced if all do, reversed if all are reversed."""

    parts: tuple[Exceeds, ...] = field(default_factory=tuple)

    def quantities(self) -> list[str]:
        return list(dict.fromkeys(q for p in self.parts for q in p.quantities()))

    def judge(self, stats: dict[str, Stat]) -> Outcome:
        comparisons = tuple(c for p in self.parts for c in p.judge(stats).comparisons)
        verdicts = {c.verdict for c in comparisons}
        if NOT_MEASURED in verdicts:
            verdict = NOT_MEASURED
        elif verdicts == {REPRODUCED}:
            verdict = REPRODUCED
        elif verdicts == {REVERSED}:
            verdict = REVERSED
        else:
            verdict = NOT_REPRODUCED
        return Outcome(verdict, comparisons)

    def describe(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return "; ".join(p.describe(lang) for p in self.parts)


def levels(ranks: dict[str, int], metrics: list[str], margin: float = 0.02, relative: bool = False,
           name: str = "{item} {metric}") -> AllOf:
    """A table's qualitative levels (高 > 中 > 低) as comparisons: on every metric, every item of a higher
    level exceeds every item of a lower one. Items on the same level are not compared (the table does not
    order them).

    >>> levels({"MoCo": 3, "SimCLR": 2, "Barlow Twins": 1}, ["fine-tuning"]).describe().count("≥")
    3
    """
    parts = []
    for metric in metrics:
        for a, b in combinations(ranks, 2):
            if ranks[a] == ranks[b]:
                continue
            high, low = (a, b) if ranks[a] > ranks[b] else (b, a)
            parts.append(Exceeds(name.format(item=high, metric=metric), name.format(item=low, metric=metric),
                                 margin, relative))
    return AllOf(tuple(parts))


def number_text(name: str, stat: dict) -> str:
    """``0.712 ± 0.011`` with as many digits as the unit deserves (MB whole, seconds two, accuracies three)."""
    return Stat.of(stat.get("values") or []).text(number_format(name))


def numbers_text(row: dict, lang: str = "en") -> str:
    """All of a row's numbers on one line, the quantities named in ``lang``: ``SimCLR kNN 0.712 ± 0.011 · MoCo kNN …``."""
    return " · ".join(f"{term(name, lang)} {number_text(name, stat)}" for name, stat in row.get("numbers", {}).items())
