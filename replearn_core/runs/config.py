"""The base class of every run configuration: the settings of a run as a plain dict for the run store, and back.

Each capability has its own dataclass on it (``TrainConfig``, ``TransferConfig``, ``CycleGANConfig``, ``AdaptConfig``, ...).
"""

from __future__ import annotations

from dataclasses import asdict, fields


class RunConfig:
    """What every run configuration dataclass shares: a plain dict for the run store and back.

    ``from_dict`` refuses names it does not know, so a typo in a stored or hand-written
    configuration is an error that names it, not a setting silently ignored.
    """

    setting_kind = "training"  # how the error message names this configuration's settings ("" = plainly)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            words = " ".join(w for w in ("unknown", cls.setting_kind, "setting(s)") if w)
            raise ValueError(f"{words}: {', '.join(unknown)}")
        return cls(**data)
