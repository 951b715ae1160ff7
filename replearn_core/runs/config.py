"""The base class of every run configuration: the settings of a run as a plain dict for the run store, and back.

Each capability has its own dataclass on it (``TrainConfig``, ``TransferConfig``, ``CycleGANConfig``, ``AdaptConfig``, ...).
"""

from __future__ import annotations

import numbers
import types
import typing
from collections.abc import Iterable
from dataclasses import MISSING, asdict, field, fields

from replearn_core.i18n import Message

SEED_LIMIT = 2**32  # seeds are drawn into numpy's and torch's generators: 0 .. 2**32 - 1


def described(default=MISSING, help: str = "", *, default_factory=MISSING):
    """A configuration field with what it means beside its default, whole::

        lr: float = described(2e-3, "peak learning rate of AdamW, reached after a short warm-up")

    The command line's ``--help`` reads it (:func:`field_help`), so it is one text, never a comment read out of
    the source."""
    return field(default=default, default_factory=default_factory, metadata={"help": help})


def field_help(config: type, name: str) -> str:
    """The help a configuration's field declares (:func:`described`); KeyError for a field without one."""
    declared = {f.name: f.metadata.get("help") for f in fields(config)}
    if not declared.get(name):
        raise KeyError(f"{config.__name__}.{name} declares no help")
    return declared[name]


class RunConfig:
    """What every run configuration dataclass shares: a plain dict for the run store and back, and the checks
    every setting gets before its own range check.

    ``from_dict`` refuses names it does not know, so a typo in a stored or hand-written
    configuration is an error that names it, not a setting silently ignored.
    """

    setting_kind = "training"  # how the error message names this configuration's settings ("" = plainly)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        if not isinstance(data, dict):
            raise ValueError(Message("cfg.not_mapping"))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known, key=str)
        if unknown:
            words = " ".join(w for w in ("unknown", cls.setting_kind, "setting(s)") if w)
            raise ValueError(f"{words}: {', '.join(map(str, unknown))}")
        return cls(**data)

    def check_fields(self) -> None:
        """Refuse, before any range check, a value of the wrong type (a text where a number belongs: the
        comparisons of the range checks would raise TypeError), a non-finite number in any field (``inf`` passes
        ``weight_decay >= 0``, ``nan`` passes nothing but is named here the same way for every field), a seed
        outside 0 .. 2**32 - 1 and a device that is not a device name. One check for every configuration, so a
        field added later is checked too."""
        from replearn_core.device import check_device_name
        from replearn_core.options import require_finite

        hints = typing.get_type_hints(type(self))
        for f in fields(self):
            value = getattr(self, f.name)
            hint = hints.get(f.name)
            if hint is not None and not _conforms(value, hint):
                raise ValueError(Message("cfg.wrong_type", name=f.name, kind=_kind_name(hint),
                                         value=repr(value)[:60]))
            for number in value if isinstance(value, (list, tuple)) else [value]:
                require_finite(f.name, number)
        seed = getattr(self, "seed", None)
        if seed is not None and not 0 <= seed < SEED_LIMIT:
            raise ValueError(Message("cfg.seed_range", high=SEED_LIMIT - 1))
        check_device_name(getattr(self, "device", None))

    def training_checks(self) -> list[tuple[bool, Message]]:
        """The range checks of the settings every training run shares (epochs, learning rate, weight decay, image
        size, the evaluation during training, the image cap, the time budget, checkpoints), for a configuration's
        ``validate`` to extend with its own."""
        return [(self.epochs >= 1, Message("cfg.epochs_min")),
                (0 < self.lr <= 1, Message("cfg.lr_range")),
                (self.weight_decay >= 0, Message("cfg.wd_nonneg")),
                (8 <= self.image_size <= 512, Message("cfg.image_size_range")),
                (self.eval_every is None or self.eval_every >= 1, Message("cfg.eval_every_min")),
                (self.knn_k >= 1, Message("cfg.knn_k_min")),
                (self.knn_bank_images >= 1, Message("cfg.knn_bank_min")),
                (self.eval_images >= 10, Message("cfg.eval_images_min")),
                (self.max_train_images is None or self.max_train_images >= 2, Message("cfg.max_train_min")),
                (self.time_budget_s is None or self.time_budget_s > 0, Message("cfg.time_budget_positive")),
                (self.checkpoint_every >= 1, Message("cfg.checkpoint_every_min"))]

    @staticmethod
    def require(checks: Iterable[tuple[bool, str]]) -> None:
        """Raise the first failing range check's message (a ValueError a user can act on)."""
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


def _conforms(value, hint) -> bool:
    """Whether ``value`` is of the annotated kind: ``int`` takes whole numbers (not True/False), ``float`` any
    real number, ``X | None`` also None, ``list[X]`` a list (or tuple) of X; other kinds are left to the
    configuration's own checks."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, a) for a in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if hint is list or origin is list:
        return isinstance(value, (list, tuple)) and (not args or all(_conforms(v, args[0]) for v in value))
    if hint is dict or origin is dict:
        return isinstance(value, dict)
    return True


def _kind_name(hint) -> str:
    """A type annotation as a user reads it: ``int | None``, ``list[float]``."""
    return getattr(hint, "__name__", None) if not typing.get_args(hint) else str(hint).replace("NoneType", "None")
