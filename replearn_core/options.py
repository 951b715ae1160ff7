"""Typed, declared settings of one method: what the page and the command line offer, and what a run accepts.

A method (a class in a registry such as ``replearn_core.ssl.methods.METHODS``) lists its own settings as
``options = (Option(...), ...)``. From that one declaration

- :func:`resolve_options` checks a run's ``options`` dict: an unknown name (``stop_gradeint``) or a value of
  the wrong type or out of range is an error that names it, and every missing option gets its default, so
  the stored configuration of a run says everything it ran with;
- the page draws one control per option (``ui.options``) and the command line's ``--option KEY=VALUE``
  help lists them.

A capability's run settings that its page offers (epochs, learning rate, image size, ...) are declared the same
way, with :func:`setting`, which reads each default from the run configuration's dataclass (the CycleGAN,
adaptation, metric-learning and lab ``SETTINGS``); so are a transfer strategy's own settings (``options``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from replearn_core.i18n import Message

OptionValue = bool | int | float | str


def require_finite(name: str, value) -> None:
    """Refuse a non-finite number (nan, inf, -inf) for the setting ``name``: the one check every range check of
    the project goes through first, since ``nan`` passes any comparison written as ``not (x < low)`` and ``inf``
    passes every lower bound (a weight decay of ``inf`` turns every weight into NaN at the first step)."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ValueError(Message("opt.not_finite", name=name, value=str(value)))


@dataclass(frozen=True)
class Option:
    name: str  # the key in the run's options dict
    default: OptionValue  # its type is the option's type
    label: str  # the control's label on the page
    help: str  # one or two sentences shown as the control's help
    low: float | None = None  # numbers: the smallest allowed value
    high: float | None = None  # numbers: the largest allowed value
    choices: tuple[str, ...] = ()  # strings: the allowed values (a radio on the page)
    step: float | None = None  # numbers with a range: a slider with this step on the page (else a number box)
    values: tuple[int | float, ...] = ()  # numbers: the allowed values (a select slider on the page)
    format: str | None = None  # numbers in a number box: how the page shows them ("%.5f"; default "%.4g")

    @property
    def kind(self) -> type:
        return type(self.default)

    def coerce(self, value) -> OptionValue:
        """``value`` as this option's type, or ValueError naming the option and what it accepts."""
        kind = self.kind
        if kind is bool:
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
            if not isinstance(value, bool):
                raise ValueError(Message("opt.bool", name=self.name, value=value))
            return value
        if kind is str:
            value = str(value)
            if self.choices and value not in self.choices:
                raise ValueError(Message("opt.choice", name=self.name, choices=", ".join(self.choices), value=value))
            return value
        try:
            if isinstance(value, bool):
                raise ValueError
            number = kind(value)
            if kind is int and number != float(value):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise ValueError(Message("opt.whole" if kind is int else "opt.number", name=self.name,
                                     value=value)) from None
        require_finite(self.name, number)
        if self.values and number not in self.values:
            raise ValueError(Message("opt.choice", name=self.name, choices=", ".join(map(str, self.values)),
                                     value=number))
        too_low, too_high = self.low is not None and number < self.low, self.high is not None and number > self.high
        if too_low or too_high:
            code = "opt.range" if self.low is not None and self.high is not None else \
                "opt.min" if too_low else "opt.max"
            raise ValueError(Message(code, name=self.name, low=self.low, high=self.high, value=f"{number:g}"
                                     if isinstance(number, float) else str(number)))
        return number

    def accepts(self, value) -> bool:
        """Whether :meth:`coerce` takes ``value`` (a lesson's URL preset is used only when it does)."""
        try:
            self.coerce(value)
        except ValueError:
            return False
        return True

    def describe(self) -> str:
        """One line for the command line's help: name, default, range or choices, help."""
        if self.choices or self.values:
            allowed = "|".join(map(str, self.choices or self.values))
        elif self.low is not None and self.high is not None:
            allowed = f"{self.low:g}..{self.high:g}"
        else:
            allowed = self.kind.__name__
        return f"{self.name}={self.default} ({allowed}): {self.help}"


def resolve_options(declared: Sequence[Option], given: Mapping | None, owner: str) -> dict[str, OptionValue]:
    """Every declared option's value: the given one, checked and typed, else its default.

    ``owner`` names the method in the error messages (``unknown option 'stop_gradeint' for simsiam; its
    options: stop_gradient``).
    """
    if given is not None and not isinstance(given, Mapping):
        raise ValueError(Message("opt.not_mapping", owner=owner))
    given = dict(given or {})
    by_name = {o.name: o for o in declared}
    unknown = sorted(set(given) - set(by_name), key=str)
    if unknown:
        known = ", ".join(by_name) or "none"
        raise ValueError(Message("opt.unknown_many" if len(unknown) > 1 else "opt.unknown",
                                 names=", ".join(map(repr, unknown)), owner=owner, known=known))
    return {name: option.coerce(given[name]) if name in given else option.default
            for name, option in by_name.items()}


def default_options(declared: Sequence[Option]) -> dict[str, OptionValue]:
    return {o.name: o.default for o in declared}


def setting(config: type, name: str, label: str, help: str, **limits) -> Option:
    """A run configuration's field ``name`` declared as an option, its default read from the dataclass (one
    default per setting): how a capability lists the settings its page and command line offer."""
    return Option(name, config.__dataclass_fields__[name].default, label, help, **limits)
